package playgraph

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/store"
)

// Fallback says where publishing a new version sends accounts whose node
// no longer exists.
type Fallback uint8

// Fallbacks.
const (
	// FallbackUpstream moves such an account to the nearest node on its
	// path that survives in the new version (the default); it is processed
	// there on the next run. When that node is an action the account
	// already completed, the account goes where the action's output leads
	// in the new version instead, so no action is done twice. With none
	// surviving, it leaves the flow.
	FallbackUpstream Fallback = iota
	// FallbackExit makes such an account leave the flow.
	FallbackExit
)

// PublishOptions tune PublishWith.
type PublishOptions struct {
	// Fallback decides where accounts at removed nodes go.
	Fallback Fallback
}

// Migration reports, for one node of the previously published version,
// where its accounts went when a new version was published.
type Migration struct {
	// From is the old node id.
	From string
	// To is where the accounts are now: From itself when the node
	// survives, another node id for a fallback, "" when they left the flow.
	To string
	// Accounts counts them.
	Accounts int
	// Fallback is true when From no longer exists.
	Fallback bool
}

// PublishReport is the outcome of publishing a version.
type PublishReport struct {
	Workflow Workflow
	Version  int
	// Previous is the version that was published before (0: none).
	Previous int
	// Migrations lists, per old node with accounts in flight, where they
	// went, sorted by From then To.
	Migrations []Migration
}

// Publish validates the workflow's draft (or, for an unpublished workflow
// without a draft, its last published version) against the graph rules and
// the environment — connectors registered with the capability each action
// needs, mapping profiles and match rules that save and create actions name
// — and publishes it. Every problem is reported at once in a
// *PublishError. Accounts in flight stay at the node with the same id;
// see PublishWith for the migration report and fallbacks. Publishing holds
// the workflow's lease: while a run (or another operation holding it,
// such as Forget) is in progress it fails with ErrRunInProgress. If
// another publish lands while this one waits, it fails with ErrState and
// changes nothing: publish again. A draft saved meanwhile stays the draft.
func (e *Engine) Publish(ctx context.Context, actor Actor, workflowID string) (Workflow, error) {
	rep, err := e.PublishWith(ctx, actor, workflowID, PublishOptions{})
	return rep.Workflow, err
}

