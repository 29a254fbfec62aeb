package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playgraph/playgraph/credit"
)

// Credit pools of the suite: March and April 2021 (UTC), and the year 2022.
var (
	march = credit.Pool{ID: "2021-03", Start: time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), Total: 1000}
	april = credit.Pool{ID: "2021-04", Start: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2021, 5, 1, 0, 0, 0, 0, time.UTC), Total: 500}
	y2022 = credit.Pool{ID: "2022", Start: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Total: 100000}
)

const aud = credit.AppAudienceWorkflows

// TestCredits tests a [credit.Store]: pools and their periods (start
// included, end excluded, no overlaps), allocations within the pool's
// total, reserve, commit and release with their idempotent keys, typed
// insufficient-credit and monthly-limit errors, monthly resets, expiry at
// the end of a period, history that sums to the balance, notices recorded
// once, and an atomic check-and-reserve under concurrency (never
// overspent, no credit lost or created). newStore must return an empty
// store.
func TestCredits(t *testing.T, newStore func() credit.Store) {
	t.Run("Pools", func(t *testing.T) { testCreditPools(t, newStore()) })
	t.Run("Allocate", func(t *testing.T) { testCreditAllocate(t, newStore()) })
	t.Run("ReserveCommitRelease", func(t *testing.T) { testCreditSpend(t, newStore()) })
	t.Run("IdempotentKeys", func(t *testing.T) { testCreditIdempotent(t, newStore()) })
	t.Run("Insufficient", func(t *testing.T) { testCreditInsufficient(t, newStore()) })
	t.Run("PeriodBoundaries", func(t *testing.T) { testCreditBoundaries(t, newStore()) })
	t.Run("Expire", func(t *testing.T) { testCreditExpire(t, newStore()) })
	t.Run("MonthlyLimits", func(t *testing.T) { testCreditLimits(t, newStore()) })
	t.Run("History", func(t *testing.T) { testCreditHistory(t, newStore()) })
	t.Run("MarkNotified", func(t *testing.T) { testCreditNotified(t, newStore()) })
	t.Run("Cancelled", func(t *testing.T) { testCreditCancelled(t, newStore()) })
	t.Run("ConcurrentReserve", func(t *testing.T) { testCreditConcurrentReserve(t, newStore()) })
	t.Run("ConcurrentSameKey", func(t *testing.T) { testCreditConcurrentSameKey(t, newStore()) })
	t.Run("Stress", func(t *testing.T) { testCreditStress(t, newStore()) })
}

// creditSetup creates pools and allocates amount to aud in the first.
func creditSetup(t *testing.T, s credit.Store, amount int64, pools ...credit.Pool) {
	t.Helper()
	ctx := bg(t)
	for _, p := range pools {
		must(t, s.CreatePool(ctx, p))
	}
	if amount > 0 {
		_, err := s.Allocate(ctx, credit.AllocateRequest{Pool: pools[0].ID, App: aud, Amount: amount, User: "admin", At: pools[0].Start})
		must(t, err)
	}
}

// checkBalance checks a balance against want and its invariant, and that
// the pool's history for the app sums to it.
func checkBalance(t *testing.T, s credit.Store, pool string, app credit.App, want credit.Balance) {
	t.Helper()
	want.Pool, want.App = pool, app
	got, err := s.Balance(bg(t), pool, app)
	must(t, err)
	if got != want {
		t.Fatalf("balance %+v, want %+v", got, want)
	}
	checkSums(t, s, pool, app)
}

// checkSums checks the invariant of the balance and that the history sums
// to it.
func checkSums(t *testing.T, s credit.Store, pool string, app credit.App) credit.Balance {
	t.Helper()
	got, err := s.Balance(bg(t), pool, app)
	must(t, err)
	if got.Available < 0 || got.Reserved < 0 || got.Spent < 0 || got.Expired < 0 ||
		got.Available != got.Allocated-got.Reserved-got.Spent-got.Expired {
		t.Fatalf("balance %+v breaks Available = Allocated − Reserved − Spent − Expired >= 0", got)
	}
	h, err := s.History(bg(t), credit.HistoryQuery{Pool: pool, App: app})
	must(t, err)
	sum := credit.Sum(h)
	sum.Pool, sum.App = pool, app
	if sum != got {
		t.Fatalf("history sums to %+v, balance is %+v", sum, got)
	}
	var prev int64
	for _, e := range h {
		if e.Seq <= prev {
			t.Fatalf("history Seq %d after %d", e.Seq, prev)
		}
		prev = e.Seq
	}
	return got
}

