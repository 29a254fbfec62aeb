package graph

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/node"
)

// validator checks a builder's nodes and paths, collecting every problem.
// Nodes are referred to by their index in the builder (add order).
type validator struct {
	name     string
	opts     *options
	nodes    []node.Node
	edges    []Edge
	ids      map[string]int // id -> first index
	outs     [][]string     // per node: output names
	next     [][]int        // per node, per output: target index or -1
	preds    [][]int        // per node: sources of valid paths, deduplicated
	incoming []bool         // per node: some path (valid or not) names it as target
	dup      []bool         // per node: its id is also an earlier node's
	start    int            // index of the (first) start node, or -1
	progs    [][]*eval.Program
	persona  []*eval.Program // per node: compiled persona (contact filter), if any
	problems []Problem
	warnings []Warning
}

func newValidator(b *Builder, o *options) *validator {
	v := &validator{name: b.name, opts: o, start: -1}
	if len(b.nodes) > MaxNodes || len(b.edges) > MaxPaths {
		v.add(Problem{Rule: RuleSize, Message: fmt.Sprintf("the graph has %d nodes and %d paths; at most %d nodes and %d paths are allowed", len(b.nodes), len(b.edges), MaxNodes, MaxPaths)})
		return v
	}
	for i, n := range b.nodes {
		if n == nil {
			v.add(Problem{Rule: RuleConfigured, Message: fmt.Sprintf("node %d (counting from 1) is nil", i+1)})
			continue
		}
		v.nodes = append(v.nodes, node.Clone(n))
	}
	v.edges = slices.Clone(b.edges)
	return v
}

func (v *validator) add(p Problem) { v.problems = append(v.problems, p) }

func (v *validator) addf(id, rule, format string, args ...any) {
	v.add(Problem{Node: id, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) id(i int) string { return v.nodes[i].NodeID() }

func (v *validator) run() {
	if len(v.problems) > 0 && v.problems[0].Rule == RuleSize {
		return
	}
	v.checkConfigured()
	v.checkUnique()
	v.checkStart()
	v.wire()
	v.checkReachable()
	v.checkAcyclic()
	v.checkDecisionBeforeAd()
	v.checkRemoveAudience()
	v.compileFilters()
	if len(v.problems) == 0 {
		v.warn()
	}
}

func (v *validator) checkConfigured() {
	for _, n := range v.nodes {
		err := n.Validate()
		if err == nil {
			continue
		}
		var ce *node.ConfigError
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				v.add(Problem{Node: n.NodeID(), Rule: RuleConfigured, Message: p.String(), Err: node.ErrInvalid})
			}
			continue
		}
		v.add(Problem{Node: n.NodeID(), Rule: RuleConfigured, Message: err.Error(), Err: err})
	}
}

func (v *validator) checkUnique() {
	v.ids = make(map[string]int, len(v.nodes))
	v.dup = make([]bool, len(v.nodes))
	labels := make(map[string]int, len(v.nodes))
	for i, n := range v.nodes {
		id := n.NodeID()
		if j, dup := v.ids[id]; dup {
			v.dup[i] = true
			if id != "" { // an empty id is reported as not configured
				v.addf(id, RuleUniqueID, "id %q is also the id of node %d (counting from 1)", id, j+1)
			}
		} else {
			v.ids[id] = i
		}
		l := n.NodeLabel()
		if l == "" {
			continue
		}
		key := strings.ToLower(l)
		if j, dup := labels[key]; dup {
			v.addf(id, RuleUniqueLabel, "label %q is also the label of node %q", l, v.id(j))
		} else {
			labels[key] = i
		}
	}
}

func (v *validator) checkStart() {
	for i, n := range v.nodes {
		if _, ok := n.(*node.Start); !ok {
			continue
		}
		if v.start < 0 {
			v.start = i
			continue
		}
		v.addf(n.NodeID(), RuleOneStart, "a second start node (the first is %q); a graph has exactly one", v.id(v.start))
	}
	if v.start < 0 {
		v.addf("", RuleOneStart, "the graph has no start node; it needs exactly one")
	}
}

