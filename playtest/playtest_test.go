package playtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/playtest"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
)

func competitorResearch(t *testing.T, opts ...playtest.Option) *playtest.Play {
	t.Helper()
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		t.Fatal(err)
	}
	return playtest.New(t, g, opts...)
}

// The product text's play: both branches, the engaged path, the time-up
// path.
func TestCompetitorResearch(t *testing.T) {
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		t.Fatal(err)
	}
	p := playtest.New(t, g)
	p.Account("acme.com", playtest.Competitors("acme"))
	p.Account("globex.com", playtest.Competitors("globex"))
	p.Account("hooli.com", playtest.Competitors("hooli"))
	p.Run() // day 0
	p.AssertPath(t, "acme.com", "Which competitor?", "Top competitor", "Send to SEP")
	p.AdvanceTo(p.Day(3))
	p.Click("globex.com", "LinkedIn ad audience")
	p.RunUntilIdle() // day 3: globex engaged; day 14: time is up for hooli
	p.AssertPath(t, "globex.com", "Which competitor?", "Other competitor", "LinkedIn ad audience", "Wait 14 days for engagement", "met", "Send engaged to SEP")
	p.AssertPath(t, "hooli.com", "Which competitor?", "Other competitor", "LinkedIn ad audience", "Wait 14 days for engagement", "time_up", "Remove from LinkedIn audience")
	p.AssertMembers(t, "linkedin", "Competitor comparison", "globex.com")
	p.AssertSent(t, "outreach", 4) // two sellers each at acme and globex
	p.AssertCounts(t, playtest.Counts{"Send to SEP": 1, "Send engaged to SEP": 1, "remove_linkedin": 1})
	p.AssertRuns(t, store.RunCompletedWithTimer, store.RunCompletedWithTimer, store.RunCompleted)
}

func TestAdvanceRunsTheSchedule(t *testing.T) {
	p := competitorResearch(t, playtest.Schedule(schedule.Daily("09:00", "")), playtest.TimeZone("America/New_York"),
		playtest.StartAt(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))) // 03:00 in New York
	p.Account("hooli.com", playtest.Competitors("hooli"))
	reps := p.Advance(30 * 24 * time.Hour)
	if len(reps) != 30 {
		t.Fatalf("%d scheduled runs in 30 days, want 30", len(reps))
	}
	ny, _ := time.LoadLocation("America/New_York")
	for _, r := range reps {
		if got := r.Now.In(ny).Format("15:04"); got != "09:00" {
			t.Errorf("run at %s local, want 09:00 (DST on 8 March)", got)
		}
	}
	p.AssertAt(t, "hooli.com", "Remove from LinkedIn audience")
	if got := p.Where("hooli.com").Path[4].At.In(ny); got.Format("01-02 15:04") != "03-15 09:00" {
		t.Errorf("time up at %s, want 14 calendar days after 1 March 09:00", got)
	}
	if reps := p.Advance(0); len(reps) != 0 {
		t.Errorf("Advance(0) ran %d runs", len(reps))
	}
}

func TestRemoveAndReenter(t *testing.T) {
	p := competitorResearch(t, playtest.ReEntry(1), playtest.LeaveOnSegmentExit())
	p.Account("hooli.com", playtest.Competitors("hooli"))
	p.Run()
	p.Remove("hooli.com")
	p.Run()
	if pos := p.Where("hooli.com"); pos.Status != store.StatusExited {
		t.Fatalf("status %s after leaving the segment", pos.Status)
	}
	p.Account("hooli.com", playtest.Competitors("acme"), playtest.Stage("Decision"), playtest.Intent(90))
	p.Run()
	p.AssertPath(t, "hooli.com", "start", "Which competitor?", "Top competitor", "sep_top_competitor")
	if pos := p.Where("hooli.com"); pos.Entry != 2 {
		t.Errorf("entry %d, want 2", pos.Entry)
	}
}

// Under testing/synctest a play with a 14-day timer runs without waiting.
func TestUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := competitorResearch(t)
		p.Account("hooli.com", playtest.Competitors("hooli"))
		p.RunUntilIdle()
		p.AssertAt(t, "hooli.com", "remove_linkedin")
		if p.Now() != p.Day(14) {
			t.Errorf("clock at %s, want day 14", p.Now())
		}
	})
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, a...))
}
func (r *recorder) Error(a ...any)                  { r.errors = append(r.errors, fmt.Sprint(a...)) }
func (r *recorder) Fatal(a ...any)                  { r.fatals = append(r.fatals, fmt.Sprint(a...)) }
func (r *recorder) Logf(format string, args ...any) {}

