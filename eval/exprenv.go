package eval

import (
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/conf"

	"github.com/playgraph/playgraph/audience"
)

// exprEnv is the value expressions run against. It has no exported fields
// or methods, so expressions cannot reach it by reflection: every name an
// expression uses is rewritten at compile time into a call of a typed
// function taking $env (or a contact) as its first argument. A Runner owns
// one and points it at the caller's Env for the duration of one run.
type exprEnv struct {
	e  *Env
	cs []*audience.Contact // scratch for contacts()
}

// contacts returns the account's contacts as pointers (no copies), reusing
// the Runner's scratch slice.
func (x *exprEnv) contacts() []*audience.Contact {
	x.cs = x.cs[:0]
	for i := range x.e.Contacts {
		x.cs = append(x.cs, &x.e.Contacts[i])
	}
	return x.cs
}

func envOf(p []any) *exprEnv { return p[0].(*exprEnv) }

// Pre-boxed names, so reading buying_stage or profile_fit never allocates.
var (
	stageNamesAny = func() []any {
		out := make([]any, 6)
		for i := range out {
			out[i] = audience.BuyingStage(i).String()
		}
		return out
	}()
	fitNamesAny = func() []any {
		out := make([]any, 4)
		for i := range out {
			out[i] = audience.ProfileFit(i).String()
		}
		return out
	}()
)

func stageName(n int64) any {
	if n >= 0 && int(n) < len(stageNamesAny) {
		return stageNamesAny[n]
	}
	return audience.BuyingStage(uint8(n)).String()
}

func fitName(n int64) any {
	if n >= 0 && int(n) < len(fitNamesAny) {
		return fitNamesAny[n]
	}
	return audience.ProfileFit(uint8(n)).String()
}

// fieldFunction returns the expr function reading account field f, typed
// for the checker: func(*exprEnv) T.
func fieldFunction(f audience.Field) expr.Option {
	acc := newAccessor(f)
	var fn func(p ...any) (any, error)
	var typ any
	switch f.Type {
	case audience.TypeString:
		get := acc.str
		fn = func(p ...any) (any, error) { return get(envOf(p).e.Account), nil }
		typ = new(func(*exprEnv) string)
	case audience.TypeInt:
		get := acc.num
		fn = func(p ...any) (any, error) { return int(get(envOf(p).e.Account)), nil }
		typ = new(func(*exprEnv) int)
	case audience.TypeFloat:
		get := acc.flt
		fn = func(p ...any) (any, error) { return get(envOf(p).e.Account), nil }
		typ = new(func(*exprEnv) float64)
	case audience.TypeBool:
		get := acc.bol
		fn = func(p ...any) (any, error) { return get(envOf(p).e.Account), nil }
		typ = new(func(*exprEnv) bool)
	case audience.TypeTime:
		get := acc.tim
		fn = func(p ...any) (any, error) { return get(envOf(p).e.Account), nil }
		typ = new(func(*exprEnv) time.Time)
	case audience.TypeStrings:
		get := acc.strs
		fn = func(p ...any) (any, error) { return get(envOf(p).e.Account), nil }
		typ = new(func(*exprEnv) []string)
	case audience.TypeStage:
		get := acc.num
		fn = func(p ...any) (any, error) { return stageName(get(envOf(p).e.Account)), nil }
		typ = new(func(*exprEnv) string)
	case audience.TypeFit:
		get := acc.num
		fn = func(p ...any) (any, error) { return fitName(get(envOf(p).e.Account)), nil }
		typ = new(func(*exprEnv) string)
	default:
		return nil
	}
	return expr.Function(f.Name, fn, typ)
}

// emptyFunctionName is the internal function is_empty(f) is rewritten to.
func emptyFunctionName(field string) string { return "is_empty:" + field }

// emptyFunction returns the expr function behind is_empty(f).
func emptyFunction(f audience.Field) expr.Option {
	acc := newAccessor(f)
	if f.Subject == audience.SubjectContact {
		get := acc.con
		return expr.Function(emptyFunctionName(f.Name), func(p ...any) (any, error) {
			return get(p[0].(*audience.Contact)) == "", nil
		}, new(func(*audience.Contact) bool))
	}
	empty := acc.empty
	return expr.Function(emptyFunctionName(f.Name), func(p ...any) (any, error) {
		return empty(envOf(p).e.Account), nil
	}, new(func(*exprEnv) bool))
}

// contactFunction returns the expr function reading contact field f:
// func(*audience.Contact) string.
func contactFunction(f audience.Field) expr.Option {
	get := f.ContactStringGetter()
	return expr.Function(f.Name, func(p ...any) (any, error) {
		return get(p[0].(*audience.Contact)), nil
	}, new(func(*audience.Contact) string))
}

