package eval

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/internal/gen"
)

// byteSource turns fuzz input into choices; it yields zeros once exhausted,
// so every input is a valid (if boring) program.
type byteSource struct {
	b []byte
	i int
}

func (s *byteSource) next() int {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return int(s.b[s.i-1])
}

func (s *byteSource) intn(n int) int { return s.next() % n }

func pick[T any](s *byteSource, xs []T) T { return xs[s.intn(len(xs))] }

var (
	fzStrings = []string{"US", "us", "GB", "", "Acme", "acme corp", "Co", "é", "É", "Σ", "ς", "\u212a", "k", "İ", "i̇", "ß", "SS", "Company 0000001"}
	fzLists   = []string{"acme", "ACME", "globex", "abm", "", "Ads", "email", "ß"}
	fzInts    = []string{"0", "1", "50", "70", "1000", "5000", "-1", "9223372036854775807", "-9223372036854775808", "0x10"}
	fzFloats  = []string{"0", "1.5", "1e8", "-0", "2.5e8", "1e308", "-1e-9"}
	fzTimes   = []string{"2026-01-01", "2025-12-31T23:59:59Z", "2026-01-05T09:00:00+02:00", "0001-01-01T00:00:00Z", "2026-01-05T09:00:00.5Z"}
	fzDays    = []string{"0", "1", "7", "30", "100000"}
	fzStages  = []string{"Target", "awareness", "Consideration", "DECISION", "Purchase"}
	fzFits    = []string{"Strong", "moderate", "Weak"}

	fzFields = map[audience.Type][]string{
		audience.TypeString:  {"country", "name", "region", "id", "crm.owner", "custom.tier", "contact.title", "contact.job_level", "contact.email"},
		audience.TypeStrings: {"keywords", "researched_competitors", "crm.products"},
		audience.TypeInt:     {"employees", "intent_score", "crm.deal_size", "map.score"},
		audience.TypeFloat:   {"revenue", "crm.arr"},
		audience.TypeBool:    {"crm.is_customer", "custom.flag"},
		audience.TypeTime:    {"last_visit", "created_at", "crm.renewal"},
		audience.TypeStage:   {"buying_stage"},
		audience.TypeFit:     {"profile_fit"},
	}
	fzOps = map[audience.Type][]Op{
		audience.TypeString:  {Eq, Ne, In, NotIn, Contains, ContainsAny, ContainsAll, StartsWith, IsEmpty, IsNotEmpty},
		audience.TypeStrings: {Contains, ContainsAny, ContainsAll, In, NotIn, IsEmpty, IsNotEmpty},
		audience.TypeInt:     {Eq, Ne, In, NotIn, Gt, Gte, Lt, Lte, Between, IsEmpty, IsNotEmpty},
		audience.TypeFloat:   {Eq, Ne, In, NotIn, Gt, Gte, Lt, Lte, Between, IsEmpty, IsNotEmpty},
		audience.TypeBool:    {Eq, Ne, IsEmpty, IsNotEmpty},
		audience.TypeTime:    {Eq, Ne, Gt, Gte, Lt, Lte, Between, WithinLastDays, IsEmpty, IsNotEmpty},
		audience.TypeStage:   {Eq, Ne, In, NotIn, StageAtLeast, StageAtMost, IsEmpty, IsNotEmpty},
		audience.TypeFit:     {Eq, Ne, In, NotIn, IsEmpty, IsNotEmpty},
	}
	fzTypes = []audience.Type{audience.TypeString, audience.TypeStrings, audience.TypeInt, audience.TypeFloat,
		audience.TypeBool, audience.TypeTime, audience.TypeStage, audience.TypeFit}
)

func fzValues(s *byteSource, t audience.Type, op Op) []string {
	n := 1
	switch op {
	case IsEmpty, IsNotEmpty:
		return nil
	case In, NotIn, ContainsAny, ContainsAll:
		n = 1 + s.intn(3)
	case Between:
		n = 2
	}
	pool := map[audience.Type][]string{
		audience.TypeString: fzStrings, audience.TypeStrings: fzLists, audience.TypeInt: fzInts,
		audience.TypeFloat: fzFloats, audience.TypeBool: {"true", "false"}, audience.TypeTime: fzTimes,
		audience.TypeStage: fzStages, audience.TypeFit: fzFits,
	}[t]
	if op == WithinLastDays {
		pool = fzDays
	}
	out := make([]string, n)
	for i := range out {
		out[i] = pick(s, pool)
	}
	return out
}

