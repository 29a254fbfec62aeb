package eval

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/playgraph/playgraph/audience"
)

// pred is a compiled account-level condition or filter.
type pred func(*Env) bool

// cpred is a compiled condition over one contact.
type cpred func(*audience.Contact) bool

// compiledCond is one compiled numbered condition.
type compiledCond struct {
	n       int
	field   string // catalogue name, "" for engaged / in_segment
	contact bool   // a contact field: cp is set, p is not
	p       pred
	cp      cpred
	expr    string // the condition as an expression operand (see Render)
	segment string // in_segment id
	node    string // engaged node id
}

// condCompiler compiles one condition.
type condCompiler struct {
	c     *Compiler
	cat   *audience.Catalog
	n     int
	probs *problems
}

func (cc *condCompiler) bad(sentinel error, format string, args ...any) {
	cc.probs.add(Position{Condition: cc.n}, sentinel, format, args...)
}

// wantValues checks the number of values op takes.
func (cc *condCompiler) wantValues(cond Condition) bool {
	n := len(cond.Values)
	var ok bool
	var want string
	switch cond.Op {
	case IsEmpty, IsNotEmpty:
		ok, want = n == 0, "no values"
	case In, NotIn, ContainsAny, ContainsAll:
		ok, want = n >= 1, "at least one value"
	case Between:
		ok, want = n == 2, "2 values"
	default:
		ok, want = n == 1, "1 value"
	}
	if !ok {
		cc.bad(ErrBadValue, "%s wants %s, got %d", cond.Op, want, n)
	}
	return ok
}

func knownOp(op Op) bool {
	switch op {
	case Eq, Ne, In, NotIn, Contains, ContainsAny, ContainsAll, StartsWith, Gt, Gte, Lt, Lte,
		Between, IsEmpty, IsNotEmpty, WithinLastDays, StageAtLeast, StageAtMost, Engaged, InSegment:
		return true
	}
	return false
}

// compile compiles cond; ok is false if it had problems (already recorded).
func (cc *condCompiler) compile(cond Condition) (compiledCond, bool) {
	out := compiledCond{n: cc.n, field: cond.Field}
	if !knownOp(cond.Op) {
		cc.bad(ErrBadValue, "unknown operator %q", cond.Op)
		return out, false
	}
	before := len(*cc.probs)
	valuesOK := cc.wantValues(cond)
	for _, v := range cond.Values {
		if !utf8.ValidString(v) {
			cc.bad(ErrBadValue, "value %q is not valid UTF-8", v)
			valuesOK = false
		}
	}
	switch cond.Op {
	case Engaged, InSegment:
		if cond.Field != "" {
			cc.bad(ErrType, "%s takes no field (got %q)", cond.Op, cond.Field)
		}
		if !valuesOK {
			return out, false
		}
		id := cond.Values[0]
		if cond.Op == InSegment {
			out.segment = id
			out.p = func(e *Env) bool { return inSegment(e, id) }
			out.expr = "in_segment(" + quote(id) + ")"
		} else {
			t, ok := cc.c.adTarget(id)
			if !ok {
				cc.bad(ErrUnknownNode, "engaged: unknown ad node %q", id)
				return out, false
			}
			out.node = id
			out.p = func(e *Env) bool { return engaged(e, t) }
			out.expr = "engaged(" + quote(id) + ")"
		}
		return out, len(*cc.probs) == before
	case StageAtLeast, StageAtMost:
		if cond.Field == "" {
			cond.Field = "buying_stage"
			out.field = cond.Field
		}
	}
	if cond.Field == "" {
		cc.bad(ErrUnknownField, "%s needs a field", cond.Op)
		return out, false
	}
	f, err := cc.cat.Lookup(cond.Field)
	if err != nil {
		if isUndeclared(err) {
			cc.bad(ErrUndeclared, "undeclared attribute %q (declare it in the catalogue first)", cond.Field)
		} else {
			cc.bad(ErrUnknownField, "unknown field %q", cond.Field)
		}
		return out, false
	}
	acc := newAccessor(f)
	if !valuesOK {
		// Still check the operator fits the type, to report every problem.
		cc.checkOpType(f, cond.Op)
		return out, false
	}
	ref := f.Name
	if f.Subject == audience.SubjectContact {
		out.contact = true
		if cc.c.subject() == audience.SubjectAccount {
			ref = "." + strings.TrimPrefix(f.Name, "contact.")
		}
	}
	if !cc.checkOpType(f, cond.Op) {
		return out, false
	}
	var ok bool
	if out.contact {
		out.cp, out.expr, ok = cc.stringCond(cond, ref, nil, acc.con)
		if ok && cc.c.subject() == audience.SubjectAccount {
			out.expr = "any(contacts, " + out.expr + ")"
		}
		return out, ok
	}
	switch f.Type {
	case audience.TypeString:
		_, out.expr, ok = cc.stringCond(cond, ref, acc.str, nil)
		if ok {
			out.p = cc.stringPred(cond, acc)
		}
	case audience.TypeStrings:
		out.p, out.expr, ok = cc.listCond(cond, ref, acc)
	case audience.TypeInt:
		out.p, out.expr, ok = cc.intCond(cond, ref, acc)
	case audience.TypeFloat:
		out.p, out.expr, ok = cc.floatCond(cond, ref, acc)
	case audience.TypeBool:
		out.p, out.expr, ok = cc.boolCond(cond, ref, acc)
	case audience.TypeTime:
		out.p, out.expr, ok = cc.timeCond(cond, ref, acc)
	case audience.TypeStage, audience.TypeFit:
		out.p, out.expr, ok = cc.enumCond(cond, ref, acc, f.Type)
	default:
		cc.bad(ErrType, "field %q has unsupported type %s", f.Name, f.Type)
	}
	return out, ok && len(*cc.probs) == before
}

