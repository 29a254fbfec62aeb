package playgraph_test

import (
	"testing"

	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/playtest"
)

// TestReadmeQuickstart keeps the README's quickstart true.
func TestReadmeQuickstart(t *testing.T) {
	g, err := graph.New("Hot accounts").Add(
		node.NewStart("start", "In-market accounts", "in-market"),
		node.NewYesNo("hot", "Hot?", eval.Filter{Expr: `buying_stage in ["Decision","Purchase"] && intent_score >= 70`}),
		node.NewAdAudience("ads", "LinkedIn audience", node.AdAudience{
			Channel: node.ChannelLinkedIn, Connector: "my-ads", Audience: "hot"}),
	).Connect("start", node.PathNext, "hot").Connect("hot", node.PathYes, "ads").Build()
	if err != nil {
		t.Fatal(err)
	}
	p := playtest.New(t, g)
	p.Account("acme.com", playtest.Stage("Decision"), playtest.Intent(80))
	p.Account("globex.com", playtest.Stage("Awareness"))
	p.Run()
	p.AssertPath(t, "acme.com", "Hot?", "yes", "LinkedIn audience")
	p.AssertPath(t, "globex.com", "Hot?", "no")
	p.AssertMembers(t, "my-ads", "hot", "acme.com")
}
