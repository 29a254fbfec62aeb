package schedule

import "errors"

// Sentinel errors of package schedule; errors returned by the package wrap
// one of them, test with errors.Is.
var (
	// ErrInvalidSpan: a span with a negative or too large part, or no
	// length at all.
	ErrInvalidSpan = errors.New("schedule: invalid span")
)

// SpanError describes why a [Span] is invalid. It wraps [ErrInvalidSpan].
type SpanError struct {
	// Span is the offending span.
	Span Span
	// Problems lists every problem, e.g. "days is negative (-1)".
	Problems []string
}

// Error joins the problems.
func (e *SpanError) Error() string {
	msg := "schedule: invalid span"
	for i, p := range e.Problems {
		if i == 0 {
			msg += ": "
		} else {
			msg += "; "
		}
		msg += p
	}
	return msg
}

// Unwrap returns [ErrInvalidSpan].
func (e *SpanError) Unwrap() error { return ErrInvalidSpan }
