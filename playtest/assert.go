package playtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

// AssertPath checks an account's whole path through the workflow (its
// current entry), from the start to where it is now. steps name the nodes
// in order, by id or label; the start node may be left out, and after any
// node the name of the output path the account left it by may follow
// ("Top competitor", "yes", "time_up", "met"):
//
//	p.AssertPath(t, "acme.com", "Which competitor?", "Top competitor", "Send to SEP")
//
// On a mismatch it reports, with t.Errorf, the account's actual path (with
// times and branches), the expected one, and the graph in Mermaid with
// per-node counts.
func (p *Play) AssertPath(t testing.TB, accountID string, steps ...string) bool {
	t.Helper()
	if !p.live() {
		t.Errorf("playtest: AssertPath on a Play whose New failed")
		return false
	}
	for _, s := range steps {
		if _, ok := p.nodeID(s); !ok && !p.paths[s] {
			t.Errorf("playtest: AssertPath(%q): %q names no node (by id or label) and no output path of the graph\n  nodes: %s",
				accountID, s, p.nodeList())
			return false
		}
	}
	pos, err := p.where(accountID)
	if err != nil {
		t.Errorf("%s", p.failure(accountID, nil, "", err, "expected path: "+expectedText(steps)))
		return false
	}
	if p.matchPath(pos.Path, steps) {
		return true
	}
	t.Errorf("%s", p.failure(accountID, &pos, "took another path", nil, "expected path: "+expectedText(steps)))
	return false
}

// AssertAt checks that an account is at a node now (by id or label),
// whatever its status there (waiting, failed, or exited at the end of a
// path). On a mismatch the message shows the account's path and the graph.
func (p *Play) AssertAt(t testing.TB, accountID, nodeName string) bool {
	t.Helper()
	if !p.live() {
		t.Errorf("playtest: AssertAt on a Play whose New failed")
		return false
	}
	id, ok := p.nodeID(nodeName)
	if !ok {
		t.Errorf("playtest: AssertAt(%q): the graph has no node %q\n  nodes: %s", accountID, nodeName, p.nodeList())
		return false
	}
	pos, err := p.where(accountID)
	if err != nil {
		t.Errorf("%s", p.failure(accountID, nil, "", err, "expected at: "+p.describeNode(id)))
		return false
	}
	if pos.Node == id {
		return true
	}
	t.Errorf("%s", p.failure(accountID, &pos, "is elsewhere", nil, "expected at: "+p.describeNode(id)))
	return false
}

// AssertSent checks how many items a connector delivered: one per
// idempotency key (an account for account-level actions, a contact for
// people-level ones), whatever the operation, repeats of a key counted
// once. On a mismatch the message lists what it received.
func (p *Play) AssertSent(t testing.TB, connectorName string, n int) bool {
	t.Helper()
	if !p.live() {
		t.Errorf("playtest: AssertSent on a Play whose New failed")
		return false
	}
	f, err := p.fake(connectorName)
	if err != nil {
		t.Errorf("playtest: AssertSent: %v", err)
		return false
	}
	got := f.Delivered("")
	if len(got) == n {
		return true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "playtest: connector %q delivered %d item(s), want %d", connectorName, len(got), n)
	for i, it := range got {
		if i == 20 {
			fmt.Fprintf(&b, "\n    … and %d more", len(got)-i)
			break
		}
		fmt.Fprintf(&b, "\n    %s %q account %s", it.Op, it.Target, it.AccountID)
		if it.ContactID != "" {
			fmt.Fprintf(&b, " contact %s", it.ContactID)
		}
	}
	if r := f.Repeats(); r > 0 {
		fmt.Fprintf(&b, "\n  (%d repeat(s) of delivered keys)", r)
	}
	t.Errorf("%s", b.String())
	return false
}

// AssertMembers checks who is in a connector's audience, campaign,
// sequence or email campaign named target now: account ids for ad
// audiences and account-level pushes, contact ids for people-level ones.
// Order does not matter.
func (p *Play) AssertMembers(t testing.TB, connectorName, target string, ids ...string) bool {
	t.Helper()
	if !p.live() {
		t.Errorf("playtest: AssertMembers on a Play whose New failed")
		return false
	}
	f, err := p.fake(connectorName)
	if err != nil {
		t.Errorf("playtest: AssertMembers: %v", err)
		return false
	}
	got := append(append(f.Audience(target), f.Campaign(target)...), f.Campaign("email:"+target)...)
	slices.Sort(got)
	got = slices.Compact(got)
	want := sortedCopy(ids)
	if slices.Equal(got, want) {
		return true
	}
	t.Errorf("playtest: connector %q, %q holds %q, want %q", connectorName, target, got, want)
	return false
}

// AssertRuns checks the statuses of every run so far, oldest first
// (store.RunCompleted, store.RunCompletedWithTimer, …).
func (p *Play) AssertRuns(t testing.TB, statuses ...store.RunStatus) bool {
	t.Helper()
	if !p.live() {
		t.Errorf("playtest: AssertRuns on a Play whose New failed")
		return false
	}
	runs := p.Runs()
	got := make([]string, len(runs))
	for i, r := range runs {
		got[i] = r.Status.String()
		if r.Err != "" {
			got[i] += " (" + r.Err + ")"
		}
	}
	want := make([]string, len(statuses))
	for i, s := range statuses {
		want[i] = s.String()
	}
	if len(runs) == len(statuses) {
		ok := true
		for i := range runs {
			ok = ok && runs[i].Status == statuses[i]
		}
		if ok {
			return true
		}
	}
	t.Errorf("playtest: run statuses\n  got:  %s\n  want: %s", quoteAll(got), quoteAll(want))
	return false
}

// Counts maps nodes, by id or label, to a number of accounts.
type Counts map[string]int

