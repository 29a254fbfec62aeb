package playgraph_test

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

// An account still waiting at a timer on a later run is counted as waiting
// at the node whether or not the timer has conditions. A timer without
// conditions lets the run skip the account without reading its data; it
// was left out of the node's Waiting count (run and preview) while the
// run's status still said "completed with timer".
func TestSkippedWaitingAccountsCounted(t *testing.T) {
	for _, cond := range []bool{false, true} {
		tm := node.NewTimer("wait", "Wait", schedule.Span{Days: 3})
		if cond {
			tm = tm.WithConditions(eval.Filter{Expr: `intent_score > 90`})
		}
		g, err := graph.New("w").Add(node.NewStart("start", "Start", "seg"), tm, pushNode("push")).
			Connect("start", node.PathNext, "wait").Connect("wait", tm.Outputs()[0], "push").Build()
		require.NoError(t, err)
		w := rgNew(t, g, playgraph.WorkflowSpec{}, nil)
		require.NoError(t, w.src.Add(&audience.Account{ID: "a"}, &audience.Account{ID: "b"}))
		ctx := context.Background()
		rep, err := w.e.Run(ctx, admin, w.wf.ID)
		require.NoError(t, err)
		require.Equal(t, 2, rep.Counts["wait"].Waiting, "conditions %v: run 1", cond)

		w.clk.Advance(24 * time.Hour)
		rep, err = w.e.Run(ctx, admin, w.wf.ID)
		require.NoError(t, err)
		require.Equal(t, store.RunCompletedWithTimer, rep.Status)
		require.Equal(t, 2, rep.Counts["wait"].Waiting, "conditions %v: run 2, still waiting", cond)

		pr, err := w.e.Preview(ctx, admin, w.wf.ID)
		require.NoError(t, err)
		require.Equal(t, 2, pr.Counts["wait"].Waiting, "conditions %v: preview", cond)
	}
}

// An archived workflow is read-only: RemoveAccount fails with ErrState and
// changes nothing.
func TestRemoveAccountArchived(t *testing.T) {
	tm := node.NewTimer("wait", "Wait", schedule.Span{Days: 3})
	g, err := graph.New("w").Add(node.NewStart("start", "Start", "seg"), tm, pushNode("push")).
		Connect("start", node.PathNext, "wait").Connect("wait", tm.Outputs()[0], "push").Build()
	require.NoError(t, err)
	w := rgNew(t, g, playgraph.WorkflowSpec{}, nil)
	ctx := context.Background()
	require.NoError(t, w.src.Add(&audience.Account{ID: "a"}))
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	_, err = w.e.Archive(ctx, admin, w.wf.ID)
	require.NoError(t, err)

	err = w.e.RemoveAccount(ctx, admin, w.wf.ID, "a", "cleanup")
	require.ErrorIs(t, err, playgraph.ErrState)
	pos, err := w.e.Where(ctx, admin, w.wf.ID, "a")
	require.NoError(t, err)
	require.Equal(t, store.StatusWaiting, pos.Status)
	require.Empty(t, pos.Reason)
}

// twiceSource yields every member twice.
type twiceSource struct{ *audience.MemorySource }

func (s twiceSource) Members(ctx context.Context) iter.Seq2[*audience.Account, error] {
	return func(yield func(*audience.Account, error) bool) {
		for a, err := range s.MemorySource.Members(ctx) {
			if !yield(a, err) || err != nil {
				return
			}
			if !yield(a, nil) {
				return
			}
		}
	}
}

