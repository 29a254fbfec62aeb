package credit

import (
	"context"
	"time"
)

// Store persists a ledger. Every method is one atomic step (one transaction
// in a SQL store): in particular Reserve checks the balance and the monthly
// limits and holds the credits in one step, so processes sharing one
// database never overspend. Stores wrap this package's sentinel errors and
// return a context's error once it is done. Arguments reach a Store
// validated by the [Ledger] (see the requests' Validate methods); a Store
// still enforces every invariant below itself.
//
// A SQL store maps each method to one transaction: Reserve, for instance,
// reads the reservation row by key, locks the allocation row (SELECT … FOR
// UPDATE, or a conditional UPDATE … SET available = available − n WHERE
// available >= n), reads and bumps the month's usage rows, and inserts the
// reservation and its history row before committing; History is the
// entries table in Seq (an identity column) order, and Balance the
// allocation row.
//
// Package store/memstore implements it; store/storetest.TestCredits is its
// conformance suite.
type Store interface {
	// CreatePool adds a pool. A pool with the same id, or a period
	// overlapping another pool's, is ErrConflict.
	CreatePool(ctx context.Context, p Pool) error
	// SetPoolTotal changes a pool's total (a top-up, or a correction). A
	// total below the sum of its allocations is ErrOverAllocated; an unknown
	// pool ErrNotFound.
	SetPoolTotal(ctx context.Context, pool string, total int64) (Pool, error)
	// Pools returns every pool, by Start.
	Pools(ctx context.Context) ([]Pool, error)
	// PoolAt returns the pool whose period contains at, or ErrNoPool.
	PoolAt(ctx context.Context, at time.Time) (Pool, error)

	// Allocate sets an application's allocation in a pool and records a
	// KindAllocate entry with the change (none if unchanged). The sum of the
	// pool's allocations above its total is ErrOverAllocated; an allocation
	// below what is reserved, spent and expired is an *InsufficientError
	// (Requested: the cut, Available: what is available); at or after the
	// pool's End (or once expired) ErrPeriodEnded; an unknown pool
	// ErrNotFound.
	Allocate(ctx context.Context, r AllocateRequest) (Balance, error)
	// Balance returns an application's balance in a pool (zero if nothing
	// was allocated to it), or ErrNotFound for an unknown pool.
	Balance(ctx context.Context, pool string, app App) (Balance, error)
	// Balances returns the balances of every application with an
	// allocation in a pool, by App.
	Balances(ctx context.Context, pool string) ([]Balance, error)

	// Reserve holds r.Credits of r.App's allocation in the pool whose
	// period contains r.At, under r.Key, and counts r.Contacts against the
	// monthly limits lim of r.At's UTC month, writing a KindReserve entry.
	// A key already Held or Committed returns that reservation unchanged
	// (no second hold) if App, Credits and Contacts match, else ErrConflict;
	// a Released key is held anew. Not enough available credits is an
	// *InsufficientError (also wrapping ErrNoPool when no pool covers
	// r.At); a limit exceeded a *MonthlyLimitError. Either way nothing is
	// held.
	Reserve(ctx context.Context, r ReserveRequest, lim Limits) (Reservation, error)
	// Commit settles a Held reservation: r.Credits become spent (KindCommit)
	// and the rest returns to the allocation (KindRelease), or straight to
	// expired (KindExpire) if the pool has expired; contacts not bought stop
	// counting against the month. Committing a Committed key is a no-op
	// returning it; a Released key is ErrConflict; more than reserved
	// ErrInvalid; an unknown key ErrNotFound.
	Commit(ctx context.Context, r CommitRequest) (Reservation, error)
	// Release returns a Held reservation's credits (KindRelease, then
	// KindExpire if the pool has expired) and contacts. Releasing a
	// Released or Committed key is a no-op returning it; an unknown key is
	// ErrNotFound.
	Release(ctx context.Context, r ReleaseRequest) (Reservation, error)
	// Reservation returns the reservation under key, or ErrNotFound.
	Reservation(ctx context.Context, key string) (Reservation, error)

	// History returns a pool's entries matching q, in Seq order.
	History(ctx context.Context, q HistoryQuery) ([]Entry, error)
	// Usage returns the contacts bought or held in month's UTC calendar
	// month (month may be any instant in it).
	Usage(ctx context.Context, month time.Time) (Usage, error)
	// Expire ends every pool whose End is at or before at and that has not
	// expired yet: each allocation's available credits expire (KindExpire,
	// stamped with the pool's End) and are returned in Seq order; credits
	// still held expire when released. Expiring again is a no-op.
	Expire(ctx context.Context, at time.Time) ([]Entry, error)
	// MarkNotified records that the notice kind (such as "low") was sent
	// for an application in a pool, and reports whether this call was the
	// first to record it: exactly one caller sees true.
	MarkNotified(ctx context.Context, pool string, app App, kind string) (first bool, err error)
}