func reserveReq(key string, credits, contacts int64, at time.Time) credit.ReserveRequest {
	return credit.ReserveRequest{App: aud, Key: key, Credits: credits, Contacts: contacts, User: "u1", UserType: "rep", At: at}
}

func testCreditPools(t *testing.T, s credit.Store) {
	ctx := bg(t)
	must(t, s.CreatePool(ctx, april)) // out of order on purpose
	must(t, s.CreatePool(ctx, march))
	wantErr(t, s.CreatePool(ctx, march), credit.ErrConflict, "creating a pool twice")
	overlap := credit.Pool{ID: "x", Start: march.End.Add(-time.Nanosecond), End: march.End.Add(time.Hour), Total: 1}
	wantErr(t, s.CreatePool(ctx, overlap), credit.ErrConflict, "creating an overlapping pool")
	ps, err := s.Pools(ctx)
	must(t, err)
	if len(ps) != 2 || ps[0].ID != march.ID || ps[1].ID != april.ID || !ps[0].Start.Equal(march.Start) ||
		!ps[0].End.Equal(march.End) || ps[0].Total != march.Total {
		t.Fatalf("pools %+v", ps)
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{march.Start, march.ID},
		{t0, march.ID}, // in a non-UTC zone
		{march.End.Add(-time.Nanosecond), march.ID},
		{march.End, april.ID},
		{april.End.Add(-time.Nanosecond), april.ID},
	} {
		p, err := s.PoolAt(ctx, c.at)
		must(t, err)
		if p.ID != c.want {
			t.Fatalf("PoolAt(%v) = %s, want %s", c.at, p.ID, c.want)
		}
	}
	for _, at := range []time.Time{march.Start.Add(-time.Nanosecond), april.End, {}} {
		_, err := s.PoolAt(ctx, at)
		wantErr(t, err, credit.ErrNoPool, fmt.Sprintf("PoolAt(%v)", at))
	}
	_, err = s.SetPoolTotal(ctx, "nope", 5)
	wantErr(t, err, credit.ErrNotFound, "SetPoolTotal of an unknown pool")
	_, err = s.Allocate(ctx, credit.AllocateRequest{Pool: march.ID, App: aud, Amount: 600, At: t0})
	must(t, err)
	_, err = s.SetPoolTotal(ctx, march.ID, 599)
	wantErr(t, err, credit.ErrOverAllocated, "a total below the allocations")
	p, err := s.SetPoolTotal(ctx, march.ID, 600)
	must(t, err)
	if p.Total != 600 {
		t.Fatalf("total %d", p.Total)
	}
	p, err = s.PoolAt(ctx, t0)
	must(t, err)
	if p.Total != 600 {
		t.Fatalf("stored total %d", p.Total)
	}
}

