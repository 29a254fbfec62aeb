package eval

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLogic(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		n        int
	}{
		{"1", "1", 1},
		{"1 AND 2", "1 AND 2", 2},
		{"1 and (2 or not 3)", "1 AND (2 OR NOT 3)", 3},
		{"1 OR 2 AND 3", "1 OR 2 AND 3", 3},
		{"(1 OR 2) AND 3", "(1 OR 2) AND 3", 3},
		{"NOT NOT 1", "NOT NOT 1", 1},
		{"not (1 and 2)", "NOT (1 AND 2)", 2},
		{"((1))", "1", 1},
		{"1 AND 1", "1 AND 1", 1},
		{"1AND(2)", "1 AND 2", 2},
		{"1 Or 2 oR 3", "1 OR 2 OR 3", 3},
	} {
		n, ps := parseLogic(tc.in, tc.n)
		if len(ps) > 0 {
			t.Errorf("%q: %v", tc.in, ps.err())
			continue
		}
		if got := n.String(); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
		// The canonical form parses to itself.
		n2, ps := parseLogic(n.String(), tc.n)
		if len(ps) > 0 || n2.String() != n.String() {
			t.Errorf("%q: canonical form %q does not round-trip", tc.in, n.String())
		}
	}
}

func TestParseLogicErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"1 AND (2", 2, `eval: logic 1:7: unbalanced parenthesis: "(" is never closed`},
		{"1 AND 2)", 2, `eval: logic 1:8: unbalanced parenthesis: ")" without "("`},
		{"1 AND 4", 3, `eval: logic 1:7: condition 4 does not exist (conditions are 1 to 3)`},
		{"0 OR 1", 3, `eval: logic 1:1: condition 0 does not exist (conditions are 1 to 3)`},
		{"1 AND 4 OR 5", 3, `eval: 2 problems: logic 1:7: condition 4 does not exist (conditions are 1 to 3); logic 1:12: condition 5 does not exist (conditions are 1 to 3)`},
		{"1 AND", 2, `eval: logic 1:6: unexpected end of line: want a condition number, NOT or "("`},
		{"1 2", 2, `eval: logic 1:3: unexpected number 2: want AND, OR or end of line`},
		{"1 XOR 2", 2, `eval: logic 1:3: unexpected "XOR": want AND, OR or end of line`},
		{"1 & 2", 2, `eval: logic 1:3: unexpected "&": want AND, OR or end of line`},
		{"()", 2, `eval: logic 1:2: unexpected ")": want a condition number, NOT or "("`},
		{"   ", 2, `eval: logic 1:1: empty logic line`},
		{"(1 OR 2", 2, `eval: logic 1:1: unbalanced parenthesis: "(" is never closed`},
		{"é AND 1", 1, `eval: logic 1:1: unexpected "é": want a condition number, NOT or "("`},
		{"1 AND é", 1, `eval: logic 1:7: unexpected "é": want a condition number, NOT or "("`},
		{"99999999999999999999", 1, `eval: logic 1:1: condition 99999999999999999999 does not exist (conditions are 1 to 1)`},
		{strings.Repeat("(", MaxExprBytes+1), 1, `eval: logic 1:1: logic line is 4097 bytes, over the bound of 4096`},
	} {
		_, ps := parseLogic(tc.in, tc.n)
		err := ps.err()
		if err == nil {
			t.Errorf("%q: parsed", tc.in)
			continue
		}
		if !errors.Is(err, ErrLogic) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%q: %v is not ErrLogic", tc.in, err)
		}
		if err.Error() != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.in, err, tc.want)
		}
	}
}

func TestStructuredFilter(t *testing.T) {
	c := testCompiler(t)
	conds := []Condition{
		{Field: "buying_stage", Op: In, Values: v("Decision", "Purchase")}, // true
		{Field: "intent_score", Op: Gte, Values: v("90")},                  // false
		{Field: "country", Op: Eq, Values: v("US")},                        // true
	}
	for _, tc := range []struct {
		logic string
		want  bool
	}{
		{"", false},
		{"1 AND 3", true},
		{"1 AND 2", false},
		{"1 AND (2 OR 3)", true},
		{"2 OR NOT 3", false},
		{"NOT 2 AND 1 AND 3", true},
		{"NOT (1 AND 3)", false},
		{"2 OR 1 AND 3", true},
	} {
		if got := matchBoth(t, c, Filter{Conditions: conds, Logic: tc.logic}, testEnv()); got != tc.want {
			t.Errorf("%q: got %v, want %v", tc.logic, got, tc.want)
		}
	}
}