// wire resolves the paths, reporting dangling ones.
func (v *validator) wire() {
	n := len(v.nodes)
	v.outs = make([][]string, n)
	v.next = make([][]int, n)
	v.preds = make([][]int, n)
	v.incoming = make([]bool, n)
	for i, nd := range v.nodes {
		v.outs[i] = nd.Outputs()
		v.next[i] = make([]int, len(v.outs[i]))
		for k := range v.next[i] {
			v.next[i][k] = -1
		}
	}
	for _, e := range v.edges {
		from, okFrom := v.ids[e.From]
		to, okTo := v.ids[e.To]
		if okTo {
			v.incoming[to] = true
		}
		if !okFrom {
			v.addf(e.From, RulePathExists, "path %q leads from unknown node %q", e.Path, e.From)
			continue
		}
		k := slices.Index(v.outs[from], e.Path)
		if k < 0 {
			v.addf(e.From, RulePathExists, "%q is not an output of this node (outputs: %s)", e.Path, strings.Join(v.outs[from], ", "))
			continue
		}
		if !okTo {
			v.addf(e.From, RulePathExists, "path %q leads to unknown node %q", e.Path, e.To)
			continue
		}
		if prev := v.next[from][k]; prev >= 0 {
			v.addf(e.From, RulePathOnce, "output %q is connected twice (to %q and %q)", e.Path, v.id(prev), e.To)
			continue
		}
		if _, ok := v.nodes[to].(*node.Start); ok {
			v.addf(e.To, RuleStartIncoming, "the start node has an incoming path (%q from %q)", e.Path, e.From)
			continue
		}
		v.next[from][k] = to
		if !slices.Contains(v.preds[to], from) {
			v.preds[to] = append(v.preds[to], from)
		}
	}
}

// reach returns the nodes reachable from the roots, never entering a node
// for which stop returns true (roots are always visited); stopped nodes
// that are reached are marked but not expanded when expandStopped is false.
func (v *validator) reach(roots []int, skip func(int) bool, expand func(int) bool) []bool {
	seen := make([]bool, len(v.nodes))
	stack := make([]int, 0, len(v.nodes))
	for _, r := range roots {
		if r >= 0 && !seen[r] {
			seen[r] = true
			stack = append(stack, r)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if expand != nil && !expand(i) {
			continue
		}
		for _, t := range v.next[i] {
			if t < 0 || seen[t] || (skip != nil && skip(t)) {
				continue
			}
			seen[t] = true
			stack = append(stack, t)
		}
	}
	return seen
}

func (v *validator) checkReachable() {
	if v.start < 0 {
		return // reported by one-start; everything would be unreachable
	}
	seen := v.reach([]int{v.start}, nil, nil)
	for i, n := range v.nodes {
		if _, ok := n.(*node.Start); ok || seen[i] || v.dup[i] {
			continue // duplicates are reported as such: paths reach the first
		}
		if !v.incoming[i] {
			v.addf(n.NodeID(), RuleReachable, "no path leads into this node")
		} else {
			v.addf(n.NodeID(), RuleReachable, "not reachable from the start node %q", v.id(v.start))
		}
	}
}

// checkAcyclic reports each strongly connected component with a cycle
// once, naming one cycle through its first node.
func (v *validator) checkAcyclic() {
	n := len(v.nodes)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	counter := 0
	comp := make([]int, n)
	var comps [][]int
	// Iterative Tarjan.
	type frame struct{ v, k int }
	for s := 0; s < n; s++ {
		if index[s] >= 0 {
			continue
		}
		call := []frame{{s, 0}}
		index[s], low[s] = counter, counter
		counter++
		stack = append(stack, s)
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.k < len(v.next[f.v]) {
				w := v.next[f.v][f.k]
				f.k++
				if w < 0 {
					continue
				}
				if index[w] < 0 {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			u := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[u])
			}
			if low[u] == index[u] {
				var c []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = len(comps)
					c = append(c, w)
					if w == u {
						break
					}
				}
				comps = append(comps, c)
			}
		}
	}
	var cyclic [][]int
	for _, c := range comps {
		if len(c) > 1 || slices.Contains(v.next[c[0]], c[0]) {
			slices.Sort(c)
			cyclic = append(cyclic, c)
		}
	}
	slices.SortFunc(cyclic, func(a, b []int) int { return a[0] - b[0] })
	for _, c := range cyclic {
		s := c[0]
		cyc := v.cycleThrough(s, comp)
		names := make([]string, len(cyc))
		for i, x := range cyc {
			names[i] = v.id(x)
		}
		v.addf(v.id(s), RuleAcyclic, "cycle %s", strings.Join(names, " -> "))
	}
}

