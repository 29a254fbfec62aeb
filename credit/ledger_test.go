package credit_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store/memstore"
)

const aud = credit.AppAudienceWorkflows

var (
	t0   = time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	pool = credit.Pool{ID: "2021-03", Start: t0, End: t0.AddDate(0, 1, 0), Total: 1000}
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newLedger returns a ledger with pool and amount allocated to aud.
func newLedger(t testing.TB, amount int64, opts credit.Options) *credit.Ledger {
	t.Helper()
	l := credit.NewLedger(memstore.New(), opts)
	must(t, l.CreatePool(t.Context(), true, pool))
	if amount > 0 {
		_, err := l.Allocate(t.Context(), true, credit.AllocateRequest{Pool: pool.ID, App: aud, Amount: amount, User: "admin", At: t0})
		must(t, err)
	}
	return l
}

func TestLedgerErrors(t *testing.T) {
	l := newLedger(t, 100, credit.Options{})
	ctx := t.Context()
	future := credit.Pool{ID: "next", Start: pool.End, End: pool.End.AddDate(0, 1, 0), Total: 10}
	res := func(r credit.ReserveRequest) error { _, err := l.Reserve(ctx, r); return err }
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"pool by a non-admin", func() error { return l.CreatePool(ctx, false, future) }, credit.ErrForbidden},
		{"allocate by a non-admin", func() error {
			_, err := l.Allocate(ctx, false, credit.AllocateRequest{Pool: pool.ID, App: aud, Amount: 1, At: t0})
			return err
		}, credit.ErrForbidden},
		{"total by a non-admin", func() error { _, err := l.SetPoolTotal(ctx, false, pool.ID, 5); return err }, credit.ErrForbidden},
		{"limits by a non-admin", func() error { return l.SetLimits(false, credit.Limits{Organisation: 1}) }, credit.ErrForbidden},
		{"pool without id", func() error { return l.CreatePool(ctx, true, credit.Pool{Start: t0, End: t0.Add(1)}) }, credit.ErrInvalid},
		{"pool ending at its start", func() error { return l.CreatePool(ctx, true, credit.Pool{ID: "x", Start: t0, End: t0}) }, credit.ErrInvalid},
		{"pool with a negative total", func() error {
			return l.CreatePool(ctx, true, credit.Pool{ID: "x", Start: t0.AddDate(1, 0, 0), End: t0.AddDate(2, 0, 0), Total: -1})
		}, credit.ErrInvalid},
		{"negative total", func() error { _, err := l.SetPoolTotal(ctx, true, pool.ID, -1); return err }, credit.ErrInvalid},
		{"negative limit", func() error { return l.SetLimits(true, credit.Limits{PerUserType: map[string]int64{"rep": -1}}) }, credit.ErrInvalid},
		{"negative organisation limit", func() error { return l.SetLimits(true, credit.Limits{Organisation: -1}) }, credit.ErrInvalid},
		{"allocate to an unknown app", func() error {
			_, err := l.Allocate(ctx, true, credit.AllocateRequest{Pool: pool.ID, App: "crm", Amount: 1, At: t0})
			return err
		}, credit.ErrInvalid},
		{"allocate a negative amount", func() error {
			_, err := l.Allocate(ctx, true, credit.AllocateRequest{Pool: pool.ID, App: aud, Amount: -1, At: t0})
			return err
		}, credit.ErrInvalid},
		{"allocate without a pool", func() error {
			_, err := l.Allocate(ctx, true, credit.AllocateRequest{App: aud, Amount: 1, At: t0})
			return err
		}, credit.ErrInvalid},
		{"reserve without a key", func() error { return res(credit.ReserveRequest{App: aud, Credits: 1, At: t0}) }, credit.ErrInvalid},
		{"reserve for an unknown app", func() error { return res(credit.ReserveRequest{App: "x", Key: "k", At: t0}) }, credit.ErrInvalid},
		{"reserve negative credits", func() error { return res(credit.ReserveRequest{App: aud, Key: "k", Credits: -1, At: t0}) }, credit.ErrInvalid},
		{"reserve negative contacts", func() error { return res(credit.ReserveRequest{App: aud, Key: "k", Contacts: -1, At: t0}) }, credit.ErrInvalid},
		{"reserve too much", func() error { return res(credit.ReserveRequest{App: aud, Key: "k", Credits: 101, At: t0}) }, credit.ErrInsufficientCredits},
		{"reserve out of any period", func() error { return res(credit.ReserveRequest{App: aud, Key: "k", Credits: 1, At: pool.End}) }, credit.ErrNoPool},
		{"commit without a key", func() error { _, err := l.Commit(ctx, credit.CommitRequest{Credits: 1}); return err }, credit.ErrInvalid},
		{"commit a negative amount", func() error { _, err := l.Commit(ctx, credit.CommitRequest{Key: "k", Credits: -1}); return err }, credit.ErrInvalid},
		{"commit an unknown key", func() error { _, err := l.Commit(ctx, credit.CommitRequest{Key: "k"}); return err }, credit.ErrNotFound},
		{"release without a key", func() error { _, err := l.Release(ctx, "", t0); return err }, credit.ErrInvalid},
		{"release an unknown key", func() error { _, err := l.Release(ctx, "k", t0); return err }, credit.ErrNotFound},
		{"reservation of an unknown key", func() error { _, err := l.Reservation(ctx, "k"); return err }, credit.ErrNotFound},
		{"history without a pool", func() error { _, err := l.History(ctx, credit.HistoryQuery{}); return err }, credit.ErrInvalid},
		{"balance out of any period", func() error { _, err := l.Balance(ctx, aud, pool.End); return err }, credit.ErrNoPool},
		{"pool out of any period", func() error { _, err := l.Pool(ctx, pool.End); return err }, credit.ErrNoPool},
		{"low out of any period", func() error { _, err := l.Low(ctx, aud, pool.End); return err }, credit.ErrNoPool},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want an error wrapping %v", err, c.want)
			}
		})
	}
	b, err := l.Balance(ctx, aud, t0)
	must(t, err)
	if b.Allocated != 100 || b.Available != 100 {
		t.Fatalf("failed calls changed the balance: %+v", b)
	}
	ps, err := l.Pools(ctx)
	must(t, err)
	if len(ps) != 1 {
		t.Fatalf("failed calls added pools: %+v", ps)
	}
}

