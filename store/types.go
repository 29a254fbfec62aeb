package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/playgraph/playgraph/audience"
)

// WorkflowStatus is a workflow's lifecycle state.
type WorkflowStatus uint8

// Workflow lifecycle states.
const (
	WorkflowDraft WorkflowStatus = iota + 1
	WorkflowPublished
	WorkflowUnpublished
	WorkflowArchived
)

var workflowStatusNames = [...]string{"", "draft", "published", "unpublished", "archived"}

// String returns the status name.
func (s WorkflowStatus) String() string {
	if int(s) < len(workflowStatusNames) {
		return workflowStatusNames[s]
	}
	return fmt.Sprintf("WorkflowStatus(%d)", uint8(s))
}

// Workflow is a stored workflow record.
type Workflow struct {
	ID       string
	Name     string
	Owner    string // user id of the creator
	Segment  string // start segment id
	TimeZone string // IANA zone name; "" means UTC
	Status   WorkflowStatus
	// Published is the version number now published (0: none); Draft the
	// number of the draft being edited (0: none).
	Published int
	Draft     int
	// Schedule is the schedule specification, encoded by the engine.
	Schedule json.RawMessage
	// Options holds workflow options encoded by the engine (re-entry policy…).
	Options json.RawMessage
	// Reason says why the workflow was last unpublished, if it was.
	Reason    string
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastRun is the id of the latest run, if any.
	LastRun string
	// Revision is maintained by the store for optimistic concurrency.
	Revision uint64
}

// Version is one version of a workflow's graph.
type Version struct {
	Workflow  string
	Number    int
	Graph     json.RawMessage // the graph's JSON (package graph)
	CreatedAt time.Time
	CreatedBy string
}

// Status is where an account stands in a workflow.
type Status uint8

// Account statuses.
const (
	// StatusNone: never in the workflow.
	StatusNone Status = iota
	// StatusActive: at a node, to be processed (an action with a pending
	// intent, or a node a run stopped at).
	StatusActive
	// StatusWaiting: at a timer until WakeAt or its conditions hold.
	StatusWaiting
	// StatusFailed: its action failed; retried on later runs up to the
	// bound.
	StatusFailed
	// StatusBlocked: waiting at an action for something other than a retry
	// (credits); not a failed attempt.
	StatusBlocked
	// StatusExited: left the flow (end of a path, failure bound, removed,
	// left the segment); Reason says why.
	StatusExited
	// StatusForgotten: a tombstone; only the hashed id and Entry remain.
	StatusForgotten
)

var statusNames = [...]string{"none", "active", "waiting", "failed", "blocked", "exited", "forgotten"}

// String returns the status name.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Step is one node on an account's path: the node, the time the account
// entered it and the output path it left by ("" while still there).
type Step struct {
	Node string
	At   time.Time
	Out  string
}

// AccountState is one account's state in one workflow.
type AccountState struct {
	// Ref is a store-assigned dense handle (0 until first stored); the
	// engine passes it back so stores can skip an id look-up.
	Ref     uint64
	Account string
	Status  Status
	// Node is the node the account is at (the last one for exited accounts).
	Node string
	// Entry counts the account's entries into the workflow, from 1.
	Entry     uint32
	EnteredAt time.Time // when it entered Node
	WakeAt    time.Time // timers: when the time is up
	Failures  uint16    // failed attempts at Node
	Reason    string    // last error, or why it exited
	Path      []Step    // path of the current entry, oldest first
}

// ItemStatus is the state of one item of an intent.
type ItemStatus uint8

// Item states.
const (
	ItemPending ItemStatus = iota
	ItemDone
	ItemFailed // permanently failed
)

var itemStatusNames = [...]string{"pending", "done", "failed"}

// String returns the item status name.
func (s ItemStatus) String() string {
	if int(s) < len(itemStatusNames) {
		return itemStatusNames[s]
	}
	return fmt.Sprintf("ItemStatus(%d)", uint8(s))
}

// Item is one thing an intent sends: the account itself (Contact nil) or one
// contact, under its own idempotency key.
type Item struct {
	Key     string
	Contact *audience.Contact
	Status  ItemStatus
	Err     string
}

// Intent records an action before it is sent: the node, the account, its
// entry number, and the frozen items it covers. Its Key is the
// account-level idempotency key (workflow, node, account, entry).
type Intent struct {
	Key      string
	Node     string
	Account  string
	Entry    uint32
	Items    []Item
	Attempts int
	Created  time.Time
}

