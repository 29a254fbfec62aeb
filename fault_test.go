package playgraph_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

var errCrash = errors.New("injected crash")

// faultStore wraps a store. At operation failAt it "crashes": the
// operation fails (before or after taking effect), and every later
// operation fails too, as if the process died. It also tracks which item
// keys the engine recorded as resolved, to catch a re-send of one.
type faultStore struct {
	store.Store
	mu      sync.Mutex
	ops     int
	failAt  int
	after   bool // the crashing operation takes effect before failing
	dead    bool
	itemsOf map[string][]string
	done    map[string]bool
}

func (f *faultStore) step() (crashNow bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return false, errCrash
	}
	f.ops++
	if f.ops == f.failAt {
		f.dead = true
		if f.after {
			return true, nil
		}
		return false, errCrash
	}
	return false, nil
}

func (f *faultStore) kill() {
	f.mu.Lock()
	f.dead = true
	f.mu.Unlock()
}

func (f *faultStore) isDead() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dead
}

func (f *faultStore) heal() {
	f.mu.Lock()
	f.dead, f.failAt = false, -1
	f.mu.Unlock()
}

func (f *faultStore) Apply(ctx context.Context, wf string, b *store.Batch) error {
	crash, err := f.step()
	if err != nil {
		return err
	}
	if err := f.Store.Apply(ctx, wf, b); err != nil {
		return err
	}
	f.mu.Lock()
	for _, in := range b.Intents {
		keys := make([]string, len(in.Items))
		for i, it := range in.Items {
			keys[i] = it.Key
		}
		f.itemsOf[in.Key] = keys
	}
	for _, k := range b.Resolved {
		for _, ik := range f.itemsOf[k] {
			f.done[ik] = true
		}
	}
	f.mu.Unlock()
	if crash {
		return errCrash
	}
	return nil
}

func (f *faultStore) GetStates(ctx context.Context, wf string, ids []string) ([]store.AccountState, error) {
	if _, err := f.step(); err != nil {
		return nil, err
	}
	return f.Store.GetStates(ctx, wf, ids)
}

func (f *faultStore) ScanStates(ctx context.Context, wf string, st ...store.Status) iter.Seq2[store.AccountState, error] {
	if _, err := f.step(); err != nil {
		return func(yield func(store.AccountState, error) bool) { yield(store.AccountState{}, err) }
	}
	return f.Store.ScanStates(ctx, wf, st...)
}

func (f *faultStore) PendingIntents(ctx context.Context, wf string) iter.Seq2[store.Intent, error] {
	if _, err := f.step(); err != nil {
		return func(yield func(store.Intent, error) bool) { yield(store.Intent{}, err) }
	}
	return f.Store.PendingIntents(ctx, wf)
}

func (f *faultStore) PutRun(ctx context.Context, r store.Run) error {
	if _, err := f.step(); err != nil {
		return err
	}
	return f.Store.PutRun(ctx, r)
}

func (f *faultStore) ReleaseLease(ctx context.Context, l store.Lease) error {
	if f.isDead() {
		return errCrash // a dead process releases nothing; the lease must expire
	}
	return f.Store.ReleaseLease(ctx, l)
}

// faultConn forwards to a fake receiver. When the store is dead, nothing
// can be sent. At call crashAt it delivers and then kills the store: the
// crash falls between the send and the recording of its outcome.
type faultConn struct {
	connector.Base
	rx      *fake.Connector
	fs      *faultStore
	mu      sync.Mutex
	calls   int
	crashAt int
	resent  []string // keys sent after being recorded done
}

func (c *faultConn) before(keys []string) error {
	if c.fs.isDead() {
		return errCrash
	}
	c.fs.mu.Lock()
	for _, k := range keys {
		if c.fs.done[k] {
			c.mu.Lock()
			c.resent = append(c.resent, k)
			c.mu.Unlock()
		}
	}
	c.fs.mu.Unlock()
	return nil
}

func (c *faultConn) after(rs []connector.Result, err error) ([]connector.Result, error) {
	c.mu.Lock()
	c.calls++
	crash := c.calls == c.crashAt
	c.mu.Unlock()
	if crash {
		c.fs.kill()
		return nil, errCrash
	}
	return rs, err
}

func akeys(items []connector.AccountItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key
	}
	return out
}

func ckeys(items []connector.ContactItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key
	}
	return out
}

