package playtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/playtest"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
)

// newAudience fills the New Audience Creation template: purchase up to 3
// Director-and-above contacts per account (1 credit each) from
// "zoominfo", save them to "salesforce" through profile "crm-contacts"
// with match rules "crm-dedupe", then wait 7 days.
func newAudience(t *testing.T) *graph.Graph {
	t.Helper()
	tpl, _ := playgraph.TemplateByName(playgraph.TemplateNewAudienceCreation)
	g, err := tpl.Fill(map[string]string{"segment": "seg", "provider_connector": "zoominfo", "crm_connector": "salesforce",
		"mapping_profile": "crm-contacts", "match_rules": "crm-dedupe"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The purchase → save → timer chain: credits spent = contacts bought ×
// price, each bought contact saved once, nothing bought or saved again.
func TestPurchaseSaveTimer(t *testing.T) {
	p := playtest.New(t, newAudience(t), playtest.Credits(100))
	p.Account("acme.com", playtest.Stock(4))
	p.Account("globex.com", playtest.Stock(4))
	p.Account("hooli.com", playtest.Stock(1))
	p.Account("initech.com") // nothing in stock

	pre := p.Preview()
	if want := (playgraph.CreditEstimate{UpperBound: 12, Expected: 7, ExpectedKnown: true}); pre.Credits != want {
		t.Errorf("preview estimate %+v, want %+v", pre.Credits, want)
	}
	p.AssertCreditsSpent(t, 0)
	p.AssertSent(t, "zoominfo", 0)

	rep := p.Run()
	if rep.CreditsSpent != 7 {
		t.Errorf("run spent %d credits, want 7", rep.CreditsSpent)
	}
	if got := rep.Counts["buy"].Entered; got != pre.Counts["buy"].Entered {
		t.Errorf("%d accounts reached the purchase, the preview said %d", got, pre.Counts["buy"].Entered)
	}
	p.AssertCreditsSpent(t, 7)
	p.AssertCredits(t, 93)
	p.AssertSent(t, "salesforce", 7) // every bought contact saved once
	p.AssertCounts(t, playtest.Counts{"Wait 7 days": 4})

	p.RunUntilIdle() // again now (nothing to do), then day 7
	p.AssertPath(t, "acme.com", "Purchase contacts", "Save to CRM", "Wait 7 days")
	if pos := p.Where("acme.com"); pos.Status != store.StatusExited || !p.Now().Equal(p.Day(7)) {
		t.Errorf("acme.com %s at %s, want exited on day 7", pos.Status, p.Now())
	}
	p.AssertCreditsSpent(t, 7)
	p.AssertSent(t, "salesforce", 7)
	if n := len(p.Connector("zoominfo").Delivered("")); n != 4 {
		t.Errorf("%d purchases, want one per account", n)
	}
	p.AssertRuns(t, store.RunCompletedWithTimer, store.RunCompletedWithTimer, store.RunCompleted)
}

// Profile and MatchRules replace the defaults: a contact the CRM already
// holds (same email) is matched, not saved again — though it was bought.
// Run history keeps every run of a Play, so that the assertions over
// "every run so far" see them all: with the engine's default (the newest
// 100), AssertCreditsSpent failed a right figure once the first run, the
// one that spent, had been pruned.
func TestAssertionsSeeEveryRun(t *testing.T) {
	p := playtest.New(t, newAudience(t), playtest.Credits(100), playtest.Schedule(schedule.Pipeline(15)))
	p.Account("acme.com", playtest.Stock(4))
	p.Account("globex.com", playtest.Stock(4))
	p.Account("hooli.com", playtest.Stock(1))
	reps := p.Advance(2 * 24 * time.Hour)
	if len(reps) <= 100 {
		t.Fatalf("%d runs: the test needs more than the engine's default history", len(reps))
	}
	if got := len(p.Runs()); got != len(reps) {
		t.Errorf("Runs() holds %d runs, want all %d", got, len(reps))
	}
	p.AssertCreditsSpent(t, 7)
}

func TestProfileAndMatchRules(t *testing.T) {
	prof := &connector.MappingProfile{Name: "crm-contacts", Kind: connector.KindLead, Environment: connector.Production,
		Fields:  []connector.FieldMapping{{From: "contact.email", To: "EmailAddress"}, {From: "contact.last_name", To: "LastName"}, {From: "name", To: "Company"}},
		Satisfy: map[connector.Requirement]string{connector.ReqEmail: "EmailAddress"}}
	p := playtest.New(t, newAudience(t), playtest.Profile(prof), playtest.MatchRules("crm-dedupe", connector.DefaultMatchRulesFor(prof)))
	p.Account("acme.com", playtest.Stock(2))
	p.Connector("salesforce").AddRecords(connector.Record{ID: "00Q1", Kind: connector.KindLead,
		Fields: []string{"EmailAddress"}, Values: []any{"avery.brooks@acme.com"}}) // the first contact in stock
	p.Run()
	p.AssertCreditsSpent(t, 2)
	p.AssertCredits(t, playtest.DefaultCredits-2)
	sent := p.Connector("salesforce").Delivered("")
	if len(sent) != 1 || sent[0].ContactID != "acme.com-p2" {
		t.Errorf("saved %+v, want only acme.com-p2", sent)
	}
}

// Credits running out: nobody partly served, the rest wait at the
// purchase (not failed) with a notice; after a top-up the next run serves
// them and a further run changes nothing.
func TestCreditsRunOutAndTopUp(t *testing.T) {
	p := playtest.New(t, newAudience(t), playtest.Credits(20))
	ids := []string{"a.com", "b.com", "c.com", "d.com", "e.com", "f.com", "g.com", "h.com", "i.com", "j.com"}
	for _, id := range ids {
		p.Account(id, playtest.Stock(4))
	}
	rep := p.Run()
	if rep.Status != store.RunCompletedWithTimerAndErrors {
		t.Errorf("status %s", rep.Status)
	}
	p.AssertCreditsSpent(t, 18) // six accounts × 3: the seventh cannot reserve 3 of the 2 left
	p.AssertCredits(t, 2)
	p.AssertCounts(t, playtest.Counts{"Purchase contacts": 4, "Wait 7 days": 6})
	if pos := p.Where("j.com"); pos.Status != store.StatusBlocked || pos.Failures != 0 {
		t.Errorf("j.com %s with %d failures, want blocked, not failed", pos.Status, pos.Failures)
	}
	inbox, err := p.Engine().Inbox(context.Background(), playtest.Actor, true)
	if err != nil || !containsKind(inbox, store.NoteCreditsInsufficient) {
		t.Errorf("no insufficient-credits notice in %+v (%v)", inbox, err)
	}

	p.Run() // no top-up: nothing changes
	p.AssertCreditsSpent(t, 18)

	p.TopUp(10)
	p.AssertCredits(t, 12)
	if rep := p.Retry("g.com"); rep.CreditsSpent != 3 { // one account at once
		t.Errorf("the retry spent %d, want 3", rep.CreditsSpent)
	}
	p.AssertAt(t, "g.com", "Wait 7 days")
	if rep := p.Run(); rep.CreditsSpent != 9 {
		t.Errorf("after the top-up the run spent %d, want 9", rep.CreditsSpent)
	}
	p.Run()
	p.AssertCreditsSpent(t, 30)
	p.AssertCredits(t, 0)
	p.AssertCounts(t, playtest.Counts{"Purchase contacts": 0, "Wait 7 days": 10})
	p.AssertSent(t, "salesforce", 30)
}

func containsKind(ns []store.Notification, k store.NotificationKind) bool {
	for _, n := range ns {
		if n.Kind == k {
			return true
		}
	}
	return false
}

// Failing credit assertions show each run's credits, the balance and the
// accounts waiting for credits.
func TestCreditFailureMessages(t *testing.T) {
	p := playtest.New(t, newAudience(t), playtest.Credits(5))
	p.Account("a.com", playtest.Stock(3))
	p.Account("b.com", playtest.Stock(3))
	p.Run()
	rec := &recorder{TB: t}
	if p.AssertCreditsSpent(rec, 6) || p.AssertCredits(rec, 5) {
		t.Fatal("a wrong credit assertion passed")
	}
	if len(rec.errors) != 2 {
		t.Fatalf("errors: %q", rec.errors)
	}
	for i, want := range []string{
		"playtest: credits spent: 3 by the runs, 3 by the ledger; want 6",
		"playtest: 2 credit(s) available, want 5",
	} {
		if !strings.HasPrefix(rec.errors[i], want) {
			t.Errorf("error %d does not start with %q:\n%s", i, want, rec.errors[i])
		}
		for _, want := range []string{
			"credits per run:\n    run 1  2026-03-02T09:00:00Z  completed with timer and errors 3 credit(s)",
			`balance (audience workflows, pool "playtest"): allocated 5, reserved 0, spent 3, expired 0, available 2`,
			`waiting for credits: 1 account(s) at "Purchase contacts" [buy]`,
		} {
			if !strings.Contains(rec.errors[i], want) {
				t.Errorf("error %d lacks %q:\n%s", i, want, rec.errors[i])
			}
		}
	}
}

// Without credits a spending graph is not published; Stock needs a
// purchase node; TopUp refuses to take credits away; Retry needs a failed
// or blocked account.
func TestCreditMisuse(t *testing.T) {
	rec := &recorder{TB: t}
	playtest.New(rec, newAudience(t), playtest.Credits(0))
	if len(rec.fatals) != 1 || !strings.Contains(rec.fatals[0], "no credits are allocated to audience workflows") {
		t.Errorf("fatals: %q", rec.fatals)
	}

	rec = &recorder{TB: t}
	p := playtest.New(rec, newAudience(t))
	p.TopUp(-1)
	p.Account("acme.com")
	p.Run()
	p.Retry("acme.com")
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		t.Fatal(err)
	}
	playtest.New(rec, g).Account("acme.com", playtest.Stock(2))
	for i, want := range []string{
		"TopUp(-1): a top-up adds credits",
		`retry "acme.com" at 2026-03-02T09:00:00Z: playgraph: not allowed in this state: account "acme.com" is waiting, not failed`,
		`account "acme.com": Stock(2): the graph has no purchase-contacts node`,
	} {
		if i >= len(rec.fatals) || !strings.Contains(rec.fatals[i], want) {
			t.Errorf("fatal %d lacks %q: %q", i, want, rec.fatals)
		}
	}
}