// AssertCounts checks how many accounts are at each node named now, those
// that left the flow there included (the node they stopped at). Nodes not
// named are not checked. On a mismatch the message shows every node's
// count and the graph.
func (p *Play) AssertCounts(t testing.TB, want Counts) bool {
	t.Helper()
	if !p.live() {
		t.Errorf("playtest: AssertCounts on a Play whose New failed")
		return false
	}
	got, err := p.counts()
	if err != nil {
		t.Errorf("playtest: AssertCounts: %v", err)
		return false
	}
	var bad []string
	for name, n := range want {
		id, ok := p.nodeID(name)
		if !ok {
			t.Errorf("playtest: AssertCounts: the graph has no node %q\n  nodes: %s", name, p.nodeList())
			return false
		}
		if got[id] != n {
			bad = append(bad, fmt.Sprintf("%s: %d account(s), want %d", p.describeNode(id), got[id], n))
		}
	}
	if len(bad) == 0 {
		return true
	}
	slices.Sort(bad)
	t.Errorf("playtest: node counts differ:\n  %s\n\ngraph (accounts per node now):\n%s", strings.Join(bad, "\n  "), p.Mermaid())
	return false
}

// Mermaid returns the graph as a Mermaid flowchart with, on each node, how
// many accounts are there now (those that left the flow there included).
func (p *Play) Mermaid() string {
	if p == nil || p.g == nil {
		return ""
	}
	counts, _ := p.counts()
	return p.g.Mermaid(graph.MermaidOptions{Counts: counts})
}

func (p *Play) counts() (map[string]int, error) {
	if !p.live() {
		return nil, errors.New("no engine")
	}
	nc, err := p.e.Counts(context.Background(), Actor, p.wf.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, p.g.Len())
	for i := range p.g.Len() {
		out[p.g.At(i).NodeID()] = 0
	}
	for id, c := range nc {
		out[id] = c.Total()
	}
	return out, nil
}

func (p *Play) where(accountID string) (playgraph.Position, error) {
	return p.e.Where(context.Background(), Actor, p.wf.ID, accountID)
}

// matchPath reports whether expected names path: every node in order
// (the start optional), with output path names allowed after a node.
func (p *Play) matchPath(path []playgraph.PathStep, expected []string) bool {
	matchesNode := func(tok string, s playgraph.PathStep) bool {
		id, ok := p.nodeID(tok)
		return ok && id == s.Node
	}
	var match func(e, s int, outOK bool) bool
	match = func(e, s int, outOK bool) bool {
		if e == len(expected) {
			return s == len(path)
		}
		tok := expected[e]
		if s < len(path) && matchesNode(tok, path[s]) && match(e+1, s+1, true) {
			return true
		}
		return outOK && s > 0 && path[s-1].Out == tok && match(e+1, s, false)
	}
	if match(0, 0, false) {
		return true
	}
	return len(path) > 0 && path[0].Node == p.g.Start().ID && match(0, 1, true)
}

// failure formats an assertion failure about an account: its path (or
// why there is none), what was expected, and the graph with counts.
func (p *Play) failure(accountID string, pos *playgraph.Position, what string, err error, expected string) string {
	var b strings.Builder
	if pos == nil {
		fmt.Fprintf(&b, "playtest: account %q is not in workflow %q", accountID, p.g.Name())
		if errors.Is(err, playgraph.ErrNotFound) {
			if p.src.Contains(accountID) {
				b.WriteString(" (it is in the segment: has the workflow run since it was added?)")
			} else {
				b.WriteString(" (it never entered: it is not in the segment; add it with p.Account)")
			}
		} else if err != nil {
			fmt.Fprintf(&b, ": %v", err)
		}
		fmt.Fprintf(&b, "\n  actual path:   none\n  %s", expected)
	} else {
		fmt.Fprintf(&b, "playtest: account %q %s in workflow %q\n  actual path:   %s\n  %s\n  now: %s",
			accountID, what, p.g.Name(), p.pathText(pos.Path), expected, p.statusText(*pos))
		b.WriteString("\n  steps:")
		for i, s := range pos.Path {
			fmt.Fprintf(&b, "\n    %d. %s entered %s", i+1, p.describeNode(s.Node), s.At.Format(time.RFC3339))
			if s.Out != "" {
				fmt.Fprintf(&b, ", left by %q", s.Out)
			}
			if s.Explanation != "" {
				fmt.Fprintf(&b, " (%s)", s.Explanation)
			}
		}
	}
	fmt.Fprintf(&b, "\n\ngraph (accounts per node now):\n%s", p.Mermaid())
	return b.String()
}

// pathText renders a path the way AssertPath takes it: labels, with the
// output path taken after each decision or timer.
func (p *Play) pathText(path []playgraph.PathStep) string {
	var parts []string
	for _, s := range path {
		label := s.Label
		if label == "" {
			label = s.Node
		}
		parts = append(parts, fmt.Sprintf("%q", label))
		if s.Out != "" && s.Out != node.PathNext {
			parts = append(parts, fmt.Sprintf("%q", s.Out))
		}
	}
	return strings.Join(parts, " → ")
}

func (p *Play) statusText(pos playgraph.Position) string {
	s := fmt.Sprintf("%s at %s since %s", pos.Status, p.describeNode(pos.Node), pos.Since.Format(time.RFC3339))
	if !pos.WakeAt.IsZero() && pos.Status == store.StatusWaiting {
		s += ", time up " + pos.WakeAt.Format(time.RFC3339)
	}
	if pos.Reason != "" {
		s += " (" + pos.Reason + ")"
	}
	return s
}

func expectedText(steps []string) string {
	return quoteAll(steps)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 0 {
		return "(none)"
	}
	return strings.Join(q, " → ")
}
