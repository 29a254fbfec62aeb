package node

// Start is the start node: the segment whose members enter the workflow. A
// graph has exactly one. Its single output is [PathNext].
type Start struct {
	// ID is the node id (see [ValidID]).
	ID string `json:"-"`
	// Label is the name people see.
	Label string `json:"-"`
	// Segment is the id of the segment whose members enter the workflow.
	Segment string `json:"segment"`
}

// NewStart returns a start node for the segment with id segmentID.
func NewStart(id, label, segmentID string) *Start {
	return &Start{ID: id, Label: label, Segment: segmentID}
}

// NodeID returns n.ID.
func (n *Start) NodeID() string { return n.ID }

// NodeLabel returns n.Label.
func (n *Start) NodeLabel() string { return n.Label }

// Kind returns [KindStart].
func (n *Start) Kind() Kind { return KindStart }

// Outputs returns [PathNext].
func (n *Start) Outputs() []string { return []string{PathNext} }

// Validate reports every configuration problem as a *[ConfigError].
func (n *Start) Validate() error {
	var ps problems
	checkID(&ps, n.ID)
	checkLabel(&ps, n.Label)
	checkText(&ps, "config.segment", n.Segment, MaxNameLen, true)
	return ps.err(n.ID, KindStart)
}

func (n *Start) clone() Node { c := *n; return &c }
