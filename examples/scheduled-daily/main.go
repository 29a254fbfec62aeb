// Command scheduled-daily runs a workflow on a daily schedule — every day
// at 09:00 in New York, for 30 days, then the schedule ends — on a clock
// it moves by hand, the way a deployment's scheduler (Engine.Serve) would
// run it: Engine.RunDue runs what is due and says when the next run is;
// the example moves the clock there and calls it again. Thirty days take
// well under a second.
//
// The play is the product text's competitor research play. Twenty new
// accounts join the segment each morning, a third of those shown the
// LinkedIn ad click it two days later, and the 14-day timer runs its
// course for the rest. Clocks in New York move forward on 8 March: the
// runs stay at 09:00 local time. One status line per run.
//
//	go run ./examples/scheduled-daily
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
	_ "time/tzdata" // time zones without a system database

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/examples/internal/report"
	"github.com/playgraph/playgraph/internal/gen"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/schedule"
)

func main() {
	if err := run(os.Stdout, 30, 20); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run serves the workflow for days days, perDay accounts joining each
// morning, and writes a line per run and the report to w.
func run(w io.Writer, days, perDay int) error {
	ctx := context.Background()
	admin := playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
	const zone = "America/New_York"
	ny, err := time.LoadLocation(zone)
	if err != nil {
		return err
	}
	first := time.Date(2026, 3, 1, 0, 0, 0, 0, ny) // day 0, midnight
	dayOf := func(t time.Time) int {
		y, m, d := t.In(ny).Date()
		return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	}
	clk := playgraph.NewManualClock(first.Add(8*time.Hour), true) // published at 08:00

	src := audience.NewMemorySource()
	accts := gen.Accounts(11, days*perDay)
	joined := 0
	join := func(day int) error { // the accounts that join by the morning of day
		for ; joined < min(len(accts), (day+1)*perDay); joined++ {
			a := accts[joined]
			if err := src.Add(a); err != nil {
				return err
			}
			src.SetContacts(a.ID, gen.Contacts(a, 3)...)
		}
		return nil
	}

	sep := fake.New("outreach", fake.WithDedupe(), fake.WithClock(clk.Now))
	linkedin := fake.New("linkedin", fake.WithDedupe(), fake.WithClock(clk.Now))
	reg, err := connector.NewRegistry(sep, linkedin)
	if err != nil {
		return err
	}
	e, err := playgraph.New(&playgraph.Options{Clock: clk, Connectors: reg, Segments: playgraph.SegmentMap{plays.CRSegment: src}})
	if err != nil {
		return err
	}
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		return err
	}
	end := first.AddDate(0, 0, days).Add(-time.Minute) // the last run is on day days-1
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{
		Graph: g, TimeZone: zone,
		Schedule: schedule.Daily("09:00", zone).Between(time.Time{}, end),
	})
	if err != nil {
		return err
	}
	if wf, err = e.Publish(ctx, admin, wf.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "%q, %s\n\n", wf.Name, wf.Schedule)

	// clicks records, for the accounts shown the ad two days before day,
	// a click on the ad on day (a third of them).
	clicks := func(day int) error {
		var evs []audience.Event
		for _, it := range linkedin.Delivered(fake.OpAddToAudience) {
			var i int
			if _, err := fmt.Sscanf(it.AccountID, "acct-%d", &i); err != nil || i%3 != 0 || i >= len(accts) {
				continue
			}
			if i/perDay == day-2 {
				evs = append(evs, audience.Event{AccountID: it.AccountID, Channel: "linkedin", Campaign: "Competitor comparison", Kind: audience.KindClick, At: first.AddDate(0, 0, day).Add(7 * time.Hour)})
			}
		}
		return e.RecordEngagement(ctx, evs...)
	}

	runs, lastDay := 0, -1
	for range 10 * days {
		if day := dayOf(clk.Now()); day != lastDay {
			lastDay = day
			if err := join(day); err != nil {
				return err
			}
			if err := clicks(day); err != nil {
				return err
			}
		}
		reps, next, ok, err := e.RunDue(ctx)
		if err != nil {
			return err
		}
		for _, r := range reps {
			runs++
			fmt.Fprintf(w, "day %2d  %s  waiting %4d\n", dayOf(r.Now), report.RunLine(r, g, ny), r.Counts[plays.CRWait].Waiting)
		}
		if !ok {
			break // the schedule ended: the workflow was unpublished
		}
		clk.Set(next)
	}

	got, err := e.Workflow(ctx, admin, wf.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d runs; the workflow is now %s (%s)\n", runs, got.Status, got.Reason)
	notes, err := e.Inbox(ctx, admin, true)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(w, "inbox: %s\n", n.Message)
	}
	fmt.Fprintln(w)

	counts, err := report.Counts(ctx, e, admin, wf.ID, g)
	if err != nil {
		return err
	}
	report.Write(w, g, counts, sep, linkedin)
	return nil
}
