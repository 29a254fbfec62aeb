package credit

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of package credit; test with errors.Is. Stores wrap them.
var (
	// ErrForbidden: only administrators create pools and distribute credits.
	// Nothing changed.
	ErrForbidden = errors.New("credit: forbidden: administrators only")
	// ErrInsufficientCredits: the allocation's available balance is smaller
	// than the amount asked for; see *InsufficientError. Nothing changed.
	ErrInsufficientCredits = errors.New("credit: insufficient credits")
	// ErrMonthlyLimit: the reservation would take the contacts bought this
	// calendar month past a limit; see *MonthlyLimitError. Nothing changed.
	ErrMonthlyLimit = errors.New("credit: monthly contact limit reached")
	// ErrNoPool: no pool's period contains the given time.
	ErrNoPool = errors.New("credit: no pool for this period")
	// ErrOverAllocated: the allocations would exceed the pool's total.
	ErrOverAllocated = errors.New("credit: allocations exceed the pool total")
	// ErrPeriodEnded: the pool's period is over; its allocations are frozen.
	ErrPeriodEnded = errors.New("credit: pool period has ended")
	// ErrNotFound: no such pool or reservation.
	ErrNotFound = errors.New("credit: not found")
	// ErrConflict: a pool id or period clashes with an existing pool, a key
	// is reused for a different reservation, or a released reservation is
	// committed.
	ErrConflict = errors.New("credit: conflict")
	// ErrInvalid: a malformed argument (empty key, negative amount, spent
	// more than reserved…).
	ErrInvalid = errors.New("credit: invalid argument")
)

// InsufficientError reports a reservation (or an allocation cut) larger than
// the available balance. It wraps [ErrInsufficientCredits] and, when no
// pool covers the time of the reservation, [ErrNoPool] too (Available is
// then 0 and Pool empty).
type InsufficientError struct {
	Pool      string // the pool's id; "" when no pool covers the time
	App       App
	Requested int64 // credits asked for
	Available int64 // credits available when asked
}

// Error implements error.
func (e *InsufficientError) Error() string {
	if e.Pool == "" {
		return fmt.Sprintf("credit: insufficient credits for %s: requested %d, no pool for this period", e.App, e.Requested)
	}
	return fmt.Sprintf("credit: insufficient credits for %s in pool %s: requested %d, available %d",
		e.App, e.Pool, e.Requested, e.Available)
}

// Unwrap returns [ErrInsufficientCredits], and [ErrNoPool] when Pool is "".
func (e *InsufficientError) Unwrap() []error {
	if e.Pool == "" {
		return []error{ErrInsufficientCredits, ErrNoPool}
	}
	return []error{ErrInsufficientCredits}
}

// MonthlyLimitError reports a reservation that would take a calendar month's
// contacts past a limit. It wraps [ErrMonthlyLimit].
type MonthlyLimitError struct {
	Month     time.Time // first instant of the calendar month, UTC
	UserType  string    // the user type whose limit is hit; "" for the organisation's
	Limit     int64     // the limit
	Used      int64     // contacts bought or held this month before the request
	Requested int64     // contacts asked for
}

// Error implements error.
func (e *MonthlyLimitError) Error() string {
	scope := "the organisation"
	if e.UserType != "" {
		scope = "user type " + e.UserType
	}
	return fmt.Sprintf("credit: monthly contact limit of %s reached for %s: limit %d, used %d, requested %d",
		scope, e.Month.Format("2006-01"), e.Limit, e.Used, e.Requested)
}

// Unwrap returns [ErrMonthlyLimit].
func (e *MonthlyLimitError) Unwrap() error { return ErrMonthlyLimit }
