package node

import (
	"errors"
	"time"

	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/schedule"
)

// Timer is a wait node: it holds each account for a [schedule.Span] from
// the time the account entered it, or until a date-time. Without
// Conditions its single output is [PathNext]. With Conditions (an account
// filter) it has two: [PathMet] as soon as the conditions hold, and
// [PathTimeUp] when the time is up first. Conditions are checked on runs:
// a run that finds the time up takes PathTimeUp even when the conditions
// hold by then too (say, an engagement that happened before the deadline
// but no run came between).
type Timer struct {
	// ID is the node id (see [ValidID]).
	ID string `json:"-"`
	// Label is the name people see.
	Label string `json:"-"`
	// Span is how long to wait; days count in the workflow's time zone.
	// Exactly one of Span and Until is set.
	Span schedule.Span `json:"span,omitzero"`
	// Until is the date-time to wait until.
	Until time.Time `json:"until,omitzero"`
	// Conditions, when not empty, let an account move on early.
	Conditions eval.Filter `json:"conditions,omitzero"`
}

// NewTimer returns a timer waiting span.
func NewTimer(id, label string, span schedule.Span) *Timer {
	return &Timer{ID: id, Label: label, Span: span}
}

// NewTimerUntil returns a timer waiting until t.
func NewTimerUntil(id, label string, t time.Time) *Timer {
	return &Timer{ID: id, Label: label, Until: t}
}

// WithConditions sets the timer's conditions and returns t, for chaining.
func (t *Timer) WithConditions(f eval.Filter) *Timer {
	t.Conditions = f
	return t
}

// NodeID returns t.ID.
func (t *Timer) NodeID() string { return t.ID }

// NodeLabel returns t.Label.
func (t *Timer) NodeLabel() string { return t.Label }

// Kind returns [KindTimer].
func (t *Timer) Kind() Kind { return KindTimer }

// HasConditions reports whether the timer carries conditions.
func (t *Timer) HasConditions() bool { return !t.Conditions.IsZero() }

// Outputs returns [PathMet] and [PathTimeUp] for a timer with conditions,
// [PathNext] otherwise.
func (t *Timer) Outputs() []string {
	if t.HasConditions() {
		return []string{PathMet, PathTimeUp}
	}
	return []string{PathNext}
}

// Due returns when an account that entered the timer at entered is due,
// with day spans counted in loc (nil: entered's location).
func (t *Timer) Due(entered time.Time, loc *time.Location) time.Time {
	if !t.Until.IsZero() {
		return t.Until
	}
	return t.Span.AddTo(entered, loc)
}

// Validate reports every configuration problem as a *[ConfigError].
func (t *Timer) Validate() error {
	var ps problems
	checkID(&ps, t.ID)
	checkLabel(&ps, t.Label)
	switch {
	case t.Span.IsZero() && t.Until.IsZero():
		ps.add("config", "has neither a span nor an until time")
	case !t.Span.IsZero() && !t.Until.IsZero():
		ps.add("config", "has both a span and an until time")
	case !t.Span.IsZero():
		if err := t.Span.Validate(); err != nil {
			var se *schedule.SpanError
			if errors.As(err, &se) {
				for _, p := range se.Problems {
					ps.add("config.span", "%s", p)
				}
			} else {
				ps.add("config.span", "%v", err)
			}
		}
	}
	if !t.Until.IsZero() && (t.Until.Year() < 2000 || t.Until.Year() > 9999) {
		ps.add("config.until", "year %d is out of range 2000-9999", t.Until.Year())
	}
	checkFilterShape(&ps, "config.conditions", t.Conditions)
	return ps.err(t.ID, KindTimer)
}

func (t *Timer) clone() Node {
	c := *t
	c.Conditions = cloneFilter(t.Conditions)
	return &c
}
