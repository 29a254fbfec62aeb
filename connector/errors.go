package connector

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors of package connector. Errors returned by this package
// wrap one of these; test with errors.Is.
var (
	// ErrNotRegistered: a connector name the Registry does not hold.
	ErrNotRegistered = errors.New("connector: not registered")
	// ErrMissingCapability: a connector lacks a capability an action needs.
	ErrMissingCapability = errors.New("connector: missing capability")
	// ErrDuplicate: a second connector registered under a taken name.
	ErrDuplicate = errors.New("connector: duplicate name")
	// ErrInvalidConnector: a nil connector or one with an empty name.
	ErrInvalidConnector = errors.New("connector: invalid connector")

	// ErrPermanent marks a whole-call error that retrying cannot fix
	// (see [MarkPermanent] and [Resolve]). A whole-call error that does
	// not wrap it is transient.
	ErrPermanent = errors.New("connector: permanent failure")
	// ErrResultCount: a connector returned a number of results different
	// from the number of items it was given (a connector bug; every item of
	// the call is then a permanent failure).
	ErrResultCount = errors.New("connector: wrong number of results")
	// ErrMissingKey: an item without an idempotency key. Connectors refuse
	// such items permanently.
	ErrMissingKey = errors.New("connector: item has no idempotency key")

	// ErrEnvironment: a mapping profile for another environment (production
	// vs sandbox) than the connector's.
	ErrEnvironment = errors.New("connector: wrong environment")
	// ErrInvalidProfile: a mapping profile that does not validate.
	ErrInvalidProfile = errors.New("connector: invalid mapping profile")
	// ErrUnknownField: a profile or match rule names a field the catalogue
	// does not hold (the error also wraps the audience package's cause).
	ErrUnknownField = errors.New("connector: unknown field")
	// ErrRequiredField: a required target field (lead: email, last name,
	// company; contact: email) that the profile does not map.
	ErrRequiredField = errors.New("connector: required field not mapped")
	// ErrMissingValue: applying a profile to a record whose required field
	// is empty, or a contact profile to an item without a contact.
	ErrMissingValue = errors.New("connector: required value missing")
	// ErrInvalidRules: match rules that do not validate.
	ErrInvalidRules = errors.New("connector: invalid match rules")
	// ErrKindMismatch: a profile or rule set for another object kind than
	// the one asked for.
	ErrKindMismatch = errors.New("connector: object kind mismatch")
)

// CallError is a whole-call failure: the connector could not process the
// batch at all (connection refused, throttled, unauthorised). Every item of
// the call shares it. Build one with [MarkPermanent] or [WithRetryAfter], or
// return any other error (then it is transient with no retry hint).
//
// errors.Is(err, ErrPermanent) holds exactly when Permanent is true.
type CallError struct {
	// Permanent says retrying cannot help.
	Permanent bool
	// RetryAfter, when positive, is the least wait the target asked for
	// before a retry (an HTTP Retry-After, say).
	RetryAfter time.Duration
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *CallError) Error() string {
	var b strings.Builder
	if e.Permanent {
		b.WriteString("permanent: ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("call failed")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }

// Is reports whether target is ErrPermanent and the failure is permanent.
func (e *CallError) Is(target error) bool { return target == ErrPermanent && e.Permanent }

// MarkPermanent wraps err as a permanent whole-call failure. It returns nil
// for a nil err.
func MarkPermanent(err error) error {
	if err == nil {
		return nil
	}
	return &CallError{Permanent: true, Err: err}
}

// WithRetryAfter wraps err as a transient whole-call failure the target
// asked to retry no sooner than d from now. A permanent err stays
// permanent (Permanent is true: no wait helps it). It returns nil for a
// nil err.
func WithRetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &CallError{Permanent: errors.Is(err, ErrPermanent), RetryAfter: d, Err: err}
}

// CapabilityError reports a connector lacking capabilities. It wraps
// ErrMissingCapability.
type CapabilityError struct {
	Connector string
	Missing   []Capability
}

// Error implements error.
func (e *CapabilityError) Error() string {
	names := make([]string, len(e.Missing))
	for i, c := range e.Missing {
		names[i] = c.String()
	}
	return fmt.Sprintf("connector %q: missing capability %s", e.Connector, strings.Join(names, ", "))
}

// Unwrap returns ErrMissingCapability.
func (e *CapabilityError) Unwrap() error { return ErrMissingCapability }

// Problem is one thing wrong with a mapping profile or a set of match rules.
type Problem struct {
	// Field names the field concerned (a catalogue name or a target field),
	// empty for the profile or rule set as a whole.
	Field string
	// Err is the cause; it wraps a sentinel of this package.
	Err error
}

// String returns "field: cause", or the cause alone.
func (p Problem) String() string {
	if p.Field == "" {
		return p.Err.Error()
	}
	return p.Field + ": " + p.Err.Error()
}

// ValidationError lists every problem found in a mapping profile or a set
// of match rules. It wraps ErrInvalidProfile or ErrInvalidRules and each
// problem's cause.
type ValidationError struct {
	// Kind is "mapping profile" or "match rules".
	Kind string
	// Name is the profile's or rule set's name.
	Name     string
	Problems []Problem
	sentinel error
}

// Error implements error.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q: ", e.Kind, e.Name)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns the sentinel (ErrInvalidProfile or ErrInvalidRules) and
// every problem's cause.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, 0, len(e.Problems)+1)
	if e.sentinel != nil {
		out = append(out, e.sentinel)
	}
	for _, p := range e.Problems {
		out = append(out, p.Err)
	}
	return out
}
