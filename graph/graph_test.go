package graph_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/node"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func competitorResearch(t testing.TB) *graph.Graph {
	t.Helper()
	g, err := plays.CompetitorResearch().Build(graph.WithSegments(segments))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return g
}

func segments(id string) (audience.Segment, bool) {
	switch id {
	case plays.CRSegment:
		return plays.CRSegmentDef, true
	case "seg-hot":
		return audience.Segment{ID: "seg-hot", Filter: `intent_score >= 70 && country == "US"`}, true
	}
	return audience.Segment{}, false
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestCompetitorResearchGolden(t *testing.T) {
	g := competitorResearch(t)
	js, err := g.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "competitor-research.json", js)
	golden(t, "competitor-research.mmd", []byte(g.Mermaid(graph.MermaidOptions{})))
	counts := map[string]int{plays.CRStart: 1200, plays.CRWhich: 1200, plays.CRSEPTop: 310, plays.CRLinkedIn: 420, plays.CRWait: 420, plays.CRSEPEngaged: 57}
	golden(t, "competitor-research-counts.mmd", []byte(g.Mermaid(graph.MermaidOptions{Counts: counts})))
}

func TestGoldenRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden graphs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := graph.Unmarshal(data)
			if err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			out, err := g.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != string(data) {
				t.Errorf("round trip differs:\n%s", out)
			}
			// A builder decoded from the document marshals identically too.
			b, err := graph.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			out, err = b.MarshalJSON()
			if err != nil || string(out) != string(data) {
				t.Errorf("builder round trip differs (%v):\n%s", err, out)
			}
		})
	}
}

func TestCompetitorResearchAccessors(t *testing.T) {
	g := competitorResearch(t)
	if w := g.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	var ids []string
	for _, n := range g.Nodes() {
		ids = append(ids, n.NodeID())
	}
	want := []string{plays.CRStart, plays.CRWhich, plays.CRSEPTop, plays.CRLinkedIn, plays.CRWait, plays.CRSEPEngaged, plays.CRRemove}
	if !slices.Equal(ids, want) {
		t.Errorf("topological order %v, want %v", ids, want)
	}
	for i, id := range ids {
		if g.Index(id) != i || g.At(i).NodeID() != id {
			t.Errorf("index of %s: %d", id, g.Index(id))
		}
		for k := range g.Outputs(i) {
			if nx := g.NextAt(i, k); nx >= 0 && nx <= i {
				t.Errorf("path %s[%d] goes back to %d", id, k, nx)
			}
		}
	}
	if g.Index("nope") != -1 || g.At(-1) != nil || g.At(99) != nil || g.NextAt(0, 5) != -1 {
		t.Error("out of range lookups")
	}
	if g.Start().Segment != plays.CRSegment || g.Name() != "Competitor research" || g.Len() != 7 {
		t.Error("start / name / len")
	}
	if to, ok := g.Next(plays.CRWhich, plays.CROtherBranch); !ok || to != plays.CRLinkedIn {
		t.Errorf("Next(other) = %q %v", to, ok)
	}
	if _, ok := g.Next(plays.CRWhich, node.PathAllOthers); ok {
		t.Error("all_others is unconnected")
	}
	paths := g.Paths(plays.CRWhich)
	wantPaths := []graph.Path{{Name: plays.CRTopBranch, To: plays.CRSEPTop}, {Name: plays.CROtherBranch, To: plays.CRLinkedIn}, {Name: node.PathAllOthers}}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("Paths = %v", paths)
	}
	if ps := g.BranchPrograms(plays.CRWhich); len(ps) != 2 || ps[0] == nil || ps[1] == nil {
		t.Errorf("branch programs %v", ps)
	}
	if ps := g.Programs(g.Index(plays.CRWhich)); len(ps) != 2 {
		t.Errorf("Programs = %v", ps)
	}
	p := g.Program(plays.CRWait)
	if p == nil || !slices.Equal(p.EngagedNodes(), []string{plays.CRLinkedIn}) {
		t.Errorf("timer program %v", p)
	}
	if g.Program(plays.CRWhich) != nil || g.Program(plays.CRSEPTop) != nil || g.BranchPrograms(plays.CRWait) != nil {
		t.Error("programs of the wrong kind")
	}
	ref, ok := g.AdRef(plays.CRLinkedIn)
	if !ok || ref != (eval.AdRef{Channel: "linkedin", Campaign: "Competitor comparison"}) {
		t.Errorf("AdRef = %v %v", ref, ok)
	}
	if got := g.AdNodes(); !slices.Equal(got, []string{plays.CRLinkedIn}) {
		t.Errorf("AdNodes = %v", got)
	}
	if got := g.UpstreamAdNodes(plays.CRRemove); !slices.Equal(got, []string{plays.CRLinkedIn}) {
		t.Errorf("UpstreamAdNodes = %v", got)
	}
	if got := g.Predecessors(plays.CRWait); !slices.Equal(got, []string{plays.CRLinkedIn}) {
		t.Errorf("Predecessors = %v", got)
	}
	if a, cfg, ok := g.RemovedAdNode(plays.CRRemove); !ok || a.ID != plays.CRLinkedIn || cfg.Channel != node.ChannelLinkedIn {
		t.Errorf("RemovedAdNode = %v %v %v", a, cfg, ok)
	}
	if _, _, ok := g.RemovedAdNode(plays.CRWait); ok {
		t.Error("RemovedAdNode of a timer")
	}
	if g.Catalog() != audience.DefaultCatalog() {
		t.Error("catalog")
	}
}

