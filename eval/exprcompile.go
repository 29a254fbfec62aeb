package eval

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/playgraph/playgraph/audience"
)

// exprCompiler compiles one expression: parse, resolve and rewrite names
// (reporting every problem it can find with its position), then type-check,
// optimise and compile with expr.
type exprCompiler struct {
	c       *Compiler
	cat     *audience.Catalog
	subject audience.Subject
	src     string
	probs   problems

	fields        map[string]bool
	segments      map[string]bool
	nodes         map[string]int // engaged node id -> index in targets
	targets       []*adTarget
	needsContacts bool
	scopes        []string // let-bound names in scope
	scopeEnums    []string // per scope: the enum field its value carries (see enumOf), or ""
}

// exprResult is a compiled expression.
type exprResult struct {
	prog          *vm.Program
	native        func(*Env) bool // see native.go; nil: run prog
	fields        []string
	segments      []string
	nodes         []string
	needsContacts bool
}

func (ec *exprCompiler) pos(loc file.Location) Position {
	line, col := 1, 1
	runes := 0
	for _, r := range ec.src {
		if runes == loc.From {
			break
		}
		runes++
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return Position{Line: line, Column: col}
}

func (ec *exprCompiler) bad(n ast.Node, sentinel error, format string, args ...any) {
	ec.probs.add(ec.pos(n.Location()), sentinel, format, args...)
}

// countNodes counts the nodes of a syntax tree.
type countNodes struct{ n int }

func (c *countNodes) Visit(*ast.Node) { c.n++ }

// compileExpr compiles src; bounded applies MaxExprBytes and MaxExprNodes.
func (c *Compiler) compileExpr(src string, bounded bool) (*exprResult, problems) {
	ec := &exprCompiler{
		c: c, cat: c.catalog(), subject: c.subject(), src: src,
		fields: map[string]bool{}, segments: map[string]bool{}, nodes: map[string]int{},
	}
	if bounded && len(src) > MaxExprBytes {
		ec.probs.add(Position{Line: 1, Column: 1}, ErrTooLarge, "expression is %d bytes, over the bound of %d", len(src), MaxExprBytes)
		return nil, ec.probs
	}
	if !utf8.ValidString(src) {
		ec.probs.add(Position{Line: 1, Column: 1}, ErrSyntax, "expression is not valid UTF-8")
		return nil, ec.probs
	}
	cfg := newExprConfig(ec.cat, &ec.targets)
	if !bounded {
		cfg.MaxNodes = 0
	}
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		ec.fileProblem(err, ErrSyntax)
		return nil, ec.probs
	}
	cn := &countNodes{}
	ast.Walk(&tree.Node, cn)
	if bounded && cn.n > MaxExprNodes {
		ec.probs.add(Position{Line: 1, Column: 1}, ErrTooLarge, "expression has %d syntax nodes, over the bound of %d", cn.n, MaxExprNodes)
		return nil, ec.probs
	}
	ec.walk(&tree.Node, false)
	if len(ec.probs) > 0 {
		return nil, ec.probs
	}
	cfg.Expect = reflect.Bool
	if _, err := checker.Check(tree, cfg); err != nil {
		ec.checkProblem(err)
		return nil, ec.probs
	}
	native := ec.native(tree.Node) // before the optimizer rewrites the tree
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		ec.fileProblem(err, ErrType)
		return nil, ec.probs
	}
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		ec.fileProblem(err, ErrType)
		return nil, ec.probs
	}
	res := &exprResult{prog: prog, native: native, needsContacts: ec.needsContacts}
	for f := range ec.fields {
		res.fields = append(res.fields, f)
	}
	for s := range ec.segments {
		res.segments = append(res.segments, s)
	}
	for n := range ec.nodes {
		res.nodes = append(res.nodes, n)
	}
	slices.Sort(res.fields)
	slices.Sort(res.segments)
	slices.Sort(res.nodes)
	return res, nil
}

// fileProblem records an expr error, with its position when it has one.
func (ec *exprCompiler) fileProblem(err error, sentinel error) {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if msg == "" {
			msg = err.Error()
		}
		ec.probs.add(ec.pos(fe.Location), sentinel, "%s", msg)
		return
	}
	ec.probs.add(Position{Line: 1, Column: 1}, sentinel, "%s", err.Error())
}