func testCreditAllocate(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 0, march)
	alloc := func(app credit.App, n int64, at time.Time) (credit.Balance, error) {
		return s.Allocate(ctx, credit.AllocateRequest{Pool: march.ID, App: app, Amount: n, User: "admin", At: at})
	}
	cases := []struct {
		name string
		app  credit.App
		n    int64
		at   time.Time
		err  error
	}{
		{"audience", aud, 600, t0, nil},
		{"data", credit.AppDataWorkflows, 400, t0, nil},
		{"sales over the total", credit.AppSalesIntelligence, 1, t0, credit.ErrOverAllocated},
		{"an amount whose sum with the others overflows", credit.AppSalesIntelligence, math.MaxInt64, t0, credit.ErrOverAllocated},
		{"audience over the total", aud, 601, t0, credit.ErrOverAllocated},
		{"audience down", aud, 500, t0, nil},
		{"sales in the room made", credit.AppSalesIntelligence, 100, t0, nil},
		{"unchanged", aud, 500, t0, nil},
		{"at the end", aud, 400, march.End, credit.ErrPeriodEnded},
	}
	for _, c := range cases {
		_, err := alloc(c.app, c.n, c.at)
		if c.err == nil {
			must(t, err)
		} else {
			wantErr(t, err, c.err, c.name)
		}
	}
	_, err := s.Allocate(ctx, credit.AllocateRequest{Pool: "nope", App: aud, Amount: 1, At: t0})
	wantErr(t, err, credit.ErrNotFound, "allocating in an unknown pool")
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 500, Available: 500})
	h, err := s.History(ctx, credit.HistoryQuery{Pool: march.ID, App: aud})
	must(t, err)
	if len(h) != 2 || h[0].Kind != credit.KindAllocate || h[0].Amount != 600 || h[1].Amount != -100 ||
		h[0].User != "admin" || !h[0].At.Equal(t0) || h[0].Pool != march.ID || h[0].App != aud {
		t.Fatalf("allocation history %+v", h)
	}
	// Cutting below what is held or spent fails with the typed error.
	_, err = s.Reserve(ctx, reserveReq("k", 300, 0, t0), credit.Limits{})
	must(t, err)
	_, err = alloc(aud, 299, t0)
	var ie *credit.InsufficientError
	if !errors.As(err, &ie) || !errors.Is(err, credit.ErrInsufficientCredits) || ie.Requested != 201 || ie.Available != 200 {
		t.Fatalf("cutting below the reserved: %v (%+v)", err, ie)
	}
	b, err := alloc(aud, 300, t0)
	must(t, err)
	if b.Available != 0 || b.Allocated != 300 {
		t.Fatalf("after cutting to the reserved: %+v", b)
	}
	bs, err := s.Balances(ctx, march.ID)
	must(t, err)
	if len(bs) != 3 || bs[0].App != aud || bs[1].App != credit.AppDataWorkflows || bs[2].App != credit.AppSalesIntelligence {
		t.Fatalf("balances %+v", bs)
	}
	_, err = s.Balances(ctx, "nope")
	wantErr(t, err, credit.ErrNotFound, "balances of an unknown pool")
	_, err = s.Balance(ctx, "nope", aud)
	wantErr(t, err, credit.ErrNotFound, "balance in an unknown pool")
	checkBalance(t, s, march.ID, credit.AppDataWorkflows, credit.Balance{Allocated: 400, Available: 400})
}

func testCreditSpend(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 100, march)
	r, err := s.Reserve(ctx, reserveReq("a", 30, 3, t0), credit.Limits{})
	must(t, err)
	if r.Key != "a" || r.Pool != march.ID || r.App != aud || r.Credits != 30 || r.Contacts != 3 || r.State != credit.Held ||
		r.User != "u1" || r.UserType != "rep" || !r.At.Equal(t0) || !r.Settled.IsZero() {
		t.Fatalf("reservation %+v", r)
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 30, Available: 70})
	_, err = s.Reserve(ctx, reserveReq("b", 20, 0, t0), credit.Limits{})
	must(t, err)
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 50, Available: 50})

	_, err = s.Commit(ctx, credit.CommitRequest{Key: "a", Credits: 31, Contacts: 0, At: at(time.Minute)})
	wantErr(t, err, credit.ErrInvalid, "committing more credits than reserved")
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "a", Credits: 1, Contacts: 4, At: at(time.Minute)})
	wantErr(t, err, credit.ErrInvalid, "committing more contacts than reserved")
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "nope", At: at(time.Minute)})
	wantErr(t, err, credit.ErrNotFound, "committing an unknown key")
	_, err = s.Release(ctx, credit.ReleaseRequest{Key: "nope", At: at(time.Minute)})
	wantErr(t, err, credit.ErrNotFound, "releasing an unknown key")
	_, err = s.Reservation(ctx, "nope")
	wantErr(t, err, credit.ErrNotFound, "reading an unknown key")

	// Commit less than reserved: the rest returns.
	c, err := s.Commit(ctx, credit.CommitRequest{Key: "a", Credits: 20, Contacts: 2, At: at(time.Minute)})
	must(t, err)
	if c.State != credit.Committed || c.Spent != 20 || c.Bought != 2 || !c.Settled.Equal(at(time.Minute)) || c.Credits != 30 {
		t.Fatalf("committed %+v", c)
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 20, Spent: 20, Available: 60})
	// Committing again (even with other figures) and releasing a committed
	// reservation change nothing.
	c2, err := s.Commit(ctx, credit.CommitRequest{Key: "a", Credits: 30, Contacts: 3, At: at(2 * time.Minute)})
	must(t, err)
	rel, err := s.Release(ctx, credit.ReleaseRequest{Key: "a", At: at(2 * time.Minute)})
	must(t, err)
	if c2 != c || rel != c {
		t.Fatalf("second commit %+v / release %+v, want %+v", c2, rel, c)
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 20, Spent: 20, Available: 60})

	// Release: everything returns; again is a no-op; commit after is a
	// conflict.
	rb, err := s.Release(ctx, credit.ReleaseRequest{Key: "b", At: at(time.Minute)})
	must(t, err)
	if rb.State != credit.Released || rb.Spent != 0 || !rb.Settled.Equal(at(time.Minute)) {
		t.Fatalf("released %+v", rb)
	}
	rb2, err := s.Release(ctx, credit.ReleaseRequest{Key: "b", At: at(2 * time.Minute)})
	must(t, err)
	if rb2 != rb {
		t.Fatalf("second release %+v, want %+v", rb2, rb)
	}
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "b", Credits: 1, At: at(2 * time.Minute)})
	wantErr(t, err, credit.ErrConflict, "committing a released reservation")
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Spent: 20, Available: 80})
	got, err := s.Reservation(ctx, "b")
	must(t, err)
	if got != rb {
		t.Fatalf("stored %+v, want %+v", got, rb)
	}

	// Full commit writes no release; a zero commit releases everything.
	_, err = s.Reserve(ctx, reserveReq("c", 10, 0, t0), credit.Limits{})
	must(t, err)
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "c", Credits: 10, At: t0})
	must(t, err)
	_, err = s.Reserve(ctx, reserveReq("d", 10, 0, t0), credit.Limits{})
	must(t, err)
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "d", Credits: 0, At: t0})
	must(t, err)
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Spent: 30, Available: 70})

	h, err := s.History(ctx, credit.HistoryQuery{Pool: march.ID, App: aud})
	must(t, err)
	var kinds []string
	for _, e := range h {
		kinds = append(kinds, fmt.Sprintf("%s %s %d", e.Kind, e.Key, e.Amount))
	}
	checkIDs(t, "history", kinds, []string{
		"allocate  100", "reserve a 30", "reserve b 20", "commit a 20", "release a 10", "release b 20",
		"reserve c 10", "commit c 10", "reserve d 10", "commit d 0", "release d 10",
	})
}

