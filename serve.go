package playgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
)

// scheduleState is what store.Workflow.Schedule holds: the schedule, and
// the engine's bookkeeping of the runs it decides (the last counted start,
// the engagement polls).
type scheduleState struct {
	Spec        schedule.Schedule `json:"spec"`
	PublishedAt time.Time         `json:"published_at,omitzero"`
	// LastStart is when the latest run that counts for the schedule (not
	// a RetryAccount run) started, recorded when it ends: run history is
	// pruned (Retention) and may be crowded with retries, and the
	// schedule's anchor must survive both.
	LastStart time.Time `json:"last_start,omitzero"`
	// Polled holds, per engagement reader (connector name), the time its
	// next poll asks from: the time of the last run that read it without
	// error, so that a failed poll loses nothing.
	Polled map[string]time.Time `json:"polled,omitempty"`
}

func scheduleOf(w store.Workflow) scheduleState {
	var s scheduleState
	if len(w.Schedule) > 0 {
		_ = json.Unmarshal(w.Schedule, &s) // written by this package
	}
	if s.Spec.Kind == "" {
		s.Spec = schedule.OnDemand()
	}
	return s
}

// lastRunStart returns when the workflow's latest run started (zero if it
// never ran), counting runs still in progress (their record is written
// when they start) and not counting RetryAccount's one-account runs: the
// later of the start the workflow recorded (scheduleState.LastStart) and
// the newest such run in recent history.
func (e *Engine) lastRunStart(ctx context.Context, w store.Workflow) (time.Time, error) {
	last := scheduleOf(w).LastStart
	runs, err := e.st.ListRuns(ctx, w.ID, 50)
	if err != nil {
		return time.Time{}, err
	}
	for _, r := range runs {
		if !strings.HasPrefix(r.ID, retryRunPrefix) {
			if r.StartedAt.After(last) {
				last = r.StartedAt
			}
			break
		}
	}
	return last, nil
}

// RunDue runs, once each, the published workflows whose schedule is due
// at the clock's now, and unpublishes those past their schedule's end
// (posting a notification to the owner). It returns the reports of the
// runs it made and when the next run is due (ok false: nothing scheduled).
// A workflow another engine is running is skipped. A workflow that missed
// several runs while no engine was serving runs once.
//
// Serve calls RunDue in a loop; tests and hosts with their own timers may
// call it directly.
func (e *Engine) RunDue(ctx context.Context) (reports []RunReport, next time.Time, ok bool, err error) {
	var ws []store.Workflow
	for w, err := range e.st.ListWorkflows(ctx) {
		if err != nil {
			return nil, time.Time{}, false, err
		}
		if w.Status == store.WorkflowPublished {
			ws = append(ws, w)
		}
	}
	var errs []error
	for _, w := range ws {
		if ctx.Err() != nil {
			break
		}
		ss := scheduleOf(w)
		if ss.Spec.Kind == schedule.KindOnDemand {
			continue
		}
		now := e.o.Clock.Now()
		if ss.Spec.Ended(now) {
			if err := e.endSchedule(ctx, w, ss); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		last, rep, err := e.runIfDue(ctx, w.ID)
		if err != nil {
			if !errors.Is(err, ErrRunInProgress) {
				errs = append(errs, fmt.Errorf("workflow %s: %w", w.ID, err))
			}
			if last.IsZero() {
				continue
			}
		}
		if rep.ID != "" {
			reports = append(reports, rep)
		}
		if n, has := ss.Spec.Next(last, ss.PublishedAt); has && (!ok || n.Before(next)) {
			next, ok = n, true
		}
		if end := ss.Spec.End; !end.IsZero() {
			after := end.Add(time.Nanosecond)
			if !ok || after.Before(next) {
				next, ok = after, true
			}
		}
	}
	if ctx.Err() != nil {
		return reports, next, ok, ctx.Err()
	}
	return reports, next, ok, errors.Join(errs...)
}

// runIfDue decides and runs under the workflow's scheduling lease, so two
// engines serving one store never both run one due occurrence: the second
// sees the first's run as the last one. It returns the start of the last
// run (this one if it ran).
func (e *Engine) runIfDue(ctx context.Context, workflowID string) (last time.Time, rep RunReport, err error) {
	err = e.withLeaseName(ctx, "schedule:"+workflowID, func() error {
		w, err := e.getWorkflow(ctx, workflowID)
		if err != nil {
			return err
		}
		if w.Status != store.WorkflowPublished {
			return fmt.Errorf("%w: workflow %s is %s", ErrNotPublished, w.ID, w.Status)
		}
		ss := scheduleOf(w)
		if last, err = e.lastRunStart(ctx, w); err != nil {
			return err
		}
		if !ss.Spec.Due(last, e.o.Clock.Now(), ss.PublishedAt) {
			return nil
		}
		rep, err = e.run(ctx, w, "")
		if rep.ID != "" {
			last = rep.StartedAt
		}
		return err
	})
	return last, rep, err
}

func (e *Engine) endSchedule(ctx context.Context, w store.Workflow, ss scheduleState) error {
	reason := fmt.Sprintf("schedule ended at %s", ss.Spec.End.Format(time.RFC3339))
	if _, err := e.setStatusLeased(ctx, w.ID, func(w *store.Workflow) error {
		if w.Status != store.WorkflowPublished {
			return fmt.Errorf("%w: no longer published", ErrState)
		}
		w.Status, w.Reason = store.WorkflowUnpublished, reason
		return nil
	}); err != nil {
		if errors.Is(err, ErrState) || errors.Is(err, ErrRunInProgress) {
			return nil // someone else got there first, or a run ends first: next time
		}
		return err
	}
	if w.Owner == "" {
		return nil
	}
	return e.st.PostNotifications(ctx, []store.Notification{{
		User: w.Owner, Kind: store.NoteUnpublished, Workflow: w.ID,
		Message: fmt.Sprintf("Workflow %q was unpublished: %s", w.Name, reason), At: e.o.Clock.Now(),
	}})
}

// Serve runs every published workflow when its schedule is due, on the
// engine's clock, until ctx ends; it then returns ctx's error, leaving no
// goroutine behind. It wakes at the next due time, and at least every
// Options.SchedulerPoll to notice workflows published meanwhile. Several
// engines may serve one store: run leases keep them from running one
// workflow at once. Errors of single runs are recorded in run history and
// the inbox and logged; Serve goes on.
func (e *Engine) Serve(ctx context.Context) error {
	for {
		_, next, ok, err := e.RunDue(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			e.o.Logger.Warn("playgraph: scheduler", "err", err)
		}
		wait := e.o.SchedulerPoll
		if ok {
			wait = min(wait, max(next.Sub(e.o.Clock.Now()), time.Second))
		}
		if err := e.o.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}
