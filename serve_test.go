package playgraph_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

// TestServeThirtyDays runs a daily workflow with a 14-day timer for 30
// simulated days under testing/synctest, served by two engines sharing a
// store, with a 3-day downtime of both, and an end date.
func TestServeThirtyDays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now() // synctest's fake clock: 2000-01-01 00:00 UTC
		day := func(d int, h int) time.Time { return start.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
		st := memstore.New()
		src := audience.NewMemorySource(competitorAccounts(20)...)
		for a := range src.Members(ctx) {
			src.SetContacts(a.ID, seller(a.ID, "1"))
		}
		sep, li := fake.New("outreach", fake.WithDedupe()), fake.New("linkedin", fake.WithDedupe())
		reg, err := connector.NewRegistry(sep, li)
		require.NoError(t, err)
		mk := func() *playgraph.Engine {
			e, err := playgraph.New(&playgraph.Options{Store: st, Connectors: reg, Segments: playgraph.SegmentMap{plays.CRSegment: src}})
			require.NoError(t, err)
			return e
		}
		e1, e2 := mk(), mk()
		g, err := plays.CompetitorResearch().Build()
		require.NoError(t, err)
		end := day(30, 0)
		wf, err := e1.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g, TimeZone: "America/New_York",
			Schedule: schedule.Daily("09:00", "").Between(time.Time{}, end)})
		require.NoError(t, err)
		_, err = e1.Publish(ctx, admin, wf.ID)
		require.NoError(t, err)

		serve := func(until time.Time) {
			sctx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for _, e := range []*playgraph.Engine{e1, e2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					assert.ErrorIs(t, e.Serve(sctx), context.Canceled)
				}()
			}
			time.Sleep(time.Until(until))
			cancel()
			wg.Wait()
		}
		serve(day(10, 0))                   // days 0..9
		time.Sleep(time.Until(day(13, 18))) // downtime: 3 daily runs missed
		serve(day(31, 0))                   // one catch-up run, then days 14..29, then the end

		runs, err := e1.Runs(ctx, viewer, wf.ID, 0)
		require.NoError(t, err)
		ny, _ := time.LoadLocation("America/New_York")
		perDay := map[string]int{}
		for _, r := range runs {
			perDay[r.StartedAt.In(ny).Format("2006-01-02")]++
			assert.NotEqual(t, store.RunFailed, r.Status)
		}
		for d, n := range perDay {
			assert.Equal(t, 1, n, "runs on %s", d)
		}
		catchUp := 0
		for _, r := range runs {
			if r.StartedAt.Equal(day(13, 18)) {
				catchUp++
			} else {
				assert.Equal(t, "09:00", r.StartedAt.In(ny).Format("15:04"), "daily runs at 09:00 local")
			}
		}
		assert.Equal(t, 1, catchUp, "exactly one catch-up run after the downtime")
		assert.Len(t, runs, 10+1+16)

		got, err := e1.Workflow(ctx, viewer, wf.ID)
		require.NoError(t, err)
		assert.Equal(t, store.WorkflowUnpublished, got.Status)
		assert.Contains(t, got.Reason, "schedule ended")
		inbox, err := e1.Inbox(ctx, admin, true)
		require.NoError(t, err)
		require.NotEmpty(t, inbox)
		assert.Equal(t, store.NoteUnpublished, inbox[0].Kind)

		// The 14-day timer ran its course: every "other competitor" account
		// was added and later removed, each once.
		assert.Len(t, li.Delivered(""), 20)
		assert.Empty(t, li.Audience("Competitor comparison"))
		assert.Zero(t, li.Repeats()+sep.Repeats())
	})
}