func TestGraphIsImmutable(t *testing.T) {
	b := plays.CompetitorResearch()
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := g.MarshalJSON()
	for _, n := range b.Nodes() {
		if s, ok := n.(*node.Start); ok {
			s.Segment = "changed"
		}
	}
	b.Connect(plays.CRWhich, node.PathAllOthers, plays.CRSEPTop)
	after, _ := g.MarshalJSON()
	if string(before) != string(after) {
		t.Error("changing the builder changed the graph")
	}
	// Edit derives an independent builder.
	e := g.Edit()
	e.Connect(plays.CRWhich, node.PathAllOthers, plays.CRSEPTop)
	g2, err := e.Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g2.Next(plays.CRWhich, node.PathAllOthers); !ok {
		t.Error("edit lost")
	}
	if _, ok := g.Next(plays.CRWhich, node.PathAllOthers); ok {
		t.Error("edit leaked into the original")
	}
}

func TestConcurrentReads(t *testing.T) {
	g := competitorResearch(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				_ = g.Mermaid(graph.MermaidOptions{Counts: map[string]int{plays.CRStart: 1}})
				if _, err := g.MarshalJSON(); err != nil {
					t.Error(err)
				}
				for i := range g.Len() {
					_ = g.Programs(i)
					_ = g.Paths(g.At(i).NodeID())
				}
			}
		}()
	}
	wg.Wait()
}

func TestWarnings(t *testing.T) {
	b := graph.New("warn").Add(
		node.NewStart("s", "Start", "seg-hot"),
		node.NewYesNo("d", "Hot?", eval.Filter{Expr: "intent_score >= 90"}),
	).Connect("s", node.PathNext, "d")
	g, err := b.Build(graph.WithSegments(segments))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range g.Warnings() {
		got = append(got, w.String())
	}
	want := []string{
		`node "s": behavioral-segment: segment "seg-hot" filters on behavioural fields (intent_score): accounts may drop in and out of the workflow as their behaviour changes`,
		`node "d": decision-unconnected: no output of this decision is connected: every account leaves the flow here`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without a segment lookup there is no segment warning.
	g, err = b.Build()
	if err != nil || len(g.Warnings()) != 1 {
		t.Errorf("warnings without lookup: %v %v", g.Warnings(), err)
	}
}

func TestValidationErrorIs(t *testing.T) {
	_, err := graph.New("empty").Build()
	if !errors.Is(err, graph.ErrInvalid) {
		t.Fatalf("not ErrInvalid: %v", err)
	}
	var ve *graph.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Rule != graph.RuleOneStart {
		t.Fatalf("problems: %v", err)
	}
	if err.Error() != "graph: invalid graph: 1 problem\n  - one-start: the graph has no start node; it needs exactly one" {
		t.Errorf("text: %q", err.Error())
	}
}

func TestPersonaPrograms(t *testing.T) {
	g := competitorResearch(t)
	for i, n := range g.Nodes() {
		p := g.PersonaProgram(i)
		switch n.NodeID() {
		case plays.CRSEPTop, plays.CRSEPEngaged:
			if p == nil {
				t.Fatalf("%s: no persona program", n.NodeID())
			}
			yes := &audience.Contact{JobLevel: "vp", JobFunction: "Sales"}
			no := &audience.Contact{JobLevel: "Staff", JobFunction: "Sales"}
			for c, want := range map[*audience.Contact]bool{yes: true, no: false} {
				got, err := p.Match(&eval.Env{Account: &audience.Account{ID: "a"}, Contact: c})
				if err != nil || got != want {
					t.Errorf("%s: Match(%+v) = %v %v, want %v", n.NodeID(), c, got, err, want)
				}
			}
		default:
			if p != nil {
				t.Errorf("%s: unexpected persona program", n.NodeID())
			}
		}
	}
	if g.PersonaProgram(-1) != nil {
		t.Error("out of range")
	}
}

// Labels and path names are escaped so that no text ends a quoted Mermaid
// label early or opens a markdown string (a quote then a backtick) that
// never closes.
func TestMermaidEscapesLabels(t *testing.T) {
	g, err := graph.New("esc").
		Add(node.NewStart("s", "`Hot` accounts \"#1\" <new>", "seg"),
			node.NewYesNo("d", "Decide", eval.Filter{Expr: `country == "US"`})).
		Connect("s", node.PathNext, "d").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	out := g.Mermaid(graph.MermaidOptions{})
	for _, bad := range []string{"`", "\"#1", "<new>"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q left unescaped:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "#96;Hot#96; accounts #quot;#35;1#quot; #lt;new#gt;") {
		t.Errorf("label not escaped as entity codes:\n%s", out)
	}
}
