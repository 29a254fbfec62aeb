package credit

import (
	"fmt"
	"time"
)

// App is an application that credits are allocated to.
type App string

// The applications that spend credits.
const (
	// AppAudienceWorkflows: audience workflows (purchase contacts, create
	// account in CRM).
	AppAudienceWorkflows App = "audience_workflows"
	// AppDataWorkflows: data workflows.
	AppDataWorkflows App = "data_workflows"
	// AppSalesIntelligence: sales intelligence.
	AppSalesIntelligence App = "sales_intelligence"
)

// Valid reports whether a is one of the known applications.
func (a App) Valid() bool {
	switch a {
	case AppAudienceWorkflows, AppDataWorkflows, AppSalesIntelligence:
		return true
	}
	return false
}

// Pool is the credits of one contract period, [Start, End): a time t is in
// the period when Start <= t < End. Periods of different pools never
// overlap. Credits not spent by End expire; nothing carries over.
type Pool struct {
	ID    string
	Start time.Time
	End   time.Time
	Total int64 // credits bought for the period; allocations never exceed it
}

// Contains reports whether t lies in the pool's period.
func (p Pool) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// Validate reports a malformed pool as an error wrapping [ErrInvalid].
func (p Pool) Validate() error {
	switch {
	case p.ID == "":
		return fmt.Errorf("%w: empty pool id", ErrInvalid)
	case !p.Start.Before(p.End):
		return fmt.Errorf("%w: pool %s: start %v not before end %v", ErrInvalid, p.ID, p.Start, p.End)
	case p.Total < 0:
		return fmt.Errorf("%w: pool %s: negative total %d", ErrInvalid, p.ID, p.Total)
	}
	return nil
}

// Balance is an application's allocation in one pool and what became of it.
// Always
//
//	Available = Allocated − Reserved − Spent − Expired >= 0
//
// and [Sum] of the pool's history entries for the application equals it.
type Balance struct {
	Pool      string
	App       App
	Allocated int64 // credits the administrators gave the application
	Reserved  int64 // held by open reservations
	Spent     int64 // committed
	Expired   int64 // left unspent at the end of the period
	Available int64 // free to reserve
}

// State is a reservation's state.
type State string

// Reservation states.
const (
	// Held: the credits are held; commit or release it.
	Held State = "held"
	// Committed: Spent credits were spent and the rest returned. Final.
	Committed State = "committed"
	// Released: every credit returned. Reserving the same key again holds
	// credits anew (nothing was spent under it).
	Released State = "released"
)

// Reservation is a hold on an allocation's credits under an action's
// idempotency key.
type Reservation struct {
	Key      string // the action's idempotency key
	Pool     string
	App      App
	User     string // whom the contacts count against (a scheduled run: the workflow's owner)
	UserType string
	Credits  int64     // credits held (still held only while State is Held)
	Contacts int64     // contacts held against the monthly limits
	At       time.Time // when reserved; its UTC calendar month is the month counted
	State    State
	Spent    int64     // credits spent (Committed)
	Bought   int64     // contacts bought (Committed)
	Settled  time.Time // when committed or released; zero while Held
}

// Kind is the kind of a history [Entry].
type Kind string

// Entry kinds: every movement of credits is one entry.
const (
	// KindAllocate: an allocation set; Amount is the signed change.
	KindAllocate Kind = "allocate"
	// KindReserve: Amount credits moved from available to reserved.
	KindReserve Kind = "reserve"
	// KindCommit: Amount credits moved from reserved to spent.
	KindCommit Kind = "commit"
	// KindRelease: Amount credits moved from reserved back to available
	// (a release, or the unspent rest of a commit).
	KindRelease Kind = "release"
	// KindExpire: Amount available credits expired at the end of the period.
	KindExpire Kind = "expire"
)

// Entry is one movement of credits in an application's allocation.
type Entry struct {
	Seq    int64 // increasing in the order the store applied the movements
	At     time.Time
	Kind   Kind
	Pool   string
	App    App
	Key    string // the reservation's key; "" for allocate and expire
	Amount int64  // >= 0, except for KindAllocate (the signed change)
	User   string // the administrator (allocate) or the reservation's user
}

// Delta is the entry's effect on the available balance: +Amount for
// allocate and release, −Amount for reserve and expire, 0 for commit
// (commit moves reserved credits to spent).
func (e Entry) Delta() int64 {
	switch e.Kind {
	case KindAllocate, KindRelease:
		return e.Amount
	case KindReserve, KindExpire:
		return -e.Amount
	}
	return 0
}

