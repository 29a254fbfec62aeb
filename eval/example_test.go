package eval_test

import (
	"errors"
	"fmt"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
)

func exampleAccount() *audience.Account {
	return &audience.Account{
		ID: "acct-0000001", Country: "US", Employees: 4200,
		BuyingStage: audience.StageDecision, IntentScore: 81, ProfileFit: audience.FitStrong,
		ResearchedCompetitors: []string{"acme"},
	}
}

// A structured filter: numbered conditions joined by a logic line.
func ExampleCompiler_Compile_structured() {
	f := eval.Filter{
		Conditions: []eval.Condition{
			{Field: "buying_stage", Op: eval.StageAtLeast, Values: []string{"Consideration"}},
			{Field: "intent_score", Op: eval.Gte, Values: []string{"70"}},
			{Field: "country", Op: eval.In, Values: []string{"us", "ca"}},
		},
		Logic: "1 AND (2 OR NOT 3)",
	}
	var c eval.Compiler
	p, err := c.Compile(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	ok, _ := p.Match(&eval.Env{Account: exampleAccount()})
	fmt.Println(ok, p.Fields())
	src, _ := eval.Render(f)
	fmt.Println(src)
	// Output:
	// true [buying_stage country intent_score]
	// stage_at_least("Consideration") && (intent_score >= 70 || !(one_of_fold(country, ["us", "ca"])))
}

// An expression, evaluated on a hot loop with one Runner per goroutine.
func ExampleCompiler_Compile_expression() {
	c := eval.Compiler{AdNode: func(id string) (eval.AdRef, bool) {
		return eval.AdRef{Channel: "linkedin", Campaign: "spring"}, id == "ad1"
	}}
	p, err := c.Compile(eval.Filter{Expr: `profile_fit == "Strong" || (engaged("ad1") && intent_score >= 50)`})
	if err != nil {
		fmt.Println(err)
		return
	}
	var r eval.Runner
	env := &eval.Env{}
	for _, a := range []*audience.Account{exampleAccount(), {ID: "acct-0000002", ProfileFit: audience.FitWeak}} {
		env.Account = a
		ok, err := r.Match(p, env)
		fmt.Println(a.ID, ok, err)
	}
	fmt.Println(p.EngagedNodes(), p.NeedsContacts())
	// Output:
	// acct-0000001 true <nil>
	// acct-0000002 false <nil>
	// [ad1] false
}

// A persona as a contact filter; its conditions also work in an account
// filter, where each holds when any contact matches.
func ExamplePersonaFilter() {
	persona := audience.Persona{TitleKeywords: []string{"vp", "chief"}, JobFunctions: []string{"Marketing"}}
	f := eval.PersonaFilter(persona)
	p, err := (&eval.Compiler{Subject: audience.SubjectContact}).Compile(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []audience.Contact{
		{Title: "VP Marketing", JobFunction: "marketing"},
		{Title: "Marketing Manager", JobFunction: "Marketing"},
	} {
		ok, _ := p.Match(&eval.Env{Account: exampleAccount(), Contact: &c})
		fmt.Println(c.Title, ok, persona.Matches(&c))
	}
	src, _ := (&eval.Compiler{Subject: audience.SubjectContact}).Render(f)
	fmt.Println(src)
	// Output:
	// VP Marketing true true
	// Marketing Manager false false
	// contains_any_fold(contact.title, ["vp", "chief"]) && one_of_fold(contact.job_function, ["Marketing"])
}

// Explain says which numbered conditions held, off the hot path.
func ExampleProgram_Explain() {
	p, _ := eval.Compile(eval.Filter{
		Conditions: []eval.Condition{
			{Field: "employees", Op: eval.Gt, Values: []string{"1000"}},
			{Field: "researched_competitors", Op: eval.Contains, Values: []string{"globex"}},
			{Field: "intent_score", Op: eval.Between, Values: []string{"80", "100"}},
		},
		Logic: "1 AND (2 OR 3)",
	})
	ex, _ := p.Explain(&eval.Env{Account: exampleAccount()})
	fmt.Println(ex.Text)
	for _, c := range ex.Conditions {
		fmt.Println(c.N, c.Held, c.Text)
	}
	// Output:
	// 1 AND (2 OR 3): 1 held, 2 failed, 3 held → true
	// 1 true employees > 1000
	// 2 false has_fold(researched_competitors, "globex")
	// 3 true (intent_score >= 80 && intent_score <= 100)
}

// A CompileError lists every problem with its position.
func ExampleCompileError() {
	_, err := eval.Compile(eval.Filter{
		Conditions: []eval.Condition{
			{Field: "employees", Op: eval.Gt, Values: []string{"1000"}},
			{Field: "buying_stage", Op: eval.Gt, Values: []string{"Decision"}},
			{Field: "emplyees", Op: eval.Lt, Values: []string{"5000"}},
		},
		Logic: "1 AND (2 OR 4",
	})
	fmt.Println(err)
	_, err = eval.Compile(eval.Filter{Expr: "buying_stage >= \"Decision\" &&\n  crm.owner != \"\" && contry == \"US\""})
	var ce *eval.CompileError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Printf("%d:%d %s\n", p.Pos.Line, p.Pos.Column, p.Msg)
		}
	}
	// Output:
	// eval: 4 problems: condition 2: gt: buying stages are names, not numbers: use stage_at_least or stage_at_most; condition 3: unknown field "emplyees"; logic 1:13: condition 4 does not exist (conditions are 1 to 3); logic 1:7: unbalanced parenthesis: "(" is never closed
	// 1:14 buying_stage is a name and cannot be ordered with >=: use stage_at_least("...") or stage_at_most("...")
	// 2:3 undeclared attribute "crm.owner" (declare it in the catalogue first)
	// 2:22 unknown name "contry"
}
