package graph

import (
	"slices"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/node"
)

// Graph is a built, valid workflow graph. It is immutable and safe for
// concurrent use. Nodes returned by its methods are shared: callers must
// not modify them (use [node.Clone] or [Graph.Edit] to derive a new graph).
//
// Nodes have dense indices 0..Len()-1 in topological order (the start node
// is 0; every path leads to a higher index), for engines that keep per-node
// state in slices. Output paths have dense indices too: the position of the
// path name in the node's Outputs.
type Graph struct {
	name     string
	nodes    []node.Node // topological order
	added    []int       // add order -> index
	ids      map[string]int
	outs     [][]string
	next     [][]int // per node, per output: target index or -1
	preds    [][]int
	edges    []Edge // in Connect order
	progs    [][]*eval.Program
	persona  []*eval.Program
	upAds    [][]int // per node: upstream ad audience nodes, by index
	adRefs   map[string]eval.AdRef
	catalog  *audience.Catalog
	warnings []Warning
}

// graph assembles the Graph from a validator that found no problem.
func (v *validator) graph() *Graph {
	n := len(v.nodes)
	// Kahn's algorithm; ties broken by add order.
	indeg := make([]int, n)
	for i := range v.nodes {
		for _, t := range v.next[i] {
			if t >= 0 {
				indeg[t]++
			}
		}
	}
	var ready, order []int
	for i := range v.nodes {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		u := ready[0]
		ready = ready[1:]
		order = append(order, u)
		for _, t := range v.next[u] {
			if t < 0 {
				continue
			}
			if indeg[t]--; indeg[t] == 0 {
				k, _ := slices.BinarySearch(ready, t)
				ready = slices.Insert(ready, k, t)
			}
		}
	}
	pos := make([]int, n) // add index -> topological index
	for k, i := range order {
		pos[i] = k
	}
	g := &Graph{
		name:     v.name,
		nodes:    make([]node.Node, n),
		added:    pos,
		ids:      make(map[string]int, n),
		outs:     make([][]string, n),
		next:     make([][]int, n),
		preds:    make([][]int, n),
		edges:    v.edges,
		progs:    make([][]*eval.Program, n),
		persona:  make([]*eval.Program, n),
		upAds:    make([][]int, n),
		adRefs:   map[string]eval.AdRef{},
		catalog:  v.opts.catalog,
		warnings: v.warnings,
	}
	for i, nd := range v.nodes {
		k := pos[i]
		g.nodes[k] = nd
		g.ids[nd.NodeID()] = k
		g.outs[k] = v.outs[i]
		nx := make([]int, len(v.next[i]))
		for j, t := range v.next[i] {
			nx[j] = -1
			if t >= 0 {
				nx[j] = pos[t]
			}
		}
		g.next[k] = nx
		for _, p := range v.preds[i] {
			g.preds[k] = append(g.preds[k], pos[p])
		}
		slices.Sort(g.preds[k])
		g.progs[k] = v.progs[i]
		g.persona[k] = v.persona[i]
		if ref, ok := v.adRef(nd.NodeID()); ok {
			g.adRefs[nd.NodeID()] = ref
		}
	}
	for k := range g.nodes {
		anc := make([]bool, n)
		stack := []int{k}
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, p := range g.preds[u] {
				if !anc[p] {
					anc[p] = true
					stack = append(stack, p)
				}
			}
		}
		for a, up := range anc {
			if up && g.nodes[a].Kind() == node.KindAdAudience {
				g.upAds[k] = append(g.upAds[k], a)
			}
		}
	}
	return g
}

// Name returns the graph's name.
func (g *Graph) Name() string { return g.name }

// Len returns the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// Start returns the start node (index 0).
func (g *Graph) Start() *node.Start {
	s, _ := g.nodes[0].(*node.Start)
	return s
}

// Node returns the node with the given id.
func (g *Graph) Node(id string) (node.Node, bool) {
	i, ok := g.ids[id]
	if !ok {
		return nil, false
	}
	return g.nodes[i], true
}

// Index returns the dense index of the node with the given id, or -1.
func (g *Graph) Index(id string) int {
	if i, ok := g.ids[id]; ok {
		return i
	}
	return -1
}

// At returns the node with dense index i, or nil when i is out of range.
func (g *Graph) At(i int) node.Node {
	if i < 0 || i >= len(g.nodes) {
		return nil
	}
	return g.nodes[i]
}

// Nodes returns the nodes in topological order (index order): the start
// node first, every node before the nodes its paths lead to.
func (g *Graph) Nodes() []node.Node { return slices.Clone(g.nodes) }

// Edges returns the paths in the order they were connected.
func (g *Graph) Edges() []Edge { return slices.Clone(g.edges) }

// Path is one output of a node and where it leads.
type Path struct {
	// Name is the output's name ("next", "yes", a branch name...).
	Name string
	// To is the id of the node it leads to; empty when unconnected (the
	// account leaves the flow there).
	To string
}

// Paths returns the outputs of the node with the given id, in output
// order, with their targets; nil for an unknown id.
func (g *Graph) Paths(id string) []Path {
	i, ok := g.ids[id]
	if !ok {
		return nil
	}
	out := make([]Path, len(g.outs[i]))
	for k, name := range g.outs[i] {
		out[k].Name = name
		if t := g.next[i][k]; t >= 0 {
			out[k].To = g.nodes[t].NodeID()
		}
	}
	return out
}

// Next returns the id of the node output path of node id leads to, and
// false when the node or output is unknown or the output is unconnected.
func (g *Graph) Next(id, path string) (string, bool) {
	i, ok := g.ids[id]
	if !ok {
		return "", false
	}
	k := slices.Index(g.outs[i], path)
	if k < 0 || g.next[i][k] < 0 {
		return "", false
	}
	return g.nodes[g.next[i][k]].NodeID(), true
}