// Sum folds history entries into a balance: given every entry of one pool
// and application it returns that allocation's [Balance] (Pool and App
// taken from the first entry). The sum of the entries' [Entry.Delta] is
// its Available.
func Sum(entries []Entry) Balance {
	var b Balance
	for i, e := range entries {
		if i == 0 {
			b.Pool, b.App = e.Pool, e.App
		}
		switch e.Kind {
		case KindAllocate:
			b.Allocated += e.Amount
		case KindReserve:
			b.Reserved += e.Amount
		case KindCommit:
			b.Reserved -= e.Amount
			b.Spent += e.Amount
		case KindRelease:
			b.Reserved -= e.Amount
		case KindExpire:
			b.Expired += e.Amount
		}
		b.Available += e.Delta()
	}
	return b
}

// Limits are optional monthly limits on contacts bought, counted per UTC
// calendar month of the reservation's time and reset when the month turns.
// A zero or missing limit is no limit; the zero Limits is off.
type Limits struct {
	PerUserType  map[string]int64 // user type → contacts a month for all users of that type
	Organisation int64            // contacts a month for the whole organisation
}

// Usage is a calendar month's contacts, bought or held by open
// reservations, as the monthly limits count them.
type Usage struct {
	Month        time.Time        // first instant of the month, UTC
	Organisation int64            // every user
	PerUserType  map[string]int64 // by user type; never nil
}

// MonthOf returns the first instant of t's calendar month in UTC.
func MonthOf(t time.Time) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// AllocateRequest sets an application's allocation in a pool.
type AllocateRequest struct {
	Pool   string
	App    App
	Amount int64     // the new allocation (not a change); >= 0
	User   string    // the administrator, recorded in the history
	At     time.Time // before the pool's End
}

// Validate reports a malformed request as an error wrapping [ErrInvalid].
func (r AllocateRequest) Validate() error {
	switch {
	case r.Pool == "":
		return fmt.Errorf("%w: empty pool id", ErrInvalid)
	case !r.App.Valid():
		return fmt.Errorf("%w: unknown application %q", ErrInvalid, r.App)
	case r.Amount < 0:
		return fmt.Errorf("%w: negative allocation %d", ErrInvalid, r.Amount)
	}
	return nil
}

// ReserveRequest holds credits before an action that spends them.
type ReserveRequest struct {
	App      App
	Key      string    // the action's idempotency key
	Credits  int64     // credits to hold; >= 0
	Contacts int64     // contacts the action may buy (0 for create account); >= 0
	User     string    // whom the contacts count against: for a scheduled run, the workflow's owner
	UserType string    // the user's type, for Limits.PerUserType
	At       time.Time // picks the pool and the month
}

// Validate reports a malformed request as an error wrapping [ErrInvalid].
func (r ReserveRequest) Validate() error {
	switch {
	case r.Key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case !r.App.Valid():
		return fmt.Errorf("%w: unknown application %q", ErrInvalid, r.App)
	case r.Credits < 0 || r.Contacts < 0:
		return fmt.Errorf("%w: negative amount (credits %d, contacts %d)", ErrInvalid, r.Credits, r.Contacts)
	}
	return nil
}

// CommitRequest settles a held reservation after the action succeeded.
type CommitRequest struct {
	Key      string
	Credits  int64 // credits spent, 0 <= Credits <= the reservation's
	Contacts int64 // contacts bought, 0 <= Contacts <= the reservation's
	At       time.Time
}

// Validate reports a malformed request as an error wrapping [ErrInvalid]
// (amounts are checked against the reservation by the store).
func (r CommitRequest) Validate() error {
	switch {
	case r.Key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case r.Credits < 0 || r.Contacts < 0:
		return fmt.Errorf("%w: negative amount (credits %d, contacts %d)", ErrInvalid, r.Credits, r.Contacts)
	}
	return nil
}

// ReleaseRequest returns a held reservation's credits after the action
// failed.
type ReleaseRequest struct {
	Key string
	At  time.Time
}

// HistoryQuery selects history entries, in Seq order.
type HistoryQuery struct {
	Pool  string // required
	App   App    // "" for every application
	After int64  // entries with Seq > After
	Limit int    // at most this many; <= 0 for all
}
