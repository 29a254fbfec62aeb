package playgraph_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

var (
	day0   = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	admin  = playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
	viewer = playgraph.Actor{UserID: "vic", Role: playgraph.RoleViewOnly}
)

type world struct {
	e        *playgraph.Engine
	clk      *clock.Fake
	st       *memstore.Store
	src      *audience.MemorySource
	sep      *fake.Connector
	linkedin *fake.Connector
	wf       playgraph.Workflow
}

func seller(acct, n string) audience.Contact {
	return audience.Contact{ID: acct + "-" + n, FirstName: "P" + n, LastName: "Lee", Email: n + "@" + acct + ".com", Title: "VP Sales", JobLevel: "VP", JobFunction: "Sales"}
}

func newWorld(t *testing.T, accts ...*audience.Account) *world {
	t.Helper()
	w := &world{clk: clock.NewFake(day0), st: memstore.New(), src: audience.NewMemorySource(accts...)}
	w.clk.AutoAdvance = true
	for _, a := range accts {
		w.src.SetContacts(a.ID, seller(a.ID, "1"), seller(a.ID, "2"), audience.Contact{ID: a.ID + "-x", Title: "Intern", JobLevel: "Staff", JobFunction: "IT"})
	}
	w.sep = fake.New("outreach", fake.WithDedupe())
	w.linkedin = fake.New("linkedin", fake.WithDedupe())
	reg, err := connector.NewRegistry(w.sep, w.linkedin)
	require.NoError(t, err)
	w.e, err = playgraph.New(&playgraph.Options{
		Store: w.st, Clock: w.clk, Connectors: reg,
		Segments: playgraph.SegmentMap{plays.CRSegment: w.src},
		Retry:    playgraph.RetryPolicy{Backoff: time.Millisecond, MaxBackoff: time.Millisecond},
	})
	require.NoError(t, err)
	w.wf = publishCompetitor(t, w.e)
	return w
}

// publishCompetitor creates and publishes the competitor research play
// on e and returns the published workflow.
func publishCompetitor(t testing.TB, e *playgraph.Engine) playgraph.Workflow {
	t.Helper()
	ctx := context.Background()
	g, err := plays.CompetitorResearch().Build()
	require.NoError(t, err)
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	require.NoError(t, err)
	wf, err = e.Publish(ctx, admin, wf.ID)
	require.NoError(t, err)
	return wf
}

func (w *world) run(t *testing.T) playgraph.RunReport {
	t.Helper()
	rep, err := w.e.Run(context.Background(), admin, w.wf.ID)
	require.NoError(t, err)
	return rep
}

func (w *world) where(t *testing.T, acct string) playgraph.Position {
	t.Helper()
	pos, err := w.e.Where(context.Background(), viewer, w.wf.ID, acct)
	require.NoError(t, err)
	return pos
}

func pathOf(p playgraph.Position) []string {
	var out []string
	for _, s := range p.Path {
		out = append(out, s.Node)
	}
	return out
}

