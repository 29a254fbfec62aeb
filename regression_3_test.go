package playgraph_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
)

type cancelAfterWrite struct {
	*fake.Connector
	cancel func()
}

func (c *cancelAfterWrite) WriteRecords(ctx context.Context, p *connector.MappingProfile, items []connector.RecordItem) ([]connector.Result, error) {
	rs, err := c.Connector.WriteRecords(ctx, p, items)
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	return rs, err
}

// 2. create account: the run is cancelled after the CRM wrote the record;
// the reservation is held; the next run matches the record and never
// settles it.
var gcBetween = true

func TestRegressionCreateAccountReservationLeak(t *testing.T) {
	g, err := graph.New("create").Add(node.NewStart("start", "Start", "seg"),
		node.NewCreateAccount("create", "Create", node.CreateAccount{Connector: "crm", MappingProfile: "acc", MatchRules: "acc-rules", CreditsPerAccount: 5})).
		Connect("start", node.PathNext, "create").Build()
	require.NoError(t, err)
	conn := &cancelAfterWrite{Connector: fake.New("crm", fake.WithDedupe())}
	w := rgNew(t, g, playgraph.WorkflowSpec{}, nil, conn)
	require.NoError(t, w.src.Add(&audience.Account{ID: "a", Name: "Acme", Domain: "acme.example"}))
	ctx, cancel := context.WithCancel(context.Background())
	conn.cancel = cancel
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	t.Logf("run 1 err=%v", err)
	key := playgraph.ActionKey(w.wf.ID, "create", "a", 1)
	r, err := w.led.Reservation(context.Background(), key)
	require.NoError(t, err)
	t.Logf("after run 1: reservation %s credits=%d", r.State, r.Credits)
	if gcBetween {
		runtime.GC()
		runtime.GC() // a fresh process: the chunk pool is empty
	}
	rep, err := w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	pos, _ := w.e.Where(context.Background(), admin, w.wf.ID, "a")
	r, err = w.led.Reservation(context.Background(), key)
	require.NoError(t, err)
	b, _ := w.led.Balance(context.Background(), credit.AppAudienceWorkflows, w.clk.Now())
	t.Logf("after run 2: status=%s node=%s reservation=%s spent=%d balance=%+v records=%d", pos.Status, pos.Node, r.State, rep.CreditsSpent, b, len(conn.Records(connector.KindAccount)))
	for _, c := range conn.Calls() {
		t.Logf("call %+v", c)
	}
	require.NotEqual(t, credit.Held, r.State, "reservation held forever")
}
