package playgraph

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

// withLease runs fn holding the workflow's run lease, so it never
// interleaves with a run.
func (e *Engine) withLease(ctx context.Context, workflowID, what string, fn func(fence uint64) error) error {
	lease, err := e.st.AcquireLease(ctx, workflowID, e.o.EngineID+"/"+what+"/"+uuid.NewString(), e.o.Clock.Now(), e.o.LeaseTTL)
	if errors.Is(err, store.ErrLeaseHeld) {
		return fmt.Errorf("%w: workflow %s: %w", ErrRunInProgress, workflowID, err)
	}
	if err != nil {
		return err
	}
	defer func() { _ = e.st.ReleaseLease(context.WithoutCancel(ctx), lease) }()
	return fn(lease.Token)
}

// withLeaseName runs fn holding the named lease.
func (e *Engine) withLeaseName(ctx context.Context, name string, fn func() error) error {
	lease, err := e.st.AcquireLease(ctx, name, e.o.EngineID+"/"+uuid.NewString(), e.o.Clock.Now(), e.o.LeaseTTL)
	if errors.Is(err, store.ErrLeaseHeld) {
		return fmt.Errorf("%w: %s: %w", ErrRunInProgress, name, err)
	}
	if err != nil {
		return err
	}
	defer func() { _ = e.st.ReleaseLease(context.WithoutCancel(ctx), lease) }()
	return fn()
}

// RemoveAccount takes an account out of a workflow: it leaves the flow
// with the reason recorded, and an action it was waiting to retry is
// dropped. Under the EnterAgainAfterExit policy it may enter again later.
// An archived workflow is read-only: ErrState, nothing changed.
func (e *Engine) RemoveAccount(ctx context.Context, actor Actor, workflowID, accountID, reason string) error {
	if err := actor.require(PermEdit, "remove an account from a workflow"); err != nil {
		return err
	}
	if _, err := e.getWorkflow(ctx, workflowID); err != nil {
		return err
	}
	return e.withLease(ctx, workflowID, "remove", func(fence uint64) error {
		// Checked under the lease Archive takes too.
		w, err := e.getWorkflow(ctx, workflowID)
		if err != nil {
			return err
		}
		if w.Status == store.WorkflowArchived {
			return fmt.Errorf("%w: workflow %s is archived (read-only)", ErrState, workflowID)
		}
		sts, err := e.st.GetStates(ctx, workflowID, []string{accountID})
		if err != nil {
			return err
		}
		st := sts[0]
		switch st.Status {
		case store.StatusNone, store.StatusForgotten:
			return fmt.Errorf("%w: account %q in workflow %s", ErrNotFound, accountID, workflowID)
		case store.StatusExited:
			return nil
		}
		b := store.Batch{Fence: fence}
		for in, err := range e.st.PendingIntents(ctx, workflowID) {
			if err != nil {
				return err
			}
			if in.Account == accountID {
				b.Resolved = append(b.Resolved, in.Key)
			}
		}
		if err := e.releaseKeys(ctx, b.Resolved); err != nil {
			return err
		}
		msg := fmt.Sprintf("removed by %s", actor.UserID)
		if reason != "" {
			msg += ": " + reason
		}
		st.Status, st.Reason = store.StatusExited, msg
		b.States = []store.AccountState{st}
		b.Audit = []store.AuditRow{{Run: "operator-" + workflowID, Account: accountID, Node: st.Node, Event: "removed", Detail: msg, At: e.o.Clock.Now()}}
		return e.st.Apply(ctx, workflowID, &b)
	})
}

// Forget erases an account's personal data from every workflow: its state
// becomes a tombstone (hashed id, last entry number) so idempotency keys
// never repeat and "enter once" still holds; its pending actions, audit
// rows, engagement events and purchased contacts are deleted. Run counts are kept. Only
// administrators may forget.
func (e *Engine) Forget(ctx context.Context, actor Actor, accountID string) error {
	if err := actor.require(PermAdmin, "forget personal data"); err != nil {
		return err
	}
	if accountID == "" {
		return fmt.Errorf("%w: empty account id", ErrInvalid)
	}
	// Events are kept per account: erased even when no workflow knows it.
	if ee, ok := e.st.(store.EventEraser); ok {
		if err := ee.ForgetEvents(ctx, accountID); err != nil {
			return err
		}
	}
	var ids []string
	for w, err := range e.st.ListWorkflows(ctx) {
		if err != nil {
			return err
		}
		ids = append(ids, w.ID)
	}
	ps, _ := e.st.(store.PurchasedStore)
	for _, id := range ids {
		if err := e.withLease(ctx, id, "forget", func(uint64) error {
			if ps != nil {
				if err := ps.ForgetPurchased(ctx, id, accountID, ""); err != nil {
					return err
				}
			}
			var held []string
			for in, err := range e.st.PendingIntents(ctx, id) {
				if err != nil {
					return err
				}
				if in.Account == accountID {
					held = append(held, in.Key)
				}
			}
			if err := e.releaseKeys(ctx, held); err != nil {
				return err
			}
			return e.st.Forget(ctx, id, accountID)
		}); err != nil {
			return err
		}
	}
	return nil
}

// Activation says that a workflow uses a segment: as its start ("start")
// or in a filter of a node ("filter").
type Activation struct {
	Workflow string
	Name     string
	Status   store.WorkflowStatus
	Version  int
	Node     string
	Use      string
}

