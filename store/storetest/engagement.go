package storetest

import (
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

// TestEngagement tests a [store.EngagementStore]: deduplication of equal
// events (times compared as instants), the since bound (inclusive), keying
// by account, and copy semantics; and, when the store is also a
// [store.EventEraser], ForgetEvents. newStore must return an empty store.
func TestEngagement(t *testing.T, newStore func() store.EngagementStore) {
	ev := func(acct, campaign string, kind audience.EventKind, d time.Duration) audience.Event {
		return audience.Event{AccountID: acct, ContactID: "c-" + acct, Channel: "linkedin", Campaign: campaign, Kind: kind, At: at(d)}
	}
	t.Run("AddAndQuery", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		e1 := ev("a", "ad1", audience.KindClick, day)
		e2 := ev("a", "ad1", audience.KindClick, 3*day)
		e3 := ev("a", "ad2", audience.KindReply, 3*day)
		e4 := ev("b", "ad1", audience.KindVisit, 2*day)
		must(t, s.AddEvents(ctx, []audience.Event{e2, e1, e4}))
		dup := e1
		dup.At = e1.At.UTC() // the same instant in another zone
		must(t, s.AddEvents(ctx, []audience.Event{dup, e3, e3}))
		got, err := s.Events(ctx, []string{"a", "b", "c"}, time.Time{})
		must(t, err)
		if len(got["a"]) != 3 || len(got["b"]) != 1 || len(got["c"]) != 0 {
			t.Fatalf("Events: a has %d (want 3), b %d (want 1), c %d (want 0)", len(got["a"]), len(got["b"]), len(got["c"]))
		}
		for _, e := range append(got["a"], got["b"]...) {
			found := false
			for _, w := range []audience.Event{e1, e2, e3, e4} {
				if e.AccountID == w.AccountID && e.ContactID == w.ContactID && e.Channel == w.Channel &&
					e.Campaign == w.Campaign && e.Kind == w.Kind && e.At.Equal(w.At) {
					found = true
				}
			}
			if !found {
				t.Fatalf("Events returned %+v, never added", e)
			}
		}
		// since is inclusive.
		got, err = s.Events(ctx, []string{"a"}, at(3*day))
		must(t, err)
		if len(got["a"]) != 2 {
			t.Fatalf("Events since day 3: %d, want 2", len(got["a"]))
		}
		got, err = s.Events(ctx, []string{"a", "b"}, at(4*day))
		must(t, err)
		if len(got["a"])+len(got["b"]) != 0 {
			t.Fatalf("Events since day 4 = %v", got)
		}
		// Copies.
		got, err = s.Events(ctx, []string{"b"}, time.Time{})
		must(t, err)
		got["b"][0].Campaign = "mutated"
		got, err = s.Events(ctx, []string{"b"}, time.Time{})
		must(t, err)
		if got["b"][0].Campaign != "ad1" {
			t.Fatal("mutating a result changed the store")
		}
	})
	t.Run("InputReuse", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		in := []audience.Event{ev("a", "ad1", audience.KindClick, 0)}
		must(t, s.AddEvents(ctx, in))
		in[0].Campaign = "mutated"
		got, err := s.Events(ctx, []string{"a"}, time.Time{})
		must(t, err)
		if len(got["a"]) != 1 || got["a"][0].Campaign != "ad1" {
			t.Fatalf("after the caller reused its slice: %+v", got["a"])
		}
		must(t, s.AddEvents(ctx, nil))
	})
	if _, ok := newStore().(store.EventEraser); !ok {
		return // an optional concern the store does not have
	}
	t.Run("ForgetEvents", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		ee := s.(store.EventEraser)
		must(t, s.AddEvents(ctx, []audience.Event{ev("a", "ad1", audience.KindClick, 0), ev("b", "ad1", audience.KindClick, 0)}))
		must(t, ee.ForgetEvents(ctx, "a"))
		must(t, ee.ForgetEvents(ctx, "a")) // none left: not an error
		got, err := s.Events(ctx, []string{"a", "b"}, time.Time{})
		must(t, err)
		if len(got["a"]) != 0 || len(got["b"]) != 1 {
			t.Fatalf("after ForgetEvents(a): %+v", got)
		}
		wantErr(t, ee.ForgetEvents(ctx, ""), store.ErrInvalid, "ForgetEvents of an empty id")
	})
}