// PublishWith publishes like Publish and reports how accounts in flight
// were migrated: accounts at a node whose id survives stay there (timers
// recompute their due time from the new configuration); accounts at a
// removed node go where opts.Fallback says, and their pending actions are
// dropped with the reason recorded.
func (e *Engine) PublishWith(ctx context.Context, actor Actor, workflowID string, opts PublishOptions) (PublishReport, error) {
	if err := actor.require(PermEdit, "publish a workflow"); err != nil {
		return PublishReport{}, err
	}
	w, err := e.getWorkflow(ctx, workflowID)
	if err != nil {
		return PublishReport{}, err
	}
	if w.Status == store.WorkflowArchived {
		return PublishReport{}, fmt.Errorf("%w: workflow %s is archived", ErrState, workflowID)
	}
	version := w.Draft
	if version == 0 {
		version = w.Published // republish after unpublish
	}
	if version == 0 {
		return PublishReport{}, fmt.Errorf("%w: workflow %s has no version to publish", ErrState, workflowID)
	}
	pe := &PublishError{Workflow: workflowID}
	g, err := e.loadGraph(ctx, workflowID, version)
	if err != nil {
		var ve *graph.ValidationError
		if !errors.As(err, &ve) {
			return PublishReport{}, err
		}
		pe.graphErr = ve
		for _, p := range ve.Problems {
			pe.Problems = append(pe.Problems, Problem{Node: p.Node, Rule: p.Rule, Message: p.Message})
		}
	} else {
		pe.Problems = append(pe.Problems, e.checkEnvironment(g)...)
		pe.Problems = append(pe.Problems, e.checkCredits(ctx, g)...)
	}
	if len(pe.Problems) > 0 {
		return PublishReport{}, pe
	}
	// Hold the run lease while publishing (and while accounts move), so
	// that no run, Delete or Archive interleaves.
	now := e.o.Clock.Now()
	lease, err := e.st.AcquireLease(ctx, w.ID, e.o.EngineID+"/publish/"+uuid.NewString(), now, e.o.LeaseTTL)
	if errors.Is(err, store.ErrLeaseHeld) {
		return PublishReport{}, fmt.Errorf("%w: workflow %s: %w", ErrRunInProgress, w.ID, err)
	}
	if err != nil {
		return PublishReport{}, err
	}
	defer func() { _ = e.st.ReleaseLease(context.WithoutCancel(ctx), lease) }()
	before := w.Published
	if w, err = e.getWorkflow(ctx, workflowID); err != nil { // as it is under the lease
		return PublishReport{}, err
	}
	if w.Status == store.WorkflowArchived {
		return PublishReport{}, fmt.Errorf("%w: workflow %s is archived", ErrState, workflowID)
	}
	if w.Published != before {
		// Another publish landed while this one waited: publishing the
		// version read before would undo it.
		return PublishReport{}, fmt.Errorf("%w: workflow %s: v%d was published meanwhile; publish again", ErrState, workflowID, w.Published)
	}
	rep := PublishReport{Version: version, Previous: w.Published}
	if w.Published != 0 && w.Published != version {
		rep.Migrations, err = e.migrate(ctx, w, g, version, opts, lease.Token)
		if err != nil {
			return PublishReport{}, err
		}
		w, err = e.getWorkflow(ctx, workflowID) // revision may have moved
		if err != nil {
			return PublishReport{}, err
		}
	}
	w.Status = store.WorkflowPublished
	w.Published = version
	if w.Draft == version {
		w.Draft = 0 // a draft saved meanwhile (Edit) stays the draft
	}
	w.Reason = ""
	w.UpdatedAt = e.o.Clock.Now()
	ss := scheduleOf(w)
	ss.PublishedAt = w.UpdatedAt
	w.Schedule, _ = json.Marshal(ss)
	rev, err := e.st.PutWorkflow(ctx, w, w.Revision)
	if err != nil {
		return PublishReport{}, err
	}
	w.Revision = rev
	rep.Workflow = workflowFrom(w)
	return rep, nil
}

