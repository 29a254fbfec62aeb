package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"time"

	"github.com/playgraph/playgraph/audience"
)

// Store is every concern the engine needs. A concern added later arrives as
// a new optional interface checked with a type assertion, never as a change
// to one of these.
type Store interface {
	WorkflowStore
	StateStore
	IntentStore
	RunStore
	EngagementStore
	InboxStore
	LeaseStore
	Eraser
}

// WorkflowStore keeps workflows and their versions.
type WorkflowStore interface {
	// PutWorkflow creates or replaces a workflow record. When expect is
	// non-zero, the stored record's Revision must equal it (optimistic
	// concurrency) or the call fails with ErrConflict; the stored revision
	// becomes the record's Revision + 1 and is returned.
	PutWorkflow(ctx context.Context, w Workflow, expect uint64) (uint64, error)
	// GetWorkflow returns a workflow or an error wrapping ErrNotFound.
	GetWorkflow(ctx context.Context, id string) (Workflow, error)
	// ListWorkflows iterates over every workflow, ordered by id.
	ListWorkflows(ctx context.Context) iter.Seq2[Workflow, error]
	// DeleteWorkflow removes a workflow, its versions and its state.
	DeleteWorkflow(ctx context.Context, id string) error
	// PutVersion stores a version; a version number is written once
	// (ErrConflict if it exists).
	PutVersion(ctx context.Context, v Version) error
	// GetVersion returns a version or an error wrapping ErrNotFound.
	GetVersion(ctx context.Context, workflowID string, number int) (Version, error)
}

// StateStore keeps each account's state in each workflow, and applies the
// engine's atomic step.
type StateStore interface {
	// GetStates returns the states of the given accounts, in order. An
	// account never in the workflow comes back with Status StatusNone (and
	// its Account set); a forgotten one with StatusForgotten and its last
	// Entry.
	GetStates(ctx context.Context, workflowID string, accountIDs []string) ([]AccountState, error)
	// ScanStates iterates over the workflow's accounts whose status is in
	// statuses (all when none given), in a stable order (first entry first).
	// A tombstone (StatusForgotten) comes back with Account = HashID(id).
	ScanStates(ctx context.Context, workflowID string, statuses ...Status) iter.Seq2[AccountState, error]
	// Apply performs a batch atomically: every intent written, every state
	// saved, every resolved intent removed and every audit row appended, or
	// none. It fails with ErrFenced when b.Fence is non-zero and is not the
	// workflow's current lease token. Apply sets Ref on states that had none.
	//
	// States are saved, then intents written, then Resolved keys removed,
	// then audit rows appended; a batch naming an account (or an intent
	// key) twice keeps the last. An empty batch (no states, intents,
	// resolved keys or audit rows) is a no-op whatever its Fence, though it
	// is validated like any other. A batch with an
	// empty account id, intent key, item key, resolved key or audit run, or
	// a state with StatusNone or StatusForgotten, fails with ErrInvalid and
	// writes nothing. A Ref that does not match the account is ignored.
	Apply(ctx context.Context, workflowID string, b *Batch) error
	// Counts returns how many accounts are at each node, by status.
	Counts(ctx context.Context, workflowID string) (map[string]NodeCounts, error)
}

// IntentStore reads recorded action intents. Intents are written through
// StateStore.Apply, atomically with the account states they belong to.
type IntentStore interface {
	// PendingIntents iterates over the workflow's unresolved intents, oldest
	// first.
	PendingIntents(ctx context.Context, workflowID string) iter.Seq2[Intent, error]
}

// RunStore keeps runs and their audit logs.
type RunStore interface {
	// PutRun creates or replaces a run record.
	PutRun(ctx context.Context, r Run) error
	// GetRun returns a run or an error wrapping ErrNotFound.
	GetRun(ctx context.Context, runID string) (Run, error)
	// ListRuns returns a workflow's runs, newest first, at most limit (all
	// when limit <= 0).
	ListRuns(ctx context.Context, workflowID string, limit int) ([]Run, error)
	// Audit returns a page of a run's audit rows, in the order appended.
	Audit(ctx context.Context, runID string, offset, limit int) ([]AuditRow, error)
	// PruneRuns deletes a workflow's runs (and their audit rows) beyond the
	// newest keep (keep <= 0: no count bound), and those that ended before
	// before (zero: no age bound; a run not ended is never pruned by age).
	PruneRuns(ctx context.Context, workflowID string, keep int, before time.Time) error
}