func TestLedgerSpend(t *testing.T) {
	l := newLedger(t, 100, credit.Options{})
	ctx := t.Context()
	r, err := l.Reserve(ctx, credit.ReserveRequest{App: aud, Key: "buy:acme", Credits: 50, Contacts: 5, User: "ann", UserType: "rep", At: t0})
	must(t, err)
	again, err := l.Reserve(ctx, credit.ReserveRequest{App: aud, Key: "buy:acme", Credits: 50, Contacts: 5, User: "ann", UserType: "rep", At: t0})
	must(t, err)
	if again != r {
		t.Fatalf("reserving the same key again: %+v, want %+v", again, r)
	}
	c, err := l.Commit(ctx, credit.CommitRequest{Key: "buy:acme", Credits: 30, Contacts: 3, At: t0.Add(time.Minute)})
	must(t, err)
	c2, err := l.Commit(ctx, credit.CommitRequest{Key: "buy:acme", Credits: 30, Contacts: 3, At: t0.Add(2 * time.Minute)})
	must(t, err)
	if c2 != c {
		t.Fatalf("committing twice: %+v, want %+v", c2, c)
	}
	got, err := l.Reservation(ctx, "buy:acme")
	must(t, err)
	if got != c || got.State != credit.Committed || got.Spent != 30 {
		t.Fatalf("reservation %+v", got)
	}
	b, err := l.Balance(ctx, aud, t0)
	must(t, err)
	if b != (credit.Balance{Pool: pool.ID, App: aud, Allocated: 100, Spent: 30, Available: 70}) {
		t.Fatalf("balance %+v", b)
	}
	u, err := l.Usage(ctx, t0)
	must(t, err)
	if u.Organisation != 3 || u.PerUserType["rep"] != 3 {
		t.Fatalf("usage %+v", u)
	}
}

