package playgraph_test

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

type rgWorld struct {
	e   *playgraph.Engine
	st  store.Store
	ms  *memstore.Store
	clk *clock.Fake
	src *audience.MemorySource
	crm *fake.Connector
	wf  playgraph.Workflow
	led *credit.Ledger
}

func rgNew(t *testing.T, g *graph.Graph, spec playgraph.WorkflowSpec, wrap func(*memstore.Store) store.Store, conns ...connector.Connector) *rgWorld {
	t.Helper()
	ctx := context.Background()
	w := &rgWorld{clk: clock.NewFake(day0), ms: memstore.New(), src: &audience.MemorySource{}}
	w.clk.AutoAdvance = true
	w.st = w.ms
	if wrap != nil {
		w.st = wrap(w.ms)
	}
	w.crm = fake.New("crm", fake.WithDedupe())
	w.led = credit.NewLedger(w.ms, credit.Options{})
	require.NoError(t, w.led.CreatePool(ctx, true, credit.Pool{ID: "2026", Start: day0.AddDate(0, -2, 0), End: day0.AddDate(1, 0, 0), Total: 100}))
	_, err := w.led.Allocate(ctx, true, credit.AllocateRequest{Pool: "2026", App: credit.AppAudienceWorkflows, Amount: 100, User: "ada", At: day0})
	require.NoError(t, err)
	all := append([]connector.Connector{}, conns...)
	if len(conns) == 0 {
		all = append(all, w.crm)
	}
	reg, err := connector.NewRegistry(all...)
	require.NoError(t, err)
	prof := &connector.MappingProfile{Name: "acc", Kind: connector.KindAccount, Environment: connector.Production,
		Fields: []connector.FieldMapping{{From: "name", To: "Name"}, {From: "domain", To: "Website"}}}
	rules := connector.DefaultMatchRulesFor(prof)
	w.e, err = playgraph.New(&playgraph.Options{
		Store: w.st, Clock: w.clk, Connectors: reg, Credits: w.led,
		Segments:   playgraph.SegmentMap{"seg": w.src, "other": &errSource{}},
		Profiles:   map[string]*connector.MappingProfile{"acc": prof},
		MatchRules: map[string]*connector.MatchRules{"acc-rules": &rules},
		Retry:      playgraph.RetryPolicy{Attempts: 1, Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxFailures: 50},
	})
	require.NoError(t, err)
	spec.Graph = g
	w.wf, err = w.e.Create(ctx, admin, spec)
	require.NoError(t, err)
	w.wf, err = w.e.Publish(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	return w
}

func pushNode(id string) *node.Action {
	return node.NewCampaignPush(id, "Push "+id, node.CampaignPush{System: node.SystemCRM, Connector: "crm", TargetKind: node.TargetCampaign, Target: "camp-" + id, Scope: node.LevelAccount})
}

func pending(t *testing.T, st store.Store, wf string) []store.Intent {
	var out []store.Intent
	for in, err := range st.PendingIntents(context.Background(), wf) {
		require.NoError(t, err)
		out = append(out, in)
	}
	return out
}

// Regression tests for defects a review found (the numbers are the
// review's).

// 1. An account failed at an action leaves the segment: its pending intent
// is never sent, never resolved.
func TestRegressionOrphanIntentOnSegmentExit(t *testing.T) {
	g, err := graph.New("orphan").Add(node.NewStart("start", "Start", "seg"), pushNode("push")).
		Connect("start", node.PathNext, "push").Build()
	require.NoError(t, err)
	w := rgNew(t, g, playgraph.WorkflowSpec{LeaveOnSegmentExit: true}, nil)
	require.NoError(t, w.src.Add(&audience.Account{ID: "a"}))
	key := playgraph.ActionKey(w.wf.ID, "push", "a", 1)
	w.crm.FailKey(key, connector.StatusTransient, -1)
	_, err = w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	require.Len(t, pending(t, w.st, w.wf.ID), 1)
	w.src.Remove("a")
	_, err = w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	pos, err := w.e.Where(context.Background(), admin, w.wf.ID, "a")
	require.NoError(t, err)
	t.Logf("status=%s reason=%q", pos.Status, pos.Reason)
	ps := pending(t, w.st, w.wf.ID)
	t.Logf("pending intents after exit: %d %+v", len(ps), ps)
	require.Empty(t, ps, "intent orphaned: neither delivered nor recorded failed")
}

// 3. EnterAgainAfterExit: an account leaving the flow in phase 1 re-enters in
// phase 2 of the same run.
func TestRegressionSameRunReentry(t *testing.T) {
	g, err := graph.New("reentry").Add(node.NewStart("start", "Start", "seg"),
		node.NewTimer("wait", "Wait", schedule.Span{Days: 1}), pushNode("push")).
		Connect("start", node.PathNext, "wait").Connect("wait", node.PathNext, "push").Build()
	require.NoError(t, err)
	w := rgNew(t, g, playgraph.WorkflowSpec{ReEntry: playgraph.EnterAgainAfterExit}, nil)
	require.NoError(t, w.src.Add(&audience.Account{ID: "a"}))
	_, err = w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	w.clk.Advance(25 * time.Hour)
	rep, err := w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	pos, err := w.e.Where(context.Background(), admin, w.wf.ID, "a")
	require.NoError(t, err)
	t.Logf("after run 2: entry=%d node=%s status=%s, counts start=%+v", pos.Entry, pos.Node, pos.Status, rep.Counts["start"])
	require.Equal(t, uint32(1), pos.Entry, "re-entered in the same run it left")
}

// 6. in_segment on a segment whose source fails: silently false.
type errSource struct{}

func (errSource) Members(ctx context.Context) iter.Seq2[*audience.Account, error] {
	return func(yield func(*audience.Account, error) bool) { yield(nil, context.DeadlineExceeded) }
}
func (errSource) Lookup(ctx context.Context, ids []string) ([]*audience.Account, error) {
	return nil, context.DeadlineExceeded
}
func (errSource) Contacts(ctx context.Context, ids []string) (map[string][]audience.Contact, error) {
	return nil, context.DeadlineExceeded
}

func TestRegressionInSegmentErrorSwallowed(t *testing.T) {
	g, err := graph.New("inseg").Add(node.NewStart("start", "Start", "seg"),
		node.NewYesNo("d", "In other?", evalFilter(`in_segment("other")`)), pushNode("yes"), pushNode("no")).
		Connect("start", node.PathNext, "d").Connect("d", node.PathYes, "yes").Connect("d", node.PathNo, "no").Build()
	require.NoError(t, err)
	w := rgNew(t, g, playgraph.WorkflowSpec{}, nil)
	require.NoError(t, w.src.Add(&audience.Account{ID: "a"}))
	rep, err := w.e.Run(context.Background(), admin, w.wf.ID)
	t.Logf("run err=%v status=%s errors=%d counts d=%+v", err, rep.Status, rep.ErrorCount, rep.Counts["d"].Paths)
	require.True(t, err != nil || rep.ErrorCount > 0, "segment read failure went unreported; account routed to No")
}

func evalFilter(s string) eval.Filter { return eval.Filter{Expr: s} }
