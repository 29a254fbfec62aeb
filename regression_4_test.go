package playgraph_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

type hookStore struct {
	*memstore.Store
	once sync.Once
	hook func()
}

func (h *hookStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (store.Lease, error) {
	if h.hook != nil && !strings.Contains(holder, "/publish/") {
		h.once.Do(h.hook)
	}
	return h.Store.AcquireLease(ctx, name, holder, now, ttl)
}

// 4. Publish lands between Run reading the workflow and taking the lease:
// the run walks the old version, parking accounts at nodes the new version
// lacks; the next run drops them.
func TestRegressionStaleVersionRun(t *testing.T) {
	g1, err := graph.New("v1").Add(node.NewStart("start", "Start", "seg"),
		node.NewTimer("wait", "Wait", schedule.Span{Days: 1}), pushNode("push")).
		Connect("start", node.PathNext, "wait").Connect("wait", node.PathNext, "push").Build()
	require.NoError(t, err)
	g2, err := graph.New("v2").Add(node.NewStart("start", "Start", "seg"),
		node.NewTimer("wait2", "Wait 2", schedule.Span{Days: 1}), pushNode("push")).
		Connect("start", node.PathNext, "wait2").Connect("wait2", node.PathNext, "push").Build()
	require.NoError(t, err)
	var hs *hookStore
	w := rgNew(t, g1, playgraph.WorkflowSpec{}, func(m *memstore.Store) store.Store { hs = &hookStore{Store: m}; return hs })
	_, err = w.e.Edit(context.Background(), admin, w.wf.ID, g2)
	require.NoError(t, err)
	require.NoError(t, w.src.Add(&audience.Account{ID: "b"}))
	hs.hook = func() {
		rep, err := w.e.PublishWith(context.Background(), admin, w.wf.ID, playgraph.PublishOptions{})
		t.Logf("publish during run start: version=%d err=%v", rep.Version, err)
	}
	rep, err := w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	t.Logf("run 1 version=%d", rep.Version)
	pos, _ := w.e.Where(context.Background(), admin, w.wf.ID, "b")
	t.Logf("after run 1: b at %s (%s)", pos.Node, pos.Status)
	w.clk.Advance(48 * time.Hour)
	rep, err = w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	pos, _ = w.e.Where(context.Background(), admin, w.wf.ID, "b")
	t.Logf("after run 2 (v%d): b %s at %s: %s; pushes=%d", rep.Version, pos.Status, pos.Node, pos.Reason, len(w.crm.Items("")))
	require.Equal(t, "push", pos.Node, "the run used the version published before it took the lease")
	require.NotContains(t, pos.Reason, "no longer exists")
	require.Len(t, w.crm.Items(""), 1)
}