// migrate moves the accounts in flight to the new version's nodes.
func (e *Engine) migrate(ctx context.Context, w store.Workflow, g *graph.Graph, version int, opts PublishOptions, fence uint64) ([]Migration, error) {
	loc, err := loadLocation(w.TimeZone)
	if err != nil {
		return nil, err
	}
	old, err := e.loadGraph(ctx, w.ID, w.Published)
	if err != nil {
		return nil, err
	}
	// survives reports whether a node id of the old version is the same
	// kind of node in the new one (a changed kind counts as removed).
	survives := func(id string) bool {
		n, ok := g.Node(id)
		if !ok {
			return false
		}
		o, ok := old.Node(id)
		return !ok || o.Kind() == n.Kind()
	}
	pendingByAcct := map[string]store.Intent{}
	for in, err := range e.st.PendingIntents(ctx, w.ID) {
		if err != nil {
			return nil, err
		}
		pendingByAcct[in.Account] = in
	}
	type mkey struct {
		from, to string
		fb       bool
	}
	counts := map[mkey]int{}
	now := e.o.Clock.Now()
	var batch store.Batch
	var released []string
	flush := func() error {
		if len(batch.States) == 0 && len(batch.Resolved) == 0 {
			return nil
		}
		if err := e.releaseKeys(ctx, released); err != nil {
			return err
		}
		released = released[:0]
		batch.Fence = fence
		if err := e.st.Apply(ctx, w.ID, &batch); err != nil {
			return err
		}
		batch = store.Batch{}
		return nil
	}
	for st, err := range e.st.ScanStates(ctx, w.ID, store.StatusActive, store.StatusWaiting, store.StatusFailed, store.StatusBlocked) {
		if err != nil {
			return nil, err
		}
		if n, ok := g.Node(st.Node); ok && survives(st.Node) {
			counts[mkey{st.Node, st.Node, false}]++
			if t, ok := timerOf(n); ok && st.Status == store.StatusWaiting {
				st.WakeAt = t.Due(st.EnteredAt, loc)
				batch.States = append(batch.States, st)
			}
		} else {
			from := st.Node
			to := ""
			if opts.Fallback == FallbackUpstream {
				// The nearest surviving node upstream. When it is an action
				// the account completed, it goes on where that action's
				// output leads in the new version rather than doing the
				// action again.
				for k := len(st.Path) - 2; k >= 0; k-- {
					id := st.Path[k].Node
					n, ok := g.Node(id)
					if !ok || !survives(id) {
						continue
					}
					if n.Kind().IsAction() && st.Path[k].Out != "" {
						if next, ok := g.Next(id, st.Path[k].Out); ok {
							to = next
						}
						break // an unconnected output: it leaves the flow
					}
					to = id
					break
				}
			}
			if in, ok := pendingByAcct[st.Account]; ok && in.Node == from {
				batch.Resolved = append(batch.Resolved, in.Key)
				released = append(released, in.Key)
			}
			reason := fmt.Sprintf("node %s removed in version %d", from, version)
			if to == "" {
				st.Status, st.Reason = store.StatusExited, reason
			} else {
				st.Node, st.Status, st.Reason = to, store.StatusActive, reason
				st.EnteredAt, st.WakeAt, st.Failures = now, time.Time{}, 0
				st.Path = append(st.Path, store.Step{Node: to, At: now})
			}
			batch.Audit = append(batch.Audit, store.AuditRow{Run: "publish-" + w.ID, Account: st.Account, Node: from, Event: "migrated", Detail: cmp.Or(to, "left the flow"), At: now})
			batch.States = append(batch.States, st)
			counts[mkey{from, to, true}]++
		}
		if len(batch.States) >= e.o.BatchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	out := make([]Migration, 0, len(counts))
	for k, n := range counts {
		out = append(out, Migration{From: k.from, To: k.to, Accounts: n, Fallback: k.fb})
	}
	slices.SortFunc(out, func(a, b Migration) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return out, nil
}

// Edit stores g as the workflow's draft: the next version of a published
// or unpublished workflow (the published version keeps running until the
// draft is published), or a new revision of a draft. Archived workflows are
// read-only.
func (e *Engine) Edit(ctx context.Context, actor Actor, workflowID string, g *graph.Graph) (Workflow, error) {
	if err := actor.require(PermEdit, "edit a workflow"); err != nil {
		return Workflow{}, err
	}
	if g == nil {
		return Workflow{}, fmt.Errorf("%w: no graph", ErrInvalid)
	}
	w, err := e.getWorkflow(ctx, workflowID)
	if err != nil {
		return Workflow{}, err
	}
	if w.Status == store.WorkflowArchived {
		return Workflow{}, fmt.Errorf("%w: workflow %s is archived (read-only; duplicate it to change it)", ErrState, workflowID)
	}
	if g.Start().Segment != w.Segment {
		return Workflow{}, fmt.Errorf("%w: a new version must start from the workflow's segment %q, not %q", ErrInvalid, w.Segment, g.Start().Segment)
	}
	n, err := e.putNextVersion(ctx, actor, w, g)
	if err != nil {
		return Workflow{}, err
	}
	w.Draft = n
	w.UpdatedAt = e.o.Clock.Now()
	rev, err := e.st.PutWorkflow(ctx, w, w.Revision)
	if err != nil {
		return Workflow{}, err
	}
	w.Revision = rev
	return workflowFrom(w), nil
}

func (e *Engine) putNextVersion(ctx context.Context, actor Actor, w store.Workflow, g *graph.Graph) (int, error) {
	gj, err := json.Marshal(g)
	if err != nil {
		return 0, fmt.Errorf("playgraph: encode graph: %w", err)
	}
	n := max(w.Published, w.Draft) + 1
	for range 1000 { // versions are write-once: probe past any left by a failed edit
		err := e.st.PutVersion(ctx, store.Version{Workflow: w.ID, Number: n, Graph: gj, CreatedAt: e.o.Clock.Now(), CreatedBy: actor.UserID})
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return 0, err
		}
		n++
	}
	return 0, fmt.Errorf("playgraph: workflow %s: no free version number", w.ID)
}

// Unpublish stops a published workflow: it is no longer run (by Run or the
// scheduler); its accounts' state is kept, and publishing again resumes.
// While a run is in progress it fails with ErrRunInProgress.
func (e *Engine) Unpublish(ctx context.Context, actor Actor, workflowID, reason string) (Workflow, error) {
	if err := actor.require(PermEdit, "unpublish a workflow"); err != nil {
		return Workflow{}, err
	}
	return e.setStatusLeased(ctx, workflowID, func(w *store.Workflow) error {
		if w.Status != store.WorkflowPublished {
			return fmt.Errorf("%w: workflow %s is %s, not published", ErrState, w.ID, w.Status)
		}
		w.Status, w.Reason = store.WorkflowUnpublished, reason
		return nil
	})
}

// Archive makes a workflow read-only; it is no longer run. Archived
// workflows can be duplicated. Actions left pending by an interrupted run
// are given up, since no run will finish them: their intents are resolved
// and the credits held for them released. While a run is in progress it
// fails with ErrRunInProgress.
func (e *Engine) Archive(ctx context.Context, actor Actor, workflowID string) (Workflow, error) {
	if err := actor.require(PermEdit, "archive a workflow"); err != nil {
		return Workflow{}, err
	}
	if _, err := e.getWorkflow(ctx, workflowID); err != nil {
		return Workflow{}, err
	}
	var out Workflow
	err := e.withLease(ctx, workflowID, "status", func(fence uint64) error {
		w, err := e.getWorkflow(ctx, workflowID)
		if err != nil {
			return err
		}
		if w.Status == store.WorkflowArchived {
			return fmt.Errorf("%w: workflow %s is already archived", ErrState, w.ID)
		}
		// Give the pending actions up first: should that fail, the
		// workflow is not archived, and archiving again finishes it.
		var keys []string
		for in, err := range e.st.PendingIntents(ctx, workflowID) {
			if err != nil {
				return err
			}
			keys = append(keys, in.Key)
		}
		if err := e.releaseKeys(ctx, keys); err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := e.st.Apply(ctx, workflowID, &store.Batch{Fence: fence, Resolved: keys}); err != nil {
				return err
			}
		}
		out, err = e.setStatus(ctx, workflowID, func(w *store.Workflow) error {
			if w.Status == store.WorkflowArchived {
				return fmt.Errorf("%w: workflow %s is already archived", ErrState, w.ID)
			}
			w.Status = store.WorkflowArchived
			return nil
		})
		return err
	})
	return out, err
}

