package eval

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of package eval. Every Problem wraps exactly one of them;
// errors returned by Match wrap ErrNoAccount, ErrNoContact or ErrRuntime.
// Test with errors.Is.
var (
	// ErrUnknownField: a field or name that is not in the catalogue or the
	// expression environment.
	ErrUnknownField = errors.New("eval: unknown field")
	// ErrUndeclared: a crm., map. or custom. attribute the catalogue does not
	// declare.
	ErrUndeclared = errors.New("eval: undeclared attribute")
	// ErrType: an operator or function used with a field or value of the
	// wrong type (including ordering buying_stage or profile_fit with < or >).
	ErrType = errors.New("eval: wrong type")
	// ErrLogic: a bad logic line in a structured filter.
	ErrLogic = errors.New("eval: bad logic line")
	// ErrSyntax: an expression that does not parse, or a filter that mixes
	// conditions and an expression.
	ErrSyntax = errors.New("eval: syntax error")
	// ErrNotBoolean: an expression whose value is not a boolean.
	ErrNotBoolean = errors.New("eval: not a boolean expression")
	// ErrTooLarge: a filter over one of the bounds (MaxExprBytes,
	// MaxExprNodes, MaxConditions).
	ErrTooLarge = errors.New("eval: over a bound")
	// ErrUnknownNode: engaged() naming a node the Compiler's AdNode does not
	// resolve.
	ErrUnknownNode = errors.New("eval: unknown ad node")
	// ErrBadValue: a condition value that does not parse for its field's
	// type, a wrong number of values, or an unknown operator.
	ErrBadValue = errors.New("eval: bad value")

	// ErrNoAccount: Match or Explain called without Env.Account.
	ErrNoAccount = errors.New("eval: env has no account")
	// ErrNoContact: a contact-subject program evaluated without Env.Contact.
	ErrNoContact = errors.New("eval: env has no contact")
	// ErrRuntime: an expression failed while running (for example a
	// division by zero or an index out of range).
	ErrRuntime = errors.New("eval: runtime error")
)

// Position is a place in filter text: for expressions, 1-based Line and
// Column in Expr (columns count runes); for structured filters, the 1-based
// Column in Logic (Line 0) or the numbered Condition. A zero Position means
// the whole filter.
type Position struct {
	Condition int `json:"condition,omitempty"`
	Line      int `json:"line,omitempty"`
	Column    int `json:"column,omitempty"`
}

// String renders the position as it appears in error messages:
// "condition 3", "logic 1:8" (the logic line is line 1), "expr 2:5", or ""
// for the whole filter.
func (p Position) String() string {
	switch {
	case p.Condition > 0:
		return fmt.Sprintf("condition %d", p.Condition)
	case p.Line > 0:
		return fmt.Sprintf("expr %d:%d", p.Line, p.Column)
	case p.Column > 0:
		return fmt.Sprintf("logic 1:%d", p.Column)
	}
	return ""
}

// Problem is one compile problem (or, from Program.Warnings, one warning):
// where it is, what is wrong, and the sentinel error it is an instance of.
type Problem struct {
	Pos Position
	Msg string // the message without the position, e.g. `unknown field "emplyees"`
	Err error  // one of the package's sentinel errors
}

// Error returns the position and the message: `condition 3: unknown field "emplyees"`.
func (p Problem) Error() string {
	if s := p.Pos.String(); s != "" {
		return s + ": " + p.Msg
	}
	return p.Msg
}

// Unwrap returns the sentinel.
func (p Problem) Unwrap() error { return p.Err }

// CompileError lists every problem found compiling a filter, in the order
// found: whole-filter problems, then conditions in order, then the logic
// line (structured filters), or in text order (expressions).
type CompileError struct{ Problems []Problem }

// Error lists every problem with its position:
//
//	eval: 2 problems: condition 3: unknown field "emplyees"; logic 1:8: unbalanced parenthesis
func (e *CompileError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "eval: compile error"
	case 1:
		return "eval: " + e.Problems[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "eval: %d problems: ", len(e.Problems))
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, for errors.Is / errors.As.
func (e *CompileError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// problems accumulates compile problems.
type problems []Problem

func (ps *problems) add(pos Position, sentinel error, format string, args ...any) {
	*ps = append(*ps, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...), Err: sentinel})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &CompileError{Problems: ps}
}