// checkProblem classifies a type-check error.
func (ec *exprCompiler) checkProblem(err error) {
	msg := err.Error()
	if strings.HasPrefix(msg, "expected bool, but got ") {
		ec.probs.add(Position{Line: 1, Column: 1}, ErrNotBoolean, "expression is %s, not a boolean", strings.TrimPrefix(msg, "expected bool, but got "))
		return
	}
	var fe *file.Error
	if errors.As(err, &fe) && strings.HasPrefix(fe.Message, "unknown name") {
		ec.fileProblem(err, ErrUnknownField)
		return
	}
	ec.fileProblem(err, ErrType)
}

func (ec *exprCompiler) inScope(name string) bool { return slices.Contains(ec.scopes, name) }

// call builds a call of an internal function, located at loc.
func call(loc file.Location, name string, args ...ast.Node) ast.Node {
	id := &ast.IdentifierNode{Value: name}
	id.SetLocation(loc)
	n := &ast.CallNode{Callee: id, Arguments: args}
	n.SetLocation(loc)
	return n
}

func envArg(loc file.Location) ast.Node {
	n := &ast.IdentifierNode{Value: "$env"}
	n.SetLocation(loc)
	return n
}

// Names that are values, not functions, in the expression environment.
func isAttrPrefix(name string) bool { return name == "crm" || name == "map" || name == "custom" }

// walk resolves names and rewrites them into typed function calls;
// inContacts is true inside a predicate over contacts (where .title reads
// a contact field).
func (ec *exprCompiler) walk(np *ast.Node, inContacts bool) {
	switch n := (*np).(type) {
	case nil:
	case *ast.IdentifierNode:
		ec.ident(np, n)
	case *ast.MemberNode:
		if ec.member(np, n, inContacts) {
			return
		}
		ec.walk(&n.Node, inContacts)
		ec.walk(&n.Property, inContacts)
	case *ast.CallNode:
		ec.callNode(np, n, inContacts)
	case *ast.BuiltinNode:
		if len(n.Arguments) > 0 {
			coll := n.Arguments[0]
			overContacts := false
			if id, ok := coll.(*ast.IdentifierNode); ok && id.Value == "contacts" && !ec.inScope("contacts") {
				overContacts = true
			}
			ec.walk(&n.Arguments[0], inContacts)
			for i := 1; i < len(n.Arguments); i++ {
				if _, isPred := n.Arguments[i].(*ast.PredicateNode); isPred {
					ec.walk(&n.Arguments[i], overContacts)
				} else {
					ec.walk(&n.Arguments[i], inContacts)
				}
			}
		}
	case *ast.PredicateNode:
		ec.walk(&n.Node, inContacts)
	case *ast.BinaryNode:
		ec.binary(n)
		ec.walk(&n.Left, inContacts)
		ec.walk(&n.Right, inContacts)
	case *ast.UnaryNode:
		ec.walk(&n.Node, inContacts)
	case *ast.ChainNode:
		ec.walk(&n.Node, inContacts)
	case *ast.SliceNode:
		ec.walk(&n.Node, inContacts)
		ec.walk(&n.From, inContacts)
		ec.walk(&n.To, inContacts)
	case *ast.ConditionalNode:
		ec.walk(&n.Cond, inContacts)
		ec.walk(&n.Exp1, inContacts)
		ec.walk(&n.Exp2, inContacts)
	case *ast.VariableDeclaratorNode:
		enum := ec.enumOf(n.Value) // before walk rewrites the names
		ec.walk(&n.Value, inContacts)
		ec.scopes, ec.scopeEnums = append(ec.scopes, n.Name), append(ec.scopeEnums, enum)
		ec.walk(&n.Expr, inContacts)
		ec.scopes, ec.scopeEnums = ec.scopes[:len(ec.scopes)-1], ec.scopeEnums[:len(ec.scopeEnums)-1]
	case *ast.SequenceNode:
		for i := range n.Nodes {
			ec.walk(&n.Nodes[i], inContacts)
		}
	case *ast.ArrayNode:
		for i := range n.Nodes {
			ec.walk(&n.Nodes[i], inContacts)
		}
	case *ast.MapNode:
		for i := range n.Pairs {
			ec.walk(&n.Pairs[i], inContacts)
		}
	case *ast.PairNode:
		ec.walk(&n.Key, inContacts)
		ec.walk(&n.Value, inContacts)
	}
}

