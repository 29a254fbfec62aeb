package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store"
)

// StateStore is what [TestStates] needs: account state and the intents
// that StateStore.Apply writes.
type StateStore interface {
	store.StateStore
	store.IntentStore
}

// ErasableStore is what [TestEraser] needs: account state to forget.
type ErasableStore interface {
	store.StateStore
	store.Eraser
}

// Run runs every concern's suite against stores made by newStore, each as a
// subtest. newStore is called once per test case and must return an empty
// store. Stores that also implement [credit.Store] run [TestCredits];
// those implementing [store.PurchasedStore] run [TestPurchased].
func Run(t *testing.T, newStore func() store.Store) {
	t.Helper()
	t.Run("Workflows", func(t *testing.T) { TestWorkflows(t, func() store.WorkflowStore { return newStore() }) })
	t.Run("States", func(t *testing.T) { TestStates(t, func() StateStore { return newStore() }) })
	t.Run("Leases", func(t *testing.T) { TestLeases(t, func() store.LeaseStore { return newStore() }) })
	t.Run("Runs", func(t *testing.T) { TestRuns(t, func() store.RunStore { return newStore() }) })
	t.Run("Engagement", func(t *testing.T) { TestEngagement(t, func() store.EngagementStore { return newStore() }) })
	t.Run("Inbox", func(t *testing.T) { TestInbox(t, func() store.InboxStore { return newStore() }) })
	t.Run("Eraser", func(t *testing.T) { TestEraser(t, func() ErasableStore { return newStore() }) })
	if _, ok := newStore().(store.PurchasedStore); ok {
		t.Run("Purchased", func(t *testing.T) {
			TestPurchased(t, func() store.PurchasedStore { return newStore().(store.PurchasedStore) })
		})
	}
	if _, ok := newStore().(credit.Store); ok {
		t.Run("Credits", func(t *testing.T) { TestCredits(t, func() credit.Store { return newStore().(credit.Store) }) })
	}
}

// zone is a non-UTC zone: stores keep instants, so times written in it must
// come back Equal (not necessarily ==).
var zone = time.FixedZone("UTC+5:30", 5*3600+1800)

// t0 is the suites' base time, far from the wall clock: nothing may depend
// on time.Now.
var t0 = time.Date(2021, 3, 10, 9, 30, 0, 123456789, zone)

func at(d time.Duration) time.Time { return t0.Add(d) }

const day = 24 * time.Hour

func collect[T any](t *testing.T, seq iter.Seq2[T, error]) []T {
	t.Helper()
	out := []T{}
	for v, err := range seq {
		if err != nil {
			t.Fatalf("iteration: %v", err)
		}
		out = append(out, v)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one wrapping %v", what, err, target)
	}
}

func eqTime(a, b time.Time) bool { return a.Equal(b) }

// diffState describes how got differs from want (times compared as
// instants; Ref ignored), or returns "".
func diffState(got, want store.AccountState) string {
	switch {
	case got.Account != want.Account:
		return fmt.Sprintf("Account %q, want %q", got.Account, want.Account)
	case got.Status != want.Status:
		return fmt.Sprintf("%s: Status %v, want %v", want.Account, got.Status, want.Status)
	case got.Node != want.Node:
		return fmt.Sprintf("%s: Node %q, want %q", want.Account, got.Node, want.Node)
	case got.Entry != want.Entry:
		return fmt.Sprintf("%s: Entry %d, want %d", want.Account, got.Entry, want.Entry)
	case !eqTime(got.EnteredAt, want.EnteredAt):
		return fmt.Sprintf("%s: EnteredAt %v, want %v", want.Account, got.EnteredAt, want.EnteredAt)
	case !eqTime(got.WakeAt, want.WakeAt):
		return fmt.Sprintf("%s: WakeAt %v, want %v", want.Account, got.WakeAt, want.WakeAt)
	case got.Failures != want.Failures:
		return fmt.Sprintf("%s: Failures %d, want %d", want.Account, got.Failures, want.Failures)
	case got.Reason != want.Reason:
		return fmt.Sprintf("%s: Reason %q, want %q", want.Account, got.Reason, want.Reason)
	case len(got.Path) != len(want.Path):
		return fmt.Sprintf("%s: Path has %d steps, want %d", want.Account, len(got.Path), len(want.Path))
	}
	for i := range want.Path {
		g, w := got.Path[i], want.Path[i]
		if g.Node != w.Node || g.Out != w.Out || !eqTime(g.At, w.At) {
			return fmt.Sprintf("%s: Path[%d] = %+v, want %+v", want.Account, i, g, w)
		}
	}
	return ""
}

func checkState(t *testing.T, got, want store.AccountState) {
	t.Helper()
	if d := diffState(got, want); d != "" {
		t.Fatal(d)
	}
}

// diffIntent describes how got differs from want, or returns "".
func diffIntent(got, want store.Intent) string {
	if got.Key != want.Key || got.Node != want.Node || got.Account != want.Account ||
		got.Entry != want.Entry || got.Attempts != want.Attempts || !eqTime(got.Created, want.Created) ||
		len(got.Items) != len(want.Items) {
		return fmt.Sprintf("intent %+v, want %+v", got, want)
	}
	for i := range want.Items {
		g, w := got.Items[i], want.Items[i]
		if g.Key != w.Key || g.Status != w.Status || g.Err != w.Err || (g.Contact == nil) != (w.Contact == nil) ||
			(g.Contact != nil && *g.Contact != *w.Contact) {
			return fmt.Sprintf("intent %s: item %d = %+v, want %+v", want.Key, i, g, w)
		}
	}
	return ""
}

func ids(states []store.AccountState) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = s.Account
	}
	return out
}

func checkIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func bg(t *testing.T) context.Context { return t.Context() }

func errorIs(err, target error) bool { return errors.Is(err, target) }
