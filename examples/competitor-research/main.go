// Command competitor-research runs the play from the product text, end to
// end, on a clock it moves by hand: a branching decision on the
// competitors a segment's accounts research; accounts researching the top
// competitor go to the sales engagement platform (SEP), accounts
// researching another get a LinkedIn ad, wait up to 14 days for
// engagement with it, then go to the SEP when they engaged or leave the ad
// audience when the time is up.
//
// Day 0 the play runs over eight accounts; on day 3 two of them click the
// ad and the play runs again; on day 14 the time is up for the rest. The
// connectors are in-memory fakes that dedupe on the idempotency key. It
// prints one line per run, where the accounts are, what each connector
// received, and the graph as Mermaid (paste it into any Mermaid viewer).
//
//	go run ./examples/competitor-research
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
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/plays"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// accounts are the segment: who researches which competitor.
var accounts = []struct {
	id          string
	competitors []string
}{
	{"acme-buyer.com", []string{"acme"}},
	{"northwind.com", []string{"acme", "globex"}},
	{"contoso.com", []string{"globex"}},
	{"fabrikam.com", []string{"initech"}},
	{"tailspin.com", []string{"hooli"}},
	{"wingtip.com", []string{"umbrella", "vandelay"}},
	{"litware.com", nil}, // researches no competitor: leaves at the decision
	{"adatum.com", []string{"vandelay"}},
}

// clickers engage with the LinkedIn ad on day 3.
var clickers = []string{"contoso.com", "tailspin.com"}

// run plays the three days and writes the report to w.
func run(w io.Writer) error {
	ctx := context.Background()
	admin := playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
	day0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := playgraph.NewManualClock(day0, true)

	// The segment, with two sellers and an engineer at each account.
	src := audience.NewMemorySource()
	for _, a := range accounts {
		if err := src.Add(&audience.Account{ID: a.id, Name: a.id, Domain: a.id, Employees: 800, ResearchedCompetitors: a.competitors}); err != nil {
			return err
		}
		src.SetContacts(a.id,
			audience.Contact{ID: a.id + "/vp", Email: "vp@" + a.id, Title: "VP Sales", JobLevel: "VP", JobFunction: "Sales"},
			audience.Contact{ID: a.id + "/dir", Email: "dir@" + a.id, Title: "Marketing Director", JobLevel: "Director", JobFunction: "Marketing"},
			audience.Contact{ID: a.id + "/eng", Email: "eng@" + a.id, Title: "Engineer", JobLevel: "Staff", JobFunction: "IT"},
		)
	}

	// The connectors the play names, and the engine.
	sep := fake.New("outreach", fake.WithDedupe(), fake.WithClock(clk.Now))
	linkedin := fake.New("linkedin", fake.WithDedupe(), fake.WithClock(clk.Now))
	reg, err := connector.NewRegistry(sep, linkedin)
	if err != nil {
		return err
	}
	e, err := playgraph.New(&playgraph.Options{
		Clock: clk, Connectors: reg,
		Segments: playgraph.SegmentMap{plays.CRSegment: src},
	})
	if err != nil {
		return err
	}

	// Build, create and publish the play.
	g, err := plays.CompetitorResearch().Build(graph.WithSegments(func(id string) (audience.Segment, bool) {
		return plays.CRSegmentDef, id == plays.CRSegmentDef.ID
	}))
	if err != nil {
		return err
	}
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	if err != nil {
		return err
	}
	if wf, err = e.Publish(ctx, admin, wf.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "Play %q: %d nodes, %d accounts in the segment\n\n", g.Name(), g.Len(), len(accounts))

	runOn := func(day int, what string) error {
		clk.Set(day0.AddDate(0, 0, day))
		rep, err := e.Run(ctx, admin, wf.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "day %2d  %-38s %s\n", day, what, report.RunLine(rep, g, time.UTC))
		return nil
	}
	if err := runOn(0, "(decision, SEP and LinkedIn ad)"); err != nil {
		return err
	}
	clk.Set(day0.AddDate(0, 0, 3))
	for _, id := range clickers {
		if err := e.RecordEngagement(ctx, audience.Event{
			AccountID: id, Channel: "linkedin", Campaign: "Competitor comparison", Kind: audience.KindClick, At: clk.Now(),
		}); err != nil {
			return err
		}
	}
	if err := runOn(3, fmt.Sprintf("(%d clicked the ad)", len(clickers))); err != nil {
		return err
	}
	if err := runOn(14, "(the time is up for the rest)"); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nWhere each account went:")
	for _, a := range accounts {
		pos, err := e.Where(ctx, admin, wf.ID, a.id)
		if err != nil {
			return err
		}
		path := ""
		for i, s := range pos.Path {
			if i > 0 {
				path += " → "
			}
			path += s.Label
			if s.Out != "" && s.Out != "next" {
				path += " [" + s.Out + "]"
			}
		}
		fmt.Fprintf(w, "  %-15s %s\n", a.id, path)
	}
	fmt.Fprintln(w)
	counts, err := report.Counts(ctx, e, admin, wf.ID, g)
	if err != nil {
		return err
	}
	report.Write(w, g, counts, sep, linkedin)
	fmt.Fprintf(w, "\nStill in the LinkedIn audience: %v\n", linkedin.Audience("Competitor comparison"))
	return nil
}