// fzFilter builds a random structured filter.
func fzFilter(s *byteSource) Filter {
	n := 1 + s.intn(6)
	var f Filter
	for range n {
		switch s.intn(12) {
		case 0:
			f.Conditions = append(f.Conditions, Condition{Op: Engaged, Values: []string{pick(s, []string{"ad1", "ad2", "ad3"})}})
		case 1:
			f.Conditions = append(f.Conditions, Condition{Op: InSegment, Values: []string{pick(s, []string{"s1", "s2"})}})
		default:
			t := pick(s, fzTypes)
			op := pick(s, fzOps[t])
			f.Conditions = append(f.Conditions, Condition{Field: pick(s, fzFields[t]), Op: op, Values: fzValues(s, t, op)})
		}
	}
	if s.intn(4) > 0 {
		f.Logic = fzLogic(s, n, 3)
	}
	return f
}

func fzLogic(s *byteSource, n, depth int) string {
	if depth == 0 || s.intn(3) == 0 {
		return strconv.Itoa(1 + s.intn(n))
	}
	switch s.intn(3) {
	case 0:
		return "NOT " + fzLogic(s, n, depth-1)
	case 1:
		return "(" + fzLogic(s, n, depth-1) + " AND " + fzLogic(s, n, depth-1) + ")"
	}
	return "(" + fzLogic(s, n, depth-1) + " or " + fzLogic(s, n, depth-1) + ")"
}

// fzEnv builds a random account environment from generated data plus
// mutations towards edge values.
func fzEnv(s *byteSource) *Env {
	a := gen.Account(uint64(s.next()), s.next())
	now := gen.Epoch
	if s.intn(2) == 0 {
		a.Country = pick(s, fzStrings)
		a.Name = pick(s, fzStrings)
	}
	a.BuyingStage = audience.BuyingStage(s.intn(7))
	a.ProfileFit = audience.ProfileFit(s.intn(5))
	if s.intn(3) == 0 {
		a.LastVisit = time.Time{}
	}
	if s.intn(3) == 0 {
		a.Keywords = []string{pick(s, fzLists), pick(s, fzLists)}
	}
	switch s.intn(4) {
	case 0:
		a.Employees, _ = strconv.ParseInt(pick(s, fzInts), 0, 64)
	case 1:
		a.Revenue, _ = strconv.ParseFloat(pick(s, fzFloats), 64)
	}
	if s.intn(2) == 0 {
		a.CRM = map[string]any{}
		if s.intn(2) == 0 {
			a.CRM["owner"] = pick(s, fzStrings)
		}
		switch s.intn(4) {
		case 0:
			a.CRM["deal_size"] = int64(s.next() * 1000)
		case 1:
			a.CRM["deal_size"] = "not a number" // wrong type: absent
		case 2:
			a.CRM["deal_size"] = s.next()
		}
		if s.intn(2) == 0 {
			a.CRM["arr"] = float64(s.next()) / 3
		}
		if s.intn(2) == 0 {
			a.CRM["is_customer"] = s.intn(2) == 0
		}
		if s.intn(2) == 0 {
			a.CRM["renewal"] = now.Add(time.Duration(s.next()-128) * 24 * time.Hour)
		}
		if s.intn(2) == 0 {
			a.CRM["products"] = []string{pick(s, fzLists)}
		}
	}
	if s.intn(2) == 0 {
		a.MAP = map[string]any{"score": int64(s.intn(100))}
	}
	if s.intn(2) == 0 {
		a.Custom = map[string]any{"tier": pick(s, fzStrings), "flag": s.intn(2) == 0}
	}
	env := &Env{Account: a, Now: now, EnteredAt: now.Add(-time.Hour), Segments: fakeSegments{"s1": {a.ID: s.intn(2) == 0}}}
	for range s.intn(3) {
		env.Contacts = append(env.Contacts, audience.Contact{
			ID: "c", Title: pick(s, fzStrings) + " " + pick(s, []string{"VP", "Manager", ""}), JobLevel: pick(s, fzStrings), Email: pick(s, []string{"", "x@y"}),
		})
	}
	for _, node := range []string{"ad1", "ad2"} {
		if s.intn(2) == 0 {
			env.Path = append(env.Path, Step{Node: node, At: now.Add(-time.Duration(s.intn(96)) * time.Hour)})
		}
	}
	for range s.intn(3) {
		ev := audience.Event{
			Channel:  pick(s, []string{"linkedin", "google"}),
			Campaign: pick(s, []string{"camp-1", "ad-g", "ad1", "ad2"}),
			Kind:     pick(s, []audience.EventKind{audience.KindClick, audience.KindImpression, audience.KindReply}),
			At:       now.Add(-time.Duration(s.intn(120)-10) * time.Hour),
		}
		if s.intn(2) == 0 {
			a.Events = append(a.Events, ev)
		} else {
			env.Events = append(env.Events, ev)
		}
	}
	return env
}