// checkOpType reports whether op applies to f's type, recording a problem if not.
func (cc *condCompiler) checkOpType(f audience.Field, op Op) bool {
	t := f.Type
	allowed := false
	switch op {
	case IsEmpty, IsNotEmpty:
		allowed = true
	case Eq, Ne:
		allowed = t != audience.TypeStrings
	case In, NotIn:
		allowed = t != audience.TypeBool && t != audience.TypeTime
	case Contains, ContainsAny, ContainsAll:
		allowed = t == audience.TypeString || t == audience.TypeStrings
	case StartsWith:
		allowed = t == audience.TypeString
	case Gt, Gte, Lt, Lte, Between:
		allowed = t == audience.TypeInt || t == audience.TypeFloat || t == audience.TypeTime
	case WithinLastDays:
		allowed = t == audience.TypeTime
	case StageAtLeast, StageAtMost:
		allowed = t == audience.TypeStage
	}
	if allowed {
		return true
	}
	switch {
	case t == audience.TypeStage && (op == Gt || op == Gte || op == Lt || op == Lte || op == Between):
		cc.bad(ErrType, "%s: buying stages are names, not numbers: use stage_at_least or stage_at_most", op)
	case t == audience.TypeFit && (op == Gt || op == Gte || op == Lt || op == Lte || op == Between):
		cc.bad(ErrType, "%s: profile fits are names: compare them with eq, ne, in or not_in", op)
	case op == StageAtLeast || op == StageAtMost:
		cc.bad(ErrType, "%s applies to buying_stage, not %q", op, f.Name)
	default:
		cc.bad(ErrType, "%s does not apply to field %q (%s)", op, f.Name, typeNoun(t))
	}
	return false
}

func quote(s string) string { return quoteExpr(s) }

func quoteList(vs []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteExpr(v))
	}
	b.WriteByte(']')
	return b.String()
}

func lowerAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	return out
}

