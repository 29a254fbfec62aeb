package graph_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
)

// Small valid nodes for rule tests.
func start() node.Node { return node.NewStart("s", "Start", "seg") }

func yesNo(id string) *node.Decision {
	return node.NewYesNo(id, "Decide "+id, eval.Filter{Expr: "intent_score >= 70"})
}

func push(id string) *node.Action {
	return node.NewCampaignPush(id, "Push "+id, node.CampaignPush{System: node.SystemCRM, Connector: "crm", TargetKind: node.TargetCampaign, Target: "c", Scope: node.LevelAccount})
}

func ad(id string) *node.Action {
	return node.NewAdAudience(id, "Ad "+id, node.AdAudience{Channel: node.ChannelLinkedIn, Connector: "linkedin", Audience: "aud-" + id})
}

func timer(id string) *node.Timer {
	return node.NewTimer(id, "Wait "+id, schedule.Span{Days: 7})
}

func remove(id, adID string) *node.Action {
	return node.NewRemoveAudience(id, "Remove "+id, adID)
}

func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		build func() *graph.Builder
		want  []string // Problem.String(), in order
	}{
		{
			name:  "valid",
			build: func() *graph.Builder { return graph.New("g").Add(start(), push("p")).Connect("s", "next", "p") },
		},
		{
			name:  "no start",
			build: func() *graph.Builder { return graph.New("g").Add(push("p")) },
			want:  []string{`one-start: the graph has no start node; it needs exactly one`},
		},
		{
			name: "two starts",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), node.NewStart("s2", "Start 2", "seg"), push("p")).
					Connect("s", "next", "p").Connect("s2", "next", "p")
			},
			want: []string{`node "s2": one-start: a second start node (the first is "s"); a graph has exactly one`},
		},
		{
			name: "duplicate id",
			build: func() *graph.Builder {
				p2 := push("p")
				p2.Label = "Other push"
				return graph.New("g").Add(start(), push("p"), p2).Connect("s", "next", "p")
			},
			want: []string{`node "p": unique-id: id "p" is also the id of node 2 (counting from 1)`},
		},
		{
			name: "duplicate label ignoring case",
			build: func() *graph.Builder {
				q := push("q")
				q.Label = "PUSH P"
				return graph.New("g").Add(start(), push("p"), q).Connect("s", "next", "p").Connect("p", "next", "q")
			},
			want: []string{`node "q": unique-label: label "PUSH P" is also the label of node "p"`},
		},
		{
			name: "node not configured",
			build: func() *graph.Builder {
				buy := node.NewPurchaseContacts("Buy!", "", node.PurchaseContacts{Connector: "zoominfo", CreditsPerContact: -1})
				return graph.New("g").Add(start(), buy).Connect("s", "next", "Buy!")
			},
			want: []string{
				`node "Buy!": configured: id: "Buy!" is not a valid id (1-64 characters of a-z, 0-9, '_', '-')`,
				`node "Buy!": configured: label: is empty`,
				`node "Buy!": configured: config.max_per_account: 0 is out of range 1-1000`,
				`node "Buy!": configured: config.credits_per_contact: -1 is out of range 0-1000`,
			},
		},
		{
			name: "dangling paths",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), push("p")).
					Connect("s", "next", "d").
					Connect("d", "yes", "nowhere").
					Connect("ghost", "next", "p").
					Connect("d", "maybe", "p").
					Connect("d", "no", "p")
			},
			want: []string{
				`node "d": path-exists: path "yes" leads to unknown node "nowhere"`,
				`node "ghost": path-exists: path "next" leads from unknown node "ghost"`,
				`node "d": path-exists: "maybe" is not an output of this node (outputs: yes, no)`,
			},
		},
		{
			name: "output connected twice",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), push("p"), push("q")).
					Connect("s", "next", "d").Connect("d", "yes", "p").Connect("d", "yes", "q").Connect("d", "no", "q")
			},
			want: []string{`node "d": path-once: output "yes" is connected twice (to "p" and "q")`},
		},
		{
			name: "path into the start",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), push("p")).Connect("s", "next", "p").Connect("p", "next", "s")
			},
			want: []string{`node "s": start-incoming: the start node has an incoming path ("next" from "p")`},
		},
		{
			name: "unreachable",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), push("p"), push("orphan"), push("after")).
					Connect("s", "next", "p").Connect("orphan", "next", "after")
			},
			want: []string{
				`node "orphan": reachable: no path leads into this node`,
				`node "after": reachable: not reachable from the start node "s"`,
			},
		},
		{
			name: "cycle",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), push("p"), timer("t")).
					Connect("s", "next", "d").Connect("d", "yes", "p").Connect("p", "next", "t").Connect("t", "next", "d")
			},
			want: []string{`node "d": acyclic: cycle d -> p -> t -> d`},
		},
		{
			name: "self loop",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), timer("t")).Connect("s", "next", "t").Connect("t", "next", "t")
			},
			want: []string{`node "t": acyclic: cycle t -> t`},
		},
		{
			name: "ads behind a decision on every path",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), push("p"), ad("ad1"), ad("ad2")).
					Connect("s", "next", "d").Connect("d", "yes", "ad1"). // fine
					Connect("d", "no", "p").Connect("p", "next", "ad2").  // fine: d is upstream on every path
					Connect("ad1", "next", "ad2")
			},
		},
		{
			name: "ad on a path with no decision",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), push("p"), yesNo("d"), ad("ad1"), timer("t")).
					Connect("s", "next", "p").Connect("p", "next", "ad1").Connect("ad1", "next", "t").Connect("t", "next", "d")
			},
			want: []string{`node "ad1": decision-before-ad: a path from the start reaches this ad audience action with no decision before it`},
		},
		{
			name: "remove names a missing or wrong node",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), push("p"), remove("rm1", "ghost"), remove("rm2", "p")).
					Connect("s", "next", "d").Connect("d", "yes", "p").Connect("p", "next", "rm1").Connect("d", "no", "rm2")
			},
			want: []string{
				`node "rm1": remove-names-ad: names ad node "ghost", which does not exist`,
				`node "rm2": remove-names-ad: names node "p", which is not an ad audience action (it is a campaign push node)`,
			},
		},
		{
			name: "remove names an ad node that is not upstream",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), ad("ad1"), timer("t"), remove("rm", "ad1"), timer("t2")).
					Connect("s", "next", "d").Connect("d", "yes", "ad1").Connect("ad1", "next", "t").
					Connect("d", "no", "t2").Connect("t2", "next", "rm")
			},
			want: []string{`node "rm": remove-names-ad: ad node "ad1" is not upstream of this node`},
		},
		{
			name: "remove reachable around the ad node",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), ad("ad1"), timer("t"), remove("rm", "ad1")).
					Connect("s", "next", "d").Connect("d", "yes", "ad1").Connect("ad1", "next", "t").
					Connect("t", "next", "rm").Connect("d", "no", "rm")
			},
			want: []string{`node "rm": remove-names-ad: a path from the start reaches this node without passing ad node "ad1"`},
		},
		{
			name: "no timer between ad and remove",
			build: func() *graph.Builder {
				return graph.New("g").Add(start(), yesNo("d"), ad("ad1"), push("p"), remove("rm", "ad1")).
					Connect("s", "next", "d").Connect("d", "yes", "ad1").Connect("ad1", "next", "p").Connect("p", "next", "rm")
			},
			want: []string{`node "rm": timer-before-remove: a path from ad node "ad1" reaches this node with no timer between them`},
		},
		{
			name: "engaged names a node downstream",
			build: func() *graph.Builder {
				d := node.NewYesNo("d", "Engaged?", eval.Filter{Expr: `engaged("ad1")`})
				d2 := yesNo("d0")
				return graph.New("g").Add(start(), d2, d, ad("ad1")).
					Connect("s", "next", "d0").Connect("d0", "yes", "d").Connect("d", "yes", "ad1")
			},
			want: []string{`node "d": filter-compiles: config.filter: engaged("ad1"): ad node "ad1" is not upstream of this node`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.build().Build()
			if len(tt.want) == 0 {
				if err != nil || g == nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if g != nil || err == nil {
				t.Fatalf("built a graph; want %d problems", len(tt.want))
			}
			var ve *graph.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("not a *ValidationError: %T %v", err, err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if !errors.Is(err, graph.ErrInvalid) {
				t.Error("not ErrInvalid")
			}
		})
	}
}

