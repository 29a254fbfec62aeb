package node

import (
	"errors"
	"strings"
)

// Sentinel errors of package node; errors returned by the package wrap one
// of them, test with errors.Is.
var (
	// ErrInvalid: a node whose configuration is incomplete or wrong. Returned
	// wrapped in a *[ConfigError] by every Validate method.
	ErrInvalid = errors.New("node: invalid configuration")
)

// Problem is one configuration problem of a node.
type Problem struct {
	// Field is the configuration field at fault, in the JSON spelling of
	// the graph schema ("id", "label", "config.max_per_account",
	// "config.branches[1].name"); empty for the node as a whole.
	Field string
	// Message says what is wrong, for people.
	Message string
}

// String renders the problem as "field: message".
func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// ConfigError lists every configuration problem of one node. It wraps
// [ErrInvalid].
type ConfigError struct {
	// Node is the node's id as configured (possibly empty or invalid).
	Node string
	// Kind is the node's kind.
	Kind Kind
	// Problems lists every problem, in field order.
	Problems []Problem
}

// Error renders every problem on one line.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("node ")
	b.WriteString(quote(e.Node))
	b.WriteString(" (")
	b.WriteString(string(e.Kind))
	b.WriteString("): invalid configuration: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns [ErrInvalid].
func (e *ConfigError) Unwrap() error { return ErrInvalid }

func quote(s string) string { return `"` + s + `"` }

// problems collects configuration problems.
type problems []Problem

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Message: sprintf(format, args...)})
}

func (ps problems) err(id string, k Kind) error {
	if len(ps) == 0 {
		return nil
	}
	return &ConfigError{Node: id, Kind: k, Problems: ps}
}
