// Package report holds what the example programs share: the short report
// each prints (one line per run, per-node counts, what each connector
// received, the credit balance, the graph as Mermaid). It is internal to the
// examples; a host would print what it needs from the same engine calls.
package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/graph"
)

// Counts returns how many accounts are at each node of a workflow now
// (those that left the flow at a node included), for every node of g.
func Counts(ctx context.Context, e *playgraph.Engine, actor playgraph.Actor, workflowID string, g *graph.Graph) (map[string]int, error) {
	nc, err := e.Counts(ctx, actor, workflowID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, g.Len())
	for _, n := range g.Nodes() {
		out[n.NodeID()] = nc[n.NodeID()].Total()
	}
	return out, nil
}

// RunLine is a one-line summary of a run of g: its logical time in loc,
// its status, accounts that entered (passed g's start node), items sent,
// errors and credits spent.
func RunLine(r playgraph.RunReport, g *graph.Graph, loc *time.Location) string {
	sent := 0
	for _, c := range r.Counts {
		sent += c.Sent
	}
	entered := r.Counts[g.Start().ID].Entered
	return fmt.Sprintf("%s  %-31s  entered %4d  sent %4d  errors %d  credits %d",
		r.Now.In(loc).Format("Mon 2006-01-02 15:04 MST"), r.Status, entered, sent, r.ErrorCount, r.CreditsSpent)
}

// Write prints the report: accounts per node (in graph order), what each
// fake connector received, and the graph as Mermaid with the counts.
func Write(w io.Writer, g *graph.Graph, counts map[string]int, conns ...*fake.Connector) {
	fmt.Fprintln(w, "Accounts per node:")
	for _, n := range g.Nodes() {
		fmt.Fprintf(w, "  %-34s %6d\n", n.NodeLabel(), counts[n.NodeID()])
	}
	if len(conns) > 0 {
		fmt.Fprintln(w, "\nWhat each connector received (distinct idempotency keys):")
	}
	for _, c := range conns {
		type target struct {
			op     fake.Op
			target string
		}
		per := map[target]int{}
		for _, it := range c.Delivered("") {
			per[target{it.Op, it.Target}]++
		}
		keys := slices.SortedFunc(maps.Keys(per), func(a, b target) int {
			return cmp.Or(cmp.Compare(a.op, b.op), cmp.Compare(a.target, b.target))
		})
		fmt.Fprintf(w, "  %s:", c.Name())
		if len(keys) == 0 {
			fmt.Fprint(w, " nothing")
		}
		fmt.Fprintln(w)
		for _, k := range keys {
			fmt.Fprintf(w, "    %-24s %-30q %6d\n", k.op, k.target, per[k])
		}
		if r := c.Repeats(); r > 0 {
			fmt.Fprintf(w, "    (%d repeated keys, deduped)\n", r)
		}
	}
	fmt.Fprintln(w, "\nThe graph (paste into a Mermaid viewer):")
	fmt.Fprint(w, g.Mermaid(graph.MermaidOptions{Counts: counts}))
}

// Credits is a one-line summary of a balance: what is allocated, held,
// spent and available.
func Credits(b credit.Balance) string {
	return fmt.Sprintf("allocated %d, reserved %d, spent %d, available %d", b.Allocated, b.Reserved, b.Spent, b.Available)
}
