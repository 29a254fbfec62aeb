package eval

import (
	"time"

	"github.com/playgraph/playgraph/audience"
)

// accessor reads one catalogue field without boxing. Exactly the getters
// matching the field's type are set. Absent attributes read as their type's
// zero value; empty reports IsEmpty (see the package doc).
type accessor struct {
	field audience.Field
	str   func(*audience.Account) string
	num   func(*audience.Account) int64 // int, stage and fit (as ordinals)
	flt   func(*audience.Account) float64
	bol   func(*audience.Account) bool
	tim   func(*audience.Account) time.Time
	strs  func(*audience.Account) []string
	empty func(*audience.Account) bool
	con   func(*audience.Contact) string // contact fields
}

func never(*audience.Account) bool { return false }

// builtinAccessors are direct accessors of the built-in account fields: one
// indirect call, no closure over a closure.
var builtinAccessors = map[string]accessor{
	"id":       {str: func(a *audience.Account) string { return a.ID }},
	"name":     {str: func(a *audience.Account) string { return a.Name }},
	"domain":   {str: func(a *audience.Account) string { return a.Domain }},
	"country":  {str: func(a *audience.Account) string { return a.Country }},
	"region":   {str: func(a *audience.Account) string { return a.Region }},
	"industry": {str: func(a *audience.Account) string { return a.Industry }},
	"employees": {num: func(a *audience.Account) int64 { return a.Employees },
		flt: func(a *audience.Account) float64 { return float64(a.Employees) }},
	"revenue":      {flt: func(a *audience.Account) float64 { return a.Revenue }},
	"buying_stage": {num: func(a *audience.Account) int64 { return int64(a.BuyingStage) }},
	"intent_score": {num: func(a *audience.Account) int64 { return a.IntentScore },
		flt: func(a *audience.Account) float64 { return float64(a.IntentScore) }},
	"profile_fit":            {num: func(a *audience.Account) int64 { return int64(a.ProfileFit) }},
	"keywords":               {strs: func(a *audience.Account) []string { return a.Keywords }},
	"researched_competitors": {strs: func(a *audience.Account) []string { return a.ResearchedCompetitors }},
	"last_visit":             {tim: func(a *audience.Account) time.Time { return a.LastVisit }},
	"created_at":             {tim: func(a *audience.Account) time.Time { return a.CreatedAt }},
}

// newAccessor returns the accessor of f.
func newAccessor(f audience.Field) accessor {
	if f.Subject == audience.SubjectContact {
		return accessor{field: f, con: f.ContactStringGetter()}
	}
	if acc, ok := builtinAccessors[f.Name]; ok && !f.IsAttribute() {
		acc.field = f
		switch f.Type {
		case audience.TypeString:
			s := acc.str
			acc.empty = func(a *audience.Account) bool { return s(a) == "" }
		case audience.TypeStrings:
			s := acc.strs
			acc.empty = func(a *audience.Account) bool { return len(s(a)) == 0 }
		case audience.TypeTime:
			t := acc.tim
			acc.empty = func(a *audience.Account) bool { return t(a).IsZero() }
		case audience.TypeStage, audience.TypeFit:
			n := acc.num
			acc.empty = func(a *audience.Account) bool { return n(a) == 0 }
		default:
			acc.empty = never
		}
		return acc
	}
	// A declared attribute (or a built-in this package has no direct
	// accessor for): read through the catalogue's generic accessor.
	acc := accessor{field: f}
	val := func(a *audience.Account) (any, bool) { return f.Value(a, nil) }
	switch f.Type {
	case audience.TypeString:
		acc.str = func(a *audience.Account) string { v, _ := val(a); s, _ := v.(string); return s }
		acc.empty = func(a *audience.Account) bool { return acc.str(a) == "" }
	case audience.TypeInt:
		acc.num = func(a *audience.Account) int64 { v, _ := val(a); n, _ := v.(int64); return n }
		acc.flt = func(a *audience.Account) float64 { return float64(acc.num(a)) }
		acc.empty = func(a *audience.Account) bool { _, ok := val(a); return !ok }
	case audience.TypeFloat:
		acc.flt = func(a *audience.Account) float64 { v, _ := val(a); n, _ := v.(float64); return n }
		acc.empty = func(a *audience.Account) bool { _, ok := val(a); return !ok }
	case audience.TypeBool:
		acc.bol = func(a *audience.Account) bool { v, _ := val(a); b, _ := v.(bool); return b }
		acc.empty = func(a *audience.Account) bool { _, ok := val(a); return !ok }
	case audience.TypeTime:
		acc.tim = func(a *audience.Account) time.Time { v, _ := val(a); t, _ := v.(time.Time); return t }
		acc.empty = func(a *audience.Account) bool { return acc.tim(a).IsZero() }
	case audience.TypeStrings:
		acc.strs = func(a *audience.Account) []string { v, _ := val(a); s, _ := v.([]string); return s }
		acc.empty = func(a *audience.Account) bool { return len(acc.strs(a)) == 0 }
	case audience.TypeStage:
		acc.num = func(a *audience.Account) int64 { v, _ := val(a); s, _ := v.(audience.BuyingStage); return int64(s) }
		acc.empty = func(a *audience.Account) bool { return acc.num(a) == 0 }
	case audience.TypeFit:
		acc.num = func(a *audience.Account) int64 { v, _ := val(a); s, _ := v.(audience.ProfileFit); return int64(s) }
		acc.empty = func(a *audience.Account) bool { return acc.num(a) == 0 }
	default:
		acc.empty = never
	}
	return acc
}

// typeNoun names a field type in messages.
func typeNoun(t audience.Type) string {
	switch t {
	case audience.TypeString:
		return "a string field"
	case audience.TypeInt:
		return "an int field"
	case audience.TypeFloat:
		return "a float field"
	case audience.TypeBool:
		return "a bool field"
	case audience.TypeTime:
		return "a time field"
	case audience.TypeStrings:
		return "a list field"
	case audience.TypeStage:
		return "the buying stage"
	case audience.TypeFit:
		return "the profile fit"
	}
	return "a field of type " + t.String()
}