// EngagementStore keeps engagement events recorded by the host or polled
// from connectors.
type EngagementStore interface {
	// AddEvents stores events; an event equal to a stored one is ignored.
	AddEvents(ctx context.Context, events []audience.Event) error
	// Events returns the events of the given accounts at or after since,
	// keyed by account id.
	Events(ctx context.Context, accountIDs []string, since time.Time) (map[string][]audience.Event, error)
}

// EventEraser is an optional concern of an EngagementStore: it erases an
// account's engagement events whether or not any workflow knows the
// account (events are kept per account, not per workflow). Engine.Forget
// calls it when the store has it; a store without it erases events only
// through Eraser.Forget, once per workflow.
type EventEraser interface {
	// ForgetEvents deletes every engagement event of the account;
	// forgetting an account with none is not an error.
	ForgetEvents(ctx context.Context, accountID string) error
}

// InboxStore keeps per-user notifications.
type InboxStore interface {
	// PostNotifications stores notifications, assigning IDs where empty.
	PostNotifications(ctx context.Context, ns []Notification) error
	// Notifications returns a user's notifications, newest first; unread
	// only when unreadOnly.
	Notifications(ctx context.Context, userID string, unreadOnly bool) ([]Notification, error)
	// MarkRead marks the given notifications of the user read.
	MarkRead(ctx context.Context, userID string, ids []string) error
}

// LeaseStore grants run leases with fencing tokens so that two engines
// sharing a store never run one workflow at once.
type LeaseStore interface {
	// AcquireLease grants the named lease to holder until now+ttl. It fails
	// with ErrLeaseHeld while another holder's lease is unexpired. Each grant
	// to a new holder (or after expiry) gets a token greater than every
	// earlier token for that name; re-acquiring one's own live lease keeps
	// the token and extends it.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (Lease, error)
	// RenewLease extends a held lease; ErrFenced if its token is no longer
	// current (it expired and was granted to someone else).
	RenewLease(ctx context.Context, l Lease, now time.Time, ttl time.Duration) (Lease, error)
	// ReleaseLease gives a lease up; releasing a superseded lease is a no-op.
	ReleaseLease(ctx context.Context, l Lease) error
}

// Eraser forgets personal data.
type Eraser interface {
	// Forget erases an account from a workflow: its state becomes a
	// tombstone holding only the hashed id (HashID) and last entry number,
	// its pending intents and audit rows for it are deleted, and its
	// engagement events are removed. Counts already recorded in runs are
	// kept.
	Forget(ctx context.Context, workflowID, accountID string) error
}

// HashID is the one-way hash tombstones keep instead of an account id.
func HashID(accountID string) string {
	sum := sha256.Sum256([]byte("playgraph-tombstone:" + accountID))
	return hex.EncodeToString(sum[:16])
}

// PurchasedStore keeps the contacts workflows bought, so later nodes (save
// purchased contacts, people-level actions) find them. It is an optional
// concern: the engine requires it only of workflows that purchase
// contacts. Contacts are keyed by (workflow, account, contact id); putting
// one again replaces it. A store that is also an Eraser erases an
// account's purchased contacts in Forget; DeleteWorkflow deletes them.
type PurchasedStore interface {
	// PutPurchased stores contacts bought for accounts of a workflow (each
	// contact's AccountID says which).
	PutPurchased(ctx context.Context, workflowID string, contacts []audience.Contact) error
	// Purchased returns the contacts bought for the given accounts, keyed
	// by account id, each account's in the order first stored.
	Purchased(ctx context.Context, workflowID string, accountIDs []string) (map[string][]audience.Contact, error)
	// ForgetPurchased erases purchased contacts: one contact of an account,
	// or every contact of the account when contactID is "".
	ForgetPurchased(ctx context.Context, workflowID, accountID, contactID string) error
}
