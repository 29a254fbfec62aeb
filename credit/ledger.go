package credit

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// NoticeLow is the notice kind [Ledger.Low] records with
// [Store.MarkNotified].
const NoticeLow = "low"

// Options configure a [Ledger]. The zero Options has no monthly limits and
// no low-credit threshold.
type Options struct {
	// Limits are the monthly contact limits; off by default.
	Limits Limits
	// LowCredits: an allocation is low when its available credits are at
	// most this many. 0 is off.
	LowCredits int64
	// LowPercent: an allocation is low when its available credits are at
	// most this percentage of its allocation. 0 is off.
	LowPercent int64
}

// Ledger spends credits through a [Store]: it checks who may do what and
// that arguments are well formed, and leaves every check-and-update to the
// store's atomic methods. A Ledger is safe for concurrent use, and any
// number of Ledgers (in any number of processes) may share one Store.
// Times are always passed in; a Ledger never reads the clock.
type Ledger struct {
	s Store

	mu   sync.RWMutex
	opts Options
}

// NewLedger returns a ledger over s. It panics if s is nil.
func NewLedger(s Store, opts Options) *Ledger {
	if s == nil {
		panic("credit: NewLedger with a nil Store")
	}
	opts.Limits = copyLimits(opts.Limits)
	return &Ledger{s: s, opts: opts}
}

func copyLimits(l Limits) Limits {
	if l.PerUserType != nil {
		l.PerUserType = maps.Clone(l.PerUserType)
	}
	return l
}

func forbidden(what string) error { return fmt.Errorf("%w: %s", ErrForbidden, what) }

// Limits returns the monthly limits in force (a copy).
func (l *Ledger) Limits() Limits {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return copyLimits(l.opts.Limits)
}

// SetLimits replaces the monthly limits of this Ledger; only an
// administrator may. Reservations already held are unaffected. Limits live
// in the Ledger, not the Store: processes sharing a Store should configure
// the same limits.
func (l *Ledger) SetLimits(admin bool, lim Limits) error {
	if !admin {
		return forbidden("setting monthly limits")
	}
	for ut, n := range lim.PerUserType {
		if n < 0 {
			return fmt.Errorf("%w: negative monthly limit %d for user type %q", ErrInvalid, n, ut)
		}
	}
	if lim.Organisation < 0 {
		return fmt.Errorf("%w: negative monthly organisation limit %d", ErrInvalid, lim.Organisation)
	}
	l.mu.Lock()
	l.opts.Limits = copyLimits(lim)
	l.mu.Unlock()
	return nil
}