func TestStructuredProblems(t *testing.T) {
	c := testCompiler(t)
	_, err := c.Compile(Filter{
		Conditions: []Condition{
			{Field: "employees", Op: Gt, Values: v("1000")},
			{Field: "country", Op: Eq, Values: v("US")},
			{Field: "emplyees", Op: Gt, Values: v("10")},
		},
		Logic: "1 AND (2 OR 3",
	})
	want := `eval: 2 problems: condition 3: unknown field "emplyees"; logic 1:7: unbalanced parenthesis: "(" is never closed`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatal("not a *CompileError")
	}
	if ce.Problems[0].Pos != (Position{Condition: 3}) || ce.Problems[1].Pos != (Position{Column: 7}) {
		t.Errorf("positions: %+v", ce.Problems)
	}
	if !errors.Is(err, ErrUnknownField) || !errors.Is(err, ErrLogic) {
		t.Error("errors.Is does not see both sentinels")
	}
	var pr Problem
	if !errors.As(err, &pr) || pr.Pos.Condition != 3 {
		t.Errorf("errors.As(Problem): %+v", pr)
	}

	_, err = c.Compile(Filter{Conditions: []Condition{{Field: "country", Op: Eq, Values: v("US")}}, Expr: "true"})
	if !errors.Is(err, ErrSyntax) || err.Error() != "eval: a filter has either conditions (with a logic line) or an expression, not both" {
		t.Errorf("both forms: %v", err)
	}
	_, err = c.Compile(Filter{Logic: "1"})
	if !errors.Is(err, ErrLogic) || err.Error() != "eval: logic 1:1: condition 1 does not exist (the filter has no conditions)" {
		t.Errorf("logic without conditions: %v", err)
	}
	many := make([]Condition, MaxConditions+1)
	for i := range many {
		many[i] = Condition{Field: "country", Op: Eq, Values: v("US")}
	}
	_, err = c.Compile(Filter{Conditions: many})
	if !errors.Is(err, ErrTooLarge) || err.Error() != "eval: 51 conditions, over the bound of 50" {
		t.Errorf("too many conditions: %v", err)
	}
	if _, err := c.Compile(Filter{Conditions: many[:MaxConditions]}); err != nil {
		t.Errorf("50 conditions: %v", err)
	}
}

func TestUnusedConditionWarning(t *testing.T) {
	c := testCompiler(t)
	p, err := c.Compile(Filter{Conditions: []Condition{
		{Field: "country", Op: Eq, Values: v("US")},
		{Field: "employees", Op: Gt, Values: v("1")},
	}, Logic: "1"})
	if err != nil {
		t.Fatal(err)
	}
	w := p.Warnings()
	if len(w) != 1 || w[0].Pos.Condition != 2 || w[0].Error() != `condition 2: condition 2 is not used in the logic line "1"` {
		t.Errorf("warnings: %v", w)
	}
	// An unused condition is still validated.
	_, err = c.Compile(Filter{Conditions: []Condition{
		{Field: "country", Op: Eq, Values: v("US")},
		{Field: "employees", Op: Gt, Values: v("x")},
	}, Logic: "1"})
	if !errors.Is(err, ErrBadValue) {
		t.Errorf("unused bad condition: %v", err)
	}
}

func FuzzLogic(f *testing.F) {
	for _, s := range []string{
		"1", "1 AND 2", "1 and (2 or not 3)", "1 AND (2", "((((1))))", ")(", "NOT", "1 OR OR 2",
		"99999999999999999999999", "1 AND 4", "é", "\xff\xfe", "1\tAND\n2", "not not not 1", "",
		"(1 OR 2) AND NOT (3 OR (4 AND 5))",
	} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > MaxConditions {
			n = 5
		}
		tree, ps := parseLogic(s, n)
		if tree == nil && len(ps) == 0 {
			t.Fatalf("%q: no tree and no problems", s)
		}
		for _, p := range ps {
			if p.Pos.Column < 1 || p.Err == nil || p.Msg == "" {
				t.Fatalf("%q: bad problem %+v", s, p)
			}
		}
		if len(ps) > 0 {
			return
		}
		// A line that parses has a canonical form that parses to itself
		// and compiles to the same predicate.
		canon := tree.String()
		tree2, ps2 := parseLogic(canon, n)
		if len(ps2) > 0 || tree2.String() != canon {
			t.Fatalf("%q: canonical %q does not round-trip: %v", s, canon, ps2.err())
		}
		leaves := make([]pred, n)
		for i := range leaves {
			bit := i
			leaves[i] = func(e *Env) bool { return len(e.Path)>>bit&1 == 1 }
		}
		p1, p2 := tree.compile(leaves), tree2.compile(leaves)
		for mask := 0; mask < 1<<n && mask < 64; mask++ {
			e := &Env{Path: make([]Step, mask)}
			if p1(e) != p2(e) {
				t.Fatalf("%q and %q disagree on %b", s, canon, mask)
			}
		}
	})
}