func testCreditIdempotent(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 100, march)
	lim := credit.Limits{Organisation: 10}
	r1, err := s.Reserve(ctx, reserveReq("k", 40, 5, t0), lim)
	must(t, err)
	r2, err := s.Reserve(ctx, reserveReq("k", 40, 5, at(time.Hour)), lim)
	must(t, err)
	if r2 != r1 {
		t.Fatalf("second reserve %+v, want %+v", r2, r1)
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 40, Available: 60})
	u, err := s.Usage(ctx, t0)
	must(t, err)
	if u.Organisation != 5 {
		t.Fatalf("usage %+v after a repeated reserve", u)
	}
	// A count of contacts whose sum with the month's usage overflows is
	// over the limit, and changes nothing.
	_, err = s.Reserve(ctx, reserveReq("huge", 0, math.MaxInt64, t0), lim)
	wantErr(t, err, credit.ErrMonthlyLimit, "reserving MaxInt64 contacts")
	if u, err := s.Usage(ctx, t0); err != nil || u.Organisation != 5 {
		t.Fatalf("usage %+v, %v after a refused reserve", u, err)
	}
	for _, c := range []credit.ReserveRequest{
		reserveReq("k", 41, 5, t0),
		reserveReq("k", 40, 4, t0),
		{App: credit.AppDataWorkflows, Key: "k", Credits: 40, Contacts: 5, At: t0},
	} {
		_, err := s.Reserve(ctx, c, lim)
		wantErr(t, err, credit.ErrConflict, fmt.Sprintf("reserving key k again as %+v", c))
	}
	// Committed: reserving again returns the committed reservation and
	// holds nothing: a retried action never spends twice.
	c, err := s.Commit(ctx, credit.CommitRequest{Key: "k", Credits: 40, Contacts: 5, At: t0})
	must(t, err)
	r3, err := s.Reserve(ctx, reserveReq("k", 40, 5, at(time.Hour)), lim)
	must(t, err)
	if r3 != c || r3.State != credit.Committed {
		t.Fatalf("reserve after commit %+v, want %+v", r3, c)
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Spent: 40, Available: 60})
	// Released: the key may be held anew (a later run retrying the action),
	// with other figures too.
	_, err = s.Reserve(ctx, reserveReq("r", 10, 1, t0), lim)
	must(t, err)
	_, err = s.Release(ctx, credit.ReleaseRequest{Key: "r", At: t0})
	must(t, err)
	r4, err := s.Reserve(ctx, reserveReq("r", 20, 2, at(time.Hour)), lim)
	must(t, err)
	if r4.State != credit.Held || r4.Credits != 20 || !r4.At.Equal(at(time.Hour)) || !r4.Settled.IsZero() || r4.Spent != 0 {
		t.Fatalf("reserved anew %+v", r4)
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 20, Spent: 40, Available: 40})
	u, err = s.Usage(ctx, t0)
	must(t, err)
	if u.Organisation != 7 {
		t.Fatalf("usage %+v, want 7 contacts", u)
	}
}