func TestCompetitorResearchEndToEnd(t *testing.T) {
	top := &audience.Account{ID: "top", Name: "Top Co", ResearchedCompetitors: []string{"acme"}}
	engaged := &audience.Account{ID: "engaged", ResearchedCompetitors: []string{"globex"}}
	quiet := &audience.Account{ID: "quiet", ResearchedCompetitors: []string{"hooli"}}
	none := &audience.Account{ID: "none"}
	w := newWorld(t, top, engaged, quiet, none)

	// Day 0: the decision branches.
	rep := w.run(t)
	firstRun := rep.ID
	assert.Equal(t, store.RunCompletedWithTimer, rep.Status)
	assert.Equal(t, []string{"top-1", "top-2"}, w.sep.Campaign("Acme displacement"), "persona keeps the intern out")
	assert.Equal(t, []string{"engaged", "quiet"}, w.linkedin.Audience("Competitor comparison"))
	assert.Equal(t, 1, rep.Counts[plays.CRWhich].Paths[plays.CRTopBranch])
	assert.Equal(t, 2, rep.Counts[plays.CRWhich].Paths[plays.CROtherBranch])
	assert.Equal(t, 1, rep.Counts[plays.CRWhich].Paths["all_others"])
	assert.Equal(t, 2, rep.Counts[plays.CRWait].Waiting)
	pos := w.where(t, "quiet")
	assert.Equal(t, plays.CRWait, pos.Node)
	assert.Equal(t, store.StatusWaiting, pos.Status)
	assert.Equal(t, day0.AddDate(0, 0, 14), pos.WakeAt)
	assert.Equal(t, []string{plays.CRStart, plays.CRWhich, plays.CRLinkedIn, plays.CRWait}, pathOf(pos))
	assert.Equal(t, plays.CROtherBranch, pos.Path[1].Out)
	assert.Contains(t, pos.Path[1].Explanation, "Other competitor: true")
	assert.Equal(t, store.StatusExited, w.where(t, "none").Status)
	writes := len(w.sep.Items("")) + len(w.linkedin.Items(""))

	// Re-running the same day sends nothing new.
	w.run(t)
	assert.Equal(t, writes, len(w.sep.Items(""))+len(w.linkedin.Items("")))

	// Day 3: engagement with the ad moves the account to the SEP early.
	w.clk.Advance(3 * 24 * time.Hour)
	require.NoError(t, w.e.RecordEngagement(context.Background(), audience.Event{
		AccountID: "engaged", Channel: "linkedin", Campaign: "Competitor comparison", Kind: audience.KindClick, At: w.clk.Now(),
	}))
	rep = w.run(t)
	assert.Equal(t, []string{"engaged-1", "engaged-2"}, w.sep.Campaign("Engaged with comparison ad"))
	assert.Equal(t, 1, rep.Counts[plays.CRWait].Paths["met"])
	assert.Equal(t, plays.CRSEPEngaged, w.where(t, "engaged").Node)
	assert.Equal(t, plays.CRWait, w.where(t, "quiet").Node)
	writes = len(w.sep.Items("")) + len(w.linkedin.Items(""))
	w.run(t)
	assert.Equal(t, writes, len(w.sep.Items(""))+len(w.linkedin.Items("")))

	// Day 14: the time is up for the rest; they leave the audience.
	w.clk.Set(day0.AddDate(0, 0, 14))
	rep = w.run(t)
	assert.Equal(t, store.RunCompleted, rep.Status)
	assert.Equal(t, []string{"engaged"}, w.linkedin.Audience("Competitor comparison"))
	assert.Equal(t, 1, rep.Counts[plays.CRWait].Paths["time_up"])
	assert.Equal(t, []string{plays.CRStart, plays.CRWhich, plays.CRLinkedIn, plays.CRWait, plays.CRRemove}, pathOf(w.where(t, "quiet")))
	writes = len(w.sep.Items("")) + len(w.linkedin.Items(""))
	for range 3 {
		w.clk.Advance(24 * time.Hour)
		w.run(t)
	}
	assert.Equal(t, writes, len(w.sep.Items(""))+len(w.linkedin.Items("")), "later runs send nothing new")
	assert.Zero(t, w.sep.Repeats()+w.linkedin.Repeats())

	runs, err := w.e.Runs(context.Background(), viewer, w.wf.ID, 0)
	require.NoError(t, err)
	assert.Len(t, runs, 8)
	rows, err := w.e.Audit(context.Background(), viewer, firstRun, 0, 1000)
	require.NoError(t, err)
	var sent []string
	for _, r := range rows {
		if r.Event == "sent" {
			sent = append(sent, r.Account+"@"+r.Node)
		}
	}
	slices.Sort(sent)
	assert.Equal(t, []string{"engaged@linkedin_ad", "quiet@linkedin_ad", "top@sep_top_competitor", "top@sep_top_competitor"}, sent)
}

func TestTransientFailureRetriedThenDelivered(t *testing.T) {
	a := &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}}
	w := newWorld(t, a)
	key := playgraph.ActionKey(w.wf.ID, plays.CRLinkedIn, "a", 1)
	w.linkedin.FailKey(key, connector.StatusTransient, 5) // more than one run's attempts
	rep := w.run(t)
	assert.Equal(t, store.RunCompletedWithErrors, rep.Status)
	pos := w.where(t, "a")
	assert.Equal(t, store.StatusFailed, pos.Status)
	assert.Equal(t, plays.CRLinkedIn, pos.Node)
	assert.Equal(t, 1, pos.Failures)
	// Three attempts per run: the second run's attempts 4 and 5 fail, the
	// sixth is delivered.
	rep = w.run(t)
	assert.Equal(t, 1, rep.Counts[plays.CRLinkedIn].Sent)
	assert.Equal(t, plays.CRWait, w.where(t, "a").Node)
	assert.Len(t, w.linkedin.Items(fake.OpAddToAudience), 6)
	w.run(t)
	assert.Equal(t, 1, w.linkedin.Count(key), "delivered once, under one key")
}

