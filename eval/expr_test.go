package eval

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/playgraph/playgraph/audience"
)

func TestExpressions(t *testing.T) {
	c := testCompiler(t)
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{`id == "acct-1" && name == "Acme Corp" && domain == "acme.example"`, true},
		{`country == "US" && region == "NA" && industry == "Software"`, true},
		{`country == "us"`, false}, // == is exact; equal_fold ignores case
		{`equal_fold(country, "us")`, true},
		{`employees > 1000 && employees == 5000`, true},
		{`revenue > 1e8 && revenue < 3.0e8`, true},
		{`buying_stage in ["Decision","Purchase"] && intent_score >= 70`, true},
		{`buying_stage == "Decision" && buying_stage != "Target"`, true},
		{`profile_fit == "Moderate" && profile_fit not in ["Strong"]`, true},
		{`stage_at_least("consideration") && stage_at_most("Decision") && !stage_at_least("Purchase")`, true},
		{`"acme" in researched_competitors && "hooli" not in researched_competitors`, true},
		{`"ABM" in keywords && len(keywords) == 2`, true},
		{`has_fold(keywords, "abm") && has_any_fold(keywords, ["x", "INTENT DATA"]) && !has_all_fold(keywords, ["abm", "x"])`, true},
		{`contains_fold(name, "CORP") && prefix_fold(name, "acme") && one_of_fold(country, ["gb", "us"])`, true},
		{`contains_any_fold(name, ["x", "corp"]) && contains_all_fold(name, ["acme", "corp"])`, true},
		{`name contains "Corp" && name startsWith "Acme" && name endsWith "Corp"`, true},
		{`name matches "^Acme"`, true},
		{`upper(country) == "US" && lower(name) == "acme corp"`, true},
		{`within_last_days(last_visit, 7) && !within_last_days(last_visit, 2)`, true},
		{`last_visit > now - duration("96h") && last_visit < now`, true},
		{`now == date("2026-03-10T12:00:00Z")`, true},
		{`entered_at < now && now - entered_at == duration("48h")`, true},
		{`created_at < date("2025-07-01")`, true},
		{`crm.owner == "Dana Smith" && crm.deal_size > 100000 && crm.arr == 99.5`, true},
		{`crm.is_customer && crm.renewal > now && "Ads" in crm.products`, true},
		{`map.score == 7`, true},
		{`custom.tier == "" && is_empty(custom.tier) && !custom.flag`, true},
		{`is_empty(custom.flag) && !is_empty(crm.is_customer) && !is_empty(last_visit) && !is_empty(buying_stage)`, true},
		{`engaged("ad1") && !engaged("ad2") && !engaged("ad3")`, true},
		{`in_segment("vip") && !in_segment("other")`, true},
		{`any(contacts, .title contains "VP") && all(contacts, .country in ["US", "CA"])`, true},
		{`any(contacts, equal_fold(.job_level, "vp") && .job_function == "Sales")`, true},
		{`any(contacts, is_empty(.email)) && count(contacts, .email != "") == 1`, true},
		{`len(contacts) == 2 && none(contacts, .phone != "")`, true},
		{`let big = employees > 1000; big && intent_score > 50`, true},
		{`intent_score > 50 ? country == "US" : false`, true},
		{`true`, true},
		{`false`, false},
	} {
		p, err := c.Compile(Filter{Expr: tc.src})
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		got, err := p.Match(testEnv())
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.src, got, tc.want)
		}
	}
}

