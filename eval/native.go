package eval

import (
	"github.com/expr-lang/expr/ast"

	"github.com/playgraph/playgraph/audience"
)

// Native evaluation: the common shapes of account expressions — string
// membership in a list field, any() over a list field, engaged(), constants
// and and/or/not over those — are also compiled into Go closures, which a
// Runner calls instead of expr's VM (no argument slices, no boxing, no
// reflection). The closures follow expr's semantics exactly (exact string
// equality, false over an empty or nil list); an expression with any other
// shape runs on the VM.

// nativeBool evaluates a bool expression; cur is the element # stands for
// inside an any() predicate over a string list.
type nativeBool func(env *Env, cur string) bool

// nativeStr evaluates a string expression.
type nativeStr func(env *Env, cur string) string

// nativeStrs evaluates a string-list expression.
type nativeStrs func(env *Env) []string

// native returns the closure evaluating the (rewritten, type-checked) tree
// of an account expression, or nil when the tree has another shape.
func (ec *exprCompiler) native(n ast.Node) func(*Env) bool {
	if ec.subject != audience.SubjectAccount {
		return nil
	}
	f := ec.nativeBool(n, false)
	if f == nil {
		return nil
	}
	return func(env *Env) bool { return f(env, "") }
}

func (ec *exprCompiler) nativeBool(n ast.Node, inPred bool) nativeBool {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(*Env, string) bool { return v }
	case *ast.UnaryNode:
		if n.Operator != "not" && n.Operator != "!" {
			return nil
		}
		x := ec.nativeBool(n.Node, inPred)
		if x == nil {
			return nil
		}
		return func(env *Env, cur string) bool { return !x(env, cur) }
	case *ast.BinaryNode:
		switch n.Operator {
		case "and", "&&", "or", "||":
			l, r := ec.nativeBool(n.Left, inPred), ec.nativeBool(n.Right, inPred)
			if l == nil || r == nil {
				return nil
			}
			if n.Operator == "and" || n.Operator == "&&" {
				return func(env *Env, cur string) bool { return l(env, cur) && r(env, cur) }
			}
			return func(env *Env, cur string) bool { return l(env, cur) || r(env, cur) }
		case "in", "not in":
			in := ec.nativeIn(n, inPred)
			if in == nil || n.Operator == "in" {
				return in
			}
			return func(env *Env, cur string) bool { return !in(env, cur) }
		}
	case *ast.BuiltinNode:
		if n.Name != "any" || len(n.Arguments) != 2 || inPred {
			return nil
		}
		list := ec.nativeStrs(n.Arguments[0])
		pn, ok := n.Arguments[1].(*ast.PredicateNode)
		if list == nil || !ok {
			return nil
		}
		pred := ec.nativeBool(pn.Node, true)
		if pred == nil {
			return nil
		}
		return func(env *Env, _ string) bool {
			for _, s := range list(env) {
				if pred(env, s) {
					return true
				}
			}
			return false
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != "engaged" || len(n.Arguments) != 2 || !isEnvArg(n.Arguments[0]) {
			return nil
		}
		idx, ok := n.Arguments[1].(*ast.IntegerNode)
		if !ok {
			return nil
		}
		targets := &ec.targets
		i := idx.Value
		return func(env *Env, _ string) bool { return engaged(env, (*targets)[i]) }
	}
	return nil
}

// nativeIn compiles `x in list`: x a string, list a string-list field or
// an array of string constants.
func (ec *exprCompiler) nativeIn(n *ast.BinaryNode, inPred bool) nativeBool {
	x := ec.nativeStr(n.Left, inPred)
	if x == nil {
		return nil
	}
	if arr, ok := n.Right.(*ast.ArrayNode); ok {
		set := make([]string, 0, len(arr.Nodes))
		for _, e := range arr.Nodes {
			s, ok := e.(*ast.StringNode)
			if !ok {
				return nil
			}
			set = append(set, s.Value)
		}
		return func(env *Env, cur string) bool {
			v := x(env, cur)
			for _, s := range set {
				if s == v {
					return true
				}
			}
			return false
		}
	}
	list := ec.nativeStrs(n.Right)
	if list == nil {
		return nil
	}
	return func(env *Env, cur string) bool {
		v := x(env, cur)
		for _, s := range list(env) {
			if s == v {
				return true
			}
		}
		return false
	}
}

func (ec *exprCompiler) nativeStr(n ast.Node, inPred bool) nativeStr {
	switch n := n.(type) {
	case *ast.StringNode:
		v := n.Value
		return func(*Env, string) string { return v }
	case *ast.PointerNode:
		if !inPred || n.Name != "" {
			return nil
		}
		return func(_ *Env, cur string) string { return cur }
	case *ast.CallNode:
		f, ok := ec.fieldCall(n, audience.TypeString)
		if !ok {
			return nil
		}
		get := newAccessor(f).str
		return func(env *Env, _ string) string { return get(env.Account) }
	}
	return nil
}

func (ec *exprCompiler) nativeStrs(n ast.Node) nativeStrs {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return nil
	}
	f, ok := ec.fieldCall(c, audience.TypeStrings)
	if !ok {
		return nil
	}
	get := newAccessor(f).strs
	return func(env *Env) []string { return get(env.Account) }
}

// fieldCall reports whether n is the rewritten read of an account field of
// type typ (name($env)), and returns the field.
func (ec *exprCompiler) fieldCall(n *ast.CallNode, typ audience.Type) (audience.Field, bool) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok || len(n.Arguments) != 1 || !isEnvArg(n.Arguments[0]) {
		return audience.Field{}, false
	}
	f, err := ec.cat.Lookup(id.Value)
	if err != nil || f.Subject != audience.SubjectAccount || f.Type != typ || f.Name != id.Value {
		return audience.Field{}, false
	}
	return f, true
}

func isEnvArg(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "$env"
}
