package playgraph

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

// RecordEngagement records engagement events the host observed (ad clicks,
// email replies, visits). It is a data feed: it takes no Actor. Events
// need an account id, a channel and a time.
func (e *Engine) RecordEngagement(ctx context.Context, events ...audience.Event) error {
	for i, ev := range events {
		if ev.AccountID == "" || ev.Channel == "" || ev.At.IsZero() {
			return fmt.Errorf("%w: event %d needs an account id, a channel and a time", ErrInvalid, i)
		}
	}
	if len(events) == 0 {
		return nil
	}
	return e.st.AddEvents(ctx, events)
}

// PathStep is one node on an account's path as Where reports it.
type PathStep struct {
	Node  string
	Label string
	At    time.Time // when the account entered the node
	Out   string    // the output path it left by ("" while still there)
	// Explanation, for decisions, says which condition decided, evaluated
	// against the account's current data at the step's time.
	Explanation string
}

// Position is where an account stands in a workflow.
type Position struct {
	Workflow string
	Account  string
	Node     string
	Label    string
	Status   store.Status
	Since    time.Time
	WakeAt   time.Time
	Entry    uint32
	Failures int
	Reason   string
	Path     []PathStep
	// Counts holds, per node id, how many accounts are at each node now.
	Counts map[string]store.NodeCounts
}

// Where tells where an account is in a workflow: its node, since when, its
// path with times and, for each decision on it, the branch taken with the
// filter's explanation; plus per-node counts of where everyone is.
func (e *Engine) Where(ctx context.Context, actor Actor, workflowID, accountID string) (Position, error) {
	if err := actor.require(PermRead, "read account positions"); err != nil {
		return Position{}, err
	}
	w, err := e.getWorkflow(ctx, workflowID)
	if err != nil {
		return Position{}, err
	}
	sts, err := e.st.GetStates(ctx, workflowID, []string{accountID})
	if err != nil {
		return Position{}, err
	}
	if len(sts) != 1 || sts[0].Status == store.StatusNone || sts[0].Status == store.StatusForgotten {
		return Position{}, fmt.Errorf("%w: account %q in workflow %s", ErrNotFound, accountID, workflowID)
	}
	st := sts[0]
	pos := Position{
		Workflow: workflowID, Account: accountID, Node: st.Node, Status: st.Status, Since: st.EnteredAt,
		WakeAt: st.WakeAt, Entry: st.Entry, Failures: int(st.Failures), Reason: st.Reason,
	}
	pos.Counts, err = e.st.Counts(ctx, workflowID)
	if err != nil {
		return Position{}, err
	}
	version := w.Published
	if version == 0 {
		version = w.Draft
	}
	g, gerr := e.loadGraph(ctx, workflowID, version)
	var acct *audience.Account
	if gerr == nil {
		if src, err := e.source(ctx, w.Segment); err == nil {
			if as, err := src.Lookup(ctx, []string{accountID}); err == nil && len(as) == 1 {
				acct = as[0]
			}
		}
	}
	for _, s := range st.Path {
		ps := PathStep{Node: s.Node, At: s.At, Out: s.Out}
		if gerr == nil {
			if n, ok := g.Node(s.Node); ok {
				ps.Label = n.NodeLabel()
				if d, ok := n.(*node.Decision); ok && acct != nil && s.Out != "" {
					ps.Explanation = explainDecision(g.Programs(g.Index(s.Node)), d, acct, s)
				}
			}
		}
		if s.Node == st.Node {
			pos.Label = ps.Label
		}
		pos.Path = append(pos.Path, ps)
	}
	return pos, nil
}

func explainDecision(progs []*eval.Program, d *node.Decision, a *audience.Account, s store.Step) string {
	env := &eval.Env{Account: a, Now: s.At, EnteredAt: s.At}
	names := d.Outputs()
	out := ""
	for k, p := range progs {
		ex, err := p.Explain(env)
		if err != nil {
			return "cannot explain: " + err.Error()
		}
		name := ""
		if k < len(names) {
			name = names[k]
		}
		if out != "" {
			out += "; "
		}
		out += fmt.Sprintf("%s: %v (%s)", name, ex.Result, ex.Text)
		if ex.Result {
			break
		}
	}
	return out
}

// Runs returns a workflow's runs, newest first, at most limit (all when
// limit <= 0).
func (e *Engine) Runs(ctx context.Context, actor Actor, workflowID string, limit int) ([]RunReport, error) {
	if err := actor.require(PermRead, "read run history"); err != nil {
		return nil, err
	}
	if _, err := e.getWorkflow(ctx, workflowID); err != nil {
		return nil, err
	}
	rs, err := e.st.ListRuns(ctx, workflowID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]RunReport, len(rs))
	for i, r := range rs {
		out[i] = reportFrom(r)
	}
	return out, nil
}

// Audit returns a page of a run's audit log.
func (e *Engine) Audit(ctx context.Context, actor Actor, runID string, offset, limit int) ([]store.AuditRow, error) {
	if err := actor.require(PermRead, "read audit logs"); err != nil {
		return nil, err
	}
	rows, err := e.st.Audit(ctx, runID, offset, limit)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: run %q", ErrNotFound, runID)
	}
	return rows, err
}

// Inbox returns the actor's notifications, newest first.
func (e *Engine) Inbox(ctx context.Context, actor Actor, unreadOnly bool) ([]store.Notification, error) {
	if err := actor.require(PermRead, "read the inbox"); err != nil {
		return nil, err
	}
	return e.st.Notifications(ctx, actor.UserID, unreadOnly)
}

// MarkRead marks notifications of the actor read. Reading one's own inbox
// is allowed to every role.
func (e *Engine) MarkRead(ctx context.Context, actor Actor, ids ...string) error {
	if err := actor.require(PermRead, "mark notifications read"); err != nil {
		return err
	}
	return e.st.MarkRead(ctx, actor.UserID, ids)
}

// Counts returns how many accounts are at each node of a workflow now, by
// status.
func (e *Engine) Counts(ctx context.Context, actor Actor, workflowID string) (map[string]store.NodeCounts, error) {
	if err := actor.require(PermRead, "read counts"); err != nil {
		return nil, err
	}
	if _, err := e.getWorkflow(ctx, workflowID); err != nil {
		return nil, err
	}
	return e.st.Counts(ctx, workflowID)
}

// NextWake returns the earliest time an account waiting at a timer of the
// workflow is due (ok false when none waits). Accounts whose timer has
// conditions may move on earlier, when the conditions hold.
func (e *Engine) NextWake(ctx context.Context, actor Actor, workflowID string) (next time.Time, ok bool, err error) {
	if err := actor.require(PermRead, "read wake times"); err != nil {
		return time.Time{}, false, err
	}
	if _, err := e.getWorkflow(ctx, workflowID); err != nil {
		return time.Time{}, false, err
	}
	for st, err := range e.st.ScanStates(ctx, workflowID, store.StatusWaiting) {
		if err != nil {
			return time.Time{}, false, err
		}
		if !st.WakeAt.IsZero() && (!ok || st.WakeAt.Before(next)) {
			next, ok = st.WakeAt, true
		}
	}
	return next, ok, nil
}