func TestLedgerLimits(t *testing.T) {
	lim := credit.Limits{PerUserType: map[string]int64{"rep": 5}}
	l := newLedger(t, 100, credit.Options{Limits: lim})
	lim.PerUserType["rep"] = 1000 // the ledger keeps its own copy
	ctx := t.Context()
	req := func(k string, n int64, at time.Time) credit.ReserveRequest {
		return credit.ReserveRequest{App: aud, Key: k, Credits: n, Contacts: n, User: "ann", UserType: "rep", At: at}
	}
	_, err := l.Reserve(ctx, req("a", 5, t0))
	must(t, err)
	_, err = l.Reserve(ctx, req("b", 1, t0))
	var me *credit.MonthlyLimitError
	if !errors.As(err, &me) || me.Limit != 5 || me.Used != 5 || !strings.Contains(err.Error(), "2021-03") {
		t.Fatalf("over the limit: %v", err)
	}
	got := l.Limits()
	got.PerUserType["rep"] = 0 // a copy
	must(t, l.SetLimits(true, credit.Limits{}))
	_, err = l.Reserve(ctx, req("b", 1, t0))
	must(t, err)
	if l.Limits().PerUserType != nil || l.Limits().Organisation != 0 {
		t.Fatalf("limits %+v after switching off", l.Limits())
	}
}

func TestLedgerLow(t *testing.T) {
	ctx := t.Context()
	cases := []struct {
		name     string
		opts     credit.Options
		spend    int64
		low      bool
		notified bool
	}{
		{"off", credit.Options{}, 100, false, false},
		{"above the credits threshold", credit.Options{LowCredits: 10}, 89, false, false},
		{"at the credits threshold", credit.Options{LowCredits: 10}, 90, true, true},
		{"above the percent threshold", credit.Options{LowPercent: 20}, 79, false, false},
		{"at the percent threshold", credit.Options{LowPercent: 20}, 80, true, true},
		{"either threshold", credit.Options{LowCredits: 1, LowPercent: 50}, 60, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLedger(t, 100, c.opts)
			if c.spend > 0 {
				_, err := l.Reserve(ctx, credit.ReserveRequest{App: aud, Key: "k", Credits: c.spend, At: t0})
				must(t, err)
			}
			st, err := l.Low(ctx, aud, t0)
			must(t, err)
			if st.Low != c.low || st.Notify != c.notified || st.Pool.ID != pool.ID || st.Balance.Available != 100-c.spend {
				t.Fatalf("Low = %+v", st)
			}
			st, err = l.Low(ctx, aud, t0)
			must(t, err)
			if st.Low != c.low || st.Notify {
				t.Fatalf("second Low = %+v: notify once per period", st)
			}
		})
	}
	t.Run("no allocation is not low", func(t *testing.T) {
		l := newLedger(t, 0, credit.Options{LowCredits: 10, LowPercent: 10})
		st, err := l.Low(ctx, aud, t0)
		must(t, err)
		if st.Low || st.Notify {
			t.Fatalf("Low = %+v", st)
		}
	})
	t.Run("once per period", func(t *testing.T) {
		l := newLedger(t, 0, credit.Options{LowCredits: 10})
		next := credit.Pool{ID: "next", Start: pool.End, End: pool.End.AddDate(0, 1, 0), Total: 5}
		must(t, l.CreatePool(ctx, true, next))
		for _, p := range []credit.Pool{pool, next} {
			_, err := l.Allocate(ctx, true, credit.AllocateRequest{Pool: p.ID, App: aud, Amount: 5, At: t0})
			must(t, err)
			for i, want := range []bool{true, false} {
				st, err := l.Low(ctx, aud, p.Start)
				must(t, err)
				if !st.Low || st.Notify != want {
					t.Fatalf("%s, call %d: %+v", p.ID, i, st)
				}
			}
		}
	})
}

