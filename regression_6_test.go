package playgraph_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

// Session 6's concurrency and engagement regressions, found by helpers'
// bug hunts.

// A run whose lease expired while its purchase call was slow must not
// write the forgotten account's purchased contacts back after Forget.
func TestForgetDuringStalledPurchase(t *testing.T) {
	ctx := context.Background()
	w := newBuyWorld(t, "acct-00")
	p1 := &gatedProvider{Connector: w.provider, in: make(chan struct{}), release: make(chan struct{})}
	e := w.engine(t, p1, nil)
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: w.g})

	runErr := make(chan error, 1)
	go func() { _, err := e.Run(ctx, admin, wf.ID); runErr <- err }()
	<-p1.in                        // the run is in its slow purchase call
	w.clk.Advance(2 * time.Minute) // its lease expires
	require.NoError(t, e.Forget(ctx, admin, "acct-00"))
	close(p1.release) // the provider answers: one contact bought
	require.ErrorIs(t, <-runErr, store.ErrFenced)

	sts, err := w.ms.GetStates(ctx, wf.ID, []string{"acct-00"})
	require.NoError(t, err)
	require.Equal(t, store.StatusForgotten, sts[0].Status)
	got, err := w.ms.Purchased(ctx, wf.ID, []string{"acct-00"})
	require.NoError(t, err)
	require.Empty(t, got["acct-00"], "purchased contacts of a forgotten account came back: %+v", got["acct-00"])
}

// perAcctProvider fails acct-00 permanently at once and blocks on acct-01.
type perAcctProvider struct {
	*fake.Connector
	in, release chan struct{}
}

func (p *perAcctProvider) Purchase(ctx context.Context, req connector.PurchaseRequest, items []connector.AccountItem) ([]connector.Purchase, error) {
	if items[0].Account.ID == "acct-00" {
		return []connector.Purchase{{Result: connector.Permanent(errors.New("no such company acct-00"))}}, nil
	}
	close(p.in)
	<-p.release
	return p.Connector.Purchase(ctx, req, items)
}

// Run history must not name a forgotten account, even when the run that
// recorded the error was in flight (lease lost) when Forget ran.
func TestForgetRunErrorsNotWrittenBack(t *testing.T) {
	ctx := context.Background()
	w := newBuyWorld(t, "acct-00", "acct-01")
	p := &perAcctProvider{Connector: w.provider, in: make(chan struct{}), release: make(chan struct{})}
	e := w.engine(t, p, func(o *playgraph.Options) { o.BatchSize, o.Concurrency = 1, 1 })
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: w.g})

	runErr := make(chan error, 1)
	go func() { _, err := e.Run(ctx, admin, wf.ID); runErr <- err }()
	<-p.in                         // acct-00 failed and was recorded; acct-01's call is slow
	w.clk.Advance(2 * time.Minute) // the run's lease expires
	require.NoError(t, e.Forget(ctx, admin, "acct-00"))
	close(p.release)
	<-runErr

	runs, err := w.ms.ListRuns(ctx, wf.ID, 0)
	require.NoError(t, err)
	for _, r := range runs {
		for _, re := range r.Errors {
			require.NotEqual(t, "acct-00", re.Account, "run %s names the forgotten account: %+v", r.ID, re)
		}
	}
	sts, err := w.ms.GetStates(ctx, wf.ID, []string{"acct-00"})
	require.NoError(t, err)
	require.Equal(t, store.StatusForgotten, sts[0].Status)
}

// read: the next run's poll must still cover them.
func TestFailedPollLosesNoEvents(t *testing.T) {
	g := chainGraph(t, "push")
	w := rgNew(t, g, playgraph.WorkflowSpec{}, nil)
	ctx := context.Background()
	_, err := w.e.Run(ctx, admin, w.wf.ID) // run 1 polls since the zero time
	require.NoError(t, err)
	w.clk.Advance(time.Hour)
	ev := audience.Event{AccountID: "acme", Channel: "crm", Campaign: "camp-push", Kind: audience.KindClick, At: w.clk.Now()}
	w.crm.AddEvents(ev)
	w.clk.Advance(time.Hour)
	w.crm.FailCalls(fake.OpReadEngagement, nil, 1)
	rep, err := w.e.Run(ctx, admin, w.wf.ID) // run 2: the poll fails
	require.NoError(t, err)
	require.Equal(t, store.RunCompletedWithErrors, rep.Status, "the failed poll is noted")
	w.clk.Advance(time.Hour)
	_, err = w.e.Run(ctx, admin, w.wf.ID) // run 3: polls again
	require.NoError(t, err)
	m, err := w.st.Events(ctx, []string{"acme"}, time.Time{})
	require.NoError(t, err)
	require.Len(t, m["acme"], 1, "the event the failed poll missed was never read")
}