// CreatePool adds the pool of a contract period; only an administrator
// may. A pool whose id or period clashes with another is ErrConflict.
func (l *Ledger) CreatePool(ctx context.Context, admin bool, p Pool) error {
	if !admin {
		return forbidden("creating a pool")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return l.s.CreatePool(ctx, p)
}

// SetPoolTotal changes a pool's total, as a top-up does; only an
// administrator may. It cannot go below the pool's allocations
// (ErrOverAllocated).
func (l *Ledger) SetPoolTotal(ctx context.Context, admin bool, pool string, total int64) (Pool, error) {
	if !admin {
		return Pool{}, forbidden("changing a pool's total")
	}
	if pool == "" || total < 0 {
		return Pool{}, fmt.Errorf("%w: pool %q, total %d", ErrInvalid, pool, total)
	}
	return l.s.SetPoolTotal(ctx, pool, total)
}

// Pools returns every pool, by Start.
func (l *Ledger) Pools(ctx context.Context) ([]Pool, error) { return l.s.Pools(ctx) }

// Pool returns the pool whose period contains at (the current pool when at
// is now), or an error wrapping ErrNoPool.
func (l *Ledger) Pool(ctx context.Context, at time.Time) (Pool, error) { return l.s.PoolAt(ctx, at) }

// Allocate sets an application's allocation in a pool to r.Amount; only an
// administrator (the primary administrator included) may distribute
// credits: the caller maps its roles to admin. The pool's allocations
// together never exceed its total (ErrOverAllocated), and an allocation
// never drops below what is already reserved, spent or expired
// (*InsufficientError).
func (l *Ledger) Allocate(ctx context.Context, admin bool, r AllocateRequest) (Balance, error) {
	if !admin {
		return Balance{}, forbidden("distributing credits")
	}
	if err := r.Validate(); err != nil {
		return Balance{}, err
	}
	return l.s.Allocate(ctx, r)
}

// Balance returns an application's balance in the pool whose period
// contains at, or an error wrapping ErrNoPool.
func (l *Ledger) Balance(ctx context.Context, app App, at time.Time) (Balance, error) {
	p, err := l.s.PoolAt(ctx, at)
	if err != nil {
		return Balance{}, err
	}
	return l.s.Balance(ctx, p.ID, app)
}

// Balances returns the balances of every application with an allocation in
// a pool, by App.
func (l *Ledger) Balances(ctx context.Context, pool string) ([]Balance, error) {
	return l.s.Balances(ctx, pool)
}

// Reserve holds credits before an action that spends them (purchase
// contacts, create account), under the action's idempotency key, in the
// pool whose period contains r.At. Call [Ledger.Commit] when the action
// succeeds and [Ledger.Release] when it fails.
//
// Reserving a key that is Held or Committed returns that reservation and
// holds nothing more: check its State, since a Committed reservation means
// the action already spent and must not run again. A Released key is held
// anew.
//
// Not enough credits is an error wrapping ErrInsufficientCredits (an
// *InsufficientError with the requested and available amounts; it also
// wraps ErrNoPool when no pool covers r.At). When monthly limits are set,
// r.Contacts count against r.User's type and the organisation in r.At's
// UTC calendar month, and a limit exceeded is an error wrapping
// ErrMonthlyLimit (*MonthlyLimitError). A scheduled run has no user of its
// own: the caller passes the workflow owner's User and UserType.
func (l *Ledger) Reserve(ctx context.Context, r ReserveRequest) (Reservation, error) {
	if err := r.Validate(); err != nil {
		return Reservation{}, err
	}
	l.mu.RLock()
	lim := l.opts.Limits // never mutated in place: SetLimits replaces it
	l.mu.RUnlock()
	return l.s.Reserve(ctx, r, lim)
}

// Commit settles the reservation under r.Key after the action succeeded:
// r.Credits (at most the reserved credits) are spent and the rest returns
// to the allocation; r.Contacts (at most the reserved contacts) were bought
// this month. Committing again is a no-op that returns the reservation as
// first committed, so a retried action never spends twice. Committing a
// released reservation is ErrConflict.
func (l *Ledger) Commit(ctx context.Context, r CommitRequest) (Reservation, error) {
	if err := r.Validate(); err != nil {
		return Reservation{}, err
	}
	return l.s.Commit(ctx, r)
}

// Release returns every credit and contact of the reservation under key
// after the action failed. Releasing again, or releasing a committed
// reservation, is a no-op that returns it.
func (l *Ledger) Release(ctx context.Context, key string, at time.Time) (Reservation, error) {
	if key == "" {
		return Reservation{}, fmt.Errorf("%w: empty key", ErrInvalid)
	}
	return l.s.Release(ctx, ReleaseRequest{Key: key, At: at})
}

// Reservation returns the reservation under key, or an error wrapping
// ErrNotFound.
func (l *Ledger) Reservation(ctx context.Context, key string) (Reservation, error) {
	return l.s.Reservation(ctx, key)
}

// History returns a pool's history entries matching q, in Seq order. The
// [Sum] of all of a pool's entries for one application is that
// application's [Balance].
func (l *Ledger) History(ctx context.Context, q HistoryQuery) ([]Entry, error) {
	if q.Pool == "" {
		return nil, fmt.Errorf("%w: history without a pool", ErrInvalid)
	}
	return l.s.History(ctx, q)
}

// Usage returns the contacts bought or held in at's UTC calendar month.
func (l *Ledger) Usage(ctx context.Context, at time.Time) (Usage, error) {
	return l.s.Usage(ctx, at)
}

// Expire ends every pool whose period is over by at: their unspent
// credits expire (nothing carries over to the next period). Run it from a
// scheduler; it is idempotent. It returns the expire entries written.
func (l *Ledger) Expire(ctx context.Context, at time.Time) ([]Entry, error) {
	return l.s.Expire(ctx, at)
}

// LowStatus is what [Ledger.Low] found.
type LowStatus struct {
	Pool    Pool
	Balance Balance
	// Low: a threshold is set, the application has an allocation, and its
	// available credits are at or below the threshold.
	Low bool
	// Notify: Low, and this is the first call to find it low in this pool
	// (across every Ledger sharing the Store): post the "credits low"
	// notice now. It is true at most once per pool and application.
	Notify bool
}

// Low reports whether an application's credits in the pool containing at
// are low by the Options' thresholds, and whether to notify. With no pool
// for at it returns an error wrapping ErrNoPool.
func (l *Ledger) Low(ctx context.Context, app App, at time.Time) (LowStatus, error) {
	p, err := l.s.PoolAt(ctx, at)
	if err != nil {
		return LowStatus{}, err
	}
	b, err := l.s.Balance(ctx, p.ID, app)
	if err != nil {
		return LowStatus{}, err
	}
	st := LowStatus{Pool: p, Balance: b}
	l.mu.RLock()
	lc, lp := l.opts.LowCredits, l.opts.LowPercent
	l.mu.RUnlock()
	if b.Allocated > 0 && ((lc > 0 && b.Available <= lc) || (lp > 0 && b.Available*100 <= lp*b.Allocated)) {
		st.Low = true
		st.Notify, err = l.s.MarkNotified(ctx, p.ID, app, NoticeLow)
		if err != nil {
			return LowStatus{}, err
		}
	}
	return st, nil
}