func testCreditInsufficient(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 50, march)
	_, err := s.Reserve(ctx, reserveReq("a", 40, 0, t0), credit.Limits{})
	must(t, err)
	cases := []struct {
		name   string
		req    credit.ReserveRequest
		pool   string
		avail  int64
		noPool bool
	}{
		{"more than available", reserveReq("b", 11, 0, t0), march.ID, 10, false},
		{"an app with no allocation", credit.ReserveRequest{App: credit.AppDataWorkflows, Key: "c", Credits: 1, At: t0}, march.ID, 0, false},
		{"no pool", reserveReq("d", 1, 0, march.End), "", 0, true},
	}
	for _, c := range cases {
		_, err := s.Reserve(ctx, c.req, credit.Limits{})
		var ie *credit.InsufficientError
		if !errors.Is(err, credit.ErrInsufficientCredits) || !errors.As(err, &ie) {
			t.Fatalf("%s: got %v, want an *InsufficientError", c.name, err)
		}
		if ie.Pool != c.pool || ie.App != c.req.App || ie.Requested != c.req.Credits || ie.Available != c.avail ||
			errors.Is(err, credit.ErrNoPool) != c.noPool {
			t.Fatalf("%s: %+v (no pool: %v)", c.name, ie, errors.Is(err, credit.ErrNoPool))
		}
		if _, err := s.Reservation(ctx, c.req.Key); !errors.Is(err, credit.ErrNotFound) {
			t.Fatalf("%s: a failed reserve left a reservation (%v)", c.name, err)
		}
	}
	// Exactly the available amount is fine; then nothing is left.
	_, err = s.Reserve(ctx, reserveReq("e", 10, 0, t0), credit.Limits{})
	must(t, err)
	_, err = s.Reserve(ctx, reserveReq("f", 1, 0, t0), credit.Limits{})
	wantErr(t, err, credit.ErrInsufficientCredits, "reserving from an empty allocation")
	// A zero-credit reservation needs nothing.
	_, err = s.Reserve(ctx, reserveReq("g", 0, 0, t0), credit.Limits{})
	must(t, err)
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 50, Reserved: 50})
}

func testCreditBoundaries(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 10, march, april)
	_, err := s.Allocate(ctx, credit.AllocateRequest{Pool: april.ID, App: aud, Amount: 20, At: march.Start})
	must(t, err) // allocating ahead of the period is allowed
	last := march.End.Add(-time.Nanosecond)
	r, err := s.Reserve(ctx, reserveReq("last", 10, 0, last), credit.Limits{})
	must(t, err)
	if r.Pool != march.ID {
		t.Fatalf("reserved at the last instant of March in %s", r.Pool)
	}
	_, err = s.Reserve(ctx, reserveReq("x", 1, 0, last), credit.Limits{})
	wantErr(t, err, credit.ErrInsufficientCredits, "March is spent")
	r, err = s.Reserve(ctx, reserveReq("first", 20, 0, march.End), credit.Limits{})
	must(t, err)
	if r.Pool != april.ID {
		t.Fatalf("reserved at the first instant of April in %s", r.Pool)
	}
	// A reservation settles in its own pool, whenever it is settled.
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "last", Credits: 4, At: march.End.Add(time.Hour)})
	must(t, err)
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 10, Spent: 4, Available: 6})
	checkBalance(t, s, april.ID, aud, credit.Balance{Allocated: 20, Reserved: 20})
	_, err = s.Allocate(ctx, credit.AllocateRequest{Pool: march.ID, App: aud, Amount: 5, At: march.End})
	wantErr(t, err, credit.ErrPeriodEnded, "allocating in an ended period")
}

