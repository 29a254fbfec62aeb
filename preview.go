package playgraph

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/playgraph/playgraph/store"
)

// CreditEstimate is what a preview expects the next run to spend.
type CreditEstimate struct {
	// UpperBound assumes every account reaching a purchase buys its
	// maximum and every account reaching a create-account action is new.
	UpperBound int64
	// Expected uses the provider's count of available contacts (and the
	// target's existing records) where they are known; ExpectedKnown is
	// false when some provider could not count, and Expected then falls
	// back to the upper bound for those accounts.
	Expected      int64
	ExpectedKnown bool
}

// PreviewReport is what the next run would do.
type PreviewReport struct {
	Workflow string
	Version  int
	Now      time.Time
	// Counts holds, per node id: accounts reaching the node (Entered),
	// leaving by each path (Paths), that would wait at a timer (Waiting),
	// items that would be sent (Sent), accounts that would leave (Exited).
	Counts  map[string]store.RunNodeCounts
	Credits CreditEstimate
}

// Preview simulates the next run from the current state at the clock's
// now, writing nothing: no connector writes (it may read: count available
// contacts, find existing records), no credits reserved or spent, no
// account state changed, no run recorded. It posts one "preview ready"
// notification to the actor. A workflow never published is previewed in
// its draft version. Preview honours ctx.
//
// Where a simulation cannot see what the run would: accounts reaching a
// purchase or create-account action are taken against the credits
// available to audience workflows when the preview starts, blocking those
// the credits do not cover as the run would (monthly limits per user are
// not simulated, and with several batches in flight the run may block
// other accounts than the preview); and since a preview buys nothing, an
// action on purchased contacts later in the same pass (saving them to a
// CRM, say) counts only the contacts earlier runs bought.
func (e *Engine) Preview(ctx context.Context, actor Actor, workflowID string) (PreviewReport, error) {
	if err := actor.require(PermEdit, "preview a workflow"); err != nil {
		return PreviewReport{}, err
	}
	w, err := e.getWorkflow(ctx, workflowID)
	if err != nil {
		return PreviewReport{}, err
	}
	if w.Status == store.WorkflowArchived {
		return PreviewReport{}, fmt.Errorf("%w: workflow %s is archived", ErrState, workflowID)
	}
	if w.Published == 0 {
		w.Published = w.Draft
	}
	if w.Published == 0 {
		return PreviewReport{}, fmt.Errorf("%w: workflow %s has no version", ErrNotPublished, workflowID)
	}
	now := e.o.Clock.Now()
	rs := &runState{e: e, w: w, runID: "preview-" + uuid.NewString(), now: now, actor: actor.UserID, dry: true}
	if err := rs.execute(ctx); err != nil {
		return PreviewReport{}, err
	}
	rec := rs.record(store.Run{}, nil)
	rep := PreviewReport{
		Workflow: w.ID, Version: w.Published, Now: now, Counts: rec.Counts,
		Credits: CreditEstimate{UpperBound: rs.upper.Load(), Expected: rs.expected.Load(), ExpectedKnown: !rs.expectedUnknown.Load()},
	}
	msg := fmt.Sprintf("Preview of %q is ready: up to %d credit(s) (expected %d).", w.Name, rep.Credits.UpperBound, rep.Credits.Expected)
	if err := e.st.PostNotifications(ctx, []store.Notification{{User: actor.UserID, Kind: store.NotePreviewReady, Workflow: w.ID, Message: msg, At: now}}); err != nil {
		return PreviewReport{}, err
	}
	return rep, nil
}
