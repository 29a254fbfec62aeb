package graph_test

import (
	"errors"
	"fmt"

	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
)

func ExampleBuilder_Build() {
	g, err := graph.New("Hot accounts").
		Add(
			node.NewStart("start", "Target accounts", "seg-target"),
			node.NewYesNo("hot", "Hot?", eval.Filter{Expr: `buying_stage in ["Decision","Purchase"] && intent_score >= 70`}),
			node.NewAdAudience("ad", "LinkedIn retargeting", node.AdAudience{
				Channel: node.ChannelLinkedIn, Connector: "linkedin", Audience: "Hot accounts",
			}),
			node.NewTimer("wait", "Wait a week", schedule.Span{Days: 7}),
			node.NewRemoveAudience("stop", "Stop the ads", "ad"),
		).
		Connect("start", node.PathNext, "hot").
		Connect("hot", node.PathYes, "ad").
		Connect("ad", node.PathNext, "wait").
		Connect("wait", node.PathNext, "stop").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range g.Len() {
		n := g.At(i)
		fmt.Println(i, n.NodeID(), n.Kind(), g.Paths(n.NodeID()))
	}
	fmt.Print(g.Mermaid(graph.MermaidOptions{Counts: map[string]int{"start": 500, "hot": 500, "ad": 120}}))
	// Output:
	// 0 start start [{next hot}]
	// 1 hot decision [{yes ad} {no }]
	// 2 ad ad_audience [{next wait}]
	// 3 wait timer [{next stop}]
	// 4 stop remove_audience [{next }]
	// flowchart TD
	//     n0(["Target accounts<br/>start · segment seg-target<br/>500 accounts"])
	//     n1{"Hot?<br/>yes/no decision<br/>500 accounts"}
	//     n2["LinkedIn retargeting<br/>ad audience · linkedin<br/>120 accounts"]
	//     n3{{"Wait a week<br/>timer · wait 7d"}}
	//     n4["Stop the ads<br/>remove audience · ad"]
	//     n0 -->|"next"| n1
	//     n1 -->|"yes"| n2
	//     n2 -->|"next"| n3
	//     n3 -->|"next"| n4
}

func ExampleValidationError() {
	_, err := graph.New("Broken").
		Add(
			node.NewStart("start", "Target accounts", "seg-target"),
			node.NewAdAudience("ad", "Ads", node.AdAudience{Channel: "tiktok", Connector: "tiktok", Audience: "All"}),
			node.NewRemoveAudience("stop", "Ads", "ad"),
			node.NewPurchaseContacts("buy", "Buy contacts", node.PurchaseContacts{Connector: "provider", MaxPerAccount: 5}),
		).
		Connect("start", node.PathNext, "ad").
		Connect("ad", node.PathNext, "stop").
		Build()
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Printf("%s | %s | %s\n", p.Node, p.Rule, p.Message)
		}
	}
	// Output:
	// ad | configured | config.channel: "tiktok" is not an ad channel (want 6sense, linkedin, google or meta)
	// stop | unique-label | label "Ads" is also the label of node "ad"
	// buy | reachable | no path leads into this node
	// ad | decision-before-ad | a path from the start reaches this ad audience action with no decision before it
	// stop | timer-before-remove | a path from ad node "ad" reaches this node with no timer between them
}
