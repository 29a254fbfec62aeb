package playgraph_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
)

// printAds is a complete custom connector: it embeds connector.Base and
// implements one capability, audience sync.
type printAds struct{ connector.Base }

func (p *printAds) AddToAudience(_ context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	rs := make([]connector.Result, len(items))
	for i, it := range items {
		if it.Account.Domain == "" {
			rs[i] = connector.Permanent(fmt.Errorf("account %s has no domain", it.Account.ID))
			continue
		}
		fmt.Printf("add %s to %q (key %s)\n", it.Account.Domain, aud, it.Key[strings.LastIndex(it.Key, ":")+1:])
	}
	return rs, nil
}

func (p *printAds) RemoveFromAudience(_ context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	return connector.AllResults(len(items), connector.Done()), nil
}

// A custom connector registered and used by a graph: high-intent accounts
// in the Decision or Purchase stage join a LinkedIn audience.
func Example_customConnector() {
	ctx := context.Background()
	reg, _ := connector.NewRegistry(&printAds{Base: connector.NewBase("my-ads", connector.Limits{MaxBatch: 100})})
	src := audience.NewMemorySource(
		&audience.Account{ID: "a1", Domain: "acme.example", BuyingStage: audience.StageDecision, IntentScore: 80},
		&audience.Account{ID: "a2", Domain: "globex.example", BuyingStage: audience.StageAwareness, IntentScore: 90},
	)
	g, err := graph.New("Hot accounts").Add(
		node.NewStart("start", "In-market accounts", "in-market"),
		node.NewYesNo("hot", "Hot?", eval.Filter{Expr: `buying_stage in ["Decision","Purchase"] && intent_score >= 70`}),
		node.NewAdAudience("ads", "LinkedIn audience", node.AdAudience{Channel: node.ChannelLinkedIn, Connector: "my-ads", Audience: "hot"}),
	).Connect("start", node.PathNext, "hot").Connect("hot", node.PathYes, "ads").Build()
	if err != nil {
		panic(err)
	}
	e, _ := playgraph.New(&playgraph.Options{Connectors: reg, Segments: playgraph.SegmentMap{"in-market": src}})
	me := playgraph.Actor{UserID: "ada", Role: playgraph.RoleMarketing}
	wf, _ := e.Create(ctx, me, playgraph.WorkflowSpec{Graph: g})
	if _, err := e.Publish(ctx, me, wf.ID); err != nil {
		panic(err)
	}
	rep, err := e.Run(ctx, me, wf.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Status, rep.Counts["hot"].Paths)
	// Output:
	// add acme.example to "hot" (key a1)
	// completed map[no:1 yes:1]
}
