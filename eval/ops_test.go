package eval

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
)

type opCase struct {
	field  string
	op     Op
	values []string
	want   bool
}

func v(vs ...string) []string { return vs }

// opCases cover every operator with every field type it applies to,
// against testEnv (see helpers_test.go for the fixture's values).
var opCases = []opCase{
	// strings: country "US", name "Acme Corp", crm.owner "Dana Smith", custom.tier absent
	{"country", Eq, v("US"), true},
	{"country", Eq, v("us"), true},
	{"country", Eq, v("GB"), false},
	{"country", Ne, v("GB"), true},
	{"country", Ne, v("uS"), false},
	{"country", In, v("gb", "us"), true},
	{"country", In, v("GB", "DE"), false},
	{"country", NotIn, v("GB"), true},
	{"country", NotIn, v("GB", "Us"), false},
	{"name", Contains, v("corp"), true},
	{"name", Contains, v("inc"), false},
	{"name", ContainsAny, v("inc", "ACME"), true},
	{"name", ContainsAny, v("inc", "llc"), false},
	{"name", ContainsAll, v("acme", "CORP"), true},
	{"name", ContainsAll, v("acme", "inc"), false},
	{"name", StartsWith, v("acme"), true},
	{"name", StartsWith, v("corp"), false},
	{"region", IsEmpty, nil, false},
	{"region", IsNotEmpty, nil, true},
	{"crm.owner", Eq, v("dana smith"), true},
	{"crm.owner", Contains, v("SMITH"), true},
	{"custom.tier", IsEmpty, nil, true},
	{"custom.tier", IsNotEmpty, nil, false},
	{"custom.tier", Eq, v(""), true},

	// lists: researched_competitors [acme globex], keywords [ABM, intent data], crm.products [Ads Email]
	{"researched_competitors", Contains, v("ACME"), true},
	{"researched_competitors", Contains, v("hooli"), false},
	{"researched_competitors", ContainsAny, v("hooli", "Globex"), true},
	{"researched_competitors", ContainsAny, v("hooli"), false},
	{"researched_competitors", ContainsAll, v("acme", "globex"), true},
	{"researched_competitors", ContainsAll, v("acme", "hooli"), false},
	{"researched_competitors", In, v("hooli", "acme"), true},
	{"researched_competitors", In, v("hooli"), false},
	{"researched_competitors", NotIn, v("hooli"), true},
	{"researched_competitors", NotIn, v("acme"), false},
	{"keywords", IsEmpty, nil, false},
	{"keywords", IsNotEmpty, nil, true},
	{"keywords", Contains, v("abm"), true},
	{"crm.products", Contains, v("email"), true},
	{"crm.products", IsEmpty, nil, false},

	// ints: employees 5000, intent_score 72, crm.deal_size 120000, map.score 7 (stored as int)
	{"employees", Eq, v("5000"), true},
	{"employees", Eq, v("0x1388"), true},
	{"employees", Ne, v("5000"), false},
	{"employees", Gt, v("1000"), true},
	{"employees", Gt, v("5000"), false},
	{"employees", Gte, v("5000"), true},
	{"employees", Lt, v("5000"), false},
	{"employees", Lte, v("5000"), true},
	{"employees", Between, v("1000", "5000"), true},
	{"employees", Between, v("5001", "9000"), false},
	{"employees", In, v("1", "5000"), true},
	{"employees", NotIn, v("5000"), false},
	{"employees", IsEmpty, nil, false},
	{"employees", IsNotEmpty, nil, true},
	{"intent_score", Gte, v("70"), true},
	{"crm.deal_size", Gt, v("100000"), true},
	{"crm.deal_size", IsNotEmpty, nil, true},
	{"map.score", Eq, v("7"), true},

	// floats: revenue 2.5e8, crm.arr 99.5
	{"revenue", Gt, v("1e8"), true},
	{"revenue", Eq, v("250000000"), true},
	{"revenue", Ne, v("2.5e8"), false},
	{"revenue", Gte, v("2.5e8"), true},
	{"revenue", Lt, v("1.5"), false},
	{"revenue", Lte, v("2.5e8"), true},
	{"revenue", Between, v("1e8", "3e8"), true},
	{"revenue", In, v("1", "2.5e8"), true},
	{"revenue", NotIn, v("1"), true},
	{"revenue", IsEmpty, nil, false},
	{"crm.arr", Gte, v("99.5"), true},
	{"crm.arr", Lt, v("99.5"), false},

	// bools: crm.is_customer true, custom.flag absent
	{"crm.is_customer", Eq, v("true"), true},
	{"crm.is_customer", Eq, v("false"), false},
	{"crm.is_customer", Ne, v("true"), false},
	{"crm.is_customer", IsEmpty, nil, false},
	{"custom.flag", IsEmpty, nil, true},
	{"custom.flag", Eq, v("false"), true},

	// times: last_visit now-3d = 2026-03-07T12:00Z, created_at 2025-06-01, crm.renewal 2026-04-01
	{"last_visit", WithinLastDays, v("7"), true},
	{"last_visit", WithinLastDays, v("2"), false},
	{"last_visit", WithinLastDays, v("0"), false},
	{"last_visit", Gt, v("2026-03-01"), true},
	{"last_visit", Lt, v("2026-03-01"), false},
	{"last_visit", Eq, v("2026-03-07T12:00:00Z"), true},
	{"last_visit", Eq, v("2026-03-07T13:00:00+01:00"), true},
	{"last_visit", Ne, v("2026-03-07T12:00:00Z"), false},
	{"last_visit", Gte, v("2026-03-07T12:00:00Z"), true},
	{"last_visit", Lte, v("2026-03-07T11:59:59.5Z"), false},
	{"last_visit", Between, v("2026-03-01", "2026-03-08"), true},
	{"last_visit", IsEmpty, nil, false},
	{"created_at", Lt, v("2025-07-01"), true},
	{"crm.renewal", Gt, v("2026-03-10T12:00:00Z"), true},
	{"crm.renewal", WithinLastDays, v("30"), false},

	// buying stage: Decision
	{"buying_stage", Eq, v("decision"), true},
	{"buying_stage", Eq, v("Purchase"), false},
	{"buying_stage", Ne, v("Target"), true},
	{"buying_stage", In, v("Decision", "Purchase"), true},
	{"buying_stage", NotIn, v("Target", "Awareness"), true},
	{"buying_stage", NotIn, v("Decision"), false},
	{"buying_stage", StageAtLeast, v("Consideration"), true},
	{"buying_stage", StageAtLeast, v("Purchase"), false},
	{"buying_stage", StageAtMost, v("Decision"), true},
	{"buying_stage", StageAtMost, v("awareness"), false},
	{"", StageAtLeast, v("Decision"), true},
	{"", StageAtMost, v("Target"), false},
	{"buying_stage", IsEmpty, nil, false},
	{"buying_stage", IsNotEmpty, nil, true},

	// profile fit: Moderate
	{"profile_fit", Eq, v("moderate"), true},
	{"profile_fit", Ne, v("Strong"), true},
	{"profile_fit", In, v("Strong"), false},
	{"profile_fit", NotIn, v("Weak"), true},
	{"profile_fit", IsEmpty, nil, false},
	{"profile_fit", IsNotEmpty, nil, true},

	// contact fields in an account filter: any contact matches
	{"contact.title", Contains, v("vp"), true},
	{"contact.title", Contains, v("cto"), false},
	{"contact.title", ContainsAny, v("cto", "manager"), true},
	{"contact.title", ContainsAll, v("vp", "sales"), true},
	{"contact.title", StartsWith, v("marketing"), true},
	{"contact.job_level", In, v("Manager", "Director"), true},
	{"contact.job_level", NotIn, v("VP", "Manager"), false},
	{"contact.country", Eq, v("ca"), true},
	{"contact.country", Ne, v("US"), true},
	{"contact.email", IsEmpty, nil, true},
	{"contact.email", IsNotEmpty, nil, true},
	{"contact.phone", IsNotEmpty, nil, false},
	{"contact.name", Eq, v("pat lee"), true},

	// engagement and segments
	{"", Engaged, v("ad1"), true},  // click on linkedin camp-1 after entering ad1
	{"", Engaged, v("ad2"), false}, // only an impression
	{"", Engaged, v("ad3"), false}, // engaged, but ad3 is not on the path
	{"", Engaged, v("ad4"), false}, // on no path, no events
	{"", InSegment, v("vip"), true},
	{"", InSegment, v("other"), false},
}

