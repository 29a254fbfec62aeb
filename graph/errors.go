package graph

import (
	"errors"
	"fmt"
	"strings"

	"github.com/playgraph/playgraph/eval"
)

// Sentinel errors of package graph; errors returned by the package wrap one
// of them, test with errors.Is.
var (
	// ErrInvalid: a graph that breaks a rule. Wrapped by *[ValidationError].
	ErrInvalid = errors.New("graph: invalid graph")
	// ErrDecode: JSON that is not a graph document (syntax, unknown field,
	// wrong type, dangling reference). Wrapped by *[DecodeError].
	ErrDecode = errors.New("graph: invalid JSON")
	// ErrSchema: a JSON document of a schema version this package does not
	// read. Wrapped by *[DecodeError].
	ErrSchema = errors.New("graph: unsupported schema version")
)

// Rule names: stable strings a tool may match on.
const (
	RuleSize              = "size"                // too many nodes or paths
	RuleOneStart          = "one-start"           // exactly one start node
	RuleUniqueID          = "unique-id"           // node ids are unique
	RuleUniqueLabel       = "unique-label"        // labels are unique (ignoring case)
	RuleConfigured        = "configured"          // every node's configuration is valid
	RulePathExists        = "path-exists"         // a path joins existing nodes from an existing output
	RulePathOnce          = "path-once"           // an output is connected at most once
	RuleStartIncoming     = "start-incoming"      // nothing leads into the start node
	RuleReachable         = "reachable"           // every node has an incoming path and is reachable from the start
	RuleAcyclic           = "acyclic"             // no cycles
	RuleDecisionBeforeAd  = "decision-before-ad"  // a decision on every path into an ad audience action
	RuleRemoveNamesAd     = "remove-names-ad"     // remove audience names an ad node upstream on every path into it
	RuleTimerBeforeRemove = "timer-before-remove" // a timer between the named ad node and remove audience
	RuleFilterCompiles    = "filter-compiles"     // every filter compiles; engaged() names an upstream ad node
)

// Warning rule names.
const (
	WarnBehavioralSegment   = "behavioral-segment"   // the start segment filters on behavioural fields
	WarnDecisionUnconnected = "decision-unconnected" // no output of a decision is connected
)

// Problem is one broken rule.
type Problem struct {
	// Node is the id of the node at fault; empty for the graph as a whole.
	Node string
	// Rule is one of the Rule constants.
	Rule string
	// Message says what is wrong, for people.
	Message string
	// Filter names the filter at fault for RuleFilterCompiles, in the JSON
	// spelling ("config.filter", "config.branches[1].filter",
	// "config.conditions"); empty otherwise.
	Filter string
	// Pos is the position in the filter (RuleFilterCompiles).
	Pos eval.Position
	// Err is the underlying error, when there is one (a *node.ConfigError
	// problem's sentinel, an eval compile problem).
	Err error
}

// String renders the problem as `node "id": rule: message`.
func (p Problem) String() string {
	if p.Node == "" {
		return p.Rule + ": " + p.Message
	}
	return fmt.Sprintf("node %q: %s: %s", p.Node, p.Rule, p.Message)
}

// ValidationError lists every rule a graph breaks. Read it with errors.As;
// it wraps [ErrInvalid] and each problem's Err.
type ValidationError struct {
	// Problems in a stable order: by rule check, then by node order.
	Problems []Problem
}

// Error renders every problem, one per line after a summary line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: invalid graph: %d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteByte('s')
	}
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns [ErrInvalid] and the problems' underlying errors.
func (e *ValidationError) Unwrap() []error {
	out := []error{ErrInvalid}
	for _, p := range e.Problems {
		if p.Err != nil {
			out = append(out, p.Err)
		}
	}
	return out
}

// Warning is a problem that does not stop a graph from being built.
type Warning struct {
	// Node is the id of the node concerned.
	Node string
	// Rule is one of the Warn constants.
	Rule string
	// Message says what may be wrong, for people.
	Message string
}

// String renders the warning as `node "id": rule: message`.
func (w Warning) String() string {
	return fmt.Sprintf("node %q: %s: %s", w.Node, w.Rule, w.Message)
}

// DecodeError is a JSON graph document that cannot be read: it wraps
// [ErrDecode] or [ErrSchema] and names the place with a JSON path such as
// $.nodes[3].config.max_per_account.
type DecodeError struct {
	// Path is the JSON path of the value at fault ("$" for the document).
	Path string
	// Msg says what is wrong.
	Msg string
	// Err is ErrDecode or ErrSchema.
	Err error
}

// Error renders "graph: json: <path>: <msg>".
func (e *DecodeError) Error() string { return "graph: json: " + e.Path + ": " + e.Msg }

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }
