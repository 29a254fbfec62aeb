package playgraph_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func competitorAccounts(n int) []*audience.Account {
	out := make([]*audience.Account, n)
	for i := range out {
		a := &audience.Account{ID: fmt.Sprintf("acct-%04d", i)}
		if i%2 == 0 {
			a.ResearchedCompetitors = []string{"acme"}
		} else {
			a.ResearchedCompetitors = []string{"globex"}
		}
		out[i] = a
	}
	return out
}

// TestTwoEnginesOneStore runs one workflow from two engines sharing a
// store at the same moment: the run lease lets one in; the other fails at
// once with ErrRunInProgress (or, if the first already finished, finds
// nothing to do). No account is processed twice.
func TestTwoEnginesOneStore(t *testing.T) {
	ctx := context.Background()
	for round := range 20 {
		st := memstore.New()
		clk := clock.NewFake(day0)
		src := audience.NewMemorySource(competitorAccounts(200)...)
		for a := range src.Members(ctx) {
			src.SetContacts(a.ID, seller(a.ID, "1"))
		}
		sep := fake.New("outreach")
		li := fake.New("linkedin")
		reg, err := connector.NewRegistry(sep, li)
		require.NoError(t, err)
		mk := func() *playgraph.Engine {
			e, err := playgraph.New(&playgraph.Options{Store: st, Clock: clk, Connectors: reg,
				Segments: playgraph.SegmentMap{plays.CRSegment: src}, BatchSize: 16})
			require.NoError(t, err)
			return e
		}
		e1, e2 := mk(), mk()
		wf := publishCompetitor(t, e1)

		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i, e := range []*playgraph.Engine{e1, e2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = e.Run(ctx, admin, wf.ID)
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				assert.ErrorIs(t, err, playgraph.ErrRunInProgress, "round %d", round)
			}
		}
		assert.Zero(t, sep.Repeats()+li.Repeats(), "round %d: an account was processed twice", round)
		assert.Len(t, sep.Received(""), 100, "round %d", round)
		assert.Len(t, li.Received(""), 100, "round %d", round)
	}
}

// sourceEngine returns an engine for the source tests: segs, a fake clock
// at day0, fake outreach and linkedin connectors (returned) and batches of
// batch accounts (0: the default).
func sourceEngine(t *testing.T, segs playgraph.SegmentMap, batch int) (*playgraph.Engine, *fake.Connector, *fake.Connector) {
	t.Helper()
	sep, li := fake.New("outreach"), fake.New("linkedin")
	reg, err := connector.NewRegistry(sep, li)
	require.NoError(t, err)
	e, err := playgraph.New(&playgraph.Options{Clock: clock.NewFake(day0), Connectors: reg, Segments: segs, BatchSize: batch})
	require.NoError(t, err)
	return e, sep, li
}

// failingSource yields n members and then fails, until healed.
type failingSource struct {
	*audience.MemorySource
	mu     sync.Mutex
	failAt int
}

func (s *failingSource) Members(ctx context.Context) iter.Seq2[*audience.Account, error] {
	s.mu.Lock()
	failAt := s.failAt
	s.mu.Unlock()
	return func(yield func(*audience.Account, error) bool) {
		i := 0
		for a, err := range s.MemorySource.Members(ctx) {
			if failAt >= 0 && i == failAt {
				yield(nil, errors.New("segment service unavailable"))
				return
			}
			if !yield(a, err) {
				return
			}
			i++
		}
	}
}