// cycleThrough returns a shortest cycle s -> ... -> s inside s's component.
func (v *validator) cycleThrough(s int, comp []int) []int {
	parent := map[int]int{}
	queue := []int{s}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, w := range v.next[u] {
			if w < 0 || comp[w] != comp[s] {
				continue
			}
			if w == s {
				path := []int{s}
				for x := u; x != s; x = parent[x] {
					path = append(path, x)
				}
				path = append(path, s)
				slices.Reverse(path[1 : len(path)-1])
				return path
			}
			if _, ok := parent[w]; !ok {
				parent[w] = u
				queue = append(queue, w)
			}
		}
	}
	return []int{s, s}
}

func (v *validator) isKind(i int, k node.Kind) bool { return v.nodes[i].Kind() == k }

func (v *validator) checkDecisionBeforeAd() {
	if v.start < 0 {
		return
	}
	// Walk from the start without passing through decisions.
	seen := v.reach([]int{v.start}, nil, func(i int) bool { return !v.isKind(i, node.KindDecision) })
	for i := range v.nodes {
		if seen[i] && v.isKind(i, node.KindAdAudience) {
			v.addf(v.id(i), RuleDecisionBeforeAd, "a path from the start reaches this ad audience action with no decision before it")
		}
	}
}

func (v *validator) checkRemoveAudience() {
	for r, n := range v.nodes {
		a, ok := n.(*node.Action)
		if !ok {
			continue
		}
		cfg, ok := a.Config.(*node.RemoveAudience)
		if !ok || !node.ValidID(cfg.AdNode) {
			continue // an empty or bad id is reported as not configured
		}
		x, ok := v.ids[cfg.AdNode]
		switch {
		case !ok:
			v.addf(a.ID, RuleRemoveNamesAd, "names ad node %q, which does not exist", cfg.AdNode)
			continue
		case !v.isKind(x, node.KindAdAudience):
			v.addf(a.ID, RuleRemoveNamesAd, "names node %q, which is not an ad audience action (it is %s)", cfg.AdNode, kindName(v.nodes[x]))
			continue
		}
		fromAd := v.reach([]int{x}, nil, nil)
		if !fromAd[r] {
			v.addf(a.ID, RuleRemoveNamesAd, "ad node %q is not upstream of this node", cfg.AdNode)
			continue
		}
		if v.start >= 0 {
			avoid := v.reach([]int{v.start}, func(i int) bool { return i == x }, nil)
			if avoid[r] {
				v.addf(a.ID, RuleRemoveNamesAd, "a path from the start reaches this node without passing ad node %q", cfg.AdNode)
			}
		}
		// From the ad node, without passing timers: reaching r means no timer between.
		direct := v.reach([]int{x}, nil, func(i int) bool { return i == x || !v.isKind(i, node.KindTimer) })
		if direct[r] {
			v.addf(a.ID, RuleTimerBeforeRemove, "a path from ad node %q reaches this node with no timer between them", cfg.AdNode)
		}
	}
}

func kindName(n node.Node) string {
	k := n.Kind()
	if k == "" {
		return "an action with no configuration"
	}
	return "a " + strings.ReplaceAll(string(k), "_", " ") + " node"
}

// adRef resolves engaged("id") to the ad audience node id.
func (v *validator) adRef(id string) (eval.AdRef, bool) {
	i, ok := v.ids[id]
	if !ok {
		return eval.AdRef{}, false
	}
	if a, ok := v.nodes[i].(*node.Action); ok {
		if c, ok := a.Config.(*node.AdAudience); ok {
			return c.AdRef(), true
		}
	}
	return eval.AdRef{}, false
}

// filterSpec is one filter of a node: where it sits and the filter.
type filterSpec struct {
	where string
	f     eval.Filter
}

// filters lists a node's account filters in output order: a yes/no
// decision's filter, each branch's filter, a timer's conditions.
func filters(n node.Node) []filterSpec {
	switch n := n.(type) {
	case *node.Decision:
		switch n.Mode {
		case node.YesNo:
			return []filterSpec{{"config.filter", n.Filter}}
		case node.Branching:
			out := make([]filterSpec, len(n.Branches))
			for i, b := range n.Branches {
				out[i] = filterSpec{fmt.Sprintf("config.branches[%d].filter", i), b.Filter}
			}
			return out
		}
	case *node.Timer:
		if n.HasConditions() {
			return []filterSpec{{"config.conditions", n.Conditions}}
		}
	}
	return nil
}

