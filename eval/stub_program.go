package eval

// STUB: the eval helper replaces this file with the real implementation. The
// exported signatures below are fixed (others code against them).

import "errors"

// Program is a compiled filter: immutable and safe for concurrent use.
type Program struct{ src Filter }

// Compile compiles f with the zero Compiler.
func Compile(f Filter) (*Program, error) { var c Compiler; return c.Compile(f) }

// Compile compiles f once; the result is evaluated per account. A failure
// is a *CompileError listing every problem.
func (c *Compiler) Compile(f Filter) (*Program, error) { return nil, errors.New("eval: not implemented") }

// Match evaluates p against env (using a pooled VM for expressions).
func (p *Program) Match(env *Env) (bool, error) { return false, errors.New("eval: not implemented") }

// Runner evaluates programs reusing one expression VM; one per goroutine.
// The zero value is ready to use. A Runner is not safe for concurrent use.
type Runner struct{}

// Match evaluates p against env with r's VM.
func (r *Runner) Match(p *Program, env *Env) (bool, error) { return p.Match(env) }

// Explain evaluates p and says why (off the fast path).
func (p *Program) Explain(env *Env) (Explanation, error) { return Explanation{}, errors.New("eval: not implemented") }

// Explanation tells how a filter decided.
type Explanation struct {
	Result     bool
	Conditions []ConditionResult // structured filters: every numbered condition
	Value      any               // expressions: the expression's value
	Text       string            // one line for humans: "1 AND (2 OR 3): 1 held, 2 failed, 3 held"
}

// ConditionResult is the outcome of one numbered condition.
type ConditionResult struct {
	N    int
	Held bool
	Text string // the condition rendered, e.g. `intent_score >= 70`
}

// Source returns the filter p was compiled from.
func (p *Program) Source() Filter { return p.src }

// NeedsContacts reports whether evaluating p reads Env.Contacts.
func (p *Program) NeedsContacts() bool { return false }

// Fields returns the catalogue fields p reads, sorted, without duplicates.
func (p *Program) Fields() []string { return nil }

// Segments returns the segment ids p names in in_segment(), sorted.
func (p *Program) Segments() []string { return nil }

// EngagedNodes returns the ad node ids p names in engaged(), sorted.
func (p *Program) EngagedNodes() []string { return nil }

// Render returns f's semantics as an expression (structured filters are
// rendered; expressions are returned as is).
func Render(f Filter) (string, error) { return "", errors.New("eval: not implemented") }

// Position is a place in filter text: for expressions, 1-based line and
// column in Expr; for structured filters, the 1-based Column in Logic (Line 0)
// or the numbered Condition.
type Position struct {
	Condition int `json:"condition,omitempty"`
	Line      int `json:"line,omitempty"`
	Column    int `json:"column,omitempty"`
}

// Problem is one compile problem.
type Problem struct {
	Pos Position
	Msg string
	Err error // one of the package's sentinel errors
}

func (p Problem) Error() string { return p.Msg }

// Unwrap returns the sentinel.
func (p Problem) Unwrap() error { return p.Err }

// CompileError lists every problem found compiling a filter.
type CompileError struct{ Problems []Problem }

func (e *CompileError) Error() string { return "eval: compile error" }

// Unwrap returns the problems, for errors.Is / errors.As.
func (e *CompileError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Sentinel errors.
var (
	ErrUnknownField = errors.New("eval: unknown field")
	ErrUndeclared   = errors.New("eval: undeclared attribute")
	ErrType         = errors.New("eval: wrong type")
	ErrLogic        = errors.New("eval: bad logic line")
	ErrSyntax       = errors.New("eval: syntax error")
	ErrNotBoolean   = errors.New("eval: not a boolean expression")
	ErrTooLarge     = errors.New("eval: over a bound")
	ErrUnknownNode  = errors.New("eval: unknown ad node")
	ErrBadValue     = errors.New("eval: bad value")
)
