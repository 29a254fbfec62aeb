// Command buying-stage-journey fills the built-in Go to Market template —
// accounts routed by buying stage: Target and Awareness see display ads,
// Consideration gets LinkedIn ads then a conversational email, Decision and
// Purchase go to a sales sequence then a CRM campaign — and runs it over a
// few thousand generated accounts with in-memory connectors.
//
// A week later 250 new accounts have joined the segment: the second run
// takes only them in (an account enters a workflow once), while the first
// run's accounts are done.
//
//	go run ./examples/buying-stage-journey
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
)

func main() {
	if err := run(os.Stdout, 3000, 250); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run fills the template, runs it over n accounts, then again a week
// later after more have joined, and writes the report to w.
func run(w io.Writer, n, more int) error {
	ctx := context.Background()
	admin := playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := playgraph.NewManualClock(start, true)

	// Generated accounts (deterministic), three contacts each.
	const segment = "seg-icp"
	src := audience.NewMemorySource()
	add := func(accts []*audience.Account) error {
		if err := src.Add(accts...); err != nil {
			return err
		}
		for _, a := range accts {
			src.SetContacts(a.ID, gen.Contacts(a, 3)...)
		}
		return nil
	}
	all := gen.Accounts(7, n+more)
	if err := add(all[:n]); err != nil {
		return err
	}
	byStage := map[audience.BuyingStage]int{}
	for _, a := range all[:n] {
		byStage[a.BuyingStage]++
	}

	// One in-memory connector per system the template names.
	names := []string{"6sense", "linkedin", "drift", "outreach", "salesforce"}
	fakes := make([]*fake.Connector, len(names))
	reg, err := connector.NewRegistry()
	if err != nil {
		return err
	}
	for i, name := range names {
		fakes[i] = fake.New(name, fake.WithDedupe(), fake.WithClock(clk.Now))
		if err := reg.Register(fakes[i]); err != nil {
			return err
		}
	}
	e, err := playgraph.New(&playgraph.Options{Clock: clk, Connectors: reg, Segments: playgraph.SegmentMap{segment: src}})
	if err != nil {
		return err
	}

	// Fill the template's blanks, then create and publish the workflow.
	tpl, ok := playgraph.TemplateByName(playgraph.TemplateGoToMarket)
	if !ok {
		return fmt.Errorf("no template %q", playgraph.TemplateGoToMarket)
	}
	g, err := tpl.Fill(map[string]string{
		"segment":           segment,
		"display_connector": "6sense", "display_audience": "Early stage",
		"linkedin_connector": "linkedin", "linkedin_audience": "Consideration",
		"email_connector": "drift", "email_campaign": "Evaluation guide",
		"sep_connector": "outreach", "sep_sequence": "Late stage",
		"crm_connector": "salesforce", "crm_campaign": "Q2 pipeline",
	})
	if err != nil {
		return err
	}
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g, Name: "Go to Market — ICP accounts"})
	if err != nil {
		return err
	}
	if wf, err = e.Publish(ctx, admin, wf.ID); err != nil {
		return err
	}

	fmt.Fprintf(w, "Template %q over %d generated accounts:\n", tpl.Name, n)
	for _, s := range audience.Stages() {
		fmt.Fprintf(w, "  %-14s %5d\n", s, byStage[s])
	}
	fmt.Fprintln(w)

	t0 := time.Now()
	rep, err := e.Run(ctx, admin, wf.ID)
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	fmt.Fprintln(w, "run 1 ", report.RunLine(rep, g, time.UTC))

	clk.Set(start.AddDate(0, 0, 7))
	if err := add(all[n:]); err != nil {
		return err
	}
	rep, err = e.Run(ctx, admin, wf.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "run 2 ", report.RunLine(rep, g, time.UTC))
	fmt.Fprintf(w, "(the first run took %s of wall time)\n\n", elapsed.Round(time.Millisecond))

	counts, err := report.Counts(ctx, e, admin, wf.ID, g)
	if err != nil {
		return err
	}
	report.Write(w, g, counts, fakes...)
	return nil
}
