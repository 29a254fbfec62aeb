package storetest

import (
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

// TestEraser tests a store's [store.Eraser]: Forget leaves a tombstone
// (StatusForgotten with the last Entry from GetStates; Account =
// store.HashID(id) from ScanStates), drops the account from Counts, keeps
// other accounts and workflows intact, is idempotent, and allows re-entry
// with a later entry number; a live account whose id equals a tombstone's
// hash stays apart from the tombstone. When the store also implements
// [store.IntentStore], [store.RunStore] or [store.EngagementStore], the
// account's pending intents, audit rows and engagement events are checked
// to be gone. newStore must return an empty store.
func TestEraser(t *testing.T, newStore func() ErasableStore) {
	t.Run("Tombstone", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		a, b := waiting("a", 2), waiting("b", 1)
		batch := &store.Batch{
			States: []store.AccountState{waiting("x", 1), a, b},
			// Account a has an intent with a contact (personal data) and
			// one keyed by an ActionKey (which a store may keep beside the
			// account's state).
			Intents:      []store.Intent{intent("ka", "a", at(0), "c1"), intent(store.ActionKey(wf, "sep", "a", 1), "a", at(0)), intent("kb", "b", at(0))},
			IntentStates: []int32{1, 1, 2},
		}
		rs, isRuns := s.(store.RunStore)
		if isRuns {
			must(t, rs.PutRun(ctx, sampleRun("r1", wf, at(0))))
			batch.Audit = []store.AuditRow{
				{Run: "r1", Account: "a", Node: "start", Event: "entered", At: at(0)},
				{Run: "r1", Account: "b", Node: "start", Event: "entered", At: at(0)},
				{Run: "r1", Account: "a", Node: "timer", Event: "waiting", At: at(time.Second)},
			}
		}
		es, isEng := s.(store.EngagementStore)
		if isEng {
			must(t, es.AddEvents(ctx, []audience.Event{
				{AccountID: "a", Channel: "linkedin", Campaign: "ad", Kind: audience.KindClick, At: at(0)},
				{AccountID: "b", Channel: "linkedin", Campaign: "ad", Kind: audience.KindClick, At: at(0)},
			}))
		}
		must(t, s.Apply(ctx, wf, batch))
		must(t, s.Apply(ctx, "wf2", &store.Batch{States: []store.AccountState{waiting("a", 1)}}))

		must(t, s.Forget(ctx, wf, "a"))
		must(t, s.Forget(ctx, wf, "a")) // idempotent

		got := getOne(t, s, "a")
		if got.Status != store.StatusForgotten || got.Entry != 2 {
			t.Fatalf("GetStates of a forgotten account = %+v, want StatusForgotten, Entry 2", got)
		}
		for _, st := range collect(t, s.ScanStates(ctx, wf)) {
			if st.Account == "a" {
				t.Fatalf("ScanStates still yields the forgotten id: %+v", st)
			}
		}
		tombs := collect(t, s.ScanStates(ctx, wf, store.StatusForgotten))
		if len(tombs) != 1 || tombs[0].Account != store.HashID("a") || tombs[0].Entry != 2 || tombs[0].Node != "" || len(tombs[0].Path) != 0 {
			t.Fatalf("ScanStates(forgotten) = %+v, want one tombstone {Account: HashID(a), Entry: 2}", tombs)
		}
		checkIDs(t, "ScanStates(waiting)", ids(collect(t, s.ScanStates(ctx, wf, store.StatusWaiting))), []string{"x", "b"})
		c, err := s.Counts(ctx, wf)
		must(t, err)
		if c["timer"].Waiting != 2 {
			t.Fatalf("Counts after Forget = %+v, want 2 waiting at timer", c)
		}
		other, err := s.GetStates(ctx, "wf2", []string{"a"})
		must(t, err)
		checkState(t, other[0], waiting("a", 1))

		if is, ok := s.(store.IntentStore); ok {
			pend := collect(t, is.PendingIntents(ctx, wf))
			if len(pend) != 1 || pend[0].Account != "b" {
				t.Fatalf("pending intents after Forget: %+v", pend)
			}
		}
		if isRuns {
			rows, err := rs.Audit(ctx, "r1", 0, 0)
			must(t, err)
			if len(rows) != 1 || rows[0].Account != "b" {
				t.Fatalf("audit rows after Forget: %+v", rows)
			}
		}
		if isEng {
			evs, err := es.Events(ctx, []string{"a", "b"}, time.Time{})
			must(t, err)
			if len(evs["a"]) != 0 || len(evs["b"]) != 1 {
				t.Fatalf("events after Forget: %+v", evs)
			}
		}

		// Re-entry with a later entry number.
		back := waiting("a", 3)
		must(t, s.Apply(ctx, wf, &store.Batch{States: []store.AccountState{back}}))
		checkState(t, getOne(t, s, "a"), back)
		if n := len(collect(t, s.ScanStates(ctx, wf, store.StatusForgotten))); n != 0 {
			t.Fatalf("%d tombstones after re-entry", n)
		}
		c, err = s.Counts(ctx, wf)
		must(t, err)
		if c["timer"].Waiting != 3 {
			t.Fatalf("Counts after re-entry = %+v, want 3 waiting at timer", c)
		}
	})
	t.Run("LiveIDEqualToTombstoneHash", func(t *testing.T) {
		// Account ids are any strings: one may read like another's
		// tombstone hash. The tombstone and the live account stay apart.
		s, ctx := newStore(), bg(t)
		h := store.HashID("a")
		must(t, s.Apply(ctx, wf, &store.Batch{States: []store.AccountState{waiting("a", 1), waiting(h, 1)}}))
		must(t, s.Forget(ctx, wf, "a"))
		got, err := s.GetStates(ctx, wf, []string{"a", h})
		must(t, err)
		if got[0].Status != store.StatusForgotten || got[0].Entry != 1 || got[1].Status != store.StatusWaiting {
			t.Fatalf("GetStates(a, HashID(a)) after Forget(a) = %v %v, want forgotten (entry 1), waiting", got[0].Status, got[1].Status)
		}
		if n := len(collect(t, s.ScanStates(ctx, wf))); n != 2 {
			t.Fatalf("ScanStates: %d states, want the tombstone and the live account", n)
		}
		// A new account named like a tombstone's hash does not take the
		// tombstone's place, whatever its Ref says.
		tomb := collect(t, s.ScanStates(ctx, wf, store.StatusForgotten))
		if len(tomb) != 1 {
			t.Fatalf("%d tombstones, want 1", len(tomb))
		}
		b := store.HashID("b")
		must(t, s.Apply(ctx, wf, &store.Batch{States: []store.AccountState{waiting("b", 1)}}))
		must(t, s.Forget(ctx, wf, "b"))
		late := waiting(b, 1)
		late.Ref = collect(t, s.ScanStates(ctx, wf, store.StatusForgotten))[1].Ref
		must(t, s.Apply(ctx, wf, &store.Batch{States: []store.AccountState{late}}))
		got, err = s.GetStates(ctx, wf, []string{"b", b})
		must(t, err)
		if got[0].Status != store.StatusForgotten || got[1].Status != store.StatusWaiting {
			t.Fatalf("GetStates(b, HashID(b)) = %v %v, want forgotten, waiting", got[0].Status, got[1].Status)
		}
		// Re-entry revives a's tombstone; forgetting it again works.
		back := waiting("a", 2)
		must(t, s.Apply(ctx, wf, &store.Batch{States: []store.AccountState{back}}))
		checkState(t, getOne(t, s, "a"), back)
		must(t, s.Forget(ctx, wf, "a"))
		got, err = s.GetStates(ctx, wf, []string{"a", h})
		must(t, err)
		if got[0].Status != store.StatusForgotten || got[0].Entry != 2 || got[1].Status != store.StatusWaiting {
			t.Fatalf("after re-entry and Forget: %v (entry %d) %v", got[0].Status, got[0].Entry, got[1].Status)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		wantErr(t, s.Forget(ctx, wf, ""), store.ErrInvalid, "Forget of an empty id")
	})
}