func TestOperators(t *testing.T) {
	c := testCompiler(t)
	seen := map[Op]bool{}
	for _, tc := range opCases {
		seen[tc.op] = true
		name := tc.field + "/" + string(tc.op) + "/" + strings.Join(tc.values, ",")
		t.Run(name, func(t *testing.T) {
			f := Filter{Conditions: []Condition{{Field: tc.field, Op: tc.op, Values: tc.values}}}
			if got := matchBoth(t, c, f, testEnv()); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			// The negation through the logic line agrees too.
			f.Logic = "NOT 1"
			if got := matchBoth(t, c, f, testEnv()); got != !tc.want {
				t.Errorf("NOT: got %v, want %v", got, !tc.want)
			}
		})
	}
	for _, op := range []Op{Eq, Ne, In, NotIn, Contains, ContainsAny, ContainsAll, StartsWith, Gt, Gte, Lt, Lte,
		Between, IsEmpty, IsNotEmpty, WithinLastDays, StageAtLeast, StageAtMost, Engaged, InSegment} {
		if !seen[op] {
			t.Errorf("operator %s has no test case", op)
		}
	}
}

// TestOperatorsAbsent checks attributes missing from the account (and an
// account with nil maps) read as their zero values and count as empty.
func TestOperatorsAbsent(t *testing.T) {
	c := testCompiler(t)
	env := testEnv()
	env.Account.CRM, env.Account.MAP = nil, nil
	env.Account.LastVisit = time.Time{}
	env.Account.BuyingStage = audience.StageUnknown
	env.Contacts = nil
	for _, tc := range []opCase{
		{"crm.owner", IsEmpty, nil, true},
		{"crm.owner", Eq, v(""), true},
		{"crm.deal_size", IsEmpty, nil, true},
		{"crm.deal_size", Eq, v("0"), true},
		{"crm.arr", IsEmpty, nil, true},
		{"crm.is_customer", IsNotEmpty, nil, false},
		{"crm.renewal", IsEmpty, nil, true},
		{"crm.products", IsEmpty, nil, true},
		{"crm.products", Contains, v("ads"), false},
		{"last_visit", IsEmpty, nil, true},
		{"last_visit", WithinLastDays, v("100000"), false},
		{"last_visit", Lt, v("2000-01-01"), true}, // the zero time is earlier than any date
		{"buying_stage", IsEmpty, nil, true},
		{"buying_stage", StageAtMost, v("Purchase"), false}, // unknown is neither at least nor at most
		{"buying_stage", StageAtLeast, v("Target"), false},
		{"buying_stage", NotIn, v("Target"), true},
		{"contact.title", IsEmpty, nil, false}, // no contacts: no contact matches
		{"contact.title", IsNotEmpty, nil, false},
	} {
		f := Filter{Conditions: []Condition{{Field: tc.field, Op: tc.op, Values: tc.values}}}
		if got := matchBoth(t, c, f, env); got != tc.want {
			t.Errorf("%s %s %v: got %v, want %v", tc.field, tc.op, tc.values, got, tc.want)
		}
	}
}