// strs converts an expression list ([]any) to strings; non-strings are
// skipped (they can never equal a string).
func strs(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func lowerStrs(v any) []string { return lowerAll(strs(v)) }

// helperFunctions are the case-insensitive string helpers (see semantics.go).
func helperFunctions() []expr.Option {
	return []expr.Option{
		expr.Function("equal_fold", func(p ...any) (any, error) {
			return equalFold(p[0].(string), p[1].(string)), nil
		}, new(func(string, string) bool)),
		expr.Function("one_of_fold", func(p ...any) (any, error) {
			return oneOfFold(p[0].(string), strs(p[1])), nil
		}, new(func(string, []any) bool)),
		expr.Function("contains_fold", func(p ...any) (any, error) {
			return containsFold(p[0].(string), p[1].(string)), nil
		}, new(func(string, string) bool)),
		expr.Function("contains_any_fold", func(p ...any) (any, error) {
			return containsAnyLower(p[0].(string), lowerStrs(p[1])), nil
		}, new(func(string, []any) bool)),
		expr.Function("contains_all_fold", func(p ...any) (any, error) {
			return containsAllLower(p[0].(string), lowerStrs(p[1])), nil
		}, new(func(string, []any) bool)),
		expr.Function("prefix_fold", func(p ...any) (any, error) {
			return prefixFold(p[0].(string), p[1].(string)), nil
		}, new(func(string, string) bool)),
		expr.Function("has_fold", func(p ...any) (any, error) {
			return hasFold(strs(p[0]), p[1].(string)), nil
		}, new(func([]string, string) bool)),
		expr.Function("has_any_fold", func(p ...any) (any, error) {
			return hasAnyFold(strs(p[0]), strs(p[1])), nil
		}, new(func([]string, []any) bool)),
		expr.Function("has_all_fold", func(p ...any) (any, error) {
			return hasAllFold(strs(p[0]), strs(p[1])), nil
		}, new(func([]string, []any) bool)),
	}
}

// helperArity lists the helpers and their argument counts.
var helperArity = map[string]int{
	"equal_fold": 2, "one_of_fold": 2, "contains_fold": 2, "contains_any_fold": 2,
	"contains_all_fold": 2, "prefix_fold": 2, "has_fold": 2, "has_any_fold": 2, "has_all_fold": 2,
}

// envFunctions are the functions that read the Env: now, entered_at,
// contacts, contact, stage_at_least, stage_at_most, engaged, in_segment,
// within_last_days. targets is filled by the compiler before the program
// runs.
func envFunctions(targets *[]*adTarget) []expr.Option {
	return []expr.Option{
		expr.Function("now", func(p ...any) (any, error) { return envOf(p).e.Now, nil },
			new(func(*exprEnv) time.Time)),
		expr.Function("entered_at", func(p ...any) (any, error) { return envOf(p).e.EnteredAt, nil },
			new(func(*exprEnv) time.Time)),
		expr.Function("contacts", func(p ...any) (any, error) { return envOf(p).contacts(), nil },
			new(func(*exprEnv) []*audience.Contact)),
		expr.Function("contact", func(p ...any) (any, error) { return envOf(p).e.Contact, nil },
			new(func(*exprEnv) *audience.Contact)),
		expr.Function("stage_at_least", func(p ...any) (any, error) {
			return stageAtLeast(envOf(p).e.Account.BuyingStage, audience.BuyingStage(p[1].(int))), nil
		}, new(func(*exprEnv, int) bool)),
		expr.Function("stage_at_most", func(p ...any) (any, error) {
			return stageAtMost(envOf(p).e.Account.BuyingStage, audience.BuyingStage(p[1].(int))), nil
		}, new(func(*exprEnv, int) bool)),
		expr.Function("engaged", func(p ...any) (any, error) {
			return engaged(envOf(p).e, (*targets)[p[1].(int)]), nil
		}, new(func(*exprEnv, int) bool)),
		expr.Function("in_segment", func(p ...any) (any, error) {
			return inSegment(envOf(p).e, p[1].(string)), nil
		}, new(func(*exprEnv, string) bool)),
		expr.Function("within_last_days", func(p ...any) (any, error) {
			return withinLastDays(p[1].(time.Time), envOf(p).e.Now, p[2].(int)), nil
		}, new(func(*exprEnv, time.Time, int) bool)),
	}
}

// newExprConfig returns the expr configuration for catalogue cat.
func newExprConfig(cat *audience.Catalog, targets *[]*adTarget) *conf.Config {
	cfg := conf.CreateNew()
	opts := []expr.Option{
		expr.Env(&exprEnv{}),
		expr.DisableBuiltin("now"), // the only clock is Env.Now
		expr.MaxNodes(MaxExprNodes * 4),
	}
	opts = append(opts, helperFunctions()...)
	opts = append(opts, envFunctions(targets)...)
	for f := range cat.Fields() {
		if f.Subject == audience.SubjectContact {
			opts = append(opts, contactFunction(f))
		} else if o := fieldFunction(f); o != nil {
			opts = append(opts, o)
		}
		opts = append(opts, emptyFunction(f))
	}
	for _, o := range opts {
		o(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	return cfg
}
