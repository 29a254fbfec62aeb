package eval

import (
	"fmt"
	"strconv"
	"strings"
)

// Explanation tells how a filter decided.
type Explanation struct {
	Result     bool
	Conditions []ConditionResult // structured filters: every numbered condition
	Value      any               // expressions: the expression's value
	Text       string            // one line for humans: "1 AND (2 OR 3): 1 held, 2 failed, 3 held → true"
}

// ConditionResult is the outcome of one numbered condition.
type ConditionResult struct {
	N    int
	Held bool
	Text string // the condition rendered as an expression, e.g. `intent_score >= 70`
}

// Explain evaluates p against env and says why. It evaluates every
// numbered condition (not only those the logic line reached), so it is
// slower than Match and meant for previews, audits and debugging, never
// the hot path.
func (p *Program) Explain(env *Env) (Explanation, error) {
	if err := p.check(env); err != nil {
		return Explanation{}, err
	}
	switch p.kind {
	case kindAll:
		return Explanation{Result: true, Value: true, Text: "empty filter → true"}, nil
	case kindExpr:
		var r Runner
		ok, err := r.Match(p, env)
		if err != nil {
			return Explanation{}, err
		}
		return Explanation{Result: ok, Value: ok, Text: fmt.Sprintf("%s → %t", p.src.Expr, ok)}, nil
	}
	ex := Explanation{Result: p.match(env), Conditions: make([]ConditionResult, len(p.conds))}
	var b strings.Builder
	if p.logic != nil {
		b.WriteString(p.logic.String())
	} else {
		for i := range p.conds {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(strconv.Itoa(i + 1))
		}
	}
	b.WriteString(": ")
	for i := range p.conds {
		cd := &p.conds[i]
		held := p.leaf(cd)(env)
		ex.Conditions[i] = ConditionResult{N: cd.n, Held: held, Text: cd.expr}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(cd.n))
		if held {
			b.WriteString(" held")
		} else {
			b.WriteString(" failed")
		}
	}
	fmt.Fprintf(&b, " → %t", ex.Result)
	ex.Value = ex.Result
	ex.Text = b.String()
	return ex, nil
}
