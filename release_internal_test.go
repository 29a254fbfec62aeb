package playgraph

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/internal/plays"
)

// staleBeyondLen reports the first non-zero element of s[len:cap].
func staleBeyondLen[T any](s []T) (int, bool) {
	for i, v := range s[len(s):cap(s)] {
		if !reflect.ValueOf(&v).Elem().IsZero() {
			return len(s) + i, true
		}
	}
	return 0, false
}

// TestReleaseLeavesNothingBeyondLength previews and runs the competitor
// research play over accounts of which a third have a matching contact
// (the SEP push takes back the arena intent of the others), and checks at every
// chunk release that the buffers release clears only to their length hold
// nothing past it: a pooled chunk must keep no account data alive.
func TestReleaseLeavesNothingBeyondLength(t *testing.T) {
	var mu sync.Mutex
	var stale []string
	releaseCheck = func(c *chunk) {
		for name, s := range map[string]func() (int, bool){
			"audit":     func() (int, bool) { return staleBeyondLen(c.audit) },
			"intents":   func() (int, bool) { return staleBeyondLen(c.intents) },
			"resolve":   func() (int, bool) { return staleBeyondLen(c.resolve) },
			"intentOf":  func() (int, bool) { return staleBeyondLen(c.intentOf) },
			"resolveOf": func() (int, bool) { return staleBeyondLen(c.resolveOf) },
			"inArena":   func() (int, bool) { return staleBeyondLen(c.inArena) },
			"itemArena": func() (int, bool) { return staleBeyondLen(c.itemArena) },
		} {
			if i, bad := s(); bad {
				mu.Lock()
				stale = append(stale, fmt.Sprintf("%s[%d]", name, i))
				mu.Unlock()
			}
		}
	}
	defer func() { releaseCheck = nil }()

	ctx := context.Background()
	src := audience.NewMemorySource()
	for i := range 60 {
		// Accounts researching the top competitor go to the people-level
		// SEP push; those without a matching contact are skipped there.
		// The ad audience comes later in the walk: a batch whose last
		// account goes to it would reuse the arena past its length and
		// hide a skip's leftover, so the batches here hold none.
		a := &audience.Account{ID: fmt.Sprintf("acct-%02d", i), ResearchedCompetitors: []string{"acme"}}
		if err := src.Add(a); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			src.SetContacts(a.ID, audience.Contact{ID: a.ID + "-c", AccountID: a.ID, JobLevel: "VP", JobFunction: "Sales", Email: a.ID + "@example.com"})
		}
	}
	reg, err := connector.NewRegistry(fake.New("outreach"), fake.New("linkedin"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(&Options{Clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), Connectors: reg,
		Segments: SegmentMap{plays.CRSegment: src}, BatchSize: 7, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	admin := Actor{UserID: "ada", Role: RoleAdmin}
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		t.Fatal(err)
	}
	wf, err := e.Create(ctx, admin, WorkflowSpec{Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Publish(ctx, admin, wf.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Preview(ctx, admin, wf.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Run(ctx, admin, wf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[plays.CRSEPTop].Entered == 0 {
		t.Fatal("no account reached the SEP push: the test checks nothing")
	}
	if len(stale) > 0 {
		t.Fatalf("release found data past the buffers' length: %v", stale)
	}
}
