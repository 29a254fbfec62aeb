package eval

// This file fixes eval's public API. Packages node, graph and the engine code
// against it; change it only together with them.

import (
	"time"

	"github.com/playgraph/playgraph/audience"
)

// Op is a structured-condition operator. Its string is the JSON spelling.
type Op string

// Operators of structured conditions. Values are written as strings and
// parsed for the field's type when the filter is compiled (numbers in Go
// syntax, times in RFC 3339, stages and fits by name, day counts as
// integers).
const (
	Eq             Op = "eq"               // field == value
	Ne             Op = "ne"               // field != value
	In             Op = "in"               // field is one of values
	NotIn          Op = "not_in"           // field is none of values
	Contains       Op = "contains"         // string contains value / list holds value
	ContainsAny    Op = "contains_any"     // list holds any of values (strings: contains any)
	ContainsAll    Op = "contains_all"     // list holds all of values (strings: contains all)
	StartsWith     Op = "starts_with"      // string starts with value
	Gt             Op = "gt"               // field > value
	Gte            Op = "gte"              // field >= value
	Lt             Op = "lt"               // field < value
	Lte            Op = "lte"              // field <= value
	Between        Op = "between"          // values[0] <= field <= values[1]
	IsEmpty        Op = "is_empty"         // absent, "", empty list, zero time, unknown stage/fit
	IsNotEmpty     Op = "is_not_empty"     // not IsEmpty
	WithinLastDays Op = "within_last_days" // time field in [now - N days, now]
	StageAtLeast   Op = "stage_at_least"   // buying stage >= value
	StageAtMost    Op = "stage_at_most"    // buying stage <= value
	Engaged        Op = "engaged"          // no field; values[0] names an ad node (see Env)
	InSegment      Op = "in_segment"       // no field; values[0] names a segment
)

// Condition is one numbered condition of a structured filter.
type Condition struct {
	Field  string   `json:"field,omitempty"`
	Op     Op       `json:"op"`
	Values []string `json:"values,omitempty"`
}

// Filter is a filter as written: either structured Conditions joined by a
// Logic line ("1 AND (2 OR NOT 3)"; empty means all conditions ANDed), or an
// expression Expr in the expr-lang syntax. Exactly one of the two forms may
// be used; the zero Filter is empty (IsZero) and matches everything when
// compiled.
type Filter struct {
	Conditions []Condition `json:"conditions,omitempty"`
	Logic      string      `json:"logic,omitempty"`
	Expr       string      `json:"expr,omitempty"`
}

// IsZero reports whether f has neither conditions nor an expression.
func (f Filter) IsZero() bool { return len(f.Conditions) == 0 && f.Logic == "" && f.Expr == "" }

// Step is one node on an account's path through a workflow and the time it
// entered it.
type Step struct {
	Node string
	At   time.Time
}

// AdRef identifies the ad audience an ad node fills, for engaged(): an
// engagement event counts when its Channel equals Channel and its Campaign
// equals Campaign or the ad node's id.
type AdRef struct {
	Channel  string
	Campaign string
}

// SegmentResolver answers in_segment() at evaluation time. The engine
// supplies one per run; tests use a fake.
type SegmentResolver interface {
	InSegment(segmentID, accountID string) bool
}

// Env is what a filter evaluates against. The caller owns it and may reuse
// it between evaluations; a Program never retains it.
type Env struct {
	// Account is the account being evaluated. Required.
	Account *audience.Account
	// Contact is the contact being evaluated by a contact-subject program
	// (a persona); nil for account programs.
	Contact *audience.Contact
	// Contacts are the account's contacts. Account programs whose
	// NeedsContacts is true read them: a contact condition holds when any
	// contact matches.
	Contacts []audience.Contact
	// Events are engagement events beyond Account.Events (recorded by the
	// host or polled from connectors); engaged() reads both.
	Events []audience.Event
	// Now is the run's logical time: the only "now" a filter ever sees.
	Now time.Time
	// EnteredAt is when the account entered its current node.
	EnteredAt time.Time
	// Path is the account's path so far, oldest first, with entry times;
	// engaged("n") uses the time the account last entered n.
	Path []Step
	// Segments answers in_segment(); nil makes in_segment() false.
	Segments SegmentResolver
}

// Compiler compiles filters against a catalogue. The zero Compiler uses
// audience.DefaultCatalog, compiles account filters and rejects engaged().
// A Compiler is safe for concurrent use.
type Compiler struct {
	// Catalog lists the fields filters may name; nil means
	// audience.DefaultCatalog().
	Catalog *audience.Catalog
	// Subject is audience.SubjectAccount (zero value too) for filters over
	// accounts, or audience.SubjectContact for persona filters evaluated per
	// contact (Env.Contact).
	Subject audience.Subject
	// AdNode resolves the node id named in engaged("id") to the ad audience
	// it fills; nil, or ok == false, makes engaged("id") a compile problem.
	AdNode func(nodeID string) (AdRef, bool)
}

// Bounds on filter size.
const (
	MaxExprBytes  = 4 << 10 // expression text
	MaxExprNodes  = 512     // nodes in the expression's syntax tree
	MaxConditions = 50      // numbered conditions
)