// Resolved reports whether no item is pending.
func (in *Intent) Resolved() bool {
	for i := range in.Items {
		if in.Items[i].Status == ItemPending {
			return false
		}
	}
	return true
}

// Batch is what StateStore.Apply writes atomically.
type Batch struct {
	// Fence is the run lease token the writer holds (0: unchecked).
	Fence uint64
	// States to save (insert or replace by account id).
	States []AccountState
	// Intents to insert or replace by key.
	Intents []Intent
	// Resolved lists keys of intents to remove (their outcome is in the
	// accompanying states and audit rows).
	Resolved []string
	// Audit rows to append.
	Audit []AuditRow
	// IntentStates and ResolvedStates are optional hints. When not nil,
	// IntentStates has one entry per intent and ResolvedStates one per
	// resolved key: the index in States of the state of the account the
	// intent belongs to, or -1 when States has none. A store may use them
	// to find an intent beside its account's state without a look-up by
	// key; it must not rely on them, and may ignore them. Validate checks
	// their lengths and ranges only (memstore refuses a batch whose hints
	// fail that check). Code that filters or splits a batch's Intents or
	// Resolved must filter the hints alike, or drop them.
	IntentStates   []int32
	ResolvedStates []int32
}

// NodeCounts counts the accounts at a node by status.
type NodeCounts struct {
	Active, Waiting, Failed, Blocked, Exited int
}

// Total is the number of accounts at the node, exited ones included.
func (c NodeCounts) Total() int { return c.Active + c.Waiting + c.Failed + c.Blocked + c.Exited }

// RunStatus is a run's outcome.
type RunStatus uint8

// Run statuses.
const (
	RunInProgress RunStatus = iota + 1
	RunCompleted
	RunCompletedWithErrors
	RunCompletedWithTimer
	RunCompletedWithTimerAndErrors
	RunFailed
)

var runStatusNames = [...]string{"", "in progress", "completed", "completed with errors", "completed with timer", "completed with timer and errors", "failed"}

// String returns the status as the product shows it.
func (s RunStatus) String() string {
	if int(s) < len(runStatusNames) {
		return runStatusNames[s]
	}
	return fmt.Sprintf("RunStatus(%d)", uint8(s))
}

// RunNodeCounts counts what a run did at one node.
type RunNodeCounts struct {
	Entered int            // accounts that reached the node in this run
	Paths   map[string]int // accounts that left by each output path
	Waiting int            // accounts left waiting at the node (timers)
	Sent    int            // items delivered (actions)
	Failed  int            // accounts whose action failed in this run
	Exited  int            // accounts that left the flow at the node
}

// RunError is one account's failure in a run.
type RunError struct {
	Node    string
	Account string
	Err     string
}

// Run is one pass of a workflow.
type Run struct {
	ID        string
	Workflow  string
	Version   int
	Status    RunStatus
	Actor     string // user id, or "" for scheduled runs
	Now       time.Time
	StartedAt time.Time
	EndedAt   time.Time
	Counts    map[string]RunNodeCounts
	Errors    []RunError // bounded; ErrorCount has the total
	// ErrorCount counts every failure, including those not in Errors.
	ErrorCount   int
	CreditsSpent int64
	Published    []string // what connectors published at end of run (file paths…)
	Err          string   // why the run failed
}

// AuditRow is one processed record in a run.
type AuditRow struct {
	Run     string
	Account string
	Node    string
	Event   string // "entered", "took", "sent", "failed", "waiting", "exited", …
	Detail  string // path taken, item key, error…
	At      time.Time
}

// NotificationKind is a kind of inbox notification. The set is open: later
// features add kinds.
type NotificationKind string

// Notification kinds.
const (
	NoteRunFailed           NotificationKind = "run_failed"
	NoteRunCompletedErrors  NotificationKind = "run_completed_with_errors"
	NotePreviewReady        NotificationKind = "preview_ready"
	NoteCreditsLow          NotificationKind = "credits_low"
	NoteCreditsInsufficient NotificationKind = "credits_insufficient"
	NoteFileReady           NotificationKind = "file_ready"
	NoteUnpublished         NotificationKind = "workflow_unpublished"
)

// Notification is one inbox message to a user.
type Notification struct {
	ID       string
	User     string
	Kind     NotificationKind
	Workflow string
	Run      string
	Message  string
	At       time.Time
	Read     bool
}

// Lease is a granted run lease.
type Lease struct {
	Name    string
	Holder  string
	Token   uint64
	Expires time.Time
}