func testCreditExpire(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 100, march, april)
	_, err := s.Allocate(ctx, credit.AllocateRequest{Pool: march.ID, App: credit.AppDataWorkflows, Amount: 50, At: t0})
	must(t, err)
	_, err = s.Allocate(ctx, credit.AllocateRequest{Pool: april.ID, App: aud, Amount: 100, At: t0})
	must(t, err)
	for _, k := range []string{"held", "part"} {
		_, err = s.Reserve(ctx, reserveReq(k, 30, 0, t0), credit.Limits{})
		must(t, err)
	}
	es, err := s.Expire(ctx, march.End.Add(-time.Nanosecond))
	must(t, err)
	if len(es) != 0 {
		t.Fatalf("expired before the end: %+v", es)
	}
	es, err = s.Expire(ctx, march.End)
	must(t, err)
	if len(es) != 2 || es[0].Kind != credit.KindExpire || es[0].App != aud || es[0].Amount != 40 ||
		es[1].App != credit.AppDataWorkflows || es[1].Amount != 50 || !es[0].At.Equal(march.End) || es[0].Pool != march.ID ||
		es[1].Seq <= es[0].Seq {
		t.Fatalf("expired %+v", es)
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 60, Expired: 40})
	checkBalance(t, s, march.ID, credit.AppDataWorkflows, credit.Balance{Allocated: 50, Expired: 50})
	checkBalance(t, s, april.ID, aud, credit.Balance{Allocated: 100, Available: 100}) // nothing carried over
	es, err = s.Expire(ctx, april.Start.Add(time.Hour))
	must(t, err)
	if len(es) != 0 {
		t.Fatalf("expiring again: %+v", es)
	}
	// Held credits expire when they come back.
	_, err = s.Release(ctx, credit.ReleaseRequest{Key: "held", At: march.End.Add(time.Minute)})
	must(t, err)
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "part", Credits: 10, At: march.End.Add(time.Minute)})
	must(t, err)
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Spent: 10, Expired: 90})
	_, err = s.Allocate(ctx, credit.AllocateRequest{Pool: march.ID, App: aud, Amount: 100, At: t0})
	wantErr(t, err, credit.ErrPeriodEnded, "allocating in an expired pool")
	_, err = s.Reserve(ctx, reserveReq("late", 1, 0, t0), credit.Limits{})
	wantErr(t, err, credit.ErrInsufficientCredits, "reserving in an expired pool")
}

func testCreditLimits(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 100000, y2022)
	jan := time.Date(2022, 1, 31, 23, 0, 0, 0, time.UTC)
	feb := time.Date(2022, 2, 1, 0, 0, 0, 0, time.UTC)
	// 2022-02-01 04:00 in UTC+5:30 is still 31 January in UTC.
	janInZone := time.Date(2022, 2, 1, 4, 0, 0, 0, zone)
	lim := credit.Limits{PerUserType: map[string]int64{"rep": 10, "manager": 0}, Organisation: 15}
	req := func(key, userType string, contacts int64, at time.Time) credit.ReserveRequest {
		return credit.ReserveRequest{App: aud, Key: key, Credits: contacts, Contacts: contacts, User: key, UserType: userType, At: at}
	}
	ok := func(r credit.ReserveRequest, l credit.Limits) {
		t.Helper()
		_, err := s.Reserve(ctx, r, l)
		must(t, err)
	}
	ok(req("a", "rep", 6, jan), lim)
	ok(req("b", "rep", 4, janInZone), lim)
	_, err := s.Reserve(ctx, req("c", "rep", 1, jan), lim)
	var me *credit.MonthlyLimitError
	if !errors.As(err, &me) || !errors.Is(err, credit.ErrMonthlyLimit) || me.UserType != "rep" || me.Limit != 10 ||
		me.Used != 10 || me.Requested != 1 || !me.Month.Equal(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("rep over its limit: %v (%+v)", err, me)
	}
	ok(req("m", "manager", 5, jan), lim) // a zero limit is no limit
	_, err = s.Reserve(ctx, req("m2", "manager", 1, jan), lim)
	if !errors.As(err, &me) || me.UserType != "" || me.Limit != 15 || me.Used != 15 {
		t.Fatalf("organisation over its limit: %v (%+v)", err, me)
	}
	ok(req("off", "rep", 100, jan), credit.Limits{}) // limits off: anything goes, and still counts
	u, err := s.Usage(ctx, jan)
	must(t, err)
	if u.Organisation != 115 || u.PerUserType["rep"] != 110 || u.PerUserType["manager"] != 5 ||
		!u.Month.Equal(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("January usage %+v", u)
	}
	// Commit counts what was bought; release returns every contact.
	_, err = s.Commit(ctx, credit.CommitRequest{Key: "a", Credits: 2, Contacts: 2, At: feb})
	must(t, err)
	_, err = s.Release(ctx, credit.ReleaseRequest{Key: "off", At: feb})
	must(t, err)
	u, err = s.Usage(ctx, jan)
	must(t, err)
	if u.Organisation != 11 || u.PerUserType["rep"] != 6 {
		t.Fatalf("January usage after settling %+v", u)
	}
	ok(req("c", "rep", 4, jan), lim)
	// A new month starts from zero, even though the pool is the same.
	u, err = s.Usage(ctx, feb)
	must(t, err)
	if u.Organisation != 0 || len(u.PerUserType) != 0 {
		t.Fatalf("February usage %+v", u)
	}
	ok(req("f1", "rep", 10, feb), lim)
	ok(req("f2", "manager", 5, feb), lim)
	_, err = s.Reserve(ctx, req("f3", "rep", 1, feb), lim)
	wantErr(t, err, credit.ErrMonthlyLimit, "rep over its February limit")
	// No contacts, no limit.
	ok(req("zero", "rep", 0, feb), lim)
}

