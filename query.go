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
// Explanations are worked out now, off the run's fast path, with the
// environment a run gives the filter (the account, its contacts, its
// engagement events, its path up to the decision, in_segment()) and
// today's data: when the data changed since, they may differ from what
// decided.
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
	var src audience.Source
	if gerr == nil {
		if src, err = e.source(ctx, w.Segment); err == nil {
			if as, err := src.Lookup(ctx, []string{accountID}); err == nil && len(as) == 1 {
				acct = as[0]
			}
		}
	}
	var ex *explainer
	for k, s := range st.Path {
		ps := PathStep{Node: s.Node, At: s.At, Out: s.Out}
		if gerr == nil {
			if n, ok := g.Node(s.Node); ok {
				ps.Label = n.NodeLabel()
				if d, ok := n.(*node.Decision); ok && acct != nil && s.Out != "" {
					if ex == nil {
						ex = &explainer{e: e, ctx: ctx, src: src, acct: acct, path: st.Path}
					}
					ps.Explanation = ex.explain(g.Programs(g.Index(s.Node)), d, k)
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

// explainer re-evaluates an account's decisions for Where with the
// environment a run gives a filter: the account, its known contacts, its
// engagement events, its path up to the decision, and in_segment(); the
// contacts, events and segments are read once, when a program needs them.
// It explains with today's data: when the data changed since the decision,
// the explanation may differ from what decided.
type explainer struct {
	e    *Engine
	ctx  context.Context
	src  audience.Source
	acct *audience.Account
	path []store.Step

	contacts, events bool // loaded
	cons             []audience.Contact
	evs              []audience.Event
	segs             *segResolver
}

// env is the environment of the decision at step k of the path.
func (x *explainer) env(progs []*eval.Program, k int) (*eval.Env, error) {
	s := x.path[k]
	env := &eval.Env{Account: x.acct, Now: s.At, EnteredAt: s.At}
	for _, p := range progs {
		if p.NeedsContacts() && !x.contacts {
			m, err := x.src.Contacts(x.ctx, []string{x.acct.ID})
			if err != nil {
				return nil, fmt.Errorf("%w: contacts: %w", ErrSegment, err)
			}
			x.cons, x.contacts = m[x.acct.ID], true
		}
		if len(p.EngagedNodes()) > 0 && !x.events {
			m, err := x.e.st.Events(x.ctx, []string{x.acct.ID}, x.path[0].At)
			if err != nil {
				return nil, err
			}
			x.evs, x.events = m[x.acct.ID], true
		}
	}
	if x.segs == nil {
		x.segs = &segResolver{e: x.e, ctx: x.ctx}
	}
	for _, p := range progs {
		for _, id := range p.Segments() {
			x.segs.mu.Lock()
			_, have := x.segs.sets[id]
			x.segs.mu.Unlock()
			if !have {
				if err := x.segs.load(id); err != nil {
					return nil, err
				}
			}
		}
	}
	env.Contacts, env.Events, env.Segments = x.cons, x.evs, x.segs
	for _, ps := range x.path[:k+1] {
		env.Path = append(env.Path, eval.Step{Node: ps.Node, At: ps.At})
	}
	return env, nil
}

// explain re-evaluates the decision d at step k of the path.
func (x *explainer) explain(progs []*eval.Program, d *node.Decision, k int) string {
	env, err := x.env(progs, k)
	if err != nil {
		return "cannot explain: " + err.Error()
	}
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