func (v *validator) compileFilters() {
	c := &eval.Compiler{Catalog: v.opts.catalog, Subject: audience.SubjectAccount, AdNode: v.adRef}
	v.progs = make([][]*eval.Program, len(v.nodes))
	for i, n := range v.nodes {
		specs := filters(n)
		if len(specs) == 0 {
			continue
		}
		progs := make([]*eval.Program, len(specs))
		var upstream []bool
		for k, s := range specs {
			if s.f.IsZero() || (len(s.f.Conditions) > 0 && s.f.Expr != "") {
				continue // reported as not configured
			}
			p, err := c.Compile(s.f)
			if err != nil {
				v.compileProblems(n.NodeID(), s.where, err)
				continue
			}
			if p == nil {
				v.add(Problem{Node: n.NodeID(), Rule: RuleFilterCompiles, Filter: s.where, Message: s.where + ": the compiler returned no program"})
				continue
			}
			progs[k] = p
			for _, ad := range p.EngagedNodes() {
				x, ok := v.ids[ad]
				if !ok {
					continue // the compiler reports unknown ad nodes
				}
				if upstream == nil {
					upstream = v.ancestors(i)
				}
				if !upstream[x] {
					v.add(Problem{Node: n.NodeID(), Rule: RuleFilterCompiles, Filter: s.where,
						Message: fmt.Sprintf("%s: engaged(%q): ad node %q is not upstream of this node", s.where, ad, ad)})
				}
			}
		}
		v.progs[i] = progs
	}
	cc := &eval.Compiler{Catalog: v.opts.catalog, Subject: audience.SubjectContact}
	v.persona = make([]*eval.Program, len(v.nodes))
	for i, n := range v.nodes {
		a, ok := n.(*node.Action)
		if !ok {
			continue
		}
		p, ok := a.Persona()
		if !ok {
			continue
		}
		prog, err := cc.Compile(eval.PersonaFilter(p))
		if err != nil {
			v.compileProblems(a.ID, "config.persona", err)
			continue
		}
		v.persona[i] = prog
	}
}

func (v *validator) compileProblems(id, where string, err error) {
	var ce *eval.CompileError
	if errors.As(err, &ce) && len(ce.Problems) > 0 {
		for _, p := range ce.Problems {
			v.add(Problem{Node: id, Rule: RuleFilterCompiles, Filter: where, Pos: p.Pos, Message: where + ": " + p.Msg, Err: p.Err})
		}
		return
	}
	v.add(Problem{Node: id, Rule: RuleFilterCompiles, Filter: where, Message: where + ": " + err.Error(), Err: err})
}

// ancestors returns the nodes with a path to i.
func (v *validator) ancestors(i int) []bool {
	seen := make([]bool, len(v.nodes))
	stack := []int{i}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range v.preds[u] {
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return seen
}

func (v *validator) warn() {
	if s, ok := v.nodes[v.start].(*node.Start); ok && v.opts.segments != nil {
		if seg, found := v.opts.segments(s.Segment); found && seg.Filter != "" {
			c := &eval.Compiler{Catalog: v.opts.catalog}
			if p, err := c.Compile(eval.Filter{Expr: seg.Filter}); err == nil && p != nil {
				var beh []string
				for _, f := range p.Fields() {
					if fd, err := v.opts.catalog.Lookup(f); err == nil && fd.Behavioral {
						beh = append(beh, f)
					}
				}
				if len(beh) > 0 {
					v.warnings = append(v.warnings, Warning{Node: s.ID, Rule: WarnBehavioralSegment,
						Message: fmt.Sprintf("segment %q filters on behavioural fields (%s): accounts may drop in and out of the workflow as their behaviour changes", s.Segment, strings.Join(beh, ", "))})
				}
			}
		}
	}
	for i, n := range v.nodes {
		if n.Kind() != node.KindDecision {
			continue
		}
		if !slices.ContainsFunc(v.next[i], func(t int) bool { return t >= 0 }) {
			v.warnings = append(v.warnings, Warning{Node: n.NodeID(), Rule: WarnDecisionUnconnected,
				Message: "no output of this decision is connected: every account leaves the flow here"})
		}
	}
}
