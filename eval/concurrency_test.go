package eval

import (
	"sync"
	"testing"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/internal/gen"
)

// TestConcurrentMatch evaluates shared programs from many goroutines (run
// with -race): through Program.Match (pooled Runners) and a Runner each.
func TestConcurrentMatch(t *testing.T) {
	c := testCompiler(t)
	progs := make([]*Program, 0, 4)
	for _, f := range []Filter{
		{Expr: `buying_stage in ["Decision","Purchase"] && intent_score >= 70`},
		{Expr: `any(contacts, .title contains "VP") || engaged("ad1")`},
		{Conditions: []Condition{
			{Field: "employees", Op: Gt, Values: v("1000")},
			{Field: "contact.job_level", Op: In, Values: v("VP")},
			{Op: Engaged, Values: v("ad1")},
		}, Logic: "1 AND (2 OR 3)"},
	} {
		p, err := c.Compile(f)
		if err != nil {
			t.Fatal(err)
		}
		progs = append(progs, p)
	}
	accts := gen.Accounts(7, 500)
	want := make([][]bool, len(progs))
	envFor := func(a *audience.Account) *Env {
		e := testEnv()
		e.Account = a
		e.Contacts = gen.Contacts(a, int(a.IntentScore%3))
		return e
	}
	for i, p := range progs {
		for _, a := range accts {
			ok, err := p.Match(envFor(a))
			if err != nil {
				t.Fatal(err)
			}
			want[i] = append(want[i], ok)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r Runner
			for j, a := range accts {
				env := envFor(a)
				for i, p := range progs {
					var ok bool
					var err error
					if g%2 == 0 {
						ok, err = p.Match(env)
					} else {
						ok, err = r.Match(p, env)
					}
					if err != nil || ok != want[i][j] {
						t.Errorf("goroutine %d program %d account %d: %v %v", g, i, j, ok, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestPersonaFilter checks PersonaFilter agrees with Persona.Matches, as a
// contact program and through its rendering.
func TestPersonaFilter(t *testing.T) {
	c := &Compiler{Subject: audience.SubjectContact}
	personas := []audience.Persona{
		{},
		{TitleKeywords: []string{"vp", "CHIEF"}},
		{JobLevels: []string{"vp", "director"}, Countries: []string{"us"}},
		{TitleKeywords: []string{"marketing"}, JobFunctions: []string{"MARKETING", "Sales"}, JobLevels: []string{"Manager"}},
		{TitleKeywords: []string{"ß", "İ"}, Countries: []string{"ς"}},
	}
	var contacts []audience.Contact
	for i, a := range gen.Accounts(3, 40) {
		contacts = append(contacts, gen.Contacts(a, 1+i%5)...)
	}
	contacts = append(contacts,
		audience.Contact{Title: "STRASSE", Country: "Σ"}, audience.Contact{Title: "İstanbul office", Country: "σ"},
		audience.Contact{Title: "Head of Straße", Country: "ς"})
	for _, persona := range personas {
		f := PersonaFilter(persona)
		p, err := c.Compile(f)
		if err != nil {
			t.Fatalf("%+v: %v", persona, err)
		}
		for i := range contacts {
			env := &Env{Account: &audience.Account{ID: "a"}, Contact: &contacts[i]}
			got, err := p.Match(env)
			if err != nil {
				t.Fatal(err)
			}
			if want := persona.Matches(&contacts[i]); got != want {
				t.Errorf("%+v on %+v: filter %v, Matches %v", persona, contacts[i], got, want)
			}
			if !f.IsZero() {
				matchBoth(t, c, f, env)
			}
		}
	}
	// The same conditions in an account filter hold when any contact matches.
	f := PersonaFilter(audience.Persona{JobLevels: []string{"VP"}})
	p, err := Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	if !p.NeedsContacts() {
		t.Error("account persona filter does not need contacts")
	}
	a := &audience.Account{ID: "a"}
	for n, want := range map[int]bool{0: false, 1: false, 2: true, 5: true} {
		ok, _ := p.Match(&Env{Account: a, Contacts: gen.Contacts(a, n)})
		if ok != want {
			t.Errorf("%d contacts: %v", n, ok)
		}
	}
}