func TestEngagedSemantics(t *testing.T) {
	c := testCompiler(t)
	entered := testNow.Add(-48 * time.Hour)
	base := func(evs ...audience.Event) *Env {
		e := testEnv()
		e.Account.Events = evs
		e.Events = nil
		e.Path = []Step{{Node: "ad1", At: entered.Add(-100 * time.Hour)}, {Node: "x", At: entered.Add(-time.Hour)}, {Node: "ad1", At: entered}}
		return e
	}
	click := func(campaign string, at time.Time) audience.Event {
		return audience.Event{Channel: "linkedin", Campaign: campaign, Kind: audience.KindClick, At: at}
	}
	f := Filter{Conditions: []Condition{{Op: Engaged, Values: v("ad1")}}}
	for _, tc := range []struct {
		name string
		env  *Env
		want bool
	}{
		{"campaign after entry", base(click("camp-1", entered.Add(time.Hour))), true},
		{"node id as campaign", base(click("ad1", entered.Add(time.Hour))), true},
		{"at the entry instant", base(click("camp-1", entered)), true},
		{"before the last entry", base(click("camp-1", entered.Add(-time.Minute))), false},
		{"after now", base(click("camp-1", testNow.Add(time.Minute))), false},
		{"other campaign", base(click("camp-9", entered.Add(time.Hour))), false},
		{"other channel", base(audience.Event{Channel: "meta", Campaign: "camp-1", Kind: audience.KindClick, At: entered.Add(time.Hour)}), false},
		{"impression", base(audience.Event{Channel: "linkedin", Campaign: "camp-1", Kind: audience.KindImpression, At: entered.Add(time.Hour)}), false},
		{"reply counts", base(audience.Event{Channel: "linkedin", Campaign: "camp-1", Kind: audience.KindReply, At: entered.Add(time.Hour)}), true},
		{"env events", func() *Env {
			e := base()
			e.Events = []audience.Event{click("camp-1", entered.Add(time.Hour))}
			return e
		}(), true},
		{"not on path", func() *Env { e := base(click("camp-1", entered.Add(time.Hour))); e.Path = nil; return e }(), false},
	} {
		if got := matchBoth(t, c, f, tc.env); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestInSegmentNilResolver(t *testing.T) {
	c := testCompiler(t)
	env := testEnv()
	env.Segments = nil
	if matchBoth(t, c, Filter{Conditions: []Condition{{Op: InSegment, Values: v("vip")}}}, env) {
		t.Error("in_segment with a nil resolver held")
	}
}

// TestOperatorErrors checks every kind of condition problem, its sentinel
// and its exact text.
func TestOperatorErrors(t *testing.T) {
	c := testCompiler(t)
	for _, tc := range []struct {
		cond Condition
		err  error
		msg  string
	}{
		{Condition{Field: "emplyees", Op: Gt, Values: v("1")}, ErrUnknownField, `eval: condition 1: unknown field "emplyees"`},
		{Condition{Field: "crm.nope", Op: Eq, Values: v("x")}, ErrUndeclared, `eval: condition 1: undeclared attribute "crm.nope" (declare it in the catalogue first)`},
		{Condition{Field: "", Op: Eq, Values: v("x")}, ErrUnknownField, `eval: condition 1: eq needs a field`},
		{Condition{Field: "country", Op: "like", Values: v("x")}, ErrBadValue, `eval: condition 1: unknown operator "like"`},
		{Condition{Field: "country", Op: Gt, Values: v("US")}, ErrType, `eval: condition 1: gt does not apply to field "country" (a string field)`},
		{Condition{Field: "employees", Op: Contains, Values: v("5")}, ErrType, `eval: condition 1: contains does not apply to field "employees" (an int field)`},
		{Condition{Field: "keywords", Op: Eq, Values: v("abm")}, ErrType, `eval: condition 1: eq does not apply to field "keywords" (a list field)`},
		{Condition{Field: "keywords", Op: StartsWith, Values: v("a")}, ErrType, `eval: condition 1: starts_with does not apply to field "keywords" (a list field)`},
		{Condition{Field: "crm.is_customer", Op: Contains, Values: v("t")}, ErrType, `eval: condition 1: contains does not apply to field "crm.is_customer" (a bool field)`},
		{Condition{Field: "crm.is_customer", Op: In, Values: v("true")}, ErrType, `eval: condition 1: in does not apply to field "crm.is_customer" (a bool field)`},
		{Condition{Field: "last_visit", Op: In, Values: v("2026-01-01")}, ErrType, `eval: condition 1: in does not apply to field "last_visit" (a time field)`},
		{Condition{Field: "employees", Op: WithinLastDays, Values: v("3")}, ErrType, `eval: condition 1: within_last_days does not apply to field "employees" (an int field)`},
		{Condition{Field: "buying_stage", Op: Gt, Values: v("Decision")}, ErrType, `eval: condition 1: gt: buying stages are names, not numbers: use stage_at_least or stage_at_most`},
		{Condition{Field: "buying_stage", Op: Between, Values: v("Target", "Decision")}, ErrType, `eval: condition 1: between: buying stages are names, not numbers: use stage_at_least or stage_at_most`},
		{Condition{Field: "profile_fit", Op: Lt, Values: v("Strong")}, ErrType, `eval: condition 1: lt: profile fits are names: compare them with eq, ne, in or not_in`},
		{Condition{Field: "intent_score", Op: StageAtLeast, Values: v("Decision")}, ErrType, `eval: condition 1: stage_at_least applies to buying_stage, not "intent_score"`},
		{Condition{Field: "employees", Op: Eq, Values: v("abc")}, ErrBadValue, `eval: condition 1: value "abc" is not an integer`},
		{Condition{Field: "revenue", Op: Gt, Values: v("NaN")}, ErrBadValue, `eval: condition 1: value "NaN" is not a finite number`},
		{Condition{Field: "crm.is_customer", Op: Eq, Values: v("maybe")}, ErrBadValue, `eval: condition 1: value "maybe" is not true or false`},
		{Condition{Field: "last_visit", Op: Gt, Values: v("yesterday")}, ErrBadValue, `eval: condition 1: value "yesterday" is not an RFC 3339 time or a date (2006-01-02)`},
		{Condition{Field: "last_visit", Op: WithinLastDays, Values: v("-1")}, ErrBadValue, `eval: condition 1: value "-1" is not a day count (0 to 100000)`},
		{Condition{Field: "buying_stage", Op: Eq, Values: v("Negotiation")}, ErrBadValue, `eval: condition 1: unknown buying stage "Negotiation" (want Target, Awareness, Consideration, Decision or Purchase)`},
		{Condition{Field: "profile_fit", Op: In, Values: v("Great")}, ErrBadValue, `eval: condition 1: unknown profile fit "Great" (want Strong, Moderate or Weak)`},
		{Condition{Field: "employees", Op: Between, Values: v("1")}, ErrBadValue, `eval: condition 1: between wants 2 values, got 1`},
		{Condition{Field: "region", Op: IsEmpty, Values: v("x")}, ErrBadValue, `eval: condition 1: is_empty wants no values, got 1`},
		{Condition{Field: "country", Op: In}, ErrBadValue, `eval: condition 1: in wants at least one value, got 0`},
		{Condition{Field: "country", Op: Eq, Values: v("a", "b")}, ErrBadValue, `eval: condition 1: eq wants 1 value, got 2`},
		{Condition{Field: "country", Op: Eq, Values: v("\xff")}, ErrBadValue, `eval: condition 1: value "\xff" is not valid UTF-8`},
		{Condition{Op: Engaged, Values: v("ad9")}, ErrUnknownNode, `eval: condition 1: engaged: unknown ad node "ad9"`},
		{Condition{Field: "country", Op: Engaged, Values: v("ad1")}, ErrType, `eval: condition 1: engaged takes no field (got "country")`},
		{Condition{Op: InSegment, Values: v("a", "b")}, ErrBadValue, `eval: condition 1: in_segment wants 1 value, got 2`},
	} {
		_, err := c.Compile(Filter{Conditions: []Condition{tc.cond}})
		if err == nil {
			t.Errorf("%+v: compiled", tc.cond)
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%+v: error %v is not %v", tc.cond, err, tc.err)
		}
		if err.Error() != tc.msg {
			t.Errorf("%+v:\n got %s\nwant %s", tc.cond, err, tc.msg)
		}
		var ce *CompileError
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Pos != (Position{Condition: 1}) {
			t.Errorf("%+v: want one problem at condition 1, got %#v", tc.cond, err)
		}
	}
}

func TestEngagedWithoutAdNode(t *testing.T) {
	_, err := Compile(Filter{Conditions: []Condition{{Op: Engaged, Values: v("ad1")}}})
	if !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("zero Compiler accepted engaged(): %v", err)
	}
	_, err = Compile(Filter{Expr: `engaged("ad1")`})
	if !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("zero Compiler accepted engaged() in an expression: %v", err)
	}
}