// A source that repeats a member breaks Members' contract; the documented
// outcome: the account is processed (and counted) twice in that run, both
// sends carry the same key, so a deduping receiver acts once, and the
// store holds one state; a later run sends nothing new.
func TestRepeatedMemberDocumentedOutcome(t *testing.T) {
	ctx := context.Background()
	crm := fake.New("crm", fake.WithDedupe())
	reg, err := connector.NewRegistry(crm)
	require.NoError(t, err)
	src := &audience.MemorySource{}
	require.NoError(t, src.Add(&audience.Account{ID: "a"}))
	e, err := playgraph.New(&playgraph.Options{
		Store: memstore.New(), Clock: clock.NewFake(day0), Connectors: reg,
		Segments: playgraph.SegmentMap{"seg": twiceSource{src}},
	})
	require.NoError(t, err)
	g := chainGraph(t, "push")
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: g})

	rep, err := e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Counts["start"].Entered)
	require.Len(t, crm.Delivered(""), 1)
	require.Equal(t, playgraph.ActionKey(wf.ID, "push", "a", 1), crm.Delivered("")[0].Key)
	counts, err := e.Counts(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.Equal(t, 1, counts["push"].Total()+counts["start"].Total())

	rep, err = e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.Zero(t, rep.Counts["start"].Entered)
	require.Len(t, crm.Delivered(""), 1)
}

// Where explains a decision with the environment the run decided with:
// in_segment() and the account's contacts included. It evaluated the
// filters with the account alone before, so such conditions were
// explained as false on the branch they had sent the account down.
func TestWhereExplainsWithRunEnvironment(t *testing.T) {
	ctx := context.Background()
	src := &audience.MemorySource{}
	require.NoError(t, src.Add(&audience.Account{ID: "a", Name: "Acme"}))
	src.SetContacts("a", audience.Contact{ID: "c1", Title: "VP Sales"})
	vip := &audience.MemorySource{}
	require.NoError(t, vip.Add(&audience.Account{ID: "a"}))
	e, err := playgraph.New(&playgraph.Options{
		Store: memstore.New(), Clock: clock.NewFake(day0),
		Segments: playgraph.SegmentMap{"seg": src, "vip": vip},
	})
	require.NoError(t, err)
	g, err := graph.New("explain").Add(node.NewStart("start", "Start", "seg"),
		node.NewYesNo("vip", "VIP?", eval.Filter{Expr: `in_segment("vip")`}),
		node.NewYesNo("vp", "A VP?", eval.Filter{Expr: `any(contacts, .title contains "VP")`})).
		Connect("start", node.PathNext, "vip").Connect("vip", node.PathYes, "vp").Build()
	require.NoError(t, err)
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: g})
	rep, err := e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Counts["vp"].Paths[node.PathYes])

	pos, err := e.Where(ctx, viewer, wf.ID, "a")
	require.NoError(t, err)
	explained := map[string]string{}
	for _, s := range pos.Path {
		if s.Explanation != "" {
			require.Equal(t, node.PathYes, s.Out, s.Node)
			explained[s.Node] = s.Explanation
		}
	}
	require.Len(t, explained, 2)
	for n, ex := range explained {
		require.True(t, strings.HasPrefix(ex, "yes: true"), "%s: %s", n, ex)
	}
}