func TestSourceFailingMidStream(t *testing.T) {
	ctx := context.Background()
	src := &failingSource{MemorySource: audience.NewMemorySource(competitorAccounts(100)...), failAt: 40}
	for a := range src.MemorySource.Members(ctx) {
		src.SetContacts(a.ID, seller(a.ID, "1"))
	}
	e, sep, li := sourceEngine(t, playgraph.SegmentMap{plays.CRSegment: src}, 10)
	wf := publishCompetitor(t, e)

	rep, err := e.Run(ctx, admin, wf.ID)
	require.Error(t, err)
	assert.ErrorIs(t, err, playgraph.ErrSegment)
	assert.Equal(t, store.RunFailed, rep.Status)
	assert.Contains(t, rep.Err, "segment service unavailable")
	inbox, err := e.Inbox(ctx, admin, true)
	require.NoError(t, err)
	var kinds []store.NotificationKind
	for _, n := range inbox {
		kinds = append(kinds, n.Kind)
	}
	assert.Contains(t, kinds, store.NoteRunFailed)
	partial := len(sep.Received("")) + len(li.Received(""))
	assert.LessOrEqual(t, partial, 40)

	src.mu.Lock()
	src.failAt = -1
	src.mu.Unlock()
	rep, err = e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RunCompletedWithTimer, rep.Status)
	assert.Len(t, sep.Received(""), 50)
	assert.Len(t, li.Received(""), 50)
	assert.Zero(t, sep.Repeats()+li.Repeats())
}

// blockingConn blocks every call until its context ends.
type blockingConn struct {
	connector.Base
	started chan struct{}
	once    sync.Once
}

func (b *blockingConn) block(ctx context.Context) error {
	b.once.Do(func() { close(b.started) })
	<-ctx.Done()
	return ctx.Err()
}

func (b *blockingConn) AddToAudience(ctx context.Context, _ string, _ []connector.AccountItem) ([]connector.Result, error) {
	return nil, b.block(ctx)
}

func (b *blockingConn) RemoveFromAudience(ctx context.Context, _ string, _ []connector.AccountItem) ([]connector.Result, error) {
	return nil, b.block(ctx)
}

func TestCancelledRunStopsPromptlyAndResumes(t *testing.T) {
	ctx := context.Background()
	src := audience.NewMemorySource(competitorAccounts(50)...)
	sep := fake.New("outreach")
	blocker := &blockingConn{Base: connector.NewBase("linkedin", connector.Limits{}), started: make(chan struct{})}
	reg, err := connector.NewRegistry(sep, blocker)
	require.NoError(t, err)
	st := memstore.New()
	clk := clock.NewFake(day0)
	opts := &playgraph.Options{Store: st, Clock: clk, Connectors: reg, Segments: playgraph.SegmentMap{plays.CRSegment: src}}
	e, err := playgraph.New(opts)
	require.NoError(t, err)
	wf := publishCompetitor(t, e)

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := e.Run(rctx, admin, wf.ID)
		done <- err
	}()
	<-blocker.started
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled run did not stop")
	}
	goleak.VerifyNone(t, goleak.IgnoreCurrent())

	// The intents recorded before the cancel are pending: a later run by
	// an engine with a working connector sends them under the same keys.
	li := fake.New("linkedin", fake.WithDedupe())
	reg2, err := connector.NewRegistry(sep, li)
	require.NoError(t, err)
	opts.Connectors = reg2
	e2, err := playgraph.New(opts)
	require.NoError(t, err)
	_, err = e2.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	assert.Len(t, li.Delivered(fake.OpAddToAudience), 25)
	for _, it := range li.Delivered(fake.OpAddToAudience) {
		assert.Equal(t, playgraph.ActionKey(wf.ID, plays.CRLinkedIn, it.AccountID, 1), it.Key)
	}
}