// setStatusLeased is setStatus holding the workflow's run lease, so the
// change never lands in the middle of a run (ErrRunInProgress then).
func (e *Engine) setStatusLeased(ctx context.Context, workflowID string, change func(*store.Workflow) error) (Workflow, error) {
	if _, err := e.getWorkflow(ctx, workflowID); err != nil {
		return Workflow{}, err
	}
	var out Workflow
	err := e.withLease(ctx, workflowID, "status", func(uint64) error {
		var err error
		out, err = e.setStatus(ctx, workflowID, change)
		return err
	})
	return out, err
}

func (e *Engine) setStatus(ctx context.Context, workflowID string, change func(*store.Workflow) error) (Workflow, error) {
	for range 5 {
		w, err := e.getWorkflow(ctx, workflowID)
		if err != nil {
			return Workflow{}, err
		}
		if err := change(&w); err != nil {
			return Workflow{}, err
		}
		w.UpdatedAt = e.o.Clock.Now()
		rev, err := e.st.PutWorkflow(ctx, w, w.Revision)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return Workflow{}, err
		}
		w.Revision = rev
		return workflowFrom(w), nil
	}
	return Workflow{}, fmt.Errorf("playgraph: workflow %s: %w (too many concurrent changes)", workflowID, store.ErrConflict)
}