func testCreditHistory(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 100, march, april)
	_, err := s.Allocate(ctx, credit.AllocateRequest{Pool: march.ID, App: credit.AppSalesIntelligence, Amount: 10, At: t0})
	must(t, err)
	for i := range 5 {
		_, err := s.Reserve(ctx, reserveReq(fmt.Sprint("k", i), 1, 0, t0), credit.Limits{})
		must(t, err)
	}
	all, err := s.History(ctx, credit.HistoryQuery{Pool: march.ID})
	must(t, err)
	if len(all) != 7 || all[1].App != credit.AppSalesIntelligence {
		t.Fatalf("history %+v", all)
	}
	page, err := s.History(ctx, credit.HistoryQuery{Pool: march.ID, App: aud, After: all[2].Seq, Limit: 2})
	must(t, err)
	if len(page) != 2 || page[0].Key != "k1" || page[1].Key != "k2" {
		t.Fatalf("page %+v", page)
	}
	empty, err := s.History(ctx, credit.HistoryQuery{Pool: april.ID})
	must(t, err)
	if empty == nil || len(empty) != 0 {
		t.Fatalf("empty history %#v", empty)
	}
	_, err = s.History(ctx, credit.HistoryQuery{Pool: "nope"})
	wantErr(t, err, credit.ErrNotFound, "history of an unknown pool")
}

func testCreditNotified(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 0, march, april)
	for _, c := range []struct {
		pool string
		app  credit.App
		kind string
		want bool
	}{
		{march.ID, aud, "low", true},
		{march.ID, aud, "low", false},
		{march.ID, aud, "insufficient", true},
		{march.ID, credit.AppDataWorkflows, "low", true},
		{april.ID, aud, "low", true},
		{april.ID, aud, "low", false},
	} {
		got, err := s.MarkNotified(ctx, c.pool, c.app, c.kind)
		must(t, err)
		if got != c.want {
			t.Fatalf("MarkNotified(%s, %s, %s) = %v, want %v", c.pool, c.app, c.kind, got, c.want)
		}
	}
	_, err := s.MarkNotified(ctx, "nope", aud, "low")
	wantErr(t, err, credit.ErrNotFound, "notifying for an unknown pool")
	// Exactly one of many concurrent callers is first.
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if ok, err := s.MarkNotified(ctx, march.ID, credit.AppSalesIntelligence, "low"); err == nil && ok {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Fatalf("%d callers were first", firsts.Load())
	}
}

func testCreditCancelled(t *testing.T, s credit.Store) {
	creditSetup(t, s, 10, march)
	ctx, cancel := context.WithCancel(bg(t))
	cancel()
	_, err := s.Reserve(ctx, reserveReq("k", 1, 0, t0), credit.Limits{})
	wantErr(t, err, context.Canceled, "reserving with a cancelled context")
	_, err = s.Reservation(bg(t), "k")
	wantErr(t, err, credit.ErrNotFound, "a cancelled reserve left a reservation")
}