// One malformed event from an engagement connector must not fail the run
// (nor keep the good events out).
func TestBadPolledEventLeftOut(t *testing.T) {
	g := chainGraph(t, "push")
	w := rgNew(t, g, playgraph.WorkflowSpec{}, nil)
	ctx := context.Background()
	require.NoError(t, w.src.Add(&audience.Account{ID: "acme"}))
	w.crm.AddEvents(
		audience.Event{AccountID: "acme", Channel: "crm", Campaign: "camp-push", Kind: audience.KindClick, At: day0.Add(-time.Hour)},
		audience.Event{AccountID: "", Channel: "crm", Kind: audience.KindClick, At: day0.Add(-time.Hour)},
	)
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err, "run status %s", rep.Status)
	m, err := w.st.Events(ctx, []string{"acme"}, time.Time{})
	require.NoError(t, err)
	require.Len(t, m["acme"], 1)
}

// leasePause pauses, once armed, the first lease acquisition whose holder
// names what.
type leasePause struct {
	*memstore.Store
	what        string
	armed       bool
	before      bool // pause before acquiring (else holding the lease)
	in, release chan struct{}
}

func (s *leasePause) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (store.Lease, error) {
	pause := s.armed && strings.Contains(holder, "/"+s.what+"/")
	if pause {
		s.armed = false
	}
	if pause && s.before {
		close(s.in)
		<-s.release
	}
	l, err := s.Store.AcquireLease(ctx, name, holder, now, ttl)
	if pause && !s.before {
		close(s.in)
		<-s.release
	}
	return l, err
}

// Delete and Publish take the workflow's lease, so a publish cannot land
// between Delete's check (a never-published draft) and the deletion: a
// published workflow, with a run in flight, was deleted.
func TestDeleteAndPublishSerialised(t *testing.T) {
	ctx := context.Background()
	e, st := pauseEngine(t, "delete", false)
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: chainGraph(t, "push")})
	require.NoError(t, err)

	st.armed = true
	delErr := make(chan error, 1)
	go func() { delErr <- e.Delete(ctx, admin, wf.ID) }()
	select {
	case <-st.in: // Delete holds the lease
	case <-time.After(10 * time.Second):
		t.Fatal("Delete never took the workflow's lease")
	}
	_, err = e.Publish(ctx, admin, wf.ID)
	require.ErrorIs(t, err, playgraph.ErrRunInProgress)
	close(st.release)
	require.NoError(t, <-delErr)
	_, err = e.Workflow(ctx, admin, wf.ID)
	require.ErrorIs(t, err, playgraph.ErrNotFound)
}

// A draft that Edit saves while a Publish of the previous draft is under
// way stays the draft; Publish cleared it.
func TestPublishKeepsConcurrentDraft(t *testing.T) {
	ctx := context.Background()
	e, st := pauseEngine(t, "publish", false)
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: chainGraph(t, "p1")})
	_, err := e.Edit(ctx, admin, wf.ID, chainGraph(t, "p1", "p2")) // draft v2
	require.NoError(t, err)

	st.armed = true
	pubErr := make(chan error, 1)
	go func() { _, err := e.Publish(ctx, admin, wf.ID); pubErr <- err }()
	<-st.in // Publish of v2 holds the lease
	edited, err := e.Edit(ctx, admin, wf.ID, chainGraph(t, "p1", "p2", "p3"))
	require.NoError(t, err)
	require.Equal(t, 3, edited.Draft)
	close(st.release)
	require.NoError(t, <-pubErr)

	got, err := e.Workflow(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.Equal(t, 2, got.Published)
	require.Equal(t, 3, got.Draft, "the draft Edit saved meanwhile")
}