// ident resolves a bare name.
func (ec *exprCompiler) ident(np *ast.Node, n *ast.IdentifierNode) {
	name, loc := n.Value, n.Location()
	if ec.inScope(name) {
		return
	}
	switch {
	case name == "now" || name == "entered_at":
		*np = call(loc, name, envArg(loc))
		return
	case name == "contacts":
		if ec.subject == audience.SubjectContact {
			ec.bad(n, ErrUnknownField, "contacts is not available in a contact filter: use contact.<field>")
			return
		}
		ec.needsContacts = true
		*np = call(loc, name, envArg(loc))
		return
	case name == "contact":
		if ec.subject != audience.SubjectContact {
			ec.bad(n, ErrType, "contact is not available in an account filter: use any(contacts, .title ...)")
			return
		}
		*np = call(loc, name, envArg(loc))
		return
	case isAttrPrefix(name):
		ec.bad(n, ErrUnknownField, "%s is not a field: name an attribute as %s.<key>", name, name)
		return
	}
	f, err := ec.cat.Lookup(name)
	if err != nil || f.Subject != audience.SubjectAccount {
		ec.bad(n, ErrUnknownField, "unknown name %q", name)
		return
	}
	ec.fields[f.Name] = true
	*np = call(loc, f.Name, envArg(loc))
}

// member resolves crm.x, map.x, custom.x, contact.x and .x over contacts.
// It reports whether it handled n.
func (ec *exprCompiler) member(np *ast.Node, n *ast.MemberNode, inContacts bool) bool {
	prop, ok := n.Property.(*ast.StringNode)
	if !ok {
		return false
	}
	loc := n.Location()
	switch base := n.Node.(type) {
	case *ast.IdentifierNode:
		if ec.inScope(base.Value) {
			return false
		}
		switch {
		case isAttrPrefix(base.Value):
			name := base.Value + "." + prop.Value
			f, err := ec.cat.Lookup(name)
			if err != nil {
				ec.bad(base, ErrUndeclared, "undeclared attribute %q (declare it in the catalogue first)", name)
				return true
			}
			ec.fields[f.Name] = true
			*np = call(loc, f.Name, envArg(loc))
			return true
		case base.Value == "contact":
			if ec.subject != audience.SubjectContact {
				ec.bad(base, ErrType, "contact.%s in an account filter: write any(contacts, .%s ...) to ask whether any contact matches", prop.Value, prop.Value)
				return true
			}
			f, ok := ec.contactField(n, prop.Value)
			if !ok {
				return true
			}
			*np = call(loc, f.Name, call(loc, "contact", envArg(loc)))
			return true
		}
	case *ast.PointerNode:
		if !inContacts || base.Name != "" {
			return false
		}
		f, ok := ec.contactField(n, prop.Value)
		if !ok {
			return true
		}
		ptr := &ast.PointerNode{}
		ptr.SetLocation(base.Location())
		*np = call(loc, f.Name, ptr)
		return true
	}
	return false
}

func (ec *exprCompiler) contactField(n ast.Node, key string) (audience.Field, bool) {
	name := "contact." + key
	f, err := ec.cat.Lookup(name)
	if err != nil || f.Subject != audience.SubjectContact {
		ec.bad(n, ErrUnknownField, "unknown contact field %q", name)
		return f, false
	}
	ec.fields[f.Name] = true
	return f, true
}

// fieldRef resolves a field reference (the argument of is_empty) and
// returns the rewritten argument and the field.
func (ec *exprCompiler) fieldRef(arg ast.Node, inContacts bool) (audience.Field, ast.Node, bool) {
	loc := arg.Location()
	switch a := arg.(type) {
	case *ast.IdentifierNode:
		if ec.inScope(a.Value) {
			break
		}
		f, err := ec.cat.Lookup(a.Value)
		if err == nil && f.Subject == audience.SubjectAccount {
			ec.fields[f.Name] = true
			return f, envArg(loc), true
		}
	case *ast.MemberNode:
		prop, ok := a.Property.(*ast.StringNode)
		if !ok {
			break
		}
		switch base := a.Node.(type) {
		case *ast.IdentifierNode:
			if isAttrPrefix(base.Value) && !ec.inScope(base.Value) {
				name := base.Value + "." + prop.Value
				f, err := ec.cat.Lookup(name)
				if err != nil {
					ec.bad(arg, ErrUndeclared, "undeclared attribute %q (declare it in the catalogue first)", name)
					return f, nil, false
				}
				ec.fields[f.Name] = true
				return f, envArg(loc), true
			}
			if base.Value == "contact" && ec.subject == audience.SubjectContact && !ec.inScope("contact") {
				f, ok := ec.contactField(arg, prop.Value)
				return f, call(loc, "contact", envArg(loc)), ok
			}
		case *ast.PointerNode:
			if inContacts && base.Name == "" {
				f, ok := ec.contactField(arg, prop.Value)
				ptr := &ast.PointerNode{}
				ptr.SetLocation(base.Location())
				return f, ptr, ok
			}
		}
	}
	ec.bad(arg, ErrType, "is_empty takes a field, such as is_empty(last_visit) or is_empty(crm.owner)")
	return audience.Field{}, nil, false
}