// Outputs returns the output names of the node with index i, in order
// (shared: do not modify).
func (g *Graph) Outputs(i int) []string {
	if i < 0 || i >= len(g.nodes) {
		return nil
	}
	return g.outs[i]
}

// NextAt returns the index of the node output out (an index into
// Outputs(i)) of node i leads to, or -1 when it is unconnected or out of
// range.
func (g *Graph) NextAt(i, out int) int {
	if i < 0 || i >= len(g.nodes) || out < 0 || out >= len(g.next[i]) {
		return -1
	}
	return g.next[i][out]
}

// Predecessors returns the ids of the nodes with a path into node id, in
// index order.
func (g *Graph) Predecessors(id string) []string {
	i, ok := g.ids[id]
	if !ok {
		return nil
	}
	out := make([]string, len(g.preds[i]))
	for k, p := range g.preds[i] {
		out[k] = g.nodes[p].NodeID()
	}
	return out
}

// Programs returns the compiled account filters of the node with index i,
// aligned with its outputs where it routes by filter:
//
//   - yes/no decision: one program; it holding means output 0, "yes".
//   - branching decision: one program per branch; program k holding (and
//     no earlier one) means output k; none holding means the last output,
//     "all_others".
//   - timer with conditions: one program; it holding means output 0,
//     "met".
//   - any other node: nil.
//
// The slice is shared: do not modify.
func (g *Graph) Programs(i int) []*eval.Program {
	if i < 0 || i >= len(g.nodes) {
		return nil
	}
	return g.progs[i]
}

// Program returns the single compiled filter of a yes/no decision or the
// conditions of a timer with conditions, by node id; nil otherwise.
func (g *Graph) Program(id string) *eval.Program {
	i, ok := g.ids[id]
	if !ok {
		return nil
	}
	switch n := g.nodes[i].(type) {
	case *node.Decision:
		if n.Mode != node.YesNo {
			return nil
		}
	case *node.Timer:
	default:
		return nil
	}
	if len(g.progs[i]) != 1 {
		return nil
	}
	return g.progs[i][0]
}

// PersonaProgram returns the compiled persona of the action with index i
// (a contact filter, compiled with audience.SubjectContact from
// eval.PersonaFilter): set for people-level actions (email, people-level
// campaign push, save contacts) and purchase contacts, nil otherwise.
// Evaluate it per contact (eval.Env.Contact); a zero persona compiles to a
// program matching every contact.
func (g *Graph) PersonaProgram(i int) *eval.Program {
	if i < 0 || i >= len(g.nodes) {
		return nil
	}
	return g.persona[i]
}

// BranchPrograms returns the compiled branch filters of a branching
// decision, in branch order; nil for any other node. The slice is a copy.
func (g *Graph) BranchPrograms(id string) []*eval.Program {
	i, ok := g.ids[id]
	if !ok {
		return nil
	}
	if d, ok := g.nodes[i].(*node.Decision); !ok || d.Mode != node.Branching {
		return nil
	}
	return slices.Clone(g.progs[i])
}

// AdRef returns what engagement with the ad audience node id looks like
// (its channel and audience), for engaged(); false when id is not an ad
// audience node.
func (g *Graph) AdRef(id string) (eval.AdRef, bool) {
	r, ok := g.adRefs[id]
	return r, ok
}

// AdNodes returns the ids of the ad audience nodes, in index order.
func (g *Graph) AdNodes() []string {
	var out []string
	for _, n := range g.nodes {
		if _, ok := g.adRefs[n.NodeID()]; ok {
			out = append(out, n.NodeID())
		}
	}
	return out
}

// UpstreamAdNodes returns the ids of the ad audience nodes with a path to
// node id, in index order.
func (g *Graph) UpstreamAdNodes(id string) []string {
	i, ok := g.ids[id]
	if !ok {
		return nil
	}
	out := make([]string, len(g.upAds[i]))
	for k, a := range g.upAds[i] {
		out[k] = g.nodes[a].NodeID()
	}
	return out
}

// RemovedAdNode returns the ad audience node a remove audience node takes
// accounts out of, and its configuration; false for any other node.
func (g *Graph) RemovedAdNode(id string) (*node.Action, *node.AdAudience, bool) {
	n, ok := g.Node(id)
	if !ok {
		return nil, nil, false
	}
	a, ok := n.(*node.Action)
	if !ok {
		return nil, nil, false
	}
	r, ok := a.Config.(*node.RemoveAudience)
	if !ok {
		return nil, nil, false
	}
	ad, ok := g.Node(r.AdNode)
	if !ok {
		return nil, nil, false
	}
	adA, ok := ad.(*node.Action)
	if !ok {
		return nil, nil, false
	}
	cfg, ok := adA.Config.(*node.AdAudience)
	if !ok {
		return nil, nil, false
	}
	return adA, cfg, true
}

// Catalog returns the catalogue the filters were compiled against.
func (g *Graph) Catalog() *audience.Catalog { return g.catalog }

// Warnings returns what Build found questionable but not wrong.
func (g *Graph) Warnings() []Warning { return slices.Clone(g.warnings) }

// Edit returns a builder holding copies of g's nodes (in the order they
// were added) and paths, to derive a new version.
func (g *Graph) Edit() *Builder {
	b := New(g.name)
	for _, k := range g.added {
		b.Add(node.Clone(g.nodes[k]))
	}
	b.edges = slices.Clone(g.edges)
	return b
}