func (c *faultConn) AddToAudience(ctx context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	if err := c.before(akeys(items)); err != nil {
		return nil, err
	}
	return c.after(c.rx.AddToAudience(ctx, aud, items))
}

func (c *faultConn) RemoveFromAudience(ctx context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	if err := c.before(akeys(items)); err != nil {
		return nil, err
	}
	return c.after(c.rx.RemoveFromAudience(ctx, aud, items))
}

func (c *faultConn) PushAccounts(ctx context.Context, camp string, items []connector.AccountItem) ([]connector.Result, error) {
	if err := c.before(akeys(items)); err != nil {
		return nil, err
	}
	return c.after(c.rx.PushAccounts(ctx, camp, items))
}

func (c *faultConn) PushContacts(ctx context.Context, camp string, items []connector.ContactItem) ([]connector.Result, error) {
	if err := c.before(ckeys(items)); err != nil {
		return nil, err
	}
	return c.after(c.rx.PushContacts(ctx, camp, items))
}

type faultOutcome struct {
	repeats int
	crashed bool
}

func runFaultSeed(t *testing.T, seed uint64, nAccounts int) faultOutcome {
	r := rand.New(rand.NewPCG(seed, 7))
	ctx := context.Background()
	var accts []*audience.Account
	src := &audience.MemorySource{}
	for i := range nAccounts {
		a := &audience.Account{ID: fmt.Sprintf("a%02d", i)}
		switch r.IntN(3) {
		case 0:
			a.ResearchedCompetitors = []string{"acme"}
		case 1:
			a.ResearchedCompetitors = []string{plays.CROtherCompetitors[r.IntN(len(plays.CROtherCompetitors))]}
		}
		accts = append(accts, a)
		require.NoError(t, src.Add(a))
		src.SetContacts(a.ID, seller(a.ID, "1"), seller(a.ID, "2"), audience.Contact{ID: a.ID + "-x", Title: "Intern", JobLevel: "Staff"})
	}
	clk := clock.NewFake(day0)
	clk.AutoAdvance = true
	fs := &faultStore{Store: memstore.New(), failAt: -1, itemsOf: map[string][]string{}, done: map[string]bool{}}
	sepRx := fake.New("outreach-rx", fake.WithDedupe())
	liRx := fake.New("linkedin-rx", fake.WithDedupe())
	sep := &faultConn{Base: connector.NewBase("outreach", connector.Limits{MaxBatch: 1 + r.IntN(8)}), rx: sepRx, fs: fs}
	li := &faultConn{Base: connector.NewBase("linkedin", connector.Limits{MaxBatch: 1 + r.IntN(8)}), rx: liRx, fs: fs}
	reg, err := connector.NewRegistry(sep, li)
	require.NoError(t, err)
	opts := &playgraph.Options{
		Store: fs, Clock: clk, Connectors: reg, Segments: playgraph.SegmentMap{plays.CRSegment: src},
		BatchSize: 1 + r.IntN(16), Concurrency: 1 + r.IntN(3), LeaseTTL: time.Minute,
		Retry: playgraph.RetryPolicy{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxFailures: 50},
	}
	newEngine := func() *playgraph.Engine {
		e, err := playgraph.New(opts)
		require.NoError(t, err)
		return e
	}
	e := newEngine()
	wf := publishCompetitor(t, e)

	// Transient item faults, below the in-run retry bound.
	for _, a := range accts {
		if r.IntN(4) == 0 {
			liRx.FailKey(playgraph.ActionKey(wf.ID, plays.CRLinkedIn, a.ID, 1), connector.StatusTransient, 1+r.IntN(2))
		}
		if r.IntN(4) == 0 {
			sepRx.FailKey(playgraph.ContactKey(playgraph.ActionKey(wf.ID, plays.CRSEPTop, a.ID, 1), a.ID+"-1"), connector.StatusTransient, 1+r.IntN(2))
		}
	}
	// One crash: in the store (before or after an operation takes effect)
	// or in a connector (after the receiver got the batch), on day 0 or
	// day 14.
	crashDay14 := r.IntN(3) == 0
	arm := func() {
		if r.IntN(3) == 0 {
			c := []*faultConn{sep, li}[r.IntN(2)]
			c.mu.Lock()
			c.crashAt = c.calls + 1 + r.IntN(4)
			c.mu.Unlock()
			return
		}
		fs.mu.Lock()
		fs.failAt = fs.ops + 1 + r.IntN(40)
		fs.after = r.IntN(2) == 0
		fs.mu.Unlock()
	}
	crashed := false
	restart := func() {
		dead := fs.isDead()
		fs.heal()
		sep.mu.Lock()
		sep.crashAt = 0
		sep.mu.Unlock()
		li.mu.Lock()
		li.crashAt = 0
		li.mu.Unlock()
		if dead {
			crashed = true
			clk.Advance(opts.LeaseTTL + time.Second) // the dead run's lease expires
			e = newEngine()
		}
	}
	if !crashDay14 {
		arm()
	}
	_, _ = e.Run(ctx, admin, wf.ID)
	restart()
	for range 3 {
		_, err := e.Run(ctx, admin, wf.ID)
		require.NoError(t, err)
	}
	clk.Set(day0.AddDate(0, 0, 14).Add(time.Hour))
	if crashDay14 {
		arm()
	}
	_, _ = e.Run(ctx, admin, wf.ID)
	restart()
	for range 3 {
		_, err := e.Run(ctx, admin, wf.ID)
		require.NoError(t, err)
	}

	// Every expected action delivered, exactly once for a deduping
	// receiver, each under one key.
	want := map[string]bool{}
	for _, a := range accts {
		switch {
		case slices.Contains(a.ResearchedCompetitors, "acme"):
			k := playgraph.ActionKey(wf.ID, plays.CRSEPTop, a.ID, 1)
			want[playgraph.ContactKey(k, a.ID+"-1")] = true
			want[playgraph.ContactKey(k, a.ID+"-2")] = true
		case len(a.ResearchedCompetitors) > 0:
			want[playgraph.ActionKey(wf.ID, plays.CRLinkedIn, a.ID, 1)] = true
			want[playgraph.ActionKey(wf.ID, plays.CRRemove, a.ID, 1)] = true
		}
	}
	got := map[string]bool{}
	byWhat := map[string]string{}
	for _, rx := range []*fake.Connector{sepRx, liRx} {
		for _, it := range rx.Delivered("") {
			require.False(t, got[it.Key], "seed %d: key %s delivered twice by a deduping receiver", seed, it.Key)
			got[it.Key] = true
			what := fmt.Sprintf("%s/%s/%s/%s", it.Op, it.Target, it.AccountID, it.ContactID)
			if prev, ok := byWhat[what]; ok && prev != it.Key {
				t.Fatalf("seed %d: %s arrived under two keys: %s and %s", seed, what, prev, it.Key)
			}
			byWhat[what] = it.Key
		}
	}
	require.Equal(t, want, got, "seed %d: delivered keys", seed)
	require.Empty(t, sep.resent, "seed %d: re-sent after recorded done", seed)
	require.Empty(t, li.resent, "seed %d: re-sent after recorded done", seed)

	// Every account's state is consistent: out of the flow, nothing pending.
	for in, err := range fs.PendingIntents(ctx, wf.ID) {
		require.NoError(t, err)
		t.Fatalf("seed %d: intent %s still pending", seed, in.Key)
	}
	ids := make([]string, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	sts, err := fs.GetStates(ctx, wf.ID, ids)
	require.NoError(t, err)
	for i, st := range sts {
		a := accts[i]
		require.Equal(t, store.StatusExited, st.Status, "seed %d: %s: %+v", seed, a.ID, st)
		require.EqualValues(t, 1, st.Entry)
		want := plays.CRWhich
		switch {
		case slices.Contains(a.ResearchedCompetitors, "acme"):
			want = plays.CRSEPTop
		case len(a.ResearchedCompetitors) > 0:
			want = plays.CRRemove
		}
		require.Equal(t, want, st.Node, "seed %d: %s ended at the wrong node: %+v", seed, a.ID, st)
	}
	return faultOutcome{repeats: sepRx.Repeats() + liRx.Repeats(), crashed: crashed}
}

// TestFaultInjection crashes runs at random store and connector operations
// and checks the delivery guarantee after re-running to completion.
func TestFaultInjection(t *testing.T) {
	seeds := 500
	if testing.Short() {
		seeds = 50
	}
	var repeats, crashes int
	for s := range seeds {
		out := runFaultSeed(t, uint64(s), 50)
		repeats += out.repeats
		if out.crashed {
			crashes++
		}
	}
	t.Logf("%d seeds x 50 accounts: %d runs crashed; raw repeats the crashes caused (absorbed by the receivers' dedupe): %d", seeds, crashes, repeats)
}