// stringArg returns the literal string argument i of a function call.
func (ec *exprCompiler) stringArg(n *ast.CallNode, name string) (string, bool) {
	if len(n.Arguments) != 1 {
		ec.bad(n, ErrType, "%s takes 1 argument, got %d", name, len(n.Arguments))
		return "", false
	}
	s, ok := n.Arguments[0].(*ast.StringNode)
	if !ok {
		ec.bad(n.Arguments[0], ErrType, "%s takes a string literal, such as %s(\"...\")", name, name)
		return "", false
	}
	return s.Value, true
}

func (ec *exprCompiler) callNode(np *ast.Node, n *ast.CallNode, inContacts bool) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok || ec.inScope(id.Value) {
		ec.walk(&n.Callee, inContacts)
		for i := range n.Arguments {
			ec.walk(&n.Arguments[i], inContacts)
		}
		return
	}
	loc := n.Location()
	name := id.Value
	switch name {
	case "stage_at_least", "stage_at_most":
		s, ok := ec.stringArg(n, name)
		if !ok {
			return
		}
		st, err := audience.ParseBuyingStage(s)
		if err != nil {
			ec.bad(n.Arguments[0], ErrBadValue, "unknown buying stage %q (want Target, Awareness, Consideration, Decision or Purchase)", s)
			return
		}
		ec.fields["buying_stage"] = true
		lit := &ast.IntegerNode{Value: int(st)}
		lit.SetLocation(n.Arguments[0].Location())
		*np = call(loc, name, envArg(loc), lit)
		return
	case "engaged":
		s, ok := ec.stringArg(n, name)
		if !ok {
			return
		}
		idx, seen := ec.nodes[s]
		if !seen {
			t, ok := ec.c.adTarget(s)
			if !ok {
				ec.bad(n.Arguments[0], ErrUnknownNode, "engaged: unknown ad node %q", s)
				return
			}
			idx = len(ec.targets)
			ec.targets = append(ec.targets, t)
			ec.nodes[s] = idx
		}
		lit := &ast.IntegerNode{Value: idx}
		lit.SetLocation(n.Arguments[0].Location())
		*np = call(loc, name, envArg(loc), lit)
		return
	case "in_segment":
		s, ok := ec.stringArg(n, name)
		if !ok {
			return
		}
		ec.segments[s] = true
		*np = call(loc, name, envArg(loc), n.Arguments[0])
		return
	case "within_last_days":
		if len(n.Arguments) != 2 {
			ec.bad(n, ErrType, "within_last_days takes 2 arguments (a time and a day count), got %d", len(n.Arguments))
			return
		}
		ec.walk(&n.Arguments[0], inContacts)
		ec.walk(&n.Arguments[1], inContacts)
		*np = call(loc, name, envArg(loc), n.Arguments[0], n.Arguments[1])
		return
	case "is_empty":
		if len(n.Arguments) != 1 {
			ec.bad(n, ErrType, "is_empty takes 1 argument, got %d", len(n.Arguments))
			return
		}
		f, arg, ok := ec.fieldRef(n.Arguments[0], inContacts)
		if !ok {
			return
		}
		*np = call(loc, emptyFunctionName(f.Name), arg)
		return
	case "now", "entered_at", "contacts", "contact":
		ec.bad(n, ErrType, "%s is a value, not a function: write %s", name, name)
		return
	}
	if want, ok := helperArity[name]; ok {
		if len(n.Arguments) != want {
			ec.bad(n, ErrType, "%s takes %d arguments, got %d", name, want, len(n.Arguments))
			return
		}
	} else if _, ok := builtin.Index[name]; !ok {
		if f, err := ec.cat.Lookup(name); err == nil && f.Subject == audience.SubjectAccount {
			ec.bad(n, ErrType, "%s is a field, not a function", name)
		} else {
			ec.bad(n, ErrUnknownField, "unknown function %s()", name)
		}
		return
	}
	for i := range n.Arguments {
		ec.walk(&n.Arguments[i], inContacts)
	}
}