// A daily workflow runs once a day however its run history is pruned or
// crowded: the scheduler read its last run from the newest 50 runs, so a
// RetryAccount run whose pruning (Retention.MaxAge) removed the morning's
// run, or 50 RetryAccount runs, made the day's occurrence due again.
func TestScheduleAnchorSurvivesHistory(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retention playgraph.Retention
		retries   int
	}{
		{"pruned by age", playgraph.Retention{MaxAge: time.Hour}, 1},
		{"crowded by retries", playgraph.Retention{}, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clock.NewFake(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
			src := &audience.MemorySource{}
			crm := fake.New("crm", fake.WithDedupe())
			reg, err := connector.NewRegistry(crm)
			require.NoError(t, err)
			e, err := playgraph.New(&playgraph.Options{
				Store: memstore.New(), Clock: clk, Connectors: reg,
				Segments:  playgraph.SegmentMap{"seg": src},
				Retry:     playgraph.RetryPolicy{Attempts: 1, Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxFailures: 5},
				Retention: tc.retention,
			})
			require.NoError(t, err)
			g := chainGraph(t, "push")
			wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: g, Schedule: schedule.Daily("09:00", "UTC")})
			var ids []string
			for i := range tc.retries {
				id := fmt.Sprintf("a%02d", i)
				ids = append(ids, id)
				require.NoError(t, src.Add(&audience.Account{ID: id}))
				crm.FailKey(playgraph.ActionKey(wf.ID, "push", id, 1), connector.StatusTransient, 1)
			}

			clk.Set(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			reps, _, _, err := e.RunDue(ctx)
			require.NoError(t, err)
			require.Len(t, reps, 1, "the 09:00 run")
			clk.Set(time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC))
			for _, id := range ids {
				clk.Advance(time.Second)
				_, err = e.RetryAccount(ctx, admin, wf.ID, id)
				require.NoError(t, err)
			}
			clk.Set(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
			reps, next, ok, err := e.RunDue(ctx)
			require.NoError(t, err)
			require.Empty(t, reps, "ran twice on one day")
			require.True(t, ok)
			require.Equal(t, time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), next)

			clk.Set(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
			reps, _, _, err = e.RunDue(ctx)
			require.NoError(t, err)
			require.Len(t, reps, 1, "the next day's run")
		})
	}
}

// createPublished creates and publishes a workflow as admin.
func createPublished(t *testing.T, e *playgraph.Engine, spec playgraph.WorkflowSpec) playgraph.Workflow {
	t.Helper()
	wf, err := e.Create(context.Background(), admin, spec)
	require.NoError(t, err)
	_, err = e.Publish(context.Background(), admin, wf.ID)
	require.NoError(t, err)
	return wf
}

// A panic in code the engine calls on its own goroutines (here an
// observer) fails the run with a *PanicError instead of ending the
// process, which no caller of Run could have prevented; the next run goes
// on from what was recorded.
func TestPanicInCallbackFailsTheRun(t *testing.T) {
	ctx := context.Background()
	crm := fake.New("crm", fake.WithDedupe())
	reg, err := connector.NewRegistry(crm)
	require.NoError(t, err)
	src := &audience.MemorySource{}
	require.NoError(t, src.Add(&audience.Account{ID: "a"}, &audience.Account{ID: "b"}))
	panics := true
	e, err := playgraph.New(&playgraph.Options{
		Store: memstore.New(), Clock: clock.NewFake(day0), Connectors: reg,
		Segments: playgraph.SegmentMap{"seg": src},
		Observer: playgraph.Observer{NodeEntered: func(_ context.Context, ev playgraph.NodeEvent) {
			if panics && ev.Node == "push" {
				panic("observer bug")
			}
		}},
	})
	require.NoError(t, err)
	g := chainGraph(t, "push")
	wf := createPublished(t, e, playgraph.WorkflowSpec{Graph: g})

	rep, err := e.Run(ctx, admin, wf.ID)
	require.ErrorIs(t, err, playgraph.ErrPanic)
	var pe *playgraph.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "observer bug", pe.Value)
	require.NotEmpty(t, pe.Stack)
	require.Equal(t, store.RunFailed, rep.Status)

	panics = false
	rep, err = e.Run(ctx, admin, wf.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunCompleted, rep.Status)
	require.Len(t, crm.Delivered(""), 2)
}

// Forget erases an account's engagement events even when no workflow
// knows the account (events are kept per account); it erased them only
// through each workflow's Forget, so with no workflow they stayed.
func TestForgetEventsWithoutWorkflows(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	e, err := playgraph.New(&playgraph.Options{Store: st, Clock: clock.NewFake(day0)})
	require.NoError(t, err)
	require.NoError(t, e.RecordEngagement(ctx, audience.Event{AccountID: "acme", Channel: "linkedin", Campaign: "c", Kind: audience.KindClick, At: day0}))
	require.NoError(t, e.Forget(ctx, admin, "acme"))
	m, err := st.Events(ctx, []string{"acme"}, time.Time{})
	require.NoError(t, err)
	require.Empty(t, m["acme"])
}
