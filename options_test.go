package playgraph_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// engineWith builds the competitor research world with extra options.
func engineWith(t *testing.T, tune func(*playgraph.Options), accts ...*audience.Account) (*playgraph.Engine, string, *fake.Connector, *fake.Connector, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(day0)
	clk.AutoAdvance = true
	src := audience.NewMemorySource(accts...)
	for _, a := range accts {
		src.SetContacts(a.ID, seller(a.ID, "1"))
	}
	sep, li := fake.New("outreach", fake.WithDedupe()), fake.New("linkedin", fake.WithDedupe())
	reg, err := connector.NewRegistry(sep, li)
	require.NoError(t, err)
	o := &playgraph.Options{Clock: clk, Connectors: reg, Segments: playgraph.SegmentMap{plays.CRSegment: src}}
	if tune != nil {
		tune(o)
	}
	e, err := playgraph.New(o)
	require.NoError(t, err)
	wf := publishCompetitor(t, e)
	return e, wf.ID, sep, li, clk
}

func TestObserver(t *testing.T) {
	var mu sync.Mutex
	entered := map[string]int{}
	var sent, finished int
	e, wf, _, _, _ := engineWith(t, func(o *playgraph.Options) {
		o.Observer = playgraph.Observer{
			NodeEntered: func(_ context.Context, ev playgraph.NodeEvent) {
				mu.Lock()
				entered[ev.Node] += ev.Accounts
				mu.Unlock()
			},
			ActionSent: func(_ context.Context, ev playgraph.ActionEvent) {
				mu.Lock()
				sent += ev.Done
				mu.Unlock()
			},
			RunFinished: func(_ context.Context, r playgraph.RunReport) {
				mu.Lock()
				finished++
				mu.Unlock()
			},
		}
	}, competitorAccounts(10)...)
	_, err := e.Run(context.Background(), admin, wf)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 10, entered[plays.CRWhich])
	assert.Equal(t, 5, entered[plays.CRLinkedIn])
	assert.Equal(t, 10, sent, "5 ad adds + 5 contacts pushed")
	assert.Equal(t, 1, finished)
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	e, wf, _, _, clk := engineWith(t, func(o *playgraph.Options) {
		o.Retention = playgraph.Retention{Runs: 2, AuditRows: 3}
	}, competitorAccounts(10)...)
	var first playgraph.RunReport
	for i := range 4 {
		rep, err := e.Run(ctx, admin, wf)
		require.NoError(t, err)
		if i == 0 {
			first = rep
		}
		clk.Advance(time.Hour)
	}
	runs, err := e.Runs(ctx, viewer, wf, 0)
	require.NoError(t, err)
	assert.Len(t, runs, 2, "only the newest runs are kept")
	_, err = e.Audit(ctx, viewer, first.ID, 0, 100)
	assert.ErrorIs(t, err, playgraph.ErrNotFound, "a pruned run's audit log is gone")
	e2, wf2, _, _, _ := engineWith(t, func(o *playgraph.Options) { o.Retention = playgraph.Retention{AuditRows: 3} }, competitorAccounts(10)...)
	rep, err := e2.Run(ctx, admin, wf2)
	require.NoError(t, err)
	rows, err := e2.Audit(ctx, viewer, rep.ID, 0, 100)
	require.NoError(t, err)
	assert.Len(t, rows, 3, "audit rows kept under the bound")
}

