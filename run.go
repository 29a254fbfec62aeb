package playgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

// RunReport is the outcome of one run.
type RunReport struct {
	ID        string
	Workflow  string
	Version   int
	Status    store.RunStatus
	Actor     string
	Now       time.Time // the run's logical time
	StartedAt time.Time
	EndedAt   time.Time
	// Counts holds, per node id, what the run did there.
	Counts map[string]store.RunNodeCounts
	// Errors lists failures (bounded); ErrorCount counts them all.
	Errors     []store.RunError
	ErrorCount int
	// Failures holds the errors of Errors as error values, checkable with
	// errors.Is / errors.As (credit.ErrInsufficientCredits…). It is filled
	// in the report Run returns, not in run history.
	Failures []error
	// CreditsSpent is the credits the run spent.
	CreditsSpent int64
	// Published lists what connectors published at the end of the run.
	Published []string
	// Err says why a failed run failed.
	Err string
	// AuditDropped counts the audit rows the run did not keep: those
	// beyond Retention.AuditRows, and in a failed run those of batches
	// whose write failed. Like Failures, it is filled in the report Run
	// returns, not in run history.
	AuditDropped int64
}

// Duration is how long the run took on the engine's clock.
func (r RunReport) Duration() time.Duration { return r.EndedAt.Sub(r.StartedAt) }

func reportFrom(r store.Run) RunReport {
	return RunReport{
		ID: r.ID, Workflow: r.Workflow, Version: r.Version, Status: r.Status, Actor: r.Actor,
		Now: r.Now, StartedAt: r.StartedAt, EndedAt: r.EndedAt, Counts: r.Counts, Errors: r.Errors,
		ErrorCount: r.ErrorCount, CreditsSpent: r.CreditsSpent, Published: r.Published, Err: r.Err,
	}
}

const maxRunErrors = 1000

// retryRunPrefix starts the ids of RetryAccount's runs.
const retryRunPrefix = "retry-"

// Run runs a published workflow once, now: new segment members enter,
// waiting accounts whose timer is due or whose conditions hold resume,
// failed actions are retried, outstanding intents of an interrupted run are
// re-sent, and every active account advances until it waits, leaves or
// ends.
//
// A second Run of the same workflow while one is in progress (in this
// engine or another sharing the store) fails at once with an error
// matching ErrRunInProgress and processes nothing.
//
// When the run itself fails (the segment cannot be read, the store fails,
// ctx is cancelled) the returned report has status RunFailed and the error
// is returned too; the state stays consistent and the next run resumes.
func (e *Engine) Run(ctx context.Context, actor Actor, workflowID string) (RunReport, error) {
	if err := actor.require(PermEdit, "run a workflow"); err != nil {
		return RunReport{}, err
	}
	w, err := e.getWorkflow(ctx, workflowID)
	if err != nil {
		return RunReport{}, err
	}
	if w.Status != store.WorkflowPublished || w.Published == 0 {
		return RunReport{}, fmt.Errorf("%w: workflow %s is %s", ErrNotPublished, workflowID, w.Status)
	}
	return e.run(ctx, w, actor.UserID)
}

func (e *Engine) run(ctx context.Context, w store.Workflow, actorID string) (RunReport, error) {
	return e.runOnly(ctx, w, actorID, "")
}

// runOnly is run, restricted to one account already in the flow when only
// is set.
func (e *Engine) runOnly(ctx context.Context, w store.Workflow, actorID, only string) (RunReport, error) {
	if err := ctx.Err(); err != nil {
		return RunReport{}, err
	}
	now := e.o.Clock.Now()
	runID := uuid.NewString()
	if only != "" {
		runID = retryRunPrefix + runID // the scheduler does not count retries as runs
	}
	lease, err := e.st.AcquireLease(ctx, w.ID, e.o.EngineID+"/"+runID, now, e.o.LeaseTTL)
	if errors.Is(err, store.ErrLeaseHeld) {
		return RunReport{}, fmt.Errorf("%w: workflow %s: %w", ErrRunInProgress, w.ID, err)
	}
	if err != nil {
		return RunReport{}, err
	}
	bg := context.WithoutCancel(ctx)
	rsLease := &lease
	defer func() { _ = e.st.ReleaseLease(bg, *rsLease) }()
	// Read the workflow again under the lease: a publish, unpublish or
	// archive that landed since the caller read it must not be missed.
	cur, err := e.getWorkflow(ctx, w.ID)
	if err != nil {
		return RunReport{}, err
	}
	if cur.Status != store.WorkflowPublished || cur.Published == 0 {
		return RunReport{}, fmt.Errorf("%w: workflow %s is %s", ErrNotPublished, w.ID, cur.Status)
	}
	w = cur

	rec := store.Run{
		ID: runID, Workflow: w.ID, Version: w.Published, Status: store.RunInProgress,
		Actor: actorID, Now: now, StartedAt: now,
	}
	if err := e.st.PutRun(ctx, rec); err != nil {
		return RunReport{}, err
	}
	rs := &runState{e: e, w: w, runID: runID, now: now, fence: lease.Token, lease: rsLease, renewed: now, actor: actorID, only: only}
	rs.auditLeft.Store(int64(e.o.Retention.AuditRows))
	runErr := rs.execute(ctx)
	if errors.Is(runErr, store.ErrFenced) {
		runErr = fmt.Errorf("playgraph: run lease lost (another engine took the workflow over): %w", runErr)
	}

	// Tell connectors the run is over, whatever happened: what they staged
	// for items recorded as done must be published.
	var published []string
	if rs.p != nil {
		for _, f := range rs.p.finish {
			pub, err := f.EndRun(bg, connector.RunInfo{Workflow: w.ID, Run: runID, Now: now})
			if err != nil {
				rs.addError("", "", fmt.Errorf("end of run for connector %s: %w", f.Name(), err))
				continue
			}
			if pub.Location != "" && pub.Items > 0 {
				published = append(published, pub.Location)
			}
		}
	}
	rec = rs.record(rec, runErr)
	rec.CreditsSpent = rs.creditsSpent.Load()
	rec.Published = published
	rec.EndedAt = e.o.Clock.Now()
	if errors.Is(runErr, store.ErrFenced) || errors.Is(rs.holdsLease(bg), store.ErrFenced) {
		// Superseded: whoever took the lease over (Forget, say) may have
		// erased accounts this run's errors name. The count stays.
		rec.Errors = nil
	}
	if err := e.st.PutRun(bg, rec); err != nil && runErr == nil {
		runErr = err
	}
	e.afterRun(bg, w, rec, rs.polled)
	e.noteFiles(bg, w, rec)
	if rs.p != nil && rs.p.spendsCredits {
		e.noteLowCredits(bg, w, rec)
	}
	rep := reportFrom(rec)
	rs.mu.Lock()
	rep.Failures = slices.Clone(rs.typed)
	rs.mu.Unlock()
	rep.AuditDropped = rs.auditDrop.Load()
	if f := e.o.Observer.RunFinished; f != nil {
		f(bg, rep)
	}
	return rep, runErr
}