// enumOf reports which of buying_stage and profile_fit the value of x
// (not yet rewritten by walk) carries as it is, or "": the field itself, a
// let-bound name holding it, either branch of a conditional, an element
// of an array literal, and an index, slice or chain into such a value.
// Derived values (upper(buying_stage), len(...)) are other values.
func (ec *exprCompiler) enumOf(x ast.Node) string {
	switch n := x.(type) {
	case *ast.IdentifierNode:
		for i := len(ec.scopes) - 1; i >= 0; i-- {
			if ec.scopes[i] == n.Value {
				return ec.scopeEnums[i]
			}
		}
		if n.Value == "buying_stage" || n.Value == "profile_fit" {
			return n.Value
		}
	case *ast.ConditionalNode:
		if f := ec.enumOf(n.Exp1); f != "" {
			return f
		}
		return ec.enumOf(n.Exp2)
	case *ast.ArrayNode:
		for _, e := range n.Nodes {
			if f := ec.enumOf(e); f != "" {
				return f
			}
		}
	case *ast.MemberNode:
		return ec.enumOf(n.Node)
	case *ast.SliceNode:
		return ec.enumOf(n.Node)
	case *ast.ChainNode:
		return ec.enumOf(n.Node)
	}
	return ""
}

// binary checks comparisons with buying_stage and profile_fit: ordering
// is a compile error, however the value reaches the comparison (see
// enumOf), and string literals compared with the fields themselves must be
// valid names.
func (ec *exprCompiler) binary(n *ast.BinaryNode) {
	switch n.Operator {
	case "<", ">", "<=", ">=":
		field := ec.enumOf(n.Left)
		if field == "" {
			field = ec.enumOf(n.Right)
		}
		if field == "" {
			return
		}
		if field == "buying_stage" {
			ec.bad(n, ErrType, "buying_stage is a name and cannot be ordered with %s: use stage_at_least(\"...\") or stage_at_most(\"...\")", n.Operator)
		} else {
			ec.bad(n, ErrType, "profile_fit is a name and cannot be ordered with %s: compare it with == or in", n.Operator)
		}
		return
	}
	enum := func(x ast.Node) string {
		if id, ok := x.(*ast.IdentifierNode); ok && !ec.inScope(id.Value) && (id.Value == "buying_stage" || id.Value == "profile_fit") {
			return id.Value
		}
		return ""
	}
	l, r := enum(n.Left), enum(n.Right)
	field := l
	if field == "" {
		field = r
	}
	if field == "" {
		return
	}
	switch n.Operator {
	case "==", "!=":
		other := n.Right
		if r != "" {
			other = n.Left
		}
		if s, ok := other.(*ast.StringNode); ok {
			ec.checkEnumName(s, field)
		}
	case "in", "not in":
		if l == "" {
			return
		}
		if arr, ok := n.Right.(*ast.ArrayNode); ok {
			for _, x := range arr.Nodes {
				if s, ok := x.(*ast.StringNode); ok {
					ec.checkEnumName(s, field)
				}
			}
		}
	}
}

func (ec *exprCompiler) checkEnumName(s *ast.StringNode, field string) {
	if field == "buying_stage" {
		for _, st := range audience.Stages() {
			if st.String() == s.Value {
				return
			}
		}
		ec.bad(s, ErrBadValue, "unknown buying stage %q (stages are Target, Awareness, Consideration, Decision, Purchase; names are case-sensitive in expressions)", s.Value)
		return
	}
	for _, f := range []audience.ProfileFit{audience.FitStrong, audience.FitModerate, audience.FitWeak} {
		if f.String() == s.Value {
			return
		}
	}
	ec.bad(s, ErrBadValue, "unknown profile fit %q (fits are Strong, Moderate, Weak; names are case-sensitive in expressions)", s.Value)
}

// quoteExpr quotes s as an expr string literal that reads back exactly
// (s must be valid UTF-8): control and non-ASCII characters are escaped.
func quoteExpr(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
