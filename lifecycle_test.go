package playgraph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
)

// v2 replaces the 14-day timer of the competitor research play by a new
// 7-day timer with another id.
func competitorV2(t *testing.T) *graph.Graph {
	b := plays.CompetitorResearch()
	var nodes []node.Node
	for _, n := range b.Nodes() {
		if n.NodeID() != plays.CRWait {
			nodes = append(nodes, n)
		}
	}
	g, err := graph.New("Competitor research v2").Add(nodes...).
		Add(node.NewTimer("wait_7d", "Wait 7 days", schedule.Span{Days: 7}).WithConditions(eval.Filter{Expr: `engaged("` + plays.CRLinkedIn + `")`})).
		Connect(plays.CRStart, node.PathNext, plays.CRWhich).
		Connect(plays.CRWhich, plays.CRTopBranch, plays.CRSEPTop).
		Connect(plays.CRWhich, plays.CROtherBranch, plays.CRLinkedIn).
		Connect(plays.CRLinkedIn, node.PathNext, "wait_7d").
		Connect("wait_7d", node.PathMet, plays.CRSEPEngaged).
		Connect("wait_7d", node.PathTimeUp, plays.CRRemove).
		Build()
	require.NoError(t, err)
	return g
}

func TestPublishNewVersionMigratesAccountsInFlight(t *testing.T) {
	for _, fb := range []playgraph.Fallback{playgraph.FallbackUpstream, playgraph.FallbackExit} {
		t.Run(fmt.Sprint(fb), func(t *testing.T) {
			ctx := context.Background()
			var accts []*audience.Account
			for i := range 1000 {
				a := &audience.Account{ID: fmt.Sprintf("a%04d", i)}
				switch i % 3 {
				case 0:
					a.ResearchedCompetitors = []string{"acme"}
				case 1:
					a.ResearchedCompetitors = []string{"globex"}
				}
				accts = append(accts, a)
			}
			w := newWorld(t, accts...)
			w.run(t)

			edited, err := w.e.Edit(ctx, admin, w.wf.ID, competitorV2(t))
			require.NoError(t, err)
			assert.Equal(t, 2, edited.Draft)
			assert.Equal(t, 1, edited.Published, "the published version keeps running until the draft is published")

			rep, err := w.e.PublishWith(ctx, admin, w.wf.ID, playgraph.PublishOptions{Fallback: fb})
			require.NoError(t, err)
			assert.Equal(t, 2, rep.Version)
			assert.Equal(t, 1, rep.Previous)

			// The report matches Where for every account.
			where := map[[2]string]int{}
			for _, a := range accts {
				pos := w.where(t, a.ID)
				if pos.Status == store.StatusExited && pos.Reason != "" && pos.Path[len(pos.Path)-1].Node == plays.CRWait {
					where[[2]string{plays.CRWait, ""}]++
					continue
				}
				if pos.Status == store.StatusExited {
					continue // left before the publish
				}
				if pos.Node == "wait_7d" {
					where[[2]string{plays.CRWait, "wait_7d"}]++
				} else {
					where[[2]string{pos.Node, pos.Node}]++
				}
			}
			got := map[[2]string]int{}
			for _, m := range rep.Migrations {
				got[[2]string{m.From, m.To}] += m.Accounts
				assert.Equal(t, m.From != m.To, m.Fallback)
			}
			assert.Equal(t, where, got)
			if fb == playgraph.FallbackUpstream {
				assert.Equal(t, map[[2]string]int{{plays.CRWait, "wait_7d"}: 333}, got, "past the completed ad action, to the new timer")
			} else {
				assert.Equal(t, map[[2]string]int{{plays.CRWait, ""}: 333}, got)
			}

			// The next run processes the moved accounts on the new version;
			// no completed action is done again.
			w.run(t)
			assert.Zero(t, w.linkedin.Repeats())
			assert.Len(t, w.linkedin.Received(fake.OpAddToAudience), 333)
			if fb == playgraph.FallbackUpstream {
				assert.Equal(t, "wait_7d", w.where(t, "a0001").Node)
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}})
	w.run(t)

	un, err := w.e.Unpublish(ctx, admin, w.wf.ID, "pausing")
	require.NoError(t, err)
	assert.Equal(t, store.WorkflowUnpublished, un.Status)
	assert.Equal(t, "pausing", un.Reason)
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	assert.ErrorIs(t, err, playgraph.ErrNotPublished)
	assert.Equal(t, plays.CRWait, w.where(t, "a").Node, "state kept")

	re, err := w.e.Publish(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.WorkflowPublished, re.Status)
	assert.Equal(t, 1, re.Published)
	w.run(t)

	err = w.e.Delete(ctx, admin, w.wf.ID)
	assert.ErrorIs(t, err, playgraph.ErrState, "published workflows cannot be deleted")

	ar, err := w.e.Archive(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.WorkflowArchived, ar.Status)
	_, err = w.e.Edit(ctx, admin, w.wf.ID, competitorV2(t))
	assert.ErrorIs(t, err, playgraph.ErrState)
	_, err = w.e.Publish(ctx, admin, w.wf.ID)
	assert.ErrorIs(t, err, playgraph.ErrState)

	dup, err := w.e.Duplicate(ctx, playgraph.Actor{UserID: "mo", Role: playgraph.RoleMarketing}, w.wf.ID)
	require.NoError(t, err)
	assert.NotEqual(t, w.wf.ID, dup.ID)
	assert.Equal(t, "Copy of Competitor research", dup.Name)
	assert.Equal(t, store.WorkflowDraft, dup.Status)
	assert.Equal(t, "mo", dup.Owner)

	rows, err := w.e.List(ctx, viewer, playgraph.ListOptions{})
	require.NoError(t, err)
	require.Len(t, rows, 1, "archived workflows are not active")
	assert.Equal(t, dup.ID, rows[0].ID)
	rows, err = w.e.List(ctx, viewer, playgraph.ListOptions{Statuses: []store.WorkflowStatus{store.WorkflowArchived}})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, store.RunCompletedWithTimer, rows[0].LastRunStatus)
	rows, err = w.e.List(ctx, playgraph.Actor{UserID: "mo", Role: playgraph.RoleViewOnly}, playgraph.ListOptions{CreatedByMe: true, Query: "COPY"})
	require.NoError(t, err)
	assert.Len(t, rows, 1)

	require.NoError(t, w.e.Delete(ctx, admin, dup.ID))
	_, err = w.e.Workflow(ctx, viewer, dup.ID)
	assert.ErrorIs(t, err, playgraph.ErrNotFound)
}

func TestCountsAndNextWake(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}}, &audience.Account{ID: "b", ResearchedCompetitors: []string{"acme"}})
	_, ok, err := w.e.NextWake(ctx, viewer, w.wf.ID)
	require.NoError(t, err)
	assert.False(t, ok)
	w.run(t)
	counts, err := w.e.Counts(ctx, viewer, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, counts[plays.CRWait].Waiting)
	assert.Equal(t, 1, counts[plays.CRSEPTop].Exited)
	next, ok, err := w.e.NextWake(ctx, viewer, w.wf.ID)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, day0.AddDate(0, 0, 14), next)
	_, err = w.e.Counts(ctx, playgraph.Actor{}, w.wf.ID)
	assert.ErrorIs(t, err, playgraph.ErrForbidden)
}

func TestManualClock(t *testing.T) {
	c := playgraph.NewManualClock(day0, true)
	require.NoError(t, c.Sleep(context.Background(), time.Hour))
	assert.Equal(t, day0.Add(time.Hour), c.Now())
	c.Advance(time.Hour)
	c.Set(day0) // never backwards
	assert.Equal(t, day0.Add(2*time.Hour), c.Now())
}