// afterRun updates the workflow's last run, prunes history and posts
// inbox notifications.
func (e *Engine) afterRun(ctx context.Context, w store.Workflow, rec store.Run, polled map[string]time.Time) {
	for range 3 { // optimistic concurrency: retry on conflict
		cur, err := e.st.GetWorkflow(ctx, w.ID)
		if err != nil {
			break
		}
		cur.LastRun = rec.ID
		ss, changed := scheduleOf(cur), false
		if !strings.HasPrefix(rec.ID, retryRunPrefix) && rec.StartedAt.After(ss.LastStart) {
			ss.LastStart, changed = rec.StartedAt, true
		}
		for name, next := range polled {
			if ss.Polled == nil {
				ss.Polled = map[string]time.Time{}
			}
			ss.Polled[name], changed = next, true
		}
		if changed {
			cur.Schedule, _ = json.Marshal(ss)
		}
		if _, err := e.st.PutWorkflow(ctx, cur, cur.Revision); !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	var before time.Time
	if e.o.Retention.MaxAge > 0 {
		before = rec.EndedAt.Add(-e.o.Retention.MaxAge)
	}
	if err := e.st.PruneRuns(ctx, w.ID, e.o.Retention.Runs, before); err != nil {
		e.o.Logger.Warn("playgraph: prune runs", "workflow", w.ID, "err", err)
	}
	var kind store.NotificationKind
	var msg string
	switch rec.Status {
	case store.RunFailed:
		kind, msg = store.NoteRunFailed, fmt.Sprintf("Run of %q failed: %s", w.Name, rec.Err)
	case store.RunCompletedWithErrors, store.RunCompletedWithTimerAndErrors:
		kind, msg = store.NoteRunCompletedErrors, fmt.Sprintf("Run of %q completed with %d error(s)", w.Name, rec.ErrorCount)
	default:
		return
	}
	users := []string{w.Owner}
	if rec.Actor != "" && rec.Actor != w.Owner {
		users = append(users, rec.Actor)
	}
	var ns []store.Notification
	for _, u := range users {
		if u == "" {
			continue
		}
		ns = append(ns, store.Notification{User: u, Kind: kind, Workflow: w.ID, Run: rec.ID, Message: msg, At: rec.EndedAt})
	}
	if len(ns) > 0 {
		if err := e.st.PostNotifications(ctx, ns); err != nil {
			e.o.Logger.Warn("playgraph: post notifications", "workflow", w.ID, "err", err)
		}
	}
}

// runState is one run in progress.
type runState struct {
	e     *Engine
	p     *plan
	w     store.Workflow
	runID string
	now   time.Time
	fence uint64
	src   audience.Source

	leaseMu sync.Mutex
	lease   *store.Lease
	renewed time.Time

	actor string // who ran it ("" for the scheduler)
	only  string // RetryAccount: the one account to process
	again bool   // the workflow's re-entry policy lets accounts enter again

	exitedMu  sync.Mutex
	exitedNow map[string]struct{} // accounts that left in this run (re-entry waits for a later run)
	dry       bool                // a preview: nothing is written or sent

	indexes         map[string]*connector.MatchIndex // per node id, under mu
	creditsSpent    atomic.Int64
	previewMu       sync.Mutex
	previewRead     bool         // previewLeft was read from the ledger
	previewLeft     atomic.Int64 // preview: credits still available to spend
	upper           atomic.Int64 // preview: credits if every account took its maximum
	expected        atomic.Int64 // preview: credits by the provider's counts
	expectedUnknown atomic.Bool
	insufficient    atomic.Bool

	pending map[string]*store.Intent // unresolved intents by account id, read-only once loaded
	fresh   bool                     // the workflow held no state when the run began
	members map[string]struct{}      // segment members, only for LeaveOnSegmentExit
	segs    *segResolver

	mu         sync.Mutex
	counts     []store.RunNodeCounts
	paths      [][]int // per node, per output: accounts that left by it
	errs       []store.RunError
	typed      []error // errs as errors, for the report returned by Run
	errCount   int
	auditLeft  atomic.Int64
	auditDrop  atomic.Int64
	waitingEnd atomic.Int64

	// polled holds, per engagement reader this run polled, the time its
	// next poll asks from (under mu; see markPolled); the workflow keeps it.
	polled map[string]time.Time

	// skipped counts, per node, the waiting accounts phase 1 left alone
	// (see skipWaiting); only phase 1's producer goroutine touches it, and
	// it joins counts when phase 1 is over.
	skipped []int
}

func (rs *runState) addError(nodeID, account string, err error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.errCount++
	if len(rs.errs) < maxRunErrors {
		rs.errs = append(rs.errs, store.RunError{Node: nodeID, Account: account, Err: err.Error()})
		rs.typed = append(rs.typed, err)
	}
}

func (rs *runState) record(rec store.Run, runErr error) store.Run {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rec.Errors = slices.Clone(rs.errs)
	rec.ErrorCount = rs.errCount
	if rs.p != nil {
		rec.Counts = make(map[string]store.RunNodeCounts, len(rs.counts))
		for i, c := range rs.counts {
			for k, v := range rs.paths[i] {
				if v > 0 {
					c.Paths = incrBy(c.Paths, rs.p.nodes[i].outs[k], v)
				}
			}
			rec.Counts[rs.p.nodes[i].id] = c
		}
	}
	waiting := rs.waitingEnd.Load() > 0
	switch {
	case runErr != nil:
		rec.Status = store.RunFailed
		rec.Err = runErr.Error()
	case rec.ErrorCount > 0 && waiting:
		rec.Status = store.RunCompletedWithTimerAndErrors
	case rec.ErrorCount > 0:
		rec.Status = store.RunCompletedWithErrors
	case waiting:
		rec.Status = store.RunCompletedWithTimer
	default:
		rec.Status = store.RunCompleted
	}
	return rec
}

func (rs *runState) execute(ctx context.Context) error {
	e := rs.e
	p, err := e.plan(ctx, rs.w)
	if err != nil {
		return err
	}
	rs.p = p
	rs.counts = make([]store.RunNodeCounts, len(p.nodes))
	rs.paths = newPaths(p)
	src, err := e.source(ctx, rs.w.Segment)
	if err != nil {
		return err
	}
	rs.src = src
	rs.again = p.opts.ReEntry == EnterAgainAfterExit
	rs.exitedNow = map[string]struct{}{}
	rs.segs = &segResolver{e: e, ctx: ctx}
	// Read every segment a filter asks in_segment() about now: a segment
	// that cannot be read fails the run rather than routing every account
	// as if it were not a member.
	for _, id := range p.segments {
		if err := rs.segs.load(id); err != nil {
			return err
		}
	}

	if err := rs.pollEngagement(ctx); err != nil {
		return err
	}
	// Outstanding intents of earlier runs: their frozen items are re-sent.
	rs.pending = map[string]*store.Intent{}
	for in, err := range e.st.PendingIntents(ctx, rs.w.ID) {
		if err != nil {
			return err
		}
		in := in
		rs.pending[in.Account] = &in
	}
	if rs.p.opts.LeaveOnSegmentExit {
		rs.members = map[string]struct{}{}
		for a, err := range src.Members(ctx) {
			if err != nil {
				return fmt.Errorf("%w: %w", ErrSegment, err)
			}
			if a != nil { // an account without id is reported in phase 2
				rs.members[a.ID] = struct{}{}
			}
		}
	}

	// A workflow holding no account state at all (its first run, the
	// common case for a big entry): every member is new, and phase 2 need
	// not look the members' states up.
	if rs.fresh, err = rs.workflowEmpty(ctx); err != nil {
		return err
	}

	// Phase 1: accounts already in the flow.
	err = rs.phase(ctx, func(submit func(func(context.Context) error) bool) error {
		var chunk []store.AccountState
		flush := func() bool {
			if len(chunk) == 0 {
				return true
			}
			c := chunk
			chunk = nil
			return submit(func(ctx context.Context) error { return rs.processExisting(ctx, c) })
		}
		for st, err := range e.st.ScanStates(ctx, rs.w.ID, store.StatusActive, store.StatusWaiting, store.StatusFailed, store.StatusBlocked) {
			if err != nil {
				return err
			}
			if rs.only != "" && st.Account != rs.only {
				continue
			}
			if rs.skipWaiting(&st) {
				continue
			}
			chunk = append(chunk, st)
			if len(chunk) >= e.o.BatchSize && !flush() {
				return nil
			}
		}
		flush()
		return nil
	})
	rs.mu.Lock()
	for i, n := range rs.skipped {
		rs.counts[i].Waiting += n
	}
	rs.mu.Unlock()
	if err != nil {
		return err
	}

	if rs.only != "" {
		return nil // a retry of one account: no entries
	}
	// Phase 2: segment members not yet in the flow enter.
	return rs.phase(ctx, func(submit func(func(context.Context) error) bool) error {
		var chunk []*audience.Account
		for a, err := range src.Members(ctx) {
			if err != nil {
				return fmt.Errorf("%w: reading segment %s: %w", ErrSegment, rs.w.Segment, err)
			}
			// processEntries checks a: reading a.ID here would cost a
			// cache miss per account on this core, and another where the
			// chunk is processed.
			if chunk == nil {
				chunk = make([]*audience.Account, 0, e.o.BatchSize)
			}
			chunk = append(chunk, a)
			if len(chunk) >= e.o.BatchSize {
				c := chunk
				chunk = nil
				if !submit(func(ctx context.Context) error { return rs.processEntries(ctx, c) }) {
					return nil
				}
			}
		}
		if len(chunk) > 0 {
			c := chunk
			submit(func(ctx context.Context) error { return rs.processEntries(ctx, c) })
		}
		return nil
	})
}

// workflowEmpty reports whether the store holds no state of the workflow:
// no account at any node, exited ones included, and no tombstone. Only this
// run (which holds the lease) can add states until it ends.
func (rs *runState) workflowEmpty(ctx context.Context) (bool, error) {
	counts, err := rs.e.st.Counts(ctx, rs.w.ID)
	if err != nil {
		return false, err
	}
	for _, c := range counts {
		if c.Total() > 0 {
			return false, nil
		}
	}
	for _, err := range rs.e.st.ScanStates(ctx, rs.w.ID, store.StatusForgotten) {
		if err != nil {
			return false, err
		}
		return false, nil
	}
	return true, nil
}

// phase runs produce, which submits chunk jobs to a bounded pool, and
// waits for every job. The first error (of produce or any job) wins.
func (rs *runState) phase(ctx context.Context, produce func(submit func(func(context.Context) error) bool) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(rs.e.o.Concurrency)
	submit := func(job func(context.Context) error) bool {
		if gctx.Err() != nil {
			return false
		}
		g.Go(func() (err error) {
			// A panic here would end the process: no caller of Run can
			// recover it on this goroutine. It fails the run instead.
			defer func() {
				if p := recover(); p != nil {
					err = &PanicError{Value: p, Stack: debug.Stack()}
				}
			}()
			return job(gctx)
		})
		return true
	}
	perr := produce(submit)
	gerr := g.Wait()
	if perr != nil {
		return perr
	}
	if gerr != nil {
		return gerr
	}
	return ctx.Err()
}

// skipWaiting reports whether a waiting account can be left alone this run
// without reading its data: its timer is not due and has no conditions.
func (rs *runState) skipWaiting(st *store.AccountState) bool {
	if st.Status != store.StatusWaiting {
		return false
	}
	i := rs.p.g.Index(st.Node)
	if i < 0 {
		return false
	}
	pn := &rs.p.nodes[i]
	if pn.timer == nil || pn.hasProgs || !st.WakeAt.After(rs.now) {
		return false
	}
	if rs.members != nil {
		if _, in := rs.members[st.Account]; !in {
			return false
		}
	}
	rs.waitingEnd.Add(1)
	if rs.skipped == nil {
		rs.skipped = make([]int, len(rs.p.nodes))
	}
	rs.skipped[i]++ // still waiting at the node, like a parked account
	return true
}

func (rs *runState) pollEngagement(ctx context.Context) error {
	if len(rs.p.readers) == 0 || rs.dry {
		return nil // a preview writes no events
	}
	// Each reader is asked for what came since its last successful poll
	// (kept with the workflow); a workflow from before that was kept
	// falls back to the previous run's time.
	polled := scheduleOf(rs.w).Polled
	var prev time.Time
	runs, err := rs.e.st.ListRuns(ctx, rs.w.ID, 2)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.ID != rs.runID {
			prev = r.Now
			break
		}
	}
	for _, rd := range rs.p.readers {
		since, ok := polled[rd.Name()]
		if !ok {
			since = prev
		}
		evs, err := rd.ReadEngagement(ctx, since)
		if err != nil {
			// Engagement is an input, not an action: note it and go on;
			// the next run asks this reader again from the same time.
			rs.addError("", "", fmt.Errorf("reading engagement from %s: %w", rd.Name(), err))
			rs.markPolled(rd.Name(), since)
			continue
		}
		// One malformed event is noted and left out, like a bad record:
		// the others are stored.
		good := evs[:0:0]
		bad := 0
		for _, ev := range evs {
			if ev.AccountID == "" || ev.Channel == "" || !store.TimeInRange(ev.At) || ev.At.IsZero() {
				bad++
				continue
			}
			good = append(good, ev)
		}
		if bad > 0 {
			rs.addError("", "", fmt.Errorf("reading engagement from %s: %d event(s) without an account id, a channel or a valid time, left out", rd.Name(), bad))
		}
		if len(good) > 0 {
			if err := rs.e.st.AddEvents(ctx, good); err != nil {
				return err
			}
		}
		rs.markPolled(rd.Name(), rs.now)
	}
	return nil
}