// Duplicate creates a new draft workflow, owned by the actor, named
// "Copy of …", from the workflow's newest version (draft or published).
// Any workflow, archived ones included, may be duplicated.
func (e *Engine) Duplicate(ctx context.Context, actor Actor, workflowID string) (Workflow, error) {
	if err := actor.require(PermEdit, "duplicate a workflow"); err != nil {
		return Workflow{}, err
	}
	w, err := e.getWorkflow(ctx, workflowID)
	if err != nil {
		return Workflow{}, err
	}
	g, err := e.loadGraph(ctx, workflowID, max(w.Draft, w.Published))
	if err != nil {
		return Workflow{}, err
	}
	var o wfOptions
	_ = json.Unmarshal(w.Options, &o)
	return e.Create(ctx, actor, WorkflowSpec{Name: "Copy of " + w.Name, Graph: g, TimeZone: w.TimeZone, ReEntry: o.ReEntry, LeaveOnSegmentExit: o.LeaveOnSegmentExit, Schedule: scheduleOf(w).Spec})
}

// Delete removes a draft that was never published, with its versions. Any
// other workflow is ErrState (archive it instead). It holds the
// workflow's lease, so it fails with ErrRunInProgress while another
// operation holds it.
func (e *Engine) Delete(ctx context.Context, actor Actor, workflowID string) error {
	if err := actor.require(PermEdit, "delete a workflow"); err != nil {
		return err
	}
	if _, err := e.getWorkflow(ctx, workflowID); err != nil {
		return err
	}
	// Checked under the lease Publish takes too, so a publish cannot land
	// between the check and the deletion.
	return e.withLease(ctx, workflowID, "delete", func(uint64) error {
		w, err := e.getWorkflow(ctx, workflowID)
		if err != nil {
			return err
		}
		if w.Status != store.WorkflowDraft || w.Published != 0 {
			return fmt.Errorf("%w: only drafts can be deleted; workflow %s is %s", ErrState, workflowID, w.Status)
		}
		return e.st.DeleteWorkflow(ctx, workflowID)
	})
}

// SortBy orders the workflow list.
type SortBy uint8

// Sort orders.
const (
	SortByUpdated SortBy = iota // newest change first (the default)
	SortByName
	SortByCreated
	SortByOwner
)

// ListOptions filter and sort the workflow list.
type ListOptions struct {
	// Query matches names, ignoring case; "" matches all.
	Query string
	// Statuses to include; nil means the active ones: draft, published,
	// unpublished.
	Statuses []store.WorkflowStatus
	// CreatedByMe keeps the actor's own workflows only.
	CreatedByMe bool
	// Sort and Descending order the rows (names and owners ascending by
	// default, times newest first).
	Sort       SortBy
	Descending bool
}

// WorkflowRow is one row of the workflow list.
type WorkflowRow struct {
	Workflow
	// LastRunStatus and LastRunAt describe the latest run, if any.
	LastRunStatus store.RunStatus
	LastRunAt     time.Time
}

// List returns the workflows matching opts.
func (e *Engine) List(ctx context.Context, actor Actor, opts ListOptions) ([]WorkflowRow, error) {
	if err := actor.require(PermRead, "list workflows"); err != nil {
		return nil, err
	}
	statuses := opts.Statuses
	if statuses == nil {
		statuses = []store.WorkflowStatus{store.WorkflowDraft, store.WorkflowPublished, store.WorkflowUnpublished}
	}
	q := strings.ToLower(strings.TrimSpace(opts.Query))
	var rows []WorkflowRow
	for w, err := range e.st.ListWorkflows(ctx) {
		if err != nil {
			return nil, err
		}
		if !slices.Contains(statuses, w.Status) || (opts.CreatedByMe && w.Owner != actor.UserID) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(w.Name), q) {
			continue
		}
		row := WorkflowRow{Workflow: workflowFrom(w)}
		if w.LastRun != "" {
			if r, err := e.st.GetRun(ctx, w.LastRun); err == nil {
				row.LastRunStatus, row.LastRunAt = r.Status, r.StartedAt
			}
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b WorkflowRow) int {
		var c int
		switch opts.Sort {
		case SortByName:
			c = cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
		case SortByOwner:
			c = cmp.Or(cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.ID, b.ID))
		case SortByCreated:
			c = cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
		default:
			c = cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(a.ID, b.ID))
		}
		if opts.Descending {
			return -c
		}
		return c
	})
	return rows, nil
}