// TestExpressionErrors checks problems, their sentinels and positions.
func TestExpressionErrors(t *testing.T) {
	c := testCompiler(t)
	for _, tc := range []struct {
		src  string
		err  error
		want string
	}{
		{`emplyees > 10`, ErrUnknownField, `eval: expr 1:1: unknown name "emplyees"`},
		{`employees > 10 &&` + "\n" + `  contry == "US"`, ErrUnknownField, `eval: expr 2:3: unknown name "contry"`},
		{`foo && bar(1)`, ErrUnknownField, `eval: 2 problems: expr 1:1: unknown name "foo"; expr 1:8: unknown function bar()`},
		{`crm.nope == 1`, ErrUndeclared, `eval: expr 1:1: undeclared attribute "crm.nope" (declare it in the catalogue first)`},
		{`crm == 1`, ErrUnknownField, `eval: expr 1:1: crm is not a field: name an attribute as crm.<key>`},
		{`buying_stage > "Decision"`, ErrType, `eval: expr 1:14: buying_stage is a name and cannot be ordered with >: use stage_at_least("...") or stage_at_most("...")`},
		{`"Target" <= buying_stage`, ErrType, `eval: expr 1:10: buying_stage is a name and cannot be ordered with <=: use stage_at_least("...") or stage_at_most("...")`},
		{`profile_fit >= "Moderate"`, ErrType, `eval: expr 1:13: profile_fit is a name and cannot be ordered with >=: compare it with == or in`},
		// However the value reaches the comparison (these compiled and
		// ordered stage names alphabetically).
		{`let s = buying_stage; s > "Awareness"`, ErrType, `eval: expr 1:25: buying_stage is a name and cannot be ordered with >: use stage_at_least("...") or stage_at_most("...")`},
		{`(true ? buying_stage : "") > "Awareness"`, ErrType, `eval: expr 1:28: buying_stage is a name and cannot be ordered with >: use stage_at_least("...") or stage_at_most("...")`},
		{`[buying_stage][0] > "Awareness"`, ErrType, `eval: expr 1:19: buying_stage is a name and cannot be ordered with >: use stage_at_least("...") or stage_at_most("...")`},
		{`let f = [profile_fit]; let g = f; g[0] < "Weak"`, ErrType, `eval: expr 1:40: profile_fit is a name and cannot be ordered with <: compare it with == or in`},
		{`buying_stage == "decision"`, ErrBadValue, `eval: expr 1:17: unknown buying stage "decision" (stages are Target, Awareness, Consideration, Decision, Purchase; names are case-sensitive in expressions)`},
		{`profile_fit in ["Strong", "Great"]`, ErrBadValue, `eval: expr 1:27: unknown profile fit "Great" (fits are Strong, Moderate, Weak; names are case-sensitive in expressions)`},
		{`stage_at_least("Negotiation")`, ErrBadValue, `eval: expr 1:16: unknown buying stage "Negotiation" (want Target, Awareness, Consideration, Decision or Purchase)`},
		{`stage_at_least(country)`, ErrType, `eval: expr 1:16: stage_at_least takes a string literal, such as stage_at_least("...")`},
		{`engaged("ad9")`, ErrUnknownNode, `eval: expr 1:9: engaged: unknown ad node "ad9"`},
		{`in_segment(id)`, ErrType, `eval: expr 1:12: in_segment takes a string literal, such as in_segment("...")`},
		{`within_last_days(last_visit)`, ErrType, `eval: expr 1:1: within_last_days takes 2 arguments (a time and a day count), got 1`},
		{`within_last_days(employees, 3)`, ErrType, `eval: expr 1:18: cannot use int as argument (type time.Time) to call within_last_days `},
		{`is_empty(employees + 1)`, ErrType, `eval: expr 1:20: is_empty takes a field, such as is_empty(last_visit) or is_empty(crm.owner)`},
		{`intent_score + 1`, ErrNotBoolean, `eval: expr 1:1: expression is int, not a boolean`},
		{`name`, ErrNotBoolean, `eval: expr 1:1: expression is string, not a boolean`},
		{`intent_score > "high"`, ErrType, `eval: expr 1:14: invalid operation: > (mismatched types int and string)`},
		{`now() > last_visit`, ErrType, `eval: expr 1:1: now is a value, not a function: write now`},
		{`country("US")`, ErrType, `eval: expr 1:1: country is a field, not a function`},
		{`contact.title contains "VP"`, ErrType, `eval: expr 1:1: contact.title in an account filter: write any(contacts, .title ...) to ask whether any contact matches`},
		{`any(contacts, .titel == "x")`, ErrUnknownField, `eval: expr 1:16: unknown contact field "contact.titel"`},
		{`$env != nil`, ErrUnknownField, `eval: expr 1:1: unknown name "$env"`},
		{`employees > `, ErrSyntax, `eval: expr 1:12: unexpected token EOF`},
		{"(1 +\n", ErrSyntax, `eval: expr 1:5: unexpected token EOF`},
		{`country == "US`, ErrSyntax, `eval: expr 1:15: literal not terminated`},
		{strings.Repeat(" ", MaxExprBytes) + "true", ErrTooLarge, `eval: expr 1:1: expression is 4100 bytes, over the bound of 4096`},
		{strings.Repeat("true && ", 300) + "true", ErrTooLarge, `eval: expr 1:1: expression has 601 syntax nodes, over the bound of 512`},
		{"country == \"\xff\"", ErrSyntax, `eval: expr 1:1: expression is not valid UTF-8`},
	} {
		_, err := c.Compile(Filter{Expr: tc.src})
		if err == nil {
			t.Errorf("%q: compiled", tc.src)
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%q: %v is not %v", tc.src, err, tc.err)
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

func TestContactProgram(t *testing.T) {
	c := testCompiler(t)
	c.Subject = audience.SubjectContact
	cs := testContacts()
	for _, tc := range []struct {
		f    Filter
		want [2]bool
	}{
		{Filter{Expr: `contact.title contains "VP"`}, [2]bool{true, false}},
		{Filter{Expr: `equal_fold(contact.job_level, "manager") && country == "US"`}, [2]bool{false, true}},
		{Filter{Expr: `is_empty(contact.email)`}, [2]bool{false, true}},
		{Filter{Conditions: []Condition{{Field: "contact.title", Op: ContainsAny, Values: v("vp", "chief")}}}, [2]bool{true, false}},
		{Filter{Conditions: []Condition{{Field: "contact.country", Op: In, Values: v("ca")}, {Field: "employees", Op: Gt, Values: v("10")}}}, [2]bool{false, true}},
		{Filter{}, [2]bool{true, true}},
	} {
		for i := range cs {
			env := testEnv()
			env.Contact = &cs[i]
			var got bool
			if tc.f.Expr == "" {
				got = matchBoth(t, c, tc.f, env)
			} else {
				p, err := c.Compile(tc.f)
				if err != nil {
					t.Fatalf("%+v: %v", tc.f, err)
				}
				if got, err = p.Match(env); err != nil {
					t.Fatal(err)
				}
			}
			if got != tc.want[i] {
				t.Errorf("%+v on contact %d: got %v, want %v", tc.f, i, got, tc.want[i])
			}
		}
	}
	p, err := c.Compile(Filter{Expr: `contact.title != ""`})
	if err != nil {
		t.Fatal(err)
	}
	if p.NeedsContacts() {
		t.Error("a contact program needs Env.Contacts")
	}
	if _, err := p.Match(testEnv()); !errors.Is(err, ErrNoContact) {
		t.Errorf("no contact: %v", err)
	}
	if _, err := c.Compile(Filter{Expr: `any(contacts, .title != "")`}); !errors.Is(err, ErrUnknownField) {
		t.Errorf("contacts in a contact filter: %v", err)
	}
}

func TestMatchErrors(t *testing.T) {
	c := testCompiler(t)
	for _, f := range []Filter{{}, {Expr: "true"}, {Conditions: []Condition{{Field: "country", Op: IsEmpty}}}} {
		p, err := c.Compile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Match(nil); !errors.Is(err, ErrNoAccount) {
			t.Errorf("%+v: nil env: %v", f, err)
		}
		if _, err := p.Match(&Env{}); !errors.Is(err, ErrNoAccount) {
			t.Errorf("%+v: no account: %v", f, err)
		}
		if _, err := p.Explain(&Env{}); !errors.Is(err, ErrNoAccount) {
			t.Errorf("%+v: explain without account: %v", f, err)
		}
	}
	p, err := c.Compile(Filter{Expr: `keywords[5] == "x"`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Match(testEnv()); !errors.Is(err, ErrRuntime) {
		t.Errorf("index out of range: %v", err)
	}
}

func TestIntrospection(t *testing.T) {
	c := testCompiler(t)
	for _, tc := range []struct {
		f                      Filter
		fields, segs, nodes    []string
		needsContacts, behavio bool
	}{
		{Filter{}, nil, nil, nil, false, false},
		{Filter{Expr: `employees > 10 && country == "US" && employees < 100`}, []string{"country", "employees"}, nil, nil, false, false},
		{Filter{Expr: `stage_at_least("Decision") || in_segment("b") || in_segment("a") || engaged("ad2") || engaged("ad1") || engaged("ad1")`},
			[]string{"buying_stage"}, []string{"a", "b"}, []string{"ad1", "ad2"}, false, true},
		{Filter{Expr: `any(contacts, .title contains "VP") && crm.owner != ""`}, []string{"contact.title", "crm.owner"}, nil, nil, true, false},
		{Filter{Conditions: []Condition{
			{Field: "intent_score", Op: Gt, Values: v("5")},
			{Op: StageAtLeast, Values: v("Decision")},
			{Op: InSegment, Values: v("s1")},
			{Op: Engaged, Values: v("ad3")},
			{Field: "contact.job_level", Op: In, Values: v("VP")},
		}}, []string{"buying_stage", "contact.job_level", "intent_score"}, []string{"s1"}, []string{"ad3"}, true, true},
	} {
		p, err := c.Compile(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Fields(), tc.fields) || !reflect.DeepEqual(p.Segments(), tc.segs) || !reflect.DeepEqual(p.EngagedNodes(), tc.nodes) {
			t.Errorf("%+v: fields %v segments %v nodes %v", tc.f, p.Fields(), p.Segments(), p.EngagedNodes())
		}
		if p.NeedsContacts() != tc.needsContacts {
			t.Errorf("%+v: NeedsContacts %v", tc.f, p.NeedsContacts())
		}
		if p.Behavioral(c.Catalog) != tc.behavio {
			t.Errorf("%+v: Behavioral %v", tc.f, p.Behavioral(c.Catalog))
		}
		if !reflect.DeepEqual(p.Source(), tc.f) {
			t.Errorf("Source %+v, want %+v", p.Source(), tc.f)
		}
	}
	// The program keeps its own copy of the filter.
	f := Filter{Conditions: []Condition{{Field: "country", Op: Eq, Values: v("US")}}}
	p, _ := c.Compile(f)
	f.Conditions[0].Values[0] = "GB"
	if ok, _ := p.Match(testEnv()); !ok || p.Source().Conditions[0].Values[0] != "US" {
		t.Error("program shares the caller's filter")
	}
}

func TestExplain(t *testing.T) {
	c := testCompiler(t)
	p, err := c.Compile(Filter{Conditions: []Condition{
		{Field: "buying_stage", Op: In, Values: v("Decision", "Purchase")},
		{Field: "intent_score", Op: Gte, Values: v("90")},
		{Field: "contact.title", Op: Contains, Values: v("vp")},
	}, Logic: "1 and (2 or 3)"})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := p.Explain(testEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := Explanation{Result: true, Value: true, Text: "1 AND (2 OR 3): 1 held, 2 failed, 3 held → true", Conditions: []ConditionResult{
		{1, true, `buying_stage in ["Decision", "Purchase"]`},
		{2, false, `intent_score >= 90`},
		{3, true, `any(contacts, contains_fold(.title, "vp"))`},
	}}
	if !reflect.DeepEqual(ex, want) {
		t.Errorf("got %+v\nwant %+v", ex, want)
	}
	p, _ = c.Compile(Filter{Expr: `intent_score > 80`})
	ex, err = p.Explain(testEnv())
	if err != nil || ex.Result || ex.Value != false || ex.Text != "intent_score > 80 → false" {
		t.Errorf("expression: %+v %v", ex, err)
	}
}

// Values derived from buying_stage or profile_fit are other values:
// ordering them compiles.
func TestStageDerivedValuesMayBeOrdered(t *testing.T) {
	c := testCompiler(t)
	for _, src := range []string{
		`len(buying_stage) > 3`,
		`let s = buying_stage; len(s) >= 6`,
	} {
		if _, err := c.Compile(Filter{Expr: src}); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}