// FuzzDifferential compiles random structured filters with the closure
// back-end and as their Render text with the expr back-end, and checks both
// agree on random accounts.
func FuzzDifferential(f *testing.F) {
	for i := range 64 {
		seed := make([]byte, 48)
		for j := range seed {
			seed[j] = byte(i*31 + j*7 + i*j)
		}
		f.Add(seed)
	}
	f.Add([]byte{})
	c := testCompiler(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &byteSource{b: data}
		filter := fzFilter(s)
		p, err := c.Compile(filter)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("%+v: %v is not a *CompileError", filter, err)
			}
			return
		}
		src := p.render()
		res, ps := c.compileExpr(src, false)
		if len(ps) > 0 {
			t.Fatalf("%+v\nrendering %s does not compile: %v", filter, src, ps.err())
		}
		ep := &Program{kind: kindExpr, prog: res.prog, subject: p.subject, src: Filter{Expr: src}}
		var r Runner
		for range 4 {
			env := fzEnv(s)
			want, err1 := p.Match(env)
			got, err2 := r.Match(ep, env)
			if err1 != nil || err2 != nil || got != want {
				t.Fatalf("%+v\nrendering %s\naccount %+v\ncontacts %+v path %+v events %+v\nclosures %v (%v), expr %v (%v)",
					filter, src, *env.Account, env.Contacts, env.Path, env.Events, want, err1, got, err2)
			}
		}
	})
}

// FuzzExprCompile checks that no expression text panics the compiler or a
// compiled program, and that failures are positional *CompileErrors.
func FuzzExprCompile(f *testing.F) {
	for _, s := range []string{
		`buying_stage in ["Decision","Purchase"] && intent_score >= 70`,
		`"acme" in researched_competitors`,
		`employees > 1000 && country == "US"`,
		`profile_fit == "Strong" || (engaged("ad1") && intent_score >= 50)`,
		`within_last_days(last_visit, 30) && stage_at_least("Consideration")`,
		`any(contacts, .title contains "VP" && is_empty(.email))`,
		`crm.owner != "" && map.score > 3 && custom.flag`,
		`buying_stage > "Decision"`, `now()`, `$env`, `1 +`, `let x = 1; x > 0`,
		`map(keywords, # + "x") == []`, `get(contacts, 0) != nil`, `contacts[0].Email == ""`,
		`any(contacts, #.Title == "")`, `filter(contacts, .title == "")[0] != nil`, `in_segment("s1")`,
		`date("2026-01-01") < now`, `is_empty(contact.title)`, `equal_fold(get({}, "a"), "b")`,
		`within_last_days(get({}, "t"), 1)`, `one_of_fold(country, keywords)`, `-9223372036854775808 < 0`,
		`{"a": 1}.a == 1`, `crm`, `.title == ""`, `# == 1`, `reduce(contacts, #acc, 0) == 0`,
	} {
		f.Add(s)
	}
	c := testCompiler(f)
	f.Fuzz(func(t *testing.T, src string) {
		p, err := c.Compile(Filter{Expr: src})
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("%q: %v is not a *CompileError with problems", src, err)
			}
			for _, pr := range ce.Problems {
				if pr.Err == nil || pr.Msg == "" || pr.Pos.Line < 1 || pr.Pos.Column < 1 {
					t.Fatalf("%q: bad problem %+v", src, pr)
				}
			}
			return
		}
		if p == nil {
			t.Fatalf("%q: nil program and nil error", src)
		}
		for _, env := range []*Env{testEnv(), {Account: gen.Account(1, 2)}} {
			if _, err := p.Match(env); err != nil && !errors.Is(err, ErrRuntime) {
				t.Fatalf("%q: %v", src, err)
			}
			if _, err := p.Explain(env); err != nil && !errors.Is(err, ErrRuntime) {
				t.Fatalf("%q: explain: %v", src, err)
			}
		}
	})
}

// TestDifferentialLong runs many more random filters than the seed corpus
// (skipped with -short).
func TestDifferentialLong(t *testing.T) {
	if testing.Short() {
		t.Skip("long differential run")
	}
	c := testCompiler(t)
	var r Runner
	for i := range 20000 {
		data := []byte(fmt.Sprintf("%08d%s", i, strings.Repeat(string(rune('a'+i%26)), i%40)))
		for j := range data {
			data[j] ^= byte(i >> (j % 16))
		}
		s := &byteSource{b: data}
		filter := fzFilter(s)
		p, err := c.Compile(filter)
		if err != nil {
			continue
		}
		src := p.render()
		res, ps := c.compileExpr(src, false)
		if len(ps) > 0 {
			t.Fatalf("rendering %s: %v", src, ps.err())
		}
		ep := &Program{kind: kindExpr, prog: res.prog, subject: p.subject}
		for range 3 {
			env := fzEnv(s)
			want, _ := p.Match(env)
			got, err := r.Match(ep, env)
			if err != nil || got != want {
				t.Fatalf("%+v\n%s\nclosures %v expr %v (%v)", filter, src, want, got, err)
			}
		}
	}
}