// stringCond renders a string condition and, for contact fields, compiles
// it over a contact getter.
func (cc *condCompiler) stringCond(cond Condition, ref string, _ func(*audience.Account) string, get func(*audience.Contact) string) (cpred, string, bool) {
	vs := cond.Values
	var sp func(string) bool
	var expr string
	switch cond.Op {
	case Eq, Ne:
		v := vs[0]
		sp = func(s string) bool { return equalFold(s, v) }
		expr = "equal_fold(" + ref + ", " + quote(v) + ")"
	case In, NotIn:
		list := append([]string(nil), vs...)
		sp = func(s string) bool { return oneOfFold(s, list) }
		expr = "one_of_fold(" + ref + ", " + quoteList(vs) + ")"
	case Contains:
		l := strings.ToLower(vs[0])
		sp = func(s string) bool { return containsLower(s, l) }
		expr = "contains_fold(" + ref + ", " + quote(vs[0]) + ")"
	case ContainsAny:
		ls := lowerAll(vs)
		sp = func(s string) bool { return containsAnyLower(s, ls) }
		expr = "contains_any_fold(" + ref + ", " + quoteList(vs) + ")"
	case ContainsAll:
		ls := lowerAll(vs)
		sp = func(s string) bool { return containsAllLower(s, ls) }
		expr = "contains_all_fold(" + ref + ", " + quoteList(vs) + ")"
	case StartsWith:
		l := strings.ToLower(vs[0])
		sp = func(s string) bool { return hasPrefixLower(s, l) }
		expr = "prefix_fold(" + ref + ", " + quote(vs[0]) + ")"
	case IsEmpty, IsNotEmpty:
		sp = func(s string) bool { return s == "" }
		expr = "is_empty(" + ref + ")"
	}
	if cond.Op == Ne || cond.Op == NotIn || cond.Op == IsNotEmpty {
		inner := sp
		sp = func(s string) bool { return !inner(s) }
		expr = "!" + expr
	}
	if get == nil {
		return nil, expr, true
	}
	return func(c *audience.Contact) bool { return sp(get(c)) }, expr, true
}

// stringPred compiles an account string condition with one call per
// evaluation beyond the getter.
func (cc *condCompiler) stringPred(cond Condition, acc accessor) pred {
	get, vs := acc.str, cond.Values
	switch cond.Op {
	case Eq:
		v := vs[0]
		return func(e *Env) bool { return equalFold(get(e.Account), v) }
	case Ne:
		v := vs[0]
		return func(e *Env) bool { return !equalFold(get(e.Account), v) }
	case In:
		list := append([]string(nil), vs...)
		return func(e *Env) bool { return oneOfFold(get(e.Account), list) }
	case NotIn:
		list := append([]string(nil), vs...)
		return func(e *Env) bool { return !oneOfFold(get(e.Account), list) }
	case Contains:
		l := strings.ToLower(vs[0])
		return func(e *Env) bool { return containsLower(get(e.Account), l) }
	case ContainsAny:
		ls := lowerAll(vs)
		return func(e *Env) bool { return containsAnyLower(get(e.Account), ls) }
	case ContainsAll:
		ls := lowerAll(vs)
		return func(e *Env) bool { return containsAllLower(get(e.Account), ls) }
	case StartsWith:
		l := strings.ToLower(vs[0])
		return func(e *Env) bool { return hasPrefixLower(get(e.Account), l) }
	case IsEmpty:
		empty := acc.empty
		return func(e *Env) bool { return empty(e.Account) }
	case IsNotEmpty:
		empty := acc.empty
		return func(e *Env) bool { return !empty(e.Account) }
	}
	return nil
}

func (cc *condCompiler) listCond(cond Condition, ref string, acc accessor) (pred, string, bool) {
	get, vs := acc.strs, append([]string(nil), cond.Values...)
	switch cond.Op {
	case Contains:
		v := vs[0]
		return func(e *Env) bool { return hasFold(get(e.Account), v) }, "has_fold(" + ref + ", " + quote(v) + ")", true
	case ContainsAny, In:
		return func(e *Env) bool { return hasAnyFold(get(e.Account), vs) }, "has_any_fold(" + ref + ", " + quoteList(vs) + ")", true
	case NotIn:
		return func(e *Env) bool { return !hasAnyFold(get(e.Account), vs) }, "!has_any_fold(" + ref + ", " + quoteList(vs) + ")", true
	case ContainsAll:
		return func(e *Env) bool { return hasAllFold(get(e.Account), vs) }, "has_all_fold(" + ref + ", " + quoteList(vs) + ")", true
	}
	return cc.emptyCond(cond, ref, acc)
}

