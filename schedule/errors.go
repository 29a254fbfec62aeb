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

// Sentinel errors of schedules. A [*ScheduleError] always wraps
// [ErrInvalidSchedule] and, for each kind of problem it lists, one of the
// more specific sentinels below.
var (
	// ErrInvalidSchedule: a schedule with at least one problem.
	ErrInvalidSchedule = errors.New("schedule: invalid schedule")
	// ErrUnknownKind: a schedule kind other than on_demand, daily, weekly
	// and pipeline, or none.
	ErrUnknownKind = errors.New("schedule: unknown schedule kind")
	// ErrUnknownZone: a zone name that is not an IANA time zone known to
	// the zone database (see the package documentation about time/tzdata).
	ErrUnknownZone = errors.New("schedule: unknown time zone")
	// ErrBadLocalTime: a local time of day that is missing, not "hh:mm",
	// or out of range, or one given to a kind that has none.
	ErrBadLocalTime = errors.New("schedule: bad local time")
	// ErrNoWeekdays: a weekly schedule with no weekday, or weekdays given
	// to another kind.
	ErrNoWeekdays = errors.New("schedule: bad weekdays")
	// ErrBadInterval: a pipeline interval that is zero, negative or too
	// long, or an interval given to another kind.
	ErrBadInterval = errors.New("schedule: bad interval")
	// ErrEndBeforeStart: an end that is not after the start, or a start or
	// end outside the years 1 to 9999.
	ErrEndBeforeStart = errors.New("schedule: end not after start")
)

// ScheduleError describes why a [Schedule] is invalid. It wraps
// [ErrInvalidSchedule] and the sentinel of each kind of problem found, so
// errors.Is(err, ErrUnknownZone) tells an unknown zone apart.
type ScheduleError struct {
	// Schedule is the offending schedule.
	Schedule Schedule
	// Problems lists every problem, e.g. `zone "Mars/Olympus" is unknown`.
	Problems []string
	// Causes holds the sentinel of each kind of problem, without repeats.
	Causes []error
}

// Error joins the problems.
func (e *ScheduleError) Error() string {
	msg := "schedule: invalid schedule"
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

// Unwrap returns [ErrInvalidSchedule] followed by the causes.
func (e *ScheduleError) Unwrap() []error {
	return append([]error{ErrInvalidSchedule}, e.Causes...)
}