// testCreditConcurrentReserve: 64 goroutines race to reserve 1 credit
// each, 4 times, from an allocation of 100: exactly 100 succeed.
func testCreditConcurrentReserve(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 100, march)
	var ok, short atomic.Int64
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := range 4 {
				_, err := s.Reserve(ctx, reserveReq(fmt.Sprintf("g%d-%d", g, i), 1, 0, t0), credit.Limits{})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, credit.ErrInsufficientCredits):
					short.Add(1)
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != 100 || short.Load() != 156 {
		t.Fatalf("%d reserved and %d refused, want 100 and 156", ok.Load(), short.Load())
	}
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Reserved: 100})
}

// testCreditConcurrentSameKey: 64 goroutines reserve, commit and release
// the same key at once: one hold, spent once.
func testCreditConcurrentSameKey(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 100, march)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			_, err := s.Reserve(ctx, reserveReq("same", 10, 0, t0), credit.Limits{})
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := s.Commit(ctx, credit.CommitRequest{Key: "same", Credits: 7, At: t0}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	checkBalance(t, s, march.ID, aud, credit.Balance{Allocated: 100, Spent: 7, Available: 93})
}

// testCreditStress: 64 goroutines reserve, commit part of, or release
// random amounts from one small allocation while an administrator raises
// it; the balance is never negative, and at the end no credit was lost or
// created: spent + available + reserved = allocated, the history sums to
// the balance, and what the goroutines saw committed is what was spent.
func testCreditStress(t *testing.T, s credit.Store) {
	ctx := bg(t)
	creditSetup(t, s, 500, march)
	ops := 300
	if testing.Short() {
		ops = 50
	}
	var spent, alloc atomic.Int64
	alloc.Store(500)
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			var held []credit.Reservation
			for i := range ops {
				switch n := rng.IntN(10); {
				case n == 0 && g == 0:
					a := alloc.Load() + 10
					if _, err := s.Allocate(ctx, credit.AllocateRequest{Pool: march.ID, App: aud, Amount: a, At: t0}); err != nil {
						t.Error(err)
						return
					}
					alloc.Store(a)
				case n < 5 || len(held) == 0:
					r, err := s.Reserve(ctx, reserveReq(fmt.Sprintf("g%d-%d", g, i), rng.Int64N(20), rng.Int64N(3), t0), credit.Limits{})
					if err == nil {
						held = append(held, r)
					} else if !errors.Is(err, credit.ErrInsufficientCredits) {
						t.Error(err)
						return
					}
				default:
					j := rng.IntN(len(held))
					r := held[j]
					held = append(held[:j], held[j+1:]...)
					if rng.IntN(2) == 0 {
						n := rng.Int64N(r.Credits + 1)
						c, err := s.Commit(ctx, credit.CommitRequest{Key: r.Key, Credits: n, Contacts: rng.Int64N(r.Contacts + 1), At: t0})
						if err != nil {
							t.Error(err)
							return
						}
						spent.Add(c.Spent)
						// A retry spends nothing more.
						if _, err := s.Commit(ctx, credit.CommitRequest{Key: r.Key, Credits: n, At: t0}); err != nil {
							t.Error(err)
							return
						}
					} else if _, err := s.Release(ctx, credit.ReleaseRequest{Key: r.Key, At: t0}); err != nil {
						t.Error(err)
						return
					}
				}
				if i%16 == 0 {
					b, err := s.Balance(ctx, march.ID, aud)
					if err != nil || b.Available < 0 || b.Reserved < 0 ||
						b.Available+b.Reserved+b.Spent+b.Expired != b.Allocated {
						t.Errorf("balance %+v (%v)", b, err)
						return
					}
				}
			}
			for _, r := range held {
				if _, err := s.Release(ctx, credit.ReleaseRequest{Key: r.Key, At: t0}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	b := checkSums(t, s, march.ID, aud)
	if b.Reserved != 0 || b.Spent != spent.Load() || b.Allocated != alloc.Load() || b.Available != b.Allocated-b.Spent {
		t.Fatalf("after the stress: %+v; committed %d, allocated %d", b, spent.Load(), alloc.Load())
	}
	u, err := s.Usage(ctx, t0)
	must(t, err)
	if u.Organisation < 0 || u.PerUserType["rep"] != u.Organisation {
		t.Fatalf("usage %+v", u)
	}
}