func (cc *condCompiler) emptyCond(cond Condition, ref string, acc accessor) (pred, string, bool) {
	empty := acc.empty
	if cond.Op == IsEmpty {
		return func(e *Env) bool { return empty(e.Account) }, "is_empty(" + ref + ")", true
	}
	return func(e *Env) bool { return !empty(e.Account) }, "!is_empty(" + ref + ")", true
}

func (cc *condCompiler) parseInts(vs []string) ([]int64, bool) {
	out := make([]int64, len(vs))
	ok := true
	for i, v := range vs {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64)
		if err != nil {
			cc.bad(ErrBadValue, "value %q is not an integer", v)
			ok = false
		}
		out[i] = n
	}
	return out, ok
}

func renderInt(n int64) string {
	if n == math.MinInt64 {
		return "(-9223372036854775807 - 1)"
	}
	return strconv.FormatInt(n, 10)
}

func renderInts(ns []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range ns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(renderInt(n))
	}
	b.WriteByte(']')
	return b.String()
}

// cmpExpr renders ref OP v for the comparison operators.
func cmpExpr(op Op, ref, v string) string {
	sym := map[Op]string{Eq: "==", Ne: "!=", Gt: ">", Gte: ">=", Lt: "<", Lte: "<="}[op]
	return ref + " " + sym + " " + v
}

func (cc *condCompiler) intCond(cond Condition, ref string, acc accessor) (pred, string, bool) {
	if cond.Op == IsEmpty || cond.Op == IsNotEmpty {
		return cc.emptyCond(cond, ref, acc)
	}
	ns, ok := cc.parseInts(cond.Values)
	if !ok {
		return nil, "", false
	}
	get := acc.num
	v := ns[0]
	switch cond.Op {
	case Eq:
		return func(e *Env) bool { return get(e.Account) == v }, cmpExpr(Eq, ref, renderInt(v)), true
	case Ne:
		return func(e *Env) bool { return get(e.Account) != v }, cmpExpr(Ne, ref, renderInt(v)), true
	case Gt:
		return func(e *Env) bool { return get(e.Account) > v }, cmpExpr(Gt, ref, renderInt(v)), true
	case Gte:
		return func(e *Env) bool { return get(e.Account) >= v }, cmpExpr(Gte, ref, renderInt(v)), true
	case Lt:
		return func(e *Env) bool { return get(e.Account) < v }, cmpExpr(Lt, ref, renderInt(v)), true
	case Lte:
		return func(e *Env) bool { return get(e.Account) <= v }, cmpExpr(Lte, ref, renderInt(v)), true
	case Between:
		lo, hi := ns[0], ns[1]
		return func(e *Env) bool { n := get(e.Account); return n >= lo && n <= hi },
			"(" + ref + " >= " + renderInt(lo) + " && " + ref + " <= " + renderInt(hi) + ")", true
	case In, NotIn:
		in := func(n int64) bool {
			for _, x := range ns {
				if n == x {
					return true
				}
			}
			return false
		}
		if cond.Op == In {
			return func(e *Env) bool { return in(get(e.Account)) }, ref + " in " + renderInts(ns), true
		}
		return func(e *Env) bool { return !in(get(e.Account)) }, ref + " not in " + renderInts(ns), true
	}
	return nil, "", false
}

func renderFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func (cc *condCompiler) floatCond(cond Condition, ref string, acc accessor) (pred, string, bool) {
	if cond.Op == IsEmpty || cond.Op == IsNotEmpty {
		return cc.emptyCond(cond, ref, acc)
	}
	fs := make([]float64, len(cond.Values))
	for i, v := range cond.Values {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			cc.bad(ErrBadValue, "value %q is not a finite number", v)
			return nil, "", false
		}
		fs[i] = f
	}
	get := acc.flt
	v := fs[0]
	switch cond.Op {
	case Eq:
		return func(e *Env) bool { return get(e.Account) == v }, cmpExpr(Eq, ref, renderFloat(v)), true
	case Ne:
		return func(e *Env) bool { return get(e.Account) != v }, cmpExpr(Ne, ref, renderFloat(v)), true
	case Gt:
		return func(e *Env) bool { return get(e.Account) > v }, cmpExpr(Gt, ref, renderFloat(v)), true
	case Gte:
		return func(e *Env) bool { return get(e.Account) >= v }, cmpExpr(Gte, ref, renderFloat(v)), true
	case Lt:
		return func(e *Env) bool { return get(e.Account) < v }, cmpExpr(Lt, ref, renderFloat(v)), true
	case Lte:
		return func(e *Env) bool { return get(e.Account) <= v }, cmpExpr(Lte, ref, renderFloat(v)), true
	case Between:
		lo, hi := fs[0], fs[1]
		return func(e *Env) bool { n := get(e.Account); return n >= lo && n <= hi },
			"(" + ref + " >= " + renderFloat(lo) + " && " + ref + " <= " + renderFloat(hi) + ")", true
	case In, NotIn:
		in := func(n float64) bool {
			for _, x := range fs {
				if n == x {
					return true
				}
			}
			return false
		}
		parts := make([]string, len(fs))
		for i, f := range fs {
			parts[i] = renderFloat(f)
		}
		list := "[" + strings.Join(parts, ", ") + "]"
		if cond.Op == In {
			return func(e *Env) bool { return in(get(e.Account)) }, ref + " in " + list, true
		}
		return func(e *Env) bool { return !in(get(e.Account)) }, ref + " not in " + list, true
	}
	return nil, "", false
}

func (cc *condCompiler) boolCond(cond Condition, ref string, acc accessor) (pred, string, bool) {
	if cond.Op == IsEmpty || cond.Op == IsNotEmpty {
		return cc.emptyCond(cond, ref, acc)
	}
	v, err := strconv.ParseBool(strings.TrimSpace(cond.Values[0]))
	if err != nil {
		cc.bad(ErrBadValue, "value %q is not true or false", cond.Values[0])
		return nil, "", false
	}
	get := acc.bol
	if cond.Op == Eq {
		return func(e *Env) bool { return get(e.Account) == v }, cmpExpr(Eq, ref, strconv.FormatBool(v)), true
	}
	return func(e *Env) bool { return get(e.Account) != v }, cmpExpr(Ne, ref, strconv.FormatBool(v)), true
}

// parseTime parses RFC 3339 or a bare date (midnight UTC).
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func renderTime(t time.Time) string { return "date(" + quote(t.Format(time.RFC3339Nano)) + ")" }