// A publish that waited for the lease while another publish landed fails
// with ErrState instead of publishing the older version it had read (it
// migrated the accounts back and reverted the newer publish).
func TestStalePublishRefused(t *testing.T) {
	ctx := context.Background()
	e, st := pauseEngine(t, "publish", true)
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: chainGraph(t, "p1")})
	_, err := e.Edit(ctx, admin, wf.ID, chainGraph(t, "p1", "p2")) // draft v2
	require.NoError(t, err)

	st.armed = true
	staleErr := make(chan error, 1)
	go func() { _, err := e.Publish(ctx, admin, wf.ID); staleErr <- err }()
	<-st.in // it read draft v2 and waits for the lease
	_, err = e.Edit(ctx, admin, wf.ID, chainGraph(t, "p1", "p2", "p3"))
	require.NoError(t, err)
	_, err = e.Publish(ctx, admin, wf.ID) // v3
	require.NoError(t, err)
	close(st.release)
	require.ErrorIs(t, <-staleErr, playgraph.ErrState)
	got, err := e.Workflow(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.Equal(t, 3, got.Published)
}

// A reader whose first poll fails is asked again from the same time: the
// events before the failed run are read by the next one.
func TestFirstPollFailureLosesNothing(t *testing.T) {
	g := chainGraph(t, "push")
	w := rgNew(t, g, playgraph.WorkflowSpec{}, nil)
	ctx := context.Background()
	w.crm.AddEvents(audience.Event{AccountID: "acme", Channel: "crm", Campaign: "camp-push", Kind: audience.KindClick, At: w.clk.Now()})
	w.clk.Advance(time.Hour)
	w.crm.FailCalls(fake.OpReadEngagement, nil, 1)
	rep, err := w.e.Run(ctx, admin, w.wf.ID) // the first poll fails
	require.NoError(t, err)
	require.Equal(t, store.RunCompletedWithErrors, rep.Status)
	w.clk.Advance(time.Hour)
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	m, err := w.st.Events(ctx, []string{"acme"}, time.Time{})
	require.NoError(t, err)
	require.Len(t, m["acme"], 1)
}

// lockedRenew fails every lease renewal with an error other than
// store.ErrFenced (a busy database, say).
type lockedRenew struct{ *memstore.Store }

func (lockedRenew) RenewLease(context.Context, store.Lease, time.Time, time.Duration) (store.Lease, error) {
	return store.Lease{}, errors.New("database is locked")
}

// Only a run that lost its lease drops its per-account errors from its
// record; any renewal error did.
func TestRunKeepsErrorsWhenRenewalFails(t *testing.T) {
	ctx := context.Background()
	ms := memstore.New()
	crm := fake.New("crm", fake.WithDedupe())
	reg, err := connector.NewRegistry(crm)
	require.NoError(t, err)
	src := &audience.MemorySource{}
	require.NoError(t, src.Add(&audience.Account{ID: "a"}))
	e, err := playgraph.New(&playgraph.Options{Store: lockedRenew{ms}, Clock: clock.NewFake(day0), Connectors: reg,
		Segments: playgraph.SegmentMap{"seg": src}})
	require.NoError(t, err)
	g := chainGraph(t, "push")
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: g})
	crm.FailKey(playgraph.ActionKey(wf.ID, "push", "a", 1), connector.StatusPermanent, 1)
	rep, err := e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.NotEmpty(t, rep.Errors)
	runs, err := ms.ListRuns(ctx, wf.ID, 1)
	require.NoError(t, err)
	require.NotEmpty(t, runs[0].Errors, "the run held its lease: its errors are kept")
}

// pauseEngine returns an engine on a leasePause store that pauses the
// first lease acquisition named what once armed (before acquiring it when
// before is set), with a fake "crm" connector and an empty segment.
func pauseEngine(t *testing.T, what string, before bool) (*playgraph.Engine, *leasePause) {
	t.Helper()
	st := &leasePause{Store: memstore.New(), what: what, before: before, in: make(chan struct{}), release: make(chan struct{})}
	reg, err := connector.NewRegistry(fake.New("crm", fake.WithDedupe()))
	require.NoError(t, err)
	e, err := playgraph.New(&playgraph.Options{Store: st, Clock: clock.NewFake(day0), Connectors: reg,
		Segments: playgraph.SegmentMap{"seg": &audience.MemorySource{}}})
	require.NoError(t, err)
	return e, st
}

// chainGraph is start followed by a chain of push nodes with these ids.
func chainGraph(t *testing.T, ids ...string) *graph.Graph {
	t.Helper()
	b := graph.New("p").Add(node.NewStart("start", "Start", "seg"))
	prev := "start"
	for _, id := range ids {
		b = b.Add(pushNode(id)).Connect(prev, node.PathNext, id)
		prev = id
	}
	g, err := b.Build()
	require.NoError(t, err)
	return g
}