func TestSum(t *testing.T) {
	h := []credit.Entry{
		{Kind: credit.KindAllocate, Pool: "p", App: aud, Amount: 100},
		{Kind: credit.KindReserve, Amount: 30},
		{Kind: credit.KindCommit, Amount: 20},
		{Kind: credit.KindRelease, Amount: 10},
		{Kind: credit.KindReserve, Amount: 5},
		{Kind: credit.KindAllocate, Amount: -10},
		{Kind: credit.KindExpire, Amount: 65},
	}
	want := credit.Balance{Pool: "p", App: aud, Allocated: 90, Reserved: 5, Spent: 20, Expired: 65, Available: 0}
	if got := credit.Sum(h); got != want {
		t.Fatalf("Sum = %+v, want %+v", got, want)
	}
	if got := credit.Sum(nil); got != (credit.Balance{}) {
		t.Fatalf("Sum(nil) = %+v", got)
	}
	var delta int64
	for _, e := range h {
		delta += e.Delta()
	}
	if delta != want.Available {
		t.Fatalf("deltas sum to %d", delta)
	}
}

func TestErrorMessages(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&credit.InsufficientError{Pool: "p", App: aud, Requested: 5, Available: 2}, "requested 5, available 2"},
		{&credit.InsufficientError{App: aud, Requested: 5}, "no pool"},
		{&credit.MonthlyLimitError{Month: t0, UserType: "rep", Limit: 3, Used: 3, Requested: 1}, "user type rep"},
		{&credit.MonthlyLimitError{Month: t0, Limit: 3, Used: 3, Requested: 1}, "the organisation"},
	} {
		if !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%q does not say %q", c.err, c.want)
		}
	}
	if errors.Is(&credit.InsufficientError{Pool: "p"}, credit.ErrNoPool) {
		t.Error("an insufficient error with a pool wraps ErrNoPool")
	}
}

// TestLedgerStress: 64 goroutines reserve, commit and release at random
// through one Ledger on one pool. The balance is never negative, and at the
// end spent + available + reserved = allocated, the history sums to the
// balance, and the credits committed are what the goroutines saw spent.
func TestLedgerStress(t *testing.T) {
	const alloc = 1000
	l := newLedger(t, alloc, credit.Options{})
	ctx := t.Context()
	var spent atomic.Int64
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range 200 {
				key := fmt.Sprintf("g%d-%d", g, i)
				r, err := l.Reserve(ctx, credit.ReserveRequest{App: aud, Key: key, Credits: rng.Int64N(40), At: t0})
				if errors.Is(err, credit.ErrInsufficientCredits) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if rng.IntN(3) == 0 {
					_, err = l.Release(ctx, key, t0)
				} else {
					var c credit.Reservation
					c, err = l.Commit(ctx, credit.CommitRequest{Key: key, Credits: rng.Int64N(r.Credits + 1), At: t0})
					spent.Add(c.Spent)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if b, err := l.Balance(ctx, aud, t0); err != nil || b.Available < 0 || b.Reserved < 0 {
					t.Errorf("balance %+v (%v)", b, err)
					return
				}
			}
		})
	}
	wg.Wait()
	b, err := l.Balance(ctx, aud, t0)
	must(t, err)
	h, err := l.History(ctx, credit.HistoryQuery{Pool: pool.ID, App: aud})
	must(t, err)
	if s := credit.Sum(h); s != b {
		t.Fatalf("history sums to %+v, balance %+v", s, b)
	}
	if b.Reserved != 0 || b.Spent != spent.Load() || b.Spent+b.Available+b.Reserved != alloc || b.Available < 0 {
		t.Fatalf("balance %+v, spent %d", b, spent.Load())
	}
}