// TestAuditBudgetConcurrent runs many small batches at once under audit
// budgets below, at and above what the run writes: the run keeps
// min(rows, budget) rows, and counts the others as dropped.
func TestAuditBudgetConcurrent(t *testing.T) {
	ctx := context.Background()
	accts := competitorAccounts(600)
	run := func(rows int) (kept int, rep playgraph.RunReport) {
		e, wf, _, _, _ := engineWith(t, func(o *playgraph.Options) {
			o.BatchSize, o.Concurrency = 7, 4
			o.Retention = playgraph.Retention{AuditRows: rows}
		}, accts...)
		rep, err := e.Run(ctx, admin, wf)
		require.NoError(t, err)
		got, err := e.Audit(ctx, viewer, rep.ID, 0, 1_000_000)
		require.NoError(t, err)
		return len(got), rep
	}
	total, rep := run(1_000_000)
	require.Zero(t, rep.AuditDropped)
	require.Greater(t, total, 3*len(accts), "every account enters, takes a branch and moves on")
	for _, budget := range []int{1, 50, 1000, total - 1, total, total + 1} {
		kept, rep := run(budget)
		assert.Equal(t, min(budget, total), kept, "budget %d: rows kept", budget)
		assert.Equal(t, int64(total), int64(kept)+rep.AuditDropped, "budget %d: kept + dropped", budget)
	}
}

// applyFailStore fails every Apply after the first ok ones, and counts
// the calls.
type applyFailStore struct {
	*memstore.Store
	mu    sync.Mutex
	ok    int
	calls int
}

func (s *applyFailStore) Apply(ctx context.Context, workflowID string, b *store.Batch) error {
	s.mu.Lock()
	s.calls++
	fail := s.calls > s.ok
	s.mu.Unlock()
	if fail {
		return errors.New("injected Apply failure")
	}
	return s.Store.Apply(ctx, workflowID, b)
}

// TestAuditDroppedOnFailedRun fails a one-batch run's last write, made
// after every node has been walked: the audit rows that could not be
// written are counted as dropped, so that kept plus dropped still adds up
// to every row the run made.
func TestAuditDroppedOnFailedRun(t *testing.T) {
	ctx := context.Background()
	accts := competitorAccounts(20)
	run := func(okApplies int) (kept, calls int, rep playgraph.RunReport, err error) {
		st := &applyFailStore{Store: memstore.New(), ok: okApplies}
		e, wf, _, _, _ := engineWith(t, func(o *playgraph.Options) {
			o.Store = st
			o.BatchSize, o.Concurrency = 100, 1 // one batch: the same rows every time
		}, accts...)
		st.mu.Lock()
		st.calls = 0 // count the run's writes only
		st.mu.Unlock()
		rep, err = e.Run(ctx, admin, wf)
		rows, aerr := e.Audit(ctx, viewer, rep.ID, 0, 1_000_000)
		require.NoError(t, aerr)
		return len(rows), st.calls, rep, err
	}
	total, calls, rep, err := run(1_000_000)
	require.NoError(t, err)
	require.Zero(t, rep.AuditDropped)
	require.GreaterOrEqual(t, calls, 2, "a write before the sends and one at the end")
	kept, _, rep, err := run(calls - 1)
	require.Error(t, err, "the batch's last write fails")
	assert.Positive(t, rep.AuditDropped, "the failed write's rows are counted")
	assert.Less(t, kept, total)
	assert.Equal(t, total, kept+int(rep.AuditDropped))
}

func TestEngagementConnectorPolledAtRunStart(t *testing.T) {
	ctx := context.Background()
	e, wf, sep, li, clk := engineWith(t, nil, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}})
	_, err := e.Run(ctx, admin, wf)
	require.NoError(t, err)
	clk.Advance(48 * time.Hour)
	li.AddEvents(audience.Event{AccountID: "a", Channel: "linkedin", Campaign: "Competitor comparison", Kind: audience.KindClick, At: clk.Now()})
	rep, err := e.Run(ctx, admin, wf)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Counts[plays.CRWait].Paths["met"], "the click read from the connector moved the account on")
	assert.Len(t, sep.Delivered(""), 1)
	assert.NotEmpty(t, li.Reads())
	pos, err := e.Where(ctx, viewer, wf, "a")
	require.NoError(t, err)
	assert.Equal(t, plays.CRSEPEngaged, pos.Node)
	assert.Equal(t, store.StatusExited, pos.Status)
}
