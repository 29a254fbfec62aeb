package connector

import (
	"errors"
	"fmt"
	"time"
)

// Status is an item's outcome.
type Status uint8

// Item outcomes. The zero value is Done.
const (
	// StatusDone: the target accepted the item (or had it already, under
	// the same key).
	StatusDone Status = iota
	// StatusTransient: the item failed but may succeed if sent again with
	// the same key (timeouts, throttling, 5xx).
	StatusTransient
	// StatusPermanent: the item failed and sending it again cannot help
	// (invalid record, rejected by the target).
	StatusPermanent
)

// String returns "done", "transient" or "permanent".
func (s Status) String() string {
	switch s {
	case StatusDone:
		return "done"
	case StatusTransient:
		return "transient"
	case StatusPermanent:
		return "permanent"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Result is one item's outcome. The zero Result is Done.
type Result struct {
	Status Status
	// Err is the cause of a failure; nil when Done.
	Err error
	// RetryAfter, when positive, is the least wait before a transient item
	// is sent again.
	RetryAfter time.Duration
	// ID is the target's id for the item when the call created or found
	// one (a written record); empty otherwise.
	ID string
}

// Done returns a successful Result.
func Done() Result { return Result{} }

// DoneID returns a successful Result carrying the target's id.
func DoneID(id string) Result { return Result{ID: id} }

// Transient returns a Result for an item that failed and may succeed later.
func Transient(err error) Result { return Result{Status: StatusTransient, Err: err} }

// TransientAfter is Transient with a retry hint.
func TransientAfter(err error, d time.Duration) Result {
	return Result{Status: StatusTransient, Err: err, RetryAfter: d}
}

// Permanent returns a Result for an item that cannot succeed.
func Permanent(err error) Result { return Result{Status: StatusPermanent, Err: err} }

// OK reports whether the item is done.
func (r Result) OK() bool { return r.Status == StatusDone }

// Retryable reports whether the item failed transiently.
func (r Result) Retryable() bool { return r.Status == StatusTransient }

// AllResults returns n copies of r.
func AllResults(n int, r Result) []Result {
	if n < 0 {
		n = 0
	}
	out := make([]Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// FromError turns a whole-call error into the Result every item of the call
// shares: permanent when err wraps ErrPermanent, transient otherwise, with
// the RetryAfter of a *CallError in the chain. A nil err gives Done.
func FromError(err error) Result {
	if err == nil {
		return Done()
	}
	r := Result{Status: StatusTransient, Err: err}
	if errors.Is(err, ErrPermanent) {
		r.Status = StatusPermanent
	}
	var ce *CallError
	if errors.As(err, &ce) && ce.RetryAfter > 0 {
		r.RetryAfter = ce.RetryAfter
	}
	return r
}

// Resolve is how the engine reads what a capability method returned for a
// call of n items; it always returns exactly n Results:
//
//   - err != nil: the whole call failed; every item gets FromError(err)
//     (permanent if err wraps ErrPermanent, else transient) and rs is
//     ignored.
//   - len(rs) != n: a connector bug; every item is permanent, wrapping
//     ErrResultCount.
//   - otherwise rs, with two repairs: a Done result carrying an Err becomes
//     Transient (a success cannot have a cause), and a status out of range
//     becomes Permanent.
//
// Resolve never modifies rs.
func Resolve(n int, rs []Result, err error) []Result {
	if err != nil {
		return AllResults(n, FromError(err))
	}
	if len(rs) != n {
		return AllResults(n, Permanent(fmt.Errorf("%w: %d results for %d items", ErrResultCount, len(rs), n)))
	}
	out := make([]Result, n)
	for i, r := range rs {
		switch {
		case r.Status == StatusDone && r.Err != nil:
			r.Status = StatusTransient
		case r.Status > StatusPermanent:
			if r.Err == nil {
				r.Err = fmt.Errorf("%w: invalid status %d", ErrResultCount, r.Status)
			}
			r.Status = StatusPermanent
		case r.Status != StatusDone && r.Err == nil:
			r.Err = fmt.Errorf("connector: item failed (%s) with no cause", r.Status)
		}
		out[i] = r
	}
	return out
}

// ResolvePurchases is Resolve for ContactPurchaser.Purchase: exactly n
// Purchases; failed ones carry no contacts.
func ResolvePurchases(n int, ps []Purchase, err error) []Purchase {
	out := make([]Purchase, n)
	if err == nil && len(ps) == n {
		rs := make([]Result, n)
		for i := range ps {
			rs[i] = ps[i].Result
		}
		rs = Resolve(n, rs, nil)
		for i := range out {
			out[i].Result = rs[i]
			if rs[i].OK() {
				out[i].Contacts = ps[i].Contacts
			}
		}
		return out
	}
	rs := Resolve(n, make([]Result, len(ps)), err)
	for i := range out {
		out[i].Result = rs[i]
	}
	return out
}