func TestFailingAssertionMessage(t *testing.T) {
	p := competitorResearch(t)
	p.Account("globex.com", playtest.Competitors("globex"))
	p.Run()
	rec := &recorder{TB: t}
	if p.AssertPath(rec, "globex.com", "Which competitor?", "Top competitor", "Send to SEP") {
		t.Fatal("AssertPath passed on the wrong path")
	}
	if len(rec.errors) != 1 {
		t.Fatalf("%d errors recorded, want 1: %q", len(rec.errors), rec.errors)
	}
	msg := rec.errors[0]
	for _, want := range []string{
		`account "globex.com" took another path`,
		`actual path:   "Researching competitors" → "Which competitor?" → "Other competitor" → "LinkedIn ad audience" → "Wait 14 days for engagement"`,
		`expected path: "Which competitor?" → "Top competitor" → "Send to SEP"`,
		`now: waiting at "Wait 14 days for engagement" [wait_for_engagement] since 2026-03-02T09:00:00Z, time up 2026-03-16T09:00:00Z`,
		"Other competitor: true",
		"flowchart TD",
		"Wait 14 days for engagement<br/>timer · wait 14d or conditions<br/>1 accounts",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}

	rec = &recorder{TB: t}
	p.AssertPath(rec, "nobody.com", "Which competitor?")
	p.AssertPath(rec, "globex.com", "No such node")
	p.AssertAt(rec, "globex.com", "Send to SEP")
	p.AssertSent(rec, "linkedin", 2)
	p.AssertMembers(rec, "linkedin", "Competitor comparison")
	p.AssertCounts(rec, playtest.Counts{"Send to SEP": 1})
	p.AssertRuns(rec, store.RunCompleted)
	if len(rec.errors) != 7 || len(rec.fatals) != 0 {
		t.Fatalf("errors %d, fatals %d:\n%s\n%s", len(rec.errors), len(rec.fatals), strings.Join(rec.errors, "\n---\n"), strings.Join(rec.fatals, "\n---\n"))
	}
	for i, want := range []string{
		`account "nobody.com" is not in workflow "Competitor research" (it never entered: it is not in the segment`,
		`"No such node" names no node (by id or label) and no output path`,
		`account "globex.com" is elsewhere`,
		`connector "linkedin" delivered 1 item(s), want 2` + "\n" + `    audience.add "Competitor comparison" account globex.com`,
		`connector "linkedin", "Competitor comparison" holds ["globex.com"], want []`,
		`"Send to SEP" [sep_top_competitor]: 0 account(s), want 1`,
		"run statuses\n  got:  \"completed with timer\"\n  want: \"completed\"",
	} {
		if !strings.Contains(rec.errors[i], want) {
			t.Errorf("error %d lacks %q:\n%s", i, want, rec.errors[i])
		}
	}
}

// RunUntilIdle retries failed actions, up to the engine's bound.
func TestRunUntilIdleRetries(t *testing.T) {
	p := competitorResearch(t)
	p.Account("hooli.com", playtest.Competitors("hooli"))
	p.Connector("linkedin").FailCalls("", nil, -1) // every call fails transiently
	p.RunUntilIdle()
	pos := p.Where("hooli.com")
	if pos.Status != store.StatusExited || !strings.Contains(pos.Reason, "gave up") {
		t.Errorf("failing account: %s (%s), want it to leave after the retry bound", pos.Status, pos.Reason)
	}
}

// Misuse fails the test through the testing.TB given to New, and never
// panics.
func TestMisuse(t *testing.T) {
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	p := playtest.New(rec, g)
	p.Click("globex.com", "No such node")
	p.Reply("globex.com", "Which competitor?")
	p.Connector("nope")
	p.Account("")
	p.Account("x.com", playtest.Stage("Eventually"))
	p.Account("y.com", playtest.Intent(101))
	p.Account("z.com", playtest.Attr("erp", "k", 1))
	p.Advance(-time.Hour)
	p.Where("nobody")
	for i, want := range []string{
		`the graph has no node "No such node"`,
		`node "Which competitor?" [which_competitor] is a decision, not an action`,
		`no connector "nope" (the play has [linkedin outreach])`,
		"Account needs an id",
		`account "x.com", option 1: audience: invalid value: buying stage "Eventually"`,
		`intent score 101 is not within 0–100`,
		`attribute source "erp"`,
		"never moves backwards",
		`where is "nobody"`,
	} {
		if i >= len(rec.fatals) || !strings.Contains(rec.fatals[i], want) {
			t.Errorf("fatal %d lacks %q: %q", i, want, rec.fatals)
		}
	}
}

func TestNewFailures(t *testing.T) {
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	p := playtest.New(rec, g, playtest.TimeZone("Mars/Olympus"))
	p.Account("a.com")
	p.Run()
	p.RunUntilIdle()
	p.AdvanceTo(p.Day(3))
	p.AssertPath(rec, "a.com", "start")
	if len(rec.fatals) != 1 || !strings.Contains(rec.fatals[0], "Mars/Olympus") {
		t.Errorf("fatals: %q", rec.fatals)
	}
	rec = &recorder{TB: t}
	playtest.New(rec, nil)
	if len(rec.fatals) != 1 {
		t.Errorf("fatals: %q", rec.fatals)
	}
}

// Connectors of your own replace the fakes; Configure reaches the engine's
// options.
func TestOwnConnectors(t *testing.T) {
	mine := fake.New("linkedin")
	observed := 0
	p := competitorResearch(t, playtest.Connectors(mine), playtest.Configure(func(o *playgraph.Options) {
		o.Observer.RunFinished = func(context.Context, playgraph.RunReport) { observed++ }
	}))
	p.Account("hooli.com", playtest.Competitors("hooli"))
	p.Run()
	if p.Connector("linkedin") != mine || len(mine.Delivered("")) != 1 || observed != 1 {
		t.Errorf("own connector not used (%d delivered) or observer not called (%d)", len(mine.Delivered("")), observed)
	}
}