// TestUnpublishWaitsForTheRun: a status change never lands in the middle
// of a run; it fails with ErrRunInProgress instead.
func TestUnpublishDuringRun(t *testing.T) {
	ctx := context.Background()
	src := audience.NewMemorySource(competitorAccounts(4)...)
	blocker := &blockingConn{Base: connector.NewBase("linkedin", connector.Limits{}), started: make(chan struct{})}
	reg, err := connector.NewRegistry(fake.New("outreach"), blocker)
	require.NoError(t, err)
	e, err := playgraph.New(&playgraph.Options{Clock: clock.NewFake(day0), Connectors: reg, Segments: playgraph.SegmentMap{plays.CRSegment: src}})
	require.NoError(t, err)
	wf := publishCompetitor(t, e)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = e.Run(rctx, admin, wf.ID)
	}()
	<-blocker.started
	_, err = e.Unpublish(ctx, admin, wf.ID, "stop")
	assert.ErrorIs(t, err, playgraph.ErrRunInProgress)
	_, err = e.Archive(ctx, admin, wf.ID)
	assert.ErrorIs(t, err, playgraph.ErrRunInProgress)
	cancel()
	<-done
	got, err := e.Unpublish(ctx, admin, wf.ID, "stop")
	require.NoError(t, err)
	assert.Equal(t, store.WorkflowUnpublished, got.Status)
}

// idlessSource yields, among its members, a nil account and one without id.
type idlessSource struct{ *audience.MemorySource }

func (s idlessSource) Members(ctx context.Context) iter.Seq2[*audience.Account, error] {
	return func(yield func(*audience.Account, error) bool) {
		i := 0
		for a, err := range s.MemorySource.Members(ctx) {
			switch i {
			case 3:
				if !yield(nil, nil) {
					return
				}
			case 7:
				if !yield(&audience.Account{Name: "no id"}, nil) {
					return
				}
			}
			if !yield(a, err) {
				return
			}
			i++
		}
	}
}

func TestSourceYieldsAccountsWithoutID(t *testing.T) {
	ctx := context.Background()
	src := idlessSource{audience.NewMemorySource(competitorAccounts(20)...)}
	for a := range src.MemorySource.Members(ctx) {
		src.SetContacts(a.ID, seller(a.ID, "1"))
	}
	e, sep, li := sourceEngine(t, playgraph.SegmentMap{plays.CRSegment: src}, 4)
	wf := publishCompetitor(t, e)
	rep, err := e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RunCompletedWithTimerAndErrors, rep.Status)
	assert.Equal(t, 2, rep.ErrorCount)
	for _, re := range rep.Errors {
		assert.Contains(t, re.Err, "without id")
	}
	assert.Equal(t, 20, rep.Counts[plays.CRStart].Entered, "the other accounts entered")
	assert.Len(t, sep.Received(""), 10)
	assert.Len(t, li.Received(""), 10)
}

// TestIdlessMembersElsewhere: the other readers of a segment's members
// (the membership set of a workflow whose accounts leave on segment exit,
// and in_segment()) skip an account without id instead of failing on it.
func TestIdlessMembersElsewhere(t *testing.T) {
	ctx := context.Background()
	src := idlessSource{audience.NewMemorySource(competitorAccounts(10)...)}
	e, _, _ := sourceEngine(t, playgraph.SegmentMap{plays.CRSegment: src, "idless": src}, 0)

	g, err := plays.CompetitorResearch().Build()
	require.NoError(t, err)
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g, LeaveOnSegmentExit: true})
	require.NoError(t, err)
	_, err = e.Publish(ctx, admin, wf.ID)
	require.NoError(t, err)
	rep, err := e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.ErrorCount)
	assert.Equal(t, 10, rep.Counts[plays.CRStart].Entered)

	g2, err := graph.New("inseg").Add(node.NewStart("start", "Start", plays.CRSegment),
		node.NewYesNo("d", "In idless?", eval.Filter{Expr: `in_segment("idless")`})).
		Connect("start", node.PathNext, "d").Build()
	require.NoError(t, err)
	wf2, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g2})
	require.NoError(t, err)
	_, err = e.Publish(ctx, admin, wf2.ID)
	require.NoError(t, err)
	rep, err = e.Run(ctx, admin, wf2.ID)
	require.NoError(t, err)
	assert.Equal(t, 10, rep.Counts["d"].Paths[node.PathYes], "every member is in its own segment")
}
