package eval

import (
	"strings"
)

// Render returns f's semantics as an expression (structured filters are
// rendered; expressions are returned as is; the zero filter is "true"),
// using the zero Compiler.
func Render(f Filter) (string, error) {
	var c Compiler
	return c.Render(f)
}

// Render returns f's semantics as an expression text that c compiles to a
// program agreeing with the structured one on every Env. A structured
// filter that does not compile returns its *CompileError.
//
// Rendered conditions use the case-insensitive helpers (equal_fold,
// contains_fold, has_fold, ...) because structured string operators ignore
// case. A rendered filter may exceed MaxExprBytes or MaxExprNodes even when
// the structured filter is within MaxConditions.
func (c *Compiler) Render(f Filter) (string, error) {
	switch {
	case f.IsZero():
		return "true", nil
	case f.Expr != "" && len(f.Conditions) == 0 && f.Logic == "":
		return f.Expr, nil
	}
	p, err := c.Compile(f)
	if err != nil {
		return "", err
	}
	return p.render(), nil
}

// render renders a compiled structured program.
func (p *Program) render() string {
	switch p.kind {
	case kindAll:
		return "true"
	case kindExpr:
		return p.src.Expr
	}
	var b strings.Builder
	if p.logic == nil {
		for i := range p.conds {
			if i > 0 {
				b.WriteString(" && ")
			}
			b.WriteString(p.conds[i].expr)
		}
		return b.String()
	}
	p.renderNode(&b, p.logic, logicOr)
	return b.String()
}

func (p *Program) renderNode(b *strings.Builder, n *logicNode, parent logicOp) {
	switch n.op {
	case logicLeaf:
		b.WriteString(p.conds[n.n-1].expr)
	case logicNot:
		b.WriteString("!(")
		p.renderNode(b, n.kids[0], logicOr)
		b.WriteString(")")
	default:
		paren := parent == logicAnd && n.op == logicOr
		if paren {
			b.WriteByte('(')
		}
		sep := " && "
		if n.op == logicOr {
			sep = " || "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			p.renderNode(b, k, n.op)
		}
		if paren {
			b.WriteByte(')')
		}
	}
}