// Activations returns which workflows, and which of their nodes, use a
// segment, in their published version (or draft when never published).
// Archived workflows are left out.
func (e *Engine) Activations(ctx context.Context, actor Actor, segmentID string) ([]Activation, error) {
	if err := actor.require(PermRead, "read segment activations"); err != nil {
		return nil, err
	}
	var ws []store.Workflow
	for w, err := range e.st.ListWorkflows(ctx) {
		if err != nil {
			return nil, err
		}
		if w.Status != store.WorkflowArchived {
			ws = append(ws, w)
		}
	}
	var out []Activation
	for _, w := range ws {
		v := w.Published
		if v == 0 {
			v = w.Draft
		}
		g, err := e.loadGraph(ctx, w.ID, v)
		if err != nil {
			continue // an invalid draft uses nothing yet
		}
		base := Activation{Workflow: w.ID, Name: w.Name, Status: w.Status, Version: v}
		for i := range g.Len() {
			n := g.At(i)
			if s, ok := n.(*node.Start); ok && s.Segment == segmentID {
				a := base
				a.Node, a.Use = n.NodeID(), "start"
				out = append(out, a)
				continue
			}
			for _, p := range g.Programs(i) {
				if slices.Contains(p.Segments(), segmentID) {
					a := base
					a.Node, a.Use = n.NodeID(), "filter"
					out = append(out, a)
					break
				}
			}
		}
	}
	return out, nil
}

// RetryAccount retries now the action an account failed at (or is
// blocked at for credits): a run of the workflow restricted to that
// account, recorded in run history like any run. The account then
// advances as far as it can. It fails with ErrState when the account is
// not failed or blocked.
func (e *Engine) RetryAccount(ctx context.Context, actor Actor, workflowID, accountID string) (RunReport, error) {
	if err := actor.require(PermEdit, "retry an account's action"); err != nil {
		return RunReport{}, err
	}
	w, err := e.getWorkflow(ctx, workflowID)
	if err != nil {
		return RunReport{}, err
	}
	if w.Status != store.WorkflowPublished {
		return RunReport{}, fmt.Errorf("%w: workflow %s is %s", ErrNotPublished, workflowID, w.Status)
	}
	sts, err := e.st.GetStates(ctx, workflowID, []string{accountID})
	if err != nil {
		return RunReport{}, err
	}
	switch sts[0].Status {
	case store.StatusFailed, store.StatusBlocked:
	case store.StatusNone, store.StatusForgotten:
		return RunReport{}, fmt.Errorf("%w: account %q in workflow %s", ErrNotFound, accountID, workflowID)
	default:
		return RunReport{}, fmt.Errorf("%w: account %q is %s, not failed", ErrState, accountID, sts[0].Status)
	}
	return e.runOnly(ctx, w, actor.UserID, accountID)
}

// noteFiles posts a "file ready" notification for what connectors
// published at the end of a run.
func (e *Engine) noteFiles(ctx context.Context, w store.Workflow, rec store.Run) {
	var ns []store.Notification
	for _, loc := range rec.Published {
		for _, u := range uniqueUsers(w.Owner, rec.Actor) {
			ns = append(ns, store.Notification{User: u, Kind: store.NoteFileReady, Workflow: w.ID, Run: rec.ID,
				Message: fmt.Sprintf("Workflow %q published %s", w.Name, loc), At: rec.EndedAt})
		}
	}
	if len(ns) > 0 {
		if err := e.st.PostNotifications(ctx, ns); err != nil {
			e.o.Logger.Warn("playgraph: post notifications", "workflow", w.ID, "err", err)
		}
	}
}

// ForgetContact erases a contact's personal data from every workflow: the
// copies the workflows bought, and the details frozen in pending actions
// (the item is kept, by id only, as terminally failed, so its key never
// repeats and it is never sent). Only administrators may forget.
func (e *Engine) ForgetContact(ctx context.Context, actor Actor, accountID, contactID string) error {
	if err := actor.require(PermAdmin, "forget personal data"); err != nil {
		return err
	}
	if accountID == "" || contactID == "" {
		return fmt.Errorf("%w: empty account or contact id", ErrInvalid)
	}
	var ids []string
	for w, err := range e.st.ListWorkflows(ctx) {
		if err != nil {
			return err
		}
		ids = append(ids, w.ID)
	}
	ps, _ := e.st.(store.PurchasedStore)
	for _, id := range ids {
		err := e.withLease(ctx, id, "forget", func(fence uint64) error {
			if ps != nil {
				if err := ps.ForgetPurchased(ctx, id, accountID, contactID); err != nil {
					return err
				}
			}
			b := store.Batch{Fence: fence}
			for in, err := range e.st.PendingIntents(ctx, id) {
				if err != nil {
					return err
				}
				if in.Account != accountID {
					continue
				}
				changed := false
				for k := range in.Items {
					if c := in.Items[k].Contact; c != nil && c.ID == contactID {
						in.Items[k].Contact = &audience.Contact{ID: contactID, AccountID: accountID}
						in.Items[k].Status, in.Items[k].Err = store.ItemFailed, "contact forgotten"
						changed = true
					}
				}
				if changed {
					b.Intents = append(b.Intents, in)
				}
			}
			if len(b.Intents) == 0 {
				return nil
			}
			return e.st.Apply(ctx, id, &b)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