// markPolled records the time reader name's next poll asks from: this
// run's time after a successful poll, the time it asked from after a
// failed one (so a first poll that fails loses nothing either).
func (rs *runState) markPolled(name string, next time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.polled == nil {
		rs.polled = map[string]time.Time{}
	}
	rs.polled[name] = next
}

// segResolver answers in_segment() by reading each named segment once per
// run.
type segResolver struct {
	e    *Engine
	ctx  context.Context
	mu   sync.Mutex
	sets map[string]map[string]struct{}
}

// load reads a segment's members into the resolver.
func (s *segResolver) load(segmentID string) error {
	src, err := s.e.source(s.ctx, segmentID)
	if err != nil {
		return err
	}
	set := map[string]struct{}{}
	for a, err := range src.Members(s.ctx) {
		if err != nil {
			return fmt.Errorf("%w: reading segment %s for in_segment(): %w", ErrSegment, segmentID, err)
		}
		if a != nil && a.ID != "" { // no account has an empty id
			set[a.ID] = struct{}{}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sets == nil {
		s.sets = map[string]map[string]struct{}{}
	}
	s.sets[segmentID] = set
	return nil
}

// InSegment implements eval.SegmentResolver. Every segment the plan's
// filters name was loaded when the run started.
func (s *segResolver) InSegment(segmentID, accountID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, in := s.sets[segmentID][accountID]
	return in
}

var _ eval.SegmentResolver = (*segResolver)(nil)

// item is one account moving through a chunk.
type item struct {
	st       store.AccountState
	acct     *audience.Account
	node     int
	contacts []audience.Contact
	events   []audience.Event
	intent   *store.Intent

	bought      []audience.Contact // contacts the workflow bought for the account
	newContacts []audience.Contact // contacts this run's purchase returned

	// The flags sit together after bidx (an item is 16 bytes smaller
	// than with each flag beside its slice: 288 bytes).
	bidx       int32 // index of its state in apply's batch, or -1
	resume     bool  // at its node from an earlier run (not a fresh arrival)
	missing    bool  // the source no longer knows the account
	dirty      bool
	haveCons   bool // contacts loaded
	haveEvs    bool // events loaded
	haveBought bool // bought loaded
}

// pathCap is the path capacity each fresh entry gets from its chunk's step
// arena: paths up to this long never allocate.
const pathCap = 4

// chunk is a batch of accounts walking the graph together. Chunks are
// pooled: every buffer below is reused by the next chunk job, so that the
// hot path allocates per chunk, not per account. Nothing a chunk hands out
// outlives it except through copies (the store copies what Apply writes;
// connectors get items by value).
type chunk struct {
	rs      *runState
	items   []*item
	backing []item       // the items' storage
	steps   []store.Step // fresh entries' path storage, pathCap per item
	buckets [][]*item
	counts  []store.RunNodeCounts
	paths   [][]int // per node, per output
	audit   []store.AuditRow
	intents []store.Intent // new or updated, for the next Apply
	resolve []string
	// intentOf and resolveOf hold the item of each entry of intents and
	// resolve, for the batch's state hints.
	intentOf, resolveOf []*item
	hints               []int32 // the batch's IntentStates, then its ResolvedStates

	inArena   []store.Intent // storage of the intents items point to
	itemArena []store.Item   // storage of account-level intents' single items

	ids     []string
	states  []store.AccountState // Apply's batch
	owners  []*item
	scratch []*item // per-node work lists (act's send, wait's check…)
	fresh   []*item
	epath   []eval.Step // envFor's path
	refs    []ref       // dispatch's pending items
	keyBuf  []byte

	records  map[string]connector.Record // record-writing actions: item key → record
	written  map[string]string           // item key → the target's record id
	reserved map[string]bool             // intent keys whose credits this chunk reserved
	// toRelease lists intent keys resolved without being done: any credit
	// reservation held under them is released before the next write.
	toRelease []string

	waiting   int64 // dirty-free waiting accounts seen, flushed by apply
	auditDrop int64
	wakeAt    time.Time
	wakeStr   string // wakeAt formatted for audit rows

	runner eval.Runner
	env    eval.Env
}

var chunkPool = sync.Pool{New: func() any { return new(chunk) }}

// releaseCheck, when a test sets it, sees every chunk release is about to
// clear (see release).
var releaseCheck func(*chunk)

// newPaths returns per-node, per-output path counters for p.
func newPaths(p *plan) [][]int {
	paths := make([][]int, len(p.nodes))
	for i := range p.nodes {
		paths[i] = make([]int, len(p.nodes[i].outs))
	}
	return paths
}

// newChunk takes a chunk from the pool, ready for n accounts.
func (rs *runState) newChunk(n int) *chunk {
	c := chunkPool.Get().(*chunk)
	c.rs = rs
	nn := len(rs.p.nodes)
	if cap(c.buckets) < nn {
		c.buckets = make([][]*item, nn)
		c.counts = make([]store.RunNodeCounts, nn)
	}
	c.buckets, c.counts = c.buckets[:nn], c.counts[:nn]
	if len(c.paths) != nn {
		c.paths = make([][]int, nn)
	}
	for i := range c.paths {
		k := len(rs.p.nodes[i].outs)
		if cap(c.paths[i]) < k {
			c.paths[i] = make([]int, k)
		}
		c.paths[i] = c.paths[i][:k]
	}
	if cap(c.backing) < n {
		c.backing = make([]item, n)
	}
	c.backing = c.backing[:n]
	if cap(c.items) < n {
		c.items = make([]*item, 0, n)
	}
	return c
}

// release clears c (so that the pool keeps no account alive) and returns
// it to the pool.
func (c *chunk) release() {
	// A chunk that failed before its apply: the rows it had taken budget
	// for are not stored, and count as dropped with the ones it dropped.
	if d := c.auditDrop + int64(len(c.audit)); d > 0 && c.rs != nil {
		c.rs.auditDrop.Add(d)
	}
	clear(c.backing)
	clear(c.items[:cap(c.items)])
	c.items = c.items[:0]
	// c.steps is not cleared: it holds only node and output names of
	// plans (no account data), and every fresh path is written before it
	// is read.
	for i := range c.buckets {
		clear(c.buckets[i][:cap(c.buckets[i])])
		c.buckets[i] = c.buckets[i][:0]
	}
	clear(c.counts)
	for _, p := range c.paths {
		clear(p)
	}
	// Past their length these are zero already: apply clears the audit
	// rows, intents and resolved keys it wrote before it truncates them,
	// and act zeroes an arena intent it takes back. Clearing their whole
	// capacity would cost a pass over hundreds of kilobytes per chunk once
	// the audit budget's early chunks have grown the audit buffer.
	if releaseCheck != nil {
		releaseCheck(c)
	}
	clear(c.audit)
	clear(c.intents)
	clear(c.resolve)
	clear(c.intentOf)
	clear(c.resolveOf)
	clear(c.inArena)
	clear(c.itemArena)
	clear(c.ids[:cap(c.ids)])
	clear(c.states[:cap(c.states)])
	clear(c.owners[:cap(c.owners)])
	clear(c.scratch[:cap(c.scratch)])
	clear(c.fresh[:cap(c.fresh)])
	clear(c.epath[:cap(c.epath)])
	clear(c.refs[:cap(c.refs)])
	c.refs = c.refs[:0]
	c.audit, c.intents, c.resolve = c.audit[:0], c.intents[:0], c.resolve[:0]
	c.intentOf, c.resolveOf = c.intentOf[:0], c.resolveOf[:0]
	c.inArena, c.itemArena, c.ids = c.inArena[:0], c.itemArena[:0], c.ids[:0]
	c.states, c.owners, c.scratch, c.fresh = c.states[:0], c.owners[:0], c.scratch[:0], c.fresh[:0]
	c.epath = c.epath[:0]
	c.waiting, c.auditDrop = 0, 0
	c.env = eval.Env{}
	c.wakeAt, c.wakeStr = time.Time{}, ""
	clear(c.records)
	clear(c.written)
	clear(c.reserved)
	clear(c.toRelease[:cap(c.toRelease)])
	c.toRelease = c.toRelease[:0]
	c.rs = nil
	chunkPool.Put(c)
}

// appendStep appends the step (node, at) to p. It writes the step's fields
// in place rather than appending a composite literal: the compiler builds
// such a literal on the stack and copies it, and on this hot path the copy
// stalls on the stores that just built it (store-to-load forwarding fails
// for the wider loads of the copy).
func appendStep(p []store.Step, node string, at time.Time) []store.Step {
	if len(p) == cap(p) {
		return append(p, store.Step{Node: node, At: at})
	}
	p = p[:len(p)+1]
	s := &p[len(p)-1]
	s.Node, s.At, s.Out = node, at, ""
	return p
}

// freshPath returns the k-th item's path storage: length 0, capacity
// pathCap, from the chunk's step arena.
func (c *chunk) freshPath(k int) []store.Step {
	return c.steps[k*pathCap : k*pathCap : (k+1)*pathCap]
}

func (rs *runState) processEntries(ctx context.Context, accts []*audience.Account) error {
	if err := rs.renewLease(ctx); err != nil {
		return err // phase 2 may write nothing for a long time: keep the lease alive
	}
	// An account without id is an error of the source's, recorded; the
	// chunk goes on without it.
	k := 0
	for _, a := range accts {
		if a == nil || a.ID == "" {
			rs.addError(rs.p.nodes[0].id, "", fmt.Errorf("%w: segment %s yielded an account without id", ErrSegment, rs.w.Segment))
			continue
		}
		accts[k] = a
		k++
	}
	accts = accts[:k]
	if len(accts) == 0 {
		return nil
	}
	c := rs.newChunk(len(accts))
	defer c.release()
	ids := c.ids[:0]
	for _, a := range accts {
		ids = append(ids, a.ID)
	}
	c.ids = ids
	var states []store.AccountState
	if rs.fresh {
		// Nothing stored before this run: every state is StatusNone.
		if cap(c.states) < len(ids) {
			c.states = make([]store.AccountState, len(ids))
		}
		states = c.states[:len(ids)]
		clear(states)
	} else {
		var err error
		if states, err = rs.e.st.GetStates(ctx, rs.w.ID, ids); err != nil {
			return err
		}
		if len(states) != len(ids) {
			return fmt.Errorf("playgraph: store returned %d states for %d accounts", len(states), len(ids))
		}
	}
	if n := pathCap * len(accts); cap(c.steps) < n {
		c.steps = make([]store.Step, n)
	} else {
		c.steps = c.steps[:n]
	}
	again := rs.p.opts.ReEntry == EnterAgainAfterExit
	start := &rs.p.nodes[0]
	for i := range states {
		st := &states[i]
		var entry uint32
		switch st.Status {
		case store.StatusNone:
			entry = 1
		case store.StatusExited, store.StatusForgotten:
			if !again {
				continue
			}
			rs.exitedMu.Lock()
			_, now := rs.exitedNow[ids[i]]
			rs.exitedMu.Unlock()
			if now {
				continue // left in this very run: it may enter again on a later one
			}
			entry = st.Entry + 1
		default:
			continue // already in the flow: phase 1 handled it
		}
		it := &c.backing[i]
		it.acct = accts[i]
		// Field by field, like every hot state write (see appendStep).
		s := &it.st
		s.Ref, s.Account, s.Status, s.Node, s.Entry = st.Ref, ids[i], store.StatusActive, start.id, entry
		s.EnteredAt, s.WakeAt, s.Failures, s.Reason = rs.now, time.Time{}, 0, ""
		s.Path = appendStep(c.freshPath(i), start.id, rs.now)
		it.dirty = true
		c.items = append(c.items, it)
		c.arrive(it, 0)
	}
	if len(c.items) == 0 {
		return nil
	}
	return c.walk(ctx)
}

func (rs *runState) processExisting(ctx context.Context, states []store.AccountState) error {
	c := rs.newChunk(len(states))
	defer c.release()
	ids := c.ids[:0]
	for i := range states {
		it := &c.backing[i]
		it.st = states[i]
		it.resume = true
		ids = append(ids, it.st.Account)
	}
	c.ids = ids
	accts, err := rs.src.Lookup(ctx, ids)
	if err != nil {
		return fmt.Errorf("%w: look-up: %w", ErrSegment, err)
	}
	if len(accts) != len(ids) {
		return fmt.Errorf("%w: look-up returned %d accounts for %d ids", ErrSegment, len(accts), len(ids))
	}
	for i := range c.backing {
		it := &c.backing[i]
		it.acct = accts[i]
		if it.acct == nil {
			it.acct = &audience.Account{ID: it.st.Account}
			it.missing = true
		}
		c.items = append(c.items, it)
		idx := rs.p.g.Index(it.st.Node)
		if idx < 0 {
			reason := fmt.Sprintf("node %q no longer exists in version %d", it.st.Node, rs.p.version)
			c.dropIntent(it, reason)
			c.exit(it, reason)
			continue
		}
		it.node = idx
		if rs.members != nil {
			if _, in := rs.members[it.st.Account]; !in {
				c.dropIntent(it, "left the segment")
				c.exit(it, "left the segment")
				continue
			}
		}
		if in := rs.pending[it.st.Account]; in != nil && in.Node == it.st.Node && in.Entry == it.st.Entry {
			it.intent = in
		}
		c.buckets[idx] = append(c.buckets[idx], it)
	}
	return c.walk(ctx)
}

// arrive puts a fresh arrival in node i's bucket.
func (c *chunk) arrive(it *item, i int) {
	it.node = i
	it.resume = false
	c.buckets[i] = append(c.buckets[i], it)
	c.counts[i].Entered++
	c.auditRow(it, "entered", "")
}

// auditing reports whether the run's audit budget has room left; callers
// whose detail costs something to build ask first.
func (c *chunk) auditing() bool { return c.rs.auditLeft.Load() > 0 }

// auditRow adds a row to the chunk's next apply while the run's audit
// budget lasts, and counts it as dropped after. The budget is taken one row
// at a time, so that a run whose writes all succeed keeps exactly
// min(rows, Retention.AuditRows).
func (c *chunk) auditRow(it *item, event, detail string) {
	// Once the budget is spent (the common case in a big run), a load
	// rather than a read-modify-write keeps the shared counter's cache
	// line from bouncing between cores.
	if c.rs.auditLeft.Load() <= 0 || c.rs.auditLeft.Add(-1) < 0 {
		c.auditDrop++
		return
	}
	c.audit = append(c.audit, store.AuditRow{Run: c.rs.runID, Account: it.st.Account, Node: c.rs.p.nodes[it.node].id, Event: event, Detail: detail, At: c.rs.now})
}

// move sends it out of its node by output out.
func (c *chunk) move(it *item, out int) {
	pn := &c.rs.p.nodes[it.node]
	c.paths[it.node][out]++
	if n := len(it.st.Path); n > 0 {
		it.st.Path[n-1].Out = pn.outs[out]
	}
	c.auditRow(it, "took", pn.outs[out])
	it.dirty = true
	it.st.Failures = 0
	it.st.Reason = ""
	it.st.WakeAt = time.Time{}
	next := pn.next[out]
	if next < 0 {
		c.exit(it, pn.leave[out])
		return
	}
	np := &c.rs.p.nodes[next]
	it.st.Node = np.id
	it.st.Status = store.StatusActive
	it.st.EnteredAt = c.rs.now
	it.st.Path = appendStep(it.st.Path, np.id, c.rs.now)
	it.intent = nil
	if f := c.rs.e.o.Observer.NodeEntered; f != nil && !c.rs.dry {
		f(context.Background(), NodeEvent{Workflow: c.rs.w.ID, Run: c.rs.runID, Node: np.id, Accounts: 1})
	}
	c.arrive(it, next)
}

// dropIntent gives up it's pending action: its pending items become
// terminally failed with the reason, the intent is resolved, and credits
// held for it are released. Every path that takes an account out of an
// action without completing it goes through here.
func (c *chunk) dropIntent(it *item, reason string) {
	in := it.intent
	if in == nil {
		if p := c.rs.pending[it.st.Account]; p != nil && p.Node == it.st.Node && p.Entry == it.st.Entry {
			in = p
		}
	}
	if in == nil || in.Key == "" {
		return
	}
	for k := range in.Items {
		if in.Items[k].Status == store.ItemPending {
			in.Items[k].Status, in.Items[k].Err = store.ItemFailed, reason
		}
	}
	c.addResolve(it, in.Key)
	c.toRelease = append(c.toRelease, in.Key)
	it.intent = nil
}

func (c *chunk) exit(it *item, reason string) {
	if c.rs.again {
		c.rs.exitedMu.Lock()
		c.rs.exitedNow[it.st.Account] = struct{}{}
		c.rs.exitedMu.Unlock()
	}
	it.st.Status = store.StatusExited
	it.st.Reason = reason
	it.dirty = true
	c.counts[it.node].Exited++
	c.auditRow(it, "exited", reason)
}

func (c *chunk) fail(it *item, err error) {
	pn := &c.rs.p.nodes[it.node]
	it.st.Failures++
	it.dirty = true
	c.counts[it.node].Failed++
	c.rs.addError(pn.id, it.st.Account, err)
	if int(it.st.Failures) >= c.rs.e.o.Retry.MaxFailures {
		reason := fmt.Sprintf("gave up at %s after %d failed attempts: %v", pn.id, it.st.Failures, err)
		c.dropIntent(it, reason)
		c.exit(it, reason)
		return
	}
	it.st.Status = store.StatusFailed
	it.st.Reason = err.Error()
	if in := it.intent; in != nil {
		c.addIntent(it, in)
	}
	c.auditRow(it, "failed", err.Error())
}

// walk processes the buckets in topological order: every account advances
// until it waits, leaves or ends. Between action nodes the chunk's changes
// are applied atomically with the intents about to be sent.
func (c *chunk) walk(ctx context.Context) error {
	for i := range c.rs.p.nodes {
		b := c.buckets[i]
		if len(b) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		pn := &c.rs.p.nodes[i]
		var err error
		switch {
		case pn.kind == node.KindStart:
			for _, it := range b {
				c.move(it, 0)
			}
		case pn.kind == node.KindDecision:
			err = c.decide(ctx, pn, b)
		case pn.timer != nil:
			err = c.wait(ctx, pn, b)
		case pn.action != nil:
			err = c.act(ctx, pn, b)
		default:
			err = fmt.Errorf("playgraph: node %s: unknown kind %s", pn.id, pn.kind)
		}
		if err != nil {
			return err
		}
		// Arrivals only go to later nodes (topological order), so the
		// bucket's storage is free again.
		clear(b)
		c.buckets[i] = b[:0]
	}
	return c.apply(ctx)
}

// renewLease extends the run lease when a third of its time has passed.
// Renewal happens at chunk boundaries rather than on a timer goroutine: a
// run that stalls longer than the lease loses it, and its next write fails
// with store.ErrFenced, leaving the intents pending for whoever runs next.
func (rs *runState) renewLease(ctx context.Context) error { return rs.renew(ctx, false) }

// holdsLease renews the run lease whatever its age: it fails (store.ErrFenced)
// when another run has taken the lease over. Writes outside the store that
// a superseded run must not make (releasing credits) check it first.
func (rs *runState) holdsLease(ctx context.Context) error { return rs.renew(ctx, true) }

func (rs *runState) renew(ctx context.Context, always bool) error {
	if rs.lease == nil {
		return nil // a preview holds no lease
	}
	rs.leaseMu.Lock()
	defer rs.leaseMu.Unlock()
	now := rs.e.o.Clock.Now()
	if !always && now.Sub(rs.renewed) < rs.e.o.LeaseTTL/3 {
		return nil
	}
	l, err := rs.e.st.RenewLease(ctx, *rs.lease, now, rs.e.o.LeaseTTL)
	if err != nil {
		return err
	}
	*rs.lease, rs.renewed = l, now
	return nil
}

// apply writes every changed state, intent and audit row atomically.
func (c *chunk) apply(ctx context.Context) error {
	if c.rs.dry {
		return c.applyDry()
	}
	if err := c.rs.renewLease(ctx); err != nil {
		return err
	}
	if err := c.releaseHeld(ctx); err != nil {
		return err
	}
	b := store.Batch{Fence: c.rs.fence, States: c.states[:0]}
	owners := c.owners[:0]
	waiting := c.waiting
	for _, it := range c.items {
		it.bidx = -1
		if it.dirty {
			it.bidx = int32(len(b.States))
			b.States = append(b.States, it.st)
			owners = append(owners, it)
			if it.st.Status == store.StatusWaiting {
				waiting++
			}
		}
	}
	c.states, c.owners = b.States, owners
	b.Intents, b.Resolved, b.Audit = c.intents, c.resolve, c.audit
	// Hints: where each intent's and resolved key's account state is in
	// the batch, so that the store need not look the account up.
	ni := len(c.intents)
	hints := c.hints[:0]
	for _, it := range c.intentOf {
		hints = append(hints, it.bidx)
	}
	for _, it := range c.resolveOf {
		hints = append(hints, it.bidx)
	}
	c.hints = hints
	b.IntentStates, b.ResolvedStates = hints[:ni:ni], hints[ni:]
	if len(b.States) > 0 || len(b.Intents) > 0 || len(b.Resolved) > 0 || len(b.Audit) > 0 {
		if err := c.rs.e.st.Apply(ctx, c.rs.w.ID, &b); err != nil {
			return err
		}
	}
	for k, it := range owners {
		it.st.Ref = b.States[k].Ref
		it.dirty = false
	}
	// The store copied what it keeps: the buffers are reused.
	c.clearBatch()
	c.rs.mu.Lock()
	for i := range c.counts {
		mergeCounts(&c.rs.counts[i], &c.counts[i])
		for k, v := range c.paths[i] {
			c.rs.paths[i][k] += v
		}
		clear(c.paths[i])
	}
	c.rs.mu.Unlock()
	if waiting > 0 {
		c.rs.waitingEnd.Add(waiting)
	}
	if c.auditDrop > 0 {
		c.rs.auditDrop.Add(c.auditDrop)
	}
	c.waiting, c.auditDrop = 0, 0
	return nil
}

// addIntent queues it's intent in for the next apply.
func (c *chunk) addIntent(it *item, in *store.Intent) {
	c.intents = append(c.intents, *in)
	c.intentOf = append(c.intentOf, it)
}

// addResolve queues the resolution of it's intent key for the next apply.
func (c *chunk) addResolve(it *item, key string) {
	c.resolve = append(c.resolve, key)
	c.resolveOf = append(c.resolveOf, it)
}

// clearBatch empties the buffers apply wrote (to their length: see
// release).
func (c *chunk) clearBatch() {
	clear(c.intents)
	clear(c.resolve)
	clear(c.audit)
	clear(c.intentOf)
	clear(c.resolveOf)
	c.intents, c.resolve, c.audit = c.intents[:0], c.resolve[:0], c.audit[:0]
	c.intentOf, c.resolveOf = c.intentOf[:0], c.resolveOf[:0]
}

// applyDry is apply for a preview: nothing is written; counts are merged.
func (c *chunk) applyDry() error {
	for _, it := range c.items {
		if it.dirty {
			if it.st.Status == store.StatusWaiting {
				c.waiting++
			}
			it.dirty = false
		}
	}
	c.clearBatch()
	c.rs.mu.Lock()
	for i := range c.counts {
		mergeCounts(&c.rs.counts[i], &c.counts[i])
		for k, v := range c.paths[i] {
			c.rs.paths[i][k] += v
		}
		clear(c.paths[i])
	}
	c.rs.mu.Unlock()
	if c.waiting > 0 {
		c.rs.waitingEnd.Add(c.waiting)
	}
	c.waiting, c.auditDrop = 0, 0
	return nil
}

func mergeCounts(dst, src *store.RunNodeCounts) {
	dst.Entered += src.Entered
	dst.Waiting += src.Waiting
	dst.Sent += src.Sent
	dst.Failed += src.Failed
	dst.Exited += src.Exited
	*src = store.RunNodeCounts{}
}

func incrBy(m map[string]int, k string, v int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[k] += v
	return m
}

// env prepares the chunk's reusable filter environment for it.
func (c *chunk) envFor(it *item, pn *pnode) *eval.Env {
	env := &c.env
	// Field by field, like every hot write (see appendStep).
	env.Account, env.Contact, env.Contacts, env.Events, env.Path = it.acct, nil, nil, nil, nil
	env.Now, env.EnteredAt, env.Segments = c.rs.now, it.st.EnteredAt, c.rs.segs
	if pn.needsContacts {
		env.Contacts = it.contacts
	}
	if pn.needsEvents {
		env.Events = it.events
		path := c.epath[:0]
		for _, s := range it.st.Path {
			path = append(path, eval.Step{Node: s.Node, At: s.At})
		}
		c.epath = path
		env.Path = path
	}
	return env
}

func (c *chunk) prepare(ctx context.Context, pn *pnode, b []*item) error {
	if pn.needsContacts || pn.people {
		if err := c.loadContacts(ctx, b); err != nil {
			return err
		}
	}
	if pn.people {
		if err := c.loadBought(ctx, b); err != nil {
			return err
		}
	}
	if pn.needsEvents {
		if err := c.loadEvents(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

func (c *chunk) loadContacts(ctx context.Context, b []*item) error {
	ids := c.ids[:0]
	defer func() { clear(ids); c.ids = ids[:0] }()
	for _, it := range b {
		if !it.haveCons {
			ids = append(ids, it.st.Account)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m, err := c.rs.src.Contacts(ctx, ids)
	if err != nil {
		return fmt.Errorf("%w: contacts: %w", ErrSegment, err)
	}
	for _, it := range b {
		if !it.haveCons {
			it.contacts, it.haveCons = m[it.st.Account], true
		}
	}
	return nil
}

func (c *chunk) loadEvents(ctx context.Context, b []*item) error {
	ids := c.ids[:0]
	defer func() { clear(ids); c.ids = ids[:0] }()
	since := c.rs.now
	for _, it := range b {
		if it.haveEvs {
			continue
		}
		ids = append(ids, it.st.Account)
		if len(it.st.Path) > 0 && it.st.Path[0].At.Before(since) {
			since = it.st.Path[0].At
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m, err := c.rs.e.st.Events(ctx, ids, since)
	if err != nil {
		return err
	}
	for _, it := range b {
		if !it.haveEvs {
			it.events, it.haveEvs = m[it.st.Account], true
		}
	}
	return nil
}

func (c *chunk) decide(ctx context.Context, pn *pnode, b []*item) error {
	if err := c.prepare(ctx, pn, b); err != nil {
		return err
	}
	for _, it := range b {
		if it.missing {
			c.exit(it, "account no longer known to the segment source")
			continue
		}
		env := c.envFor(it, pn)
		out := len(pn.progs) // branching: all others; yes/no: overwritten
		if len(pn.outs) == 2 && len(pn.progs) == 1 && pn.outs[0] == node.PathYes {
			out = 1
		}
		var evalErr error
		for k, pr := range pn.progs {
			ok, err := c.runner.Match(pr, env)
			if err != nil {
				evalErr = err
				break
			}
			if ok {
				out = k
				break
			}
		}
		if evalErr != nil {
			c.fail(it, fmt.Errorf("evaluating %s: %w", pn.id, evalErr))
			continue
		}
		c.move(it, out)
	}
	return nil
}

func (c *chunk) wait(ctx context.Context, pn *pnode, b []*item) error {
	timeUp := 0
	if pn.hasProgs {
		timeUp = slices.Index(pn.outs, node.PathTimeUp)
	}
	check := c.scratch[:0]
	// Accounts arriving in one run share their entry time: compute each
	// distinct entry time's due time once.
	var lastIn, lastDue time.Time
	for _, it := range b {
		if !it.resume || it.st.WakeAt.IsZero() {
			if !it.st.EnteredAt.Equal(lastIn) || lastDue.IsZero() {
				lastIn, lastDue = it.st.EnteredAt, pn.timer.Due(it.st.EnteredAt, c.rs.p.loc)
			}
			it.st.WakeAt = lastDue
			it.dirty = true
		}
		if !it.st.WakeAt.After(c.rs.now) {
			c.move(it, timeUp)
			continue
		}
		if pn.hasProgs && !it.missing {
			check = append(check, it)
			continue
		}
		c.park(it)
	}
	c.scratch = check
	if len(check) == 0 {
		return nil
	}
	if err := c.prepare(ctx, pn, check); err != nil {
		return err
	}
	for _, it := range check {
		ok, err := c.runner.Match(pn.progs[0], c.envFor(it, pn))
		if err != nil {
			c.rs.addError(pn.id, it.st.Account, fmt.Errorf("evaluating timer conditions: %w", err))
			ok = false
		}
		if ok {
			c.move(it, 0)
		} else {
			c.park(it)
		}
	}
	return nil
}

// park leaves it waiting at its timer.
func (c *chunk) park(it *item) {
	if it.st.Status != store.StatusWaiting {
		it.st.Status = store.StatusWaiting
		it.dirty = true
		if c.auditing() {
			// A run's waiting accounts mostly share a wake time: reuse
			// the previous row's formatted one when equal.
			if !c.wakeAt.Equal(it.st.WakeAt) || c.wakeStr == "" {
				c.wakeAt, c.wakeStr = it.st.WakeAt, it.st.WakeAt.UTC().Format(time.RFC3339)
			}
			c.auditRow(it, "waiting", c.wakeStr)
		} else {
			c.auditDrop++
		}
	}
	if !it.dirty {
		c.waiting++
	}
	c.counts[it.node].Waiting++
}