func TestPermanentFailureLeavesWithReason(t *testing.T) {
	a := &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}}
	w := newWorld(t, a)
	w.linkedin.FailKey(playgraph.ActionKey(w.wf.ID, plays.CRLinkedIn, "a", 1), connector.StatusPermanent, -1)
	rep := w.run(t)
	assert.Equal(t, store.RunCompletedWithErrors, rep.Status)
	pos := w.where(t, "a")
	assert.Equal(t, store.StatusExited, pos.Status)
	assert.Contains(t, pos.Reason, "failed permanently")
	assert.Len(t, w.linkedin.Items(fake.OpAddToAudience), 1, "no retry for a permanent failure")
	inbox, err := w.e.Inbox(context.Background(), admin, true)
	require.NoError(t, err)
	require.Len(t, inbox, 1)
	assert.Equal(t, store.NoteRunCompletedErrors, inbox[0].Kind)
}

func TestFailureBoundThenLeaves(t *testing.T) {
	a := &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}}
	w := newWorld(t, a)
	w.linkedin.FailKey(playgraph.ActionKey(w.wf.ID, plays.CRLinkedIn, "a", 1), connector.StatusTransient, -1)
	for range 5 {
		w.run(t)
	}
	pos := w.where(t, "a")
	assert.Equal(t, store.StatusExited, pos.Status)
	assert.Contains(t, pos.Reason, "gave up")
	n := len(w.linkedin.Items(""))
	w.run(t)
	assert.Equal(t, n, len(w.linkedin.Items("")), "no endless retries")
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, &audience.Account{ID: "a"})
	_, err := w.e.Run(ctx, viewer, w.wf.ID)
	assert.ErrorIs(t, err, playgraph.ErrForbidden)
	var fe *playgraph.ForbiddenError
	assert.True(t, errors.As(err, &fe))
	_, err = w.e.Run(ctx, admin, "nope")
	assert.ErrorIs(t, err, playgraph.ErrNotFound)
	g, _ := plays.CompetitorResearch().Build()
	draft, err := w.e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	require.NoError(t, err)
	_, err = w.e.Run(ctx, admin, draft.ID)
	assert.ErrorIs(t, err, playgraph.ErrNotPublished)
	_, err = w.e.Create(ctx, viewer, playgraph.WorkflowSpec{Graph: g})
	assert.ErrorIs(t, err, playgraph.ErrForbidden)
	_, err = w.e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g, TimeZone: "Mars/Olympus"})
	assert.ErrorIs(t, err, playgraph.ErrInvalid)
	_, err = w.e.Where(ctx, viewer, w.wf.ID, "never")
	assert.ErrorIs(t, err, playgraph.ErrNotFound)
}

func TestPublishReportsUnregisteredConnectors(t *testing.T) {
	ctx := context.Background()
	e, err := playgraph.New(nil)
	require.NoError(t, err)
	g, err := plays.CompetitorResearch().Build()
	require.NoError(t, err)
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	require.NoError(t, err)
	_, err = e.Publish(ctx, admin, wf.ID)
	require.Error(t, err)
	assert.ErrorIs(t, err, playgraph.ErrValidation)
	var pe *playgraph.PublishError
	require.True(t, errors.As(err, &pe))
	var nodes []string
	for _, p := range pe.Problems {
		assert.Equal(t, "connector-registered", p.Rule)
		nodes = append(nodes, p.Node)
	}
	slices.Sort(nodes)
	assert.Equal(t, []string{plays.CRLinkedIn, plays.CRRemove, plays.CRSEPEngaged, plays.CRSEPTop}, nodes)
	got, err := e.Workflow(ctx, viewer, wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.WorkflowDraft, got.Status, "nothing changed")
}
