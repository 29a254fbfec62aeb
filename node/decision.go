package node

import (
	"fmt"

	"github.com/playgraph/playgraph/eval"
)

// Mode says how a decision routes accounts.
type Mode string

// Decision modes.
const (
	// YesNo: one filter; accounts that match take [PathYes], the others
	// [PathNo].
	YesNo Mode = "yes_no"
	// Branching: ordered named branches, each with a filter; an account
	// takes the first branch whose filter matches (at most one), or
	// [PathAllOthers] when none does.
	Branching Mode = "branching"
)

// Branch is one branch of a branching decision. Its Name is also the name
// of its output path.
type Branch struct {
	Name   string      `json:"name"`
	Filter eval.Filter `json:"filter"`
}

// Decision is an IF node: a yes/no decision or a branching decision (see
// [Mode]). Filters are account filters; the graph compiles them once.
type Decision struct {
	// ID is the node id (see [ValidID]).
	ID string `json:"-"`
	// Label is the name people see.
	Label string `json:"-"`
	// Mode is YesNo or Branching.
	Mode Mode `json:"mode"`
	// Filter is the yes/no filter (YesNo only).
	Filter eval.Filter `json:"filter,omitzero"`
	// Branches are the ordered branches (Branching only).
	Branches []Branch `json:"branches,omitempty"`
}

// NewYesNo returns a yes/no decision routing accounts that match f to
// [PathYes] and the rest to [PathNo].
func NewYesNo(id, label string, f eval.Filter) *Decision {
	return &Decision{ID: id, Label: label, Mode: YesNo, Filter: f}
}

// NewBranching returns a branching decision with no branches yet; add them
// with [Decision.Branch].
func NewBranching(id, label string) *Decision {
	return &Decision{ID: id, Label: label, Mode: Branching}
}

// Branch appends a branch named name (also its path name) with filter f and
// returns d, for chaining.
func (d *Decision) Branch(name string, f eval.Filter) *Decision {
	d.Branches = append(d.Branches, Branch{Name: name, Filter: f})
	return d
}

// NodeID returns d.ID.
func (d *Decision) NodeID() string { return d.ID }

// NodeLabel returns d.Label.
func (d *Decision) NodeLabel() string { return d.Label }

// Kind returns [KindDecision].
func (d *Decision) Kind() Kind { return KindDecision }

// Outputs returns [PathYes] and [PathNo] for a yes/no decision; the branch
// names in order followed by [PathAllOthers] for a branching one.
func (d *Decision) Outputs() []string {
	switch d.Mode {
	case YesNo:
		return []string{PathYes, PathNo}
	case Branching:
		out := make([]string, 0, len(d.Branches)+1)
		for _, b := range d.Branches {
			out = append(out, b.Name)
		}
		return append(out, PathAllOthers)
	}
	return nil
}

// Validate reports every configuration problem as a *[ConfigError].
func (d *Decision) Validate() error {
	var ps problems
	checkID(&ps, d.ID)
	checkLabel(&ps, d.Label)
	switch d.Mode {
	case YesNo:
		if d.Filter.IsZero() {
			ps.add("config.filter", "is empty")
		}
		checkFilterShape(&ps, "config.filter", d.Filter)
		if len(d.Branches) > 0 {
			ps.add("config.branches", "a yes/no decision has no branches")
		}
	case Branching:
		if !d.Filter.IsZero() {
			ps.add("config.filter", "a branching decision has filters on its branches only")
		}
		switch {
		case len(d.Branches) == 0:
			ps.add("config.branches", "has no branch")
		case len(d.Branches) > MaxBranches:
			ps.add("config.branches", "has %d branches, more than %d", len(d.Branches), MaxBranches)
		}
		seen := make(map[string]int, len(d.Branches))
		for i, b := range d.Branches {
			f := fmt.Sprintf("config.branches[%d]", i)
			checkText(&ps, f+".name", b.Name, MaxNameLen, true)
			if b.Name == PathAllOthers {
				ps.add(f+".name", "%q is reserved for accounts no branch matches", PathAllOthers)
			}
			if j, dup := seen[b.Name]; dup && b.Name != "" {
				ps.add(f+".name", "%q is also the name of branch %d", b.Name, j+1)
			} else {
				seen[b.Name] = i
			}
			if b.Filter.IsZero() {
				ps.add(f+".filter", "is empty")
			}
			checkFilterShape(&ps, f+".filter", b.Filter)
		}
	case "":
		ps.add("config.mode", "is empty (want %q or %q)", YesNo, Branching)
	default:
		ps.add("config.mode", "%q is not a decision mode (want %q or %q)", d.Mode, YesNo, Branching)
	}
	return ps.err(d.ID, KindDecision)
}

func (d *Decision) clone() Node {
	c := *d
	c.Filter = cloneFilter(d.Filter)
	if d.Branches != nil {
		c.Branches = make([]Branch, len(d.Branches))
		for i, b := range d.Branches {
			c.Branches[i] = Branch{Name: b.Name, Filter: cloneFilter(b.Filter)}
		}
	}
	return &c
}
