package eval

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/expr-lang/expr/vm"

	"github.com/playgraph/playgraph/audience"
)

type progKind uint8

const (
	kindAll        progKind = iota // the zero filter: matches everything
	kindStructured                 // closures
	kindExpr                       // an expr program
)

// Program is a compiled filter: immutable and safe for concurrent use.
// Evaluate it with Match, or with a Runner per goroutine on hot loops.
type Program struct {
	src     Filter
	subject audience.Subject
	kind    progKind

	// structured
	match pred
	conds []compiledCond
	logic *logicNode // nil: all conditions ANDed

	// expression
	prog *vm.Program
	// native evaluates the expression without the VM, for the shapes
	// native.go covers; nil otherwise.
	native func(*Env) bool

	fields, segments, nodes []string
	needsContacts           bool
	warnings                []Problem

	runners sync.Pool // *Runner, for Match on expressions
}

func (c *Compiler) catalog() *audience.Catalog {
	if c == nil || c.Catalog == nil {
		return audience.DefaultCatalog()
	}
	return c.Catalog
}

func (c *Compiler) subject() audience.Subject {
	if c != nil && c.Subject == audience.SubjectContact {
		return audience.SubjectContact
	}
	return audience.SubjectAccount
}

func (c *Compiler) adTarget(id string) (*adTarget, bool) {
	if c == nil || c.AdNode == nil {
		return nil, false
	}
	ref, ok := c.AdNode(id)
	if !ok {
		return nil, false
	}
	return &adTarget{node: id, ref: ref}, true
}

func isUndeclared(err error) bool { return errors.Is(err, audience.ErrUndeclaredAttribute) }

// Compile compiles f with the zero Compiler.
func Compile(f Filter) (*Program, error) {
	var c Compiler
	return c.Compile(f)
}

// MustCompile is like Compile but panics on error; for filters fixed in
// code (tests, examples, package-level variables).
func MustCompile(f Filter) *Program {
	p, err := Compile(f)
	if err != nil {
		panic(err)
	}
	return p
}

// Compile compiles f once; the result is evaluated per account. A failure
// is a *CompileError listing every problem.
func (c *Compiler) Compile(f Filter) (*Program, error) {
	p := &Program{src: cloneFilter(f), subject: c.subject()}
	switch {
	case f.IsZero():
		p.kind = kindAll
		return p, nil
	case f.Expr != "" && (len(f.Conditions) > 0 || f.Logic != ""):
		var ps problems
		ps.add(Position{}, ErrSyntax, "a filter has either conditions (with a logic line) or an expression, not both")
		return nil, ps.err()
	case f.Expr != "":
		res, ps := c.compileExpr(f.Expr, true)
		if len(ps) > 0 {
			return nil, ps.err()
		}
		p.kind = kindExpr
		p.prog = res.prog
		p.native = res.native
		p.fields, p.segments, p.nodes = res.fields, res.segments, res.nodes
		p.needsContacts = res.needsContacts
		return p, nil
	}
	if err := c.compileStructured(p, f); err != nil {
		return nil, err
	}
	return p, nil
}

func cloneFilter(f Filter) Filter {
	out := f
	if f.Conditions != nil {
		out.Conditions = make([]Condition, len(f.Conditions))
		for i, cond := range f.Conditions {
			cond.Values = slices.Clone(cond.Values)
			out.Conditions[i] = cond
		}
	}
	return out
}

// compileStructured compiles conditions and the logic line into p.
func (c *Compiler) compileStructured(p *Program, f Filter) error {
	var ps problems
	if len(f.Conditions) > MaxConditions {
		ps.add(Position{}, ErrTooLarge, "%d conditions, over the bound of %d", len(f.Conditions), MaxConditions)
		return ps.err()
	}
	cat := c.catalog()
	conds := make([]compiledCond, len(f.Conditions))
	for i, cond := range f.Conditions {
		cc := &condCompiler{c: c, cat: cat, n: i + 1, probs: &ps}
		conds[i], _ = cc.compile(cond)
	}
	var logic *logicNode
	if f.Logic != "" {
		var lps problems
		logic, lps = parseLogic(f.Logic, len(f.Conditions))
		ps = append(ps, lps...)
	}
	if len(ps) > 0 {
		return ps.err()
	}
	if logic != nil {
		used := make([]bool, len(conds)+1)
		logic.refs(used)
		for i := 1; i < len(used); i++ {
			if !used[i] {
				p.warnings = append(p.warnings, Problem{Pos: Position{Condition: i}, Err: ErrLogic,
					Msg: fmt.Sprintf("condition %d is not used in the logic line %q", i, f.Logic)})
			}
		}
	}
	p.kind = kindStructured
	p.conds = conds
	p.logic = logic
	leaves := make([]pred, len(conds))
	fields := map[string]bool{}
	segs := map[string]bool{}
	nodes := map[string]bool{}
	for i := range conds {
		cd := &conds[i]
		leaves[i] = p.leaf(cd)
		switch {
		case cd.segment != "":
			segs[cd.segment] = true
		case cd.node != "":
			nodes[cd.node] = true
		default:
			fields[cd.field] = true
		}
		if cd.contact && p.subject == audience.SubjectAccount {
			p.needsContacts = true
		}
	}
	if logic == nil {
		p.match = andPreds(leaves)
	} else {
		p.match = logic.compile(leaves)
	}
	p.fields = sortedKeys(fields)
	p.segments = sortedKeys(segs)
	p.nodes = sortedKeys(nodes)
	return nil
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// leaf returns the account-level predicate of one condition.
func (p *Program) leaf(cd *compiledCond) pred {
	if !cd.contact {
		return cd.p
	}
	cp := cd.cp
	if p.subject == audience.SubjectContact {
		return func(e *Env) bool { return cp(e.Contact) }
	}
	return func(e *Env) bool {
		for i := range e.Contacts {
			if cp(&e.Contacts[i]) {
				return true
			}
		}
		return false
	}
}

// andPreds is the conjunction of ps, specialised for small counts.
func andPreds(ps []pred) pred {
	switch len(ps) {
	case 0:
		return func(*Env) bool { return true }
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(e *Env) bool { return a(e) && b(e) }
	case 3:
		a, b, c := ps[0], ps[1], ps[2]
		return func(e *Env) bool { return a(e) && b(e) && c(e) }
	}
	return func(e *Env) bool {
		for _, p := range ps {
			if !p(e) {
				return false
			}
		}
		return true
	}
}

// orPreds is the disjunction of ps, specialised for small counts.
func orPreds(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(e *Env) bool { return a(e) || b(e) }
	case 3:
		a, b, c := ps[0], ps[1], ps[2]
		return func(e *Env) bool { return a(e) || b(e) || c(e) }
	}
	return func(e *Env) bool {
		for _, p := range ps {
			if p(e) {
				return true
			}
		}
		return false
	}
}

// compile turns the logic tree into one predicate over the leaves.
func (n *logicNode) compile(leaves []pred) pred {
	switch n.op {
	case logicLeaf:
		return leaves[n.n-1]
	case logicNot:
		k := n.kids[0].compile(leaves)
		return func(e *Env) bool { return !k(e) }
	}
	kids := make([]pred, len(n.kids))
	for i, k := range n.kids {
		kids[i] = k.compile(leaves)
	}
	if n.op == logicAnd {
		return andPreds(kids)
	}
	return orPreds(kids)
}

// check validates env for p.
func (p *Program) check(env *Env) error {
	if env == nil || env.Account == nil {
		return ErrNoAccount
	}
	if p.subject == audience.SubjectContact && env.Contact == nil {
		return ErrNoContact
	}
	return nil
}

// Match evaluates p against env. Expressions run on a pooled Runner; on
// hot loops prefer one Runner per goroutine.
func (p *Program) Match(env *Env) (bool, error) {
	if p.kind != kindExpr {
		if err := p.check(env); err != nil {
			return false, err
		}
		if p.kind == kindAll {
			return true, nil
		}
		return p.match(env), nil
	}
	r, _ := p.runners.Get().(*Runner)
	if r == nil {
		r = new(Runner)
	}
	ok, err := r.Match(p, env)
	p.runners.Put(r)
	return ok, err
}

// Runner evaluates programs reusing one expression VM; one per goroutine.
// The zero value is ready to use. A Runner is not safe for concurrent use;
// it may evaluate any number of programs, one at a time.
type Runner struct {
	vm  vm.VM
	env exprEnv
}

// Match evaluates p against env with r's VM.
func (r *Runner) Match(p *Program, env *Env) (bool, error) {
	if err := p.check(env); err != nil {
		return false, err
	}
	switch p.kind {
	case kindAll:
		return true, nil
	case kindStructured:
		return p.match(env), nil
	}
	if p.native != nil {
		return p.native(env), nil
	}
	r.env.e = env
	out, err := r.vm.Run(p.prog, &r.env)
	r.env.e = nil
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrRuntime, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%w: expression returned %T, not bool", ErrRuntime, out)
	}
	return b, nil
}

// Source returns the filter p was compiled from.
func (p *Program) Source() Filter { return cloneFilter(p.src) }

// Subject reports whether p evaluates accounts or contacts.
func (p *Program) Subject() audience.Subject { return p.subject }

// NeedsContacts reports whether evaluating p reads Env.Contacts, so the
// caller loads an account's contacts only for programs that need them.
func (p *Program) NeedsContacts() bool { return p.needsContacts }

// Fields returns the catalogue fields p reads, sorted, without duplicates.
// engaged() and in_segment() are reported by EngagedNodes and Segments;
// stage_at_least/stage_at_most count as reading buying_stage.
func (p *Program) Fields() []string { return slices.Clone(p.fields) }

// Behavioral reports whether p reads a behavioural field of cat (nil means
// audience.DefaultCatalog) or engagement.
func (p *Program) Behavioral(cat *audience.Catalog) bool {
	if len(p.nodes) > 0 {
		return true
	}
	if cat == nil {
		cat = audience.DefaultCatalog()
	}
	for _, name := range p.fields {
		if f, err := cat.Lookup(name); err == nil && f.Behavioral {
			return true
		}
	}
	return false
}

// Segments returns the segment ids p names in in_segment(), sorted.
func (p *Program) Segments() []string { return slices.Clone(p.segments) }

// EngagedNodes returns the ad node ids p names in engaged(), sorted.
func (p *Program) EngagedNodes() []string { return slices.Clone(p.nodes) }

// Warnings returns problems that did not stop compilation: conditions the
// logic line never names (they are compiled and validated, but never
// evaluated).
func (p *Program) Warnings() []Problem { return slices.Clone(p.warnings) }