func TestFilterCompileProblems(t *testing.T) {
	b := graph.New("g").Add(start(),
		node.NewBranching("b", "Branch").
			Branch("ok", eval.Filter{Expr: "intent_score >= 70"}).
			Branch("bad field", eval.Filter{Conditions: []eval.Condition{{Field: "intent_scor", Op: eval.Gte, Values: []string{"70"}}}}),
		node.NewTimer("t", "Wait", schedule.Span{Days: 1}).WithConditions(eval.Filter{Expr: `engaged("b")`}),
	).Connect("s", "next", "b").Connect("b", "ok", "t")
	_, err := b.Build()
	var ve *graph.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	var wheres []string
	for _, p := range ve.Problems {
		if p.Rule != graph.RuleFilterCompiles {
			t.Errorf("unexpected rule: %s", p)
		}
		wheres = append(wheres, p.Node+" "+p.Filter)
		t.Log(p.String(), p.Pos)
	}
	want := "b config.branches[1].filter\nt config.conditions"
	if strings.Join(wheres, "\n") != want {
		t.Errorf("filters at fault:\n%s\nwant:\n%s", strings.Join(wheres, "\n"), want)
	}
	if len(ve.Problems) > 0 && ve.Problems[0].Pos.Condition != 1 {
		t.Errorf("position of the bad condition: %+v", ve.Problems[0].Pos)
	}
	if !errors.Is(err, eval.ErrUnknownField) || !errors.Is(err, eval.ErrUnknownNode) {
		t.Errorf("eval sentinels not reachable: %v", err)
	}
}

func TestSizeBound(t *testing.T) {
	b := graph.New("big").Add(start())
	for i := range graph.MaxNodes {
		b.Add(push(strings.Repeat("p", 1) + string(rune('a'+i%26)) + strings.Repeat("x", i/26)))
	}
	_, err := b.Build()
	var ve *graph.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Rule != graph.RuleSize {
		t.Fatalf("got %v", err)
	}
}