func (cc *condCompiler) timeCond(cond Condition, ref string, acc accessor) (pred, string, bool) {
	if cond.Op == IsEmpty || cond.Op == IsNotEmpty {
		return cc.emptyCond(cond, ref, acc)
	}
	get := acc.tim
	if cond.Op == WithinLastDays {
		n, err := strconv.Atoi(strings.TrimSpace(cond.Values[0]))
		if err != nil || n < 0 || n > maxDays {
			cc.bad(ErrBadValue, "value %q is not a day count (0 to %d)", cond.Values[0], maxDays)
			return nil, "", false
		}
		return func(e *Env) bool { return withinLastDays(get(e.Account), e.Now, n) },
			"within_last_days(" + ref + ", " + strconv.Itoa(n) + ")", true
	}
	ts := make([]time.Time, len(cond.Values))
	for i, v := range cond.Values {
		t, ok := parseTime(v)
		if !ok || t.Year() < 1 || t.Year() > 9999 {
			cc.bad(ErrBadValue, "value %q is not an RFC 3339 time or a date (2006-01-02)", v)
			return nil, "", false
		}
		ts[i] = t
	}
	v := ts[0]
	switch cond.Op {
	case Eq:
		return func(e *Env) bool { return get(e.Account).Equal(v) }, cmpExpr(Eq, ref, renderTime(v)), true
	case Ne:
		return func(e *Env) bool { return !get(e.Account).Equal(v) }, cmpExpr(Ne, ref, renderTime(v)), true
	case Gt:
		return func(e *Env) bool { return get(e.Account).After(v) }, cmpExpr(Gt, ref, renderTime(v)), true
	case Gte:
		return func(e *Env) bool { return !get(e.Account).Before(v) }, cmpExpr(Gte, ref, renderTime(v)), true
	case Lt:
		return func(e *Env) bool { return get(e.Account).Before(v) }, cmpExpr(Lt, ref, renderTime(v)), true
	case Lte:
		return func(e *Env) bool { return !get(e.Account).After(v) }, cmpExpr(Lte, ref, renderTime(v)), true
	case Between:
		lo, hi := ts[0], ts[1]
		return func(e *Env) bool { t := get(e.Account); return !t.Before(lo) && !t.After(hi) },
			"(" + ref + " >= " + renderTime(lo) + " && " + ref + " <= " + renderTime(hi) + ")", true
	}
	return nil, "", false
}

// enumCond compiles buying stage and profile fit conditions: values are
// names (any case), compared as ordinals; expressions read the names.
func (cc *condCompiler) enumCond(cond Condition, ref string, acc accessor, t audience.Type) (pred, string, bool) {
	if cond.Op == IsEmpty || cond.Op == IsNotEmpty {
		return cc.emptyCond(cond, ref, acc)
	}
	ords := make([]int64, len(cond.Values))
	names := make([]string, len(cond.Values))
	for i, v := range cond.Values {
		if t == audience.TypeStage {
			s, err := audience.ParseBuyingStage(strings.TrimSpace(v))
			if err != nil {
				cc.bad(ErrBadValue, "unknown buying stage %q (want Target, Awareness, Consideration, Decision or Purchase)", v)
				return nil, "", false
			}
			ords[i], names[i] = int64(s), s.String()
		} else {
			f, err := audience.ParseProfileFit(strings.TrimSpace(v))
			if err != nil {
				cc.bad(ErrBadValue, "unknown profile fit %q (want Strong, Moderate or Weak)", v)
				return nil, "", false
			}
			ords[i], names[i] = int64(f), f.String()
		}
	}
	get := acc.num
	v := ords[0]
	switch cond.Op {
	case Eq:
		return func(e *Env) bool { return get(e.Account) == v }, ref + " == " + quote(names[0]), true
	case Ne:
		return func(e *Env) bool { return get(e.Account) != v }, ref + " != " + quote(names[0]), true
	case In, NotIn:
		var mask uint64
		for _, o := range ords {
			mask |= 1 << uint(o)
		}
		if cond.Op == In {
			return func(e *Env) bool { n := get(e.Account); return n >= 0 && n < 64 && mask>>uint(n)&1 != 0 },
				ref + " in " + quoteList(names), true
		}
		return func(e *Env) bool { n := get(e.Account); return !(n >= 0 && n < 64 && mask>>uint(n)&1 != 0) },
			ref + " not in " + quoteList(names), true
	case StageAtLeast:
		s := audience.BuyingStage(v)
		return func(e *Env) bool { return stageAtLeast(audience.BuyingStage(get(e.Account)), s) },
			"stage_at_least(" + quote(names[0]) + ")", true
	case StageAtMost:
		s := audience.BuyingStage(v)
		return func(e *Env) bool { return stageAtMost(audience.BuyingStage(get(e.Account)), s) },
			"stage_at_most(" + quote(names[0]) + ")", true
	}
	return nil, "", false
}
