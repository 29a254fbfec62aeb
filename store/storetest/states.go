package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

const wf = "wf1"

func path(steps ...string) []store.Step {
	out := make([]store.Step, len(steps))
	for i, n := range steps {
		out[i] = store.Step{Node: n, At: at(time.Duration(i) * time.Hour)}
		if i < len(steps)-1 {
			out[i].Out = "out-" + n
		}
	}
	return out
}

func waiting(id string, entry uint32) store.AccountState {
	p := path("start", "decide", "ad", "timer")
	return store.AccountState{
		Account: id, Status: store.StatusWaiting, Node: "timer", Entry: entry,
		EnteredAt: p[3].At, WakeAt: p[3].At.Add(14 * day), Path: p,
	}
}

func apply(t *testing.T, s store.StateStore, b *store.Batch) {
	t.Helper()
	must(t, s.Apply(t.Context(), wf, b))
}

func getOne(t *testing.T, s store.StateStore, id string) store.AccountState {
	t.Helper()
	got, err := s.GetStates(t.Context(), wf, []string{id})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("GetStates returned %d states for 1 id", len(got))
	}
	return got[0]
}

func intent(key, account string, created time.Time, contacts ...string) store.Intent {
	in := store.Intent{Key: key, Node: "sep", Account: account, Entry: 1, Attempts: 1, Created: created}
	if len(contacts) == 0 {
		in.Items = []store.Item{{Key: key}}
	}
	for _, c := range contacts {
		in.Items = append(in.Items, store.Item{Key: key + "/" + c,
			Contact: &audience.Contact{ID: c, AccountID: account, Email: c + "@example.com"}})
	}
	return in
}

// TestStates tests a store's account state and intents: StateStore.Apply's
// atomicity (a bad item or a stale fence writes nothing; concurrent readers
// never see half a batch), batch edge cases, ScanStates and PendingIntents
// ordering, Counts, Ref handling and copy semantics. Fencing cases run when
// the store is also a [store.LeaseStore]. newStore must return an empty
// store.
//
// Apply's documented batch rules are checked: a batch naming an account
// twice keeps the last state; intents are written before Resolved keys are
// removed; an empty batch is a no-op (not fenced, but validated); states
// with StatusNone or StatusForgotten cannot be saved.
func TestStates(t *testing.T, newStore func() StateStore) {
	t.Run("Unknown", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		got, err := s.GetStates(ctx, wf, []string{"a", "b"})
		must(t, err)
		if len(got) != 2 || got[0].Account != "a" || got[1].Account != "b" ||
			got[0].Status != store.StatusNone || got[1].Status != store.StatusNone {
			t.Fatalf("GetStates of unknown accounts = %+v", got)
		}
		if n := len(collect(t, s.ScanStates(ctx, wf))); n != 0 {
			t.Fatalf("ScanStates of an empty workflow yields %d", n)
		}
		if n := len(collect(t, s.PendingIntents(ctx, wf))); n != 0 {
			t.Fatalf("PendingIntents of an empty workflow yields %d", n)
		}
		c, err := s.Counts(ctx, wf)
		must(t, err)
		if len(c) != 0 {
			t.Fatalf("Counts of an empty workflow = %v", c)
		}
		got, err = s.GetStates(ctx, wf, nil)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("GetStates(nil) = %v", got)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore()
		long := waiting("b", 2)
		long.Path = path("s", "d1", "d2", "d3", "d4", "timer")
		long.Failures, long.Reason = 2, "connector: 503"
		b := &store.Batch{States: []store.AccountState{waiting("a", 1), long}}
		apply(t, s, b)
		for i := range b.States {
			if b.States[i].Ref == 0 {
				t.Fatalf("Apply left Ref 0 on state %d", i)
			}
		}
		got, err := s.GetStates(t.Context(), wf, []string{"b", "a", "missing"})
		must(t, err)
		checkState(t, got[0], long)
		checkState(t, got[1], waiting("a", 1))
		checkState(t, got[2], store.AccountState{Account: "missing"})
		if got[0].Ref != b.States[1].Ref || got[1].Ref != b.States[0].Ref {
			t.Fatalf("GetStates Refs %d,%d; Apply set %d,%d", got[0].Ref, got[1].Ref, b.States[1].Ref, b.States[0].Ref)
		}
		// Zero times and an empty path round-trip.
		bare := store.AccountState{Account: "c", Status: store.StatusActive, Node: "start", Entry: 1}
		apply(t, s, &store.Batch{States: []store.AccountState{bare}})
		checkState(t, getOne(t, s, "c"), bare)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore()
		a := waiting("a", 1)
		a.Path = path("s", "d1", "d2", "d3", "d4", "timer")
		a.Reason = "something"
		b := &store.Batch{States: []store.AccountState{a}}
		apply(t, s, b)
		// Move on: shorter path, no reason, no wake time. With Ref.
		a2 := store.AccountState{Ref: b.States[0].Ref, Account: "a", Status: store.StatusActive, Node: "sep",
			Entry: 1, EnteredAt: at(day), Path: path("s", "sep")}
		apply(t, s, &store.Batch{States: []store.AccountState{a2}})
		checkState(t, getOne(t, s, "a"), a2)
		// Without Ref.
		a3 := a2
		a3.Ref, a3.Status, a3.Reason = 0, store.StatusExited, "end of path"
		apply(t, s, &store.Batch{States: []store.AccountState{a3}})
		checkState(t, getOne(t, s, "a"), a3)
		if n := len(collect(t, s.ScanStates(t.Context(), wf))); n != 1 {
			t.Fatalf("one account updated three times: ScanStates yields %d", n)
		}
	})
	t.Run("WrongRef", func(t *testing.T) {
		s := newStore()
		b := &store.Batch{States: []store.AccountState{waiting("a", 1), waiting("b", 1)}}
		apply(t, s, b)
		// A Ref that names another account's slot, and one out of range:
		// the account id decides.
		x := waiting("a", 1)
		x.Node, x.Ref = "moved", b.States[1].Ref
		y := waiting("c", 1)
		y.Ref = 1 << 40
		apply(t, s, &store.Batch{States: []store.AccountState{x, y}})
		got, err := s.GetStates(t.Context(), wf, []string{"a", "b", "c"})
		must(t, err)
		checkState(t, got[0], x)
		checkState(t, got[1], waiting("b", 1))
		checkState(t, got[2], waiting("c", 1))
	})
	t.Run("EmptyBatch", func(t *testing.T) {
		s := newStore()
		apply(t, s, &store.Batch{})
		apply(t, s, &store.Batch{States: []store.AccountState{}, Intents: nil, Resolved: []string{}, Audit: nil})
		if n := len(collect(t, s.ScanStates(t.Context(), wf))); n != 0 {
			t.Fatalf("empty batches stored %d states", n)
		}
		// Not fenced (there is no lease at all here), but validated.
		apply(t, s, &store.Batch{Fence: 42})
		err := s.Apply(t.Context(), wf, &store.Batch{IntentStates: []int32{7}})
		wantErr(t, err, store.ErrInvalid, "an empty batch with hints for entries it does not have")
	})
	t.Run("DuplicateAccountLastWins", func(t *testing.T) {
		s := newStore()
		first, last := waiting("a", 1), waiting("a", 1)
		last.Node = "later"
		apply(t, s, &store.Batch{States: []store.AccountState{first, waiting("b", 1), last}})
		checkState(t, getOne(t, s, "a"), last)
		checkIDs(t, "ScanStates", ids(collect(t, s.ScanStates(t.Context(), wf))), []string{"a", "b"})
		c, err := s.Counts(t.Context(), wf)
		must(t, err)
		if c["later"].Waiting != 1 || c["timer"].Waiting != 1 || len(c) != 2 {
			t.Fatalf("Counts = %+v", c)
		}
	})
	t.Run("StaleRefRepeatFirstOccurrence", func(t *testing.T) {
		// A Ref is a hint: [x (another account's Ref), y, x] stores x's
		// last state at x's first place, like [x, y, x].
		s := newStore()
		zs := &store.Batch{}
		for i := range 16 {
			zs.States = append(zs.States, waiting(fmt.Sprintf("z%02d", i), 1))
		}
		apply(t, s, zs)
		want := ids(zs.States)
		for i, z := range zs.States {
			x, y := fmt.Sprintf("x%02d", i), fmt.Sprintf("y%02d", i)
			stale, last := waiting(x, 1), waiting(x, 1)
			stale.Ref, last.Node = z.Ref, "later"
			apply(t, s, &store.Batch{States: []store.AccountState{stale, waiting(y, 1), last}})
			want = append(want, x, y)
			checkState(t, getOne(t, s, x), last)
		}
		checkIDs(t, "ScanStates", ids(collect(t, s.ScanStates(t.Context(), wf))), want)
	})
	t.Run("InvalidWritesNothing", func(t *testing.T) {
		bad := map[string]store.Batch{
			"empty account id": {States: []store.AccountState{waiting("a", 1), {Status: store.StatusActive, Node: "n"}}},
			"status none":      {States: []store.AccountState{waiting("a", 1), {Account: "x", Node: "n"}}},
			"status forgotten": {States: []store.AccountState{waiting("a", 1), {Account: "x", Status: store.StatusForgotten}}},
			"empty intent key": {States: []store.AccountState{waiting("a", 1)}, Intents: []store.Intent{{Account: "a", Node: "n"}}},
			"empty item key": {States: []store.AccountState{waiting("a", 1)},
				Intents: []store.Intent{{Key: "k", Account: "a", Items: []store.Item{{}}}}},
			"empty resolved key": {States: []store.AccountState{waiting("a", 1)}, Resolved: []string{""}},
			"empty audit run":    {States: []store.AccountState{waiting("a", 1)}, Audit: []store.AuditRow{{Account: "a"}}},
		}
		for name, b := range bad {
			t.Run(name, func(t *testing.T) {
				s := newStore()
				b.Intents = append(b.Intents, intent("ok", "a", at(0)))
				wantErr(t, s.Apply(t.Context(), wf, &b), store.ErrInvalid, "Apply")
				if st := getOne(t, s, "a"); st.Status != store.StatusNone {
					t.Fatalf("an invalid batch saved a state: %+v", st)
				}
				if n := len(collect(t, s.PendingIntents(t.Context(), wf))); n != 0 {
					t.Fatalf("an invalid batch wrote %d intents", n)
				}
			})
		}
		s := newStore()
		wantErr(t, s.Apply(t.Context(), "", &store.Batch{States: []store.AccountState{waiting("a", 1)}}), store.ErrInvalid, "Apply with an empty workflow id")
	})
	t.Run("ScanOrder", func(t *testing.T) {
		s := newStore()
		var want []string
		for i := range 600 { // more than a page for chunked iterators
			want = append(want, fmt.Sprintf("acct-%03d", (i*7919)%600))
		}
		var wantW []string
		for i := 0; i < len(want); i += 100 {
			var b store.Batch
			for j, id := range want[i : i+100] {
				st := waiting(id, 1)
				if (i+j)%3 == 0 {
					st.Status = store.StatusActive
				} else {
					wantW = append(wantW, id)
				}
				b.States = append(b.States, st)
			}
			apply(t, s, &b)
		}
		checkIDs(t, "ScanStates", ids(collect(t, s.ScanStates(t.Context(), wf))), want)
		// Updating an account does not move it.
		moved := waiting(want[0], 1)
		moved.Node, moved.Status = "elsewhere", store.StatusActive
		apply(t, s, &store.Batch{States: []store.AccountState{moved}})
		got := collect(t, s.ScanStates(t.Context(), wf))
		checkIDs(t, "ScanStates after an update", ids(got), want)
		checkState(t, got[0], moved)
		// A status filter keeps the order.
		checkIDs(t, "ScanStates(waiting)", ids(collect(t, s.ScanStates(t.Context(), wf, store.StatusWaiting))), wantW)
		if n := len(collect(t, s.ScanStates(t.Context(), wf, store.StatusActive))); n != 200 {
			t.Fatalf("ScanStates(active) yields %d, want 200", n)
		}
		if n := len(collect(t, s.ScanStates(t.Context(), wf, store.StatusFailed))); n != 0 {
			t.Fatalf("ScanStates(failed) yields %d, want 0", n)
		}
		checkIDs(t, "ScanStates(waiting, exited)", ids(collect(t, s.ScanStates(t.Context(), wf, store.StatusWaiting, store.StatusExited))), wantW)
		n := 0
		for range s.ScanStates(t.Context(), wf) {
			n++
			if n == 3 {
				break
			}
		}
		if n != 3 {
			t.Fatal("breaking out of ScanStates")
		}
	})
	t.Run("ScanWhileApplying", func(t *testing.T) {
		s := newStore()
		var b store.Batch
		for i := range 300 {
			b.States = append(b.States, waiting(fmt.Sprintf("a%03d", i), 1))
		}
		apply(t, s, &b)
		// The loop body may write to the workflow being scanned.
		n := 0
		for st, err := range s.ScanStates(t.Context(), wf, store.StatusWaiting) {
			must(t, err)
			st.Status, st.Node = store.StatusActive, "next"
			must(t, s.Apply(t.Context(), wf, &store.Batch{States: []store.AccountState{st}}))
			n++
		}
		if n != 300 {
			t.Fatalf("scanned %d of 300 while applying", n)
		}
		c, err := s.Counts(t.Context(), wf)
		must(t, err)
		if c["next"].Active != 300 {
			t.Fatalf("Counts = %+v", c)
		}
	})
	t.Run("Counts", func(t *testing.T) {
		s := newStore()
		mk := func(id, node string, st store.Status) store.AccountState {
			return store.AccountState{Account: id, Node: node, Status: st, Entry: 1}
		}
		apply(t, s, &store.Batch{States: []store.AccountState{
			mk("a", "n1", store.StatusActive), mk("b", "n1", store.StatusWaiting), mk("c", "n1", store.StatusFailed),
			mk("d", "n2", store.StatusBlocked), mk("e", "n2", store.StatusExited), mk("f", "n2", store.StatusExited),
		}})
		apply(t, s, &store.Batch{States: []store.AccountState{mk("a", "n2", store.StatusWaiting)}})
		c, err := s.Counts(t.Context(), wf)
		must(t, err)
		want := map[string]store.NodeCounts{
			"n1": {Waiting: 1, Failed: 1},
			"n2": {Waiting: 1, Blocked: 1, Exited: 2},
		}
		for n, w := range want {
			if c[n] != w {
				t.Fatalf("Counts[%s] = %+v, want %+v", n, c[n], w)
			}
		}
		for n, g := range c {
			if _, ok := want[n]; !ok && g.Total() != 0 {
				t.Fatalf("Counts has %s: %+v", n, g)
			}
		}
		// Counts are per workflow.
		c2, err := s.Counts(t.Context(), "other")
		must(t, err)
		if len(c2) != 0 {
			t.Fatalf("Counts of another workflow = %v", c2)
		}
	})
	t.Run("StateCopies", func(t *testing.T) {
		s := newStore()
		a := waiting("a", 1)
		b := &store.Batch{States: []store.AccountState{a}}
		apply(t, s, b)
		b.States[0].Path[0].Node = "mutated" // the caller reuses its slices
		b.States[0].Node = "mutated"
		got := getOne(t, s, "a")
		checkState(t, got, waiting("a", 1))
		got.Path[1].Node = "mutated"
		_ = append(got.Path[:1], store.Step{Node: "appended"})
		checkState(t, getOne(t, s, "a"), waiting("a", 1))
		scanned := collect(t, s.ScanStates(t.Context(), wf))
		scanned[0].Path[2].Out = "mutated"
		checkState(t, getOne(t, s, "a"), waiting("a", 1))
	})
	t.Run("Intents", func(t *testing.T) {
		s := newStore()
		// Written out of creation order: PendingIntents is oldest first.
		i2 := intent("k2", "b", at(2*time.Minute), "c1", "c2")
		i1 := intent("k1", "a", at(time.Minute))
		i3 := intent("k3", "c", at(3*time.Minute))
		apply(t, s, &store.Batch{Intents: []store.Intent{i2, i3}})
		apply(t, s, &store.Batch{Intents: []store.Intent{i1}})
		got := collect(t, s.PendingIntents(t.Context(), wf))
		if len(got) != 3 {
			t.Fatalf("PendingIntents yields %d, want 3", len(got))
		}
		for i, w := range []store.Intent{i1, i2, i3} {
			if d := diffIntent(got[i], w); d != "" {
				t.Fatalf("PendingIntents[%d]: %s", i, d)
			}
		}
		// Replace by key: one intent, new content.
		i2b := i2
		i2b.Attempts = 2
		i2b.Items = append([]store.Item(nil), i2.Items...)
		i2b.Items[0].Status, i2b.Items[0].Err = store.ItemDone, ""
		i2b.Items[1].Status, i2b.Items[1].Err = store.ItemFailed, "bounced"
		// Resolve k1 and record the outcome in the same batch as a state.
		done := waiting("a", 1)
		apply(t, s, &store.Batch{States: []store.AccountState{done}, Intents: []store.Intent{i2b}, Resolved: []string{"k1", "unknown-key"}})
		got = collect(t, s.PendingIntents(t.Context(), wf))
		if len(got) != 2 {
			t.Fatalf("PendingIntents yields %d, want 2", len(got))
		}
		if d := diffIntent(got[0], i2b); d != "" {
			t.Fatal(d)
		}
		if d := diffIntent(got[1], i3); d != "" {
			t.Fatal(d)
		}
		// Written and resolved in one batch: gone.
		apply(t, s, &store.Batch{Intents: []store.Intent{intent("k4", "d", at(0))}, Resolved: []string{"k4"}})
		if n := len(collect(t, s.PendingIntents(t.Context(), wf))); n != 2 {
			t.Fatalf("an intent written and resolved in one batch is pending (%d pending)", n)
		}
		// Per workflow.
		if n := len(collect(t, s.PendingIntents(t.Context(), "other"))); n != 0 {
			t.Fatalf("another workflow has %d pending intents", n)
		}
	})
	t.Run("ActionKeyIntents", func(t *testing.T) {
		// Intents keyed by store.ActionKey, written with their accounts'
		// states and the batch's state hints, right, wrong or absent: a
		// store may keep them beside the states, and must still find each
		// by its key alone, keep its place when it is replaced, and keep
		// what is not the common case (a second intent of an account, an
		// Account other than the key's, an id the key escapes, items with
		// contacts or outcomes).
		s := newStore()
		mk := func(acct string, entry uint32) store.Intent {
			k := store.ActionKey(wf, "ad", acct, entry)
			return store.Intent{Key: k, Node: "ad", Account: acct, Entry: entry, Created: at(0), Items: []store.Item{{Key: k}}}
		}
		pending := func(want ...store.Intent) {
			t.Helper()
			got := collect(t, s.PendingIntents(t.Context(), wf))
			if len(got) != len(want) {
				t.Fatalf("PendingIntents yields %d intents, want %d: %+v", len(got), len(want), got)
			}
			for i := range want {
				if d := diffIntent(got[i], want[i]); d != "" {
					t.Fatalf("PendingIntents[%d]: %s", i, d)
				}
			}
		}
		ia, ib, ic := mk("a", 1), mk("b", 1), mk("c", 1)
		// b's hint names a's state; c has no state.
		apply(t, s, &store.Batch{States: []store.AccountState{waiting("a", 1), waiting("b", 1)},
			Intents: []store.Intent{ia, ib, ic}, IntentStates: []int32{0, 0, -1}})
		pending(ia, ib, ic)
		ia2 := mk("a", 2) // a second intent of account a
		odd := mk("b", 7) // its key names b, its Account is a
		odd.Account = "a"
		esc := mk("x:y", 1) // an id the key escapes
		apply(t, s, &store.Batch{States: []store.AccountState{waiting("a", 2), waiting("x:y", 1)},
			Intents: []store.Intent{ia2, odd, esc}, IntentStates: []int32{0, 0, 1}})
		pending(ia, ib, ic, ia2, odd, esc)
		// Replaced (no states, no hints): each keeps its place.
		ia.Attempts, ia.Items = 1, []store.Item{{Key: ia.Key, Status: store.ItemFailed, Err: "timeout"}}
		ib.Items = []store.Item{
			{Key: ib.Key + ":c:p1", Contact: &audience.Contact{ID: "p1", AccountID: "b"}, Status: store.ItemDone},
			{Key: ib.Key + ":c:p2", Contact: &audience.Contact{ID: "p2", AccountID: "b"}},
		}
		ic.Attempts = 4
		apply(t, s, &store.Batch{Intents: []store.Intent{ic, ib, ia}})
		pending(ia, ib, ic, ia2, odd, esc)
		// Back to the common case, with a hint.
		ib = mk("b", 1)
		apply(t, s, &store.Batch{States: []store.AccountState{waiting("b", 1)}, Intents: []store.Intent{ib}, IntentStates: []int32{0}})
		pending(ia, ib, ic, ia2, odd, esc)
		// Resolved with hints: right (a), wrong (b: c's state), none (c).
		apply(t, s, &store.Batch{States: []store.AccountState{waiting("a", 1), waiting("c", 1)},
			Resolved: []string{ia.Key, ib.Key, ic.Key}, ResolvedStates: []int32{0, 1, -1}})
		pending(ia2, odd, esc)
		// Resolved without hints, one unknown key among them; then an
		// intent written and resolved in one batch.
		apply(t, s, &store.Batch{Resolved: []string{odd.Key, store.ActionKey(wf, "ad", "zz", 1), esc.Key, ia2.Key}})
		pending()
		apply(t, s, &store.Batch{States: []store.AccountState{waiting("a", 3)}, Intents: []store.Intent{mk("a", 3)},
			Resolved: []string{mk("a", 3).Key}, IntentStates: []int32{0}, ResolvedStates: []int32{0}})
		pending()
	})
	t.Run("IntentOrderTies", func(t *testing.T) {
		// Equal Created: first written first, and replacing an intent
		// (even twice in one batch) keeps its place.
		s := newStore()
		var keys []string
		for i := range 24 {
			k := fmt.Sprintf("k%02d", i)
			keys = append(keys, k)
			apply(t, s, &store.Batch{Intents: []store.Intent{intent(k, "a"+k, at(0))}})
		}
		var b store.Batch
		for i := len(keys) - 2; i >= 0; i -= 3 {
			in := intent(keys[i], "a"+keys[i], at(0))
			in.Attempts = 3
			b.Intents = append(b.Intents, in, in)
		}
		apply(t, s, &b)
		got := collect(t, s.PendingIntents(t.Context(), wf))
		if len(got) != len(keys) {
			t.Fatalf("PendingIntents yields %d, want %d", len(got), len(keys))
		}
		for i, in := range got {
			if in.Key != keys[i] {
				t.Fatalf("PendingIntents[%d] = %s, want %s (equal Created: first written first, a replaced intent keeps its place)", i, in.Key, keys[i])
			}
		}
	})
	t.Run("IntentCopies", func(t *testing.T) {
		s := newStore()
		in := intent("k", "a", at(0), "c1")
		want := intent("k", "a", at(0), "c1")
		b := &store.Batch{Intents: []store.Intent{in}}
		apply(t, s, b)
		// The caller reuses its slices and contacts.
		in.Items[0].Contact.Email = "mutated"
		in.Items[0].Status = store.ItemDone
		got := collect(t, s.PendingIntents(t.Context(), wf))
		if d := diffIntent(got[0], want); d != "" {
			t.Fatalf("mutating the input changed the store: %s", d)
		}
		got[0].Items[0].Contact.Email = "mutated"
		got[0].Items[0].Key = "mutated"
		got = collect(t, s.PendingIntents(t.Context(), wf))
		if d := diffIntent(got[0], want); d != "" {
			t.Fatalf("mutating a result changed the store: %s", d)
		}
	})
	t.Run("ConcurrentReadersSeeWholeBatches", func(t *testing.T) {
		s := newStore()
		const n, rounds = 256, 60
		accts := make([]string, n)
		batch := func(round int) *store.Batch {
			var b store.Batch
			node := fmt.Sprintf("node-%d", round)
			for i, id := range accts {
				b.States = append(b.States, store.AccountState{Account: id, Status: store.StatusActive, Node: node, Entry: 1,
					EnteredAt: at(time.Duration(round) * time.Minute), Path: path("start", node)})
				if i%4 == 0 {
					b.Intents = append(b.Intents, intent(fmt.Sprintf("%s-%d", id, round), id, at(0)))
					if round > 0 {
						b.Resolved = append(b.Resolved, fmt.Sprintf("%s-%d", id, round-1))
					}
				}
			}
			return &b
		}
		for i := range accts {
			accts[i] = fmt.Sprintf("acct-%04d", i)
		}
		apply(t, s, batch(0))
		var wg sync.WaitGroup
		stop := make(chan struct{})
		errs := make(chan string, 8)
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					got, err := s.GetStates(t.Context(), wf, accts)
					if err != nil {
						errs <- err.Error()
						return
					}
					for _, st := range got {
						if st.Node != got[0].Node || !st.EnteredAt.Equal(got[0].EnteredAt) || len(st.Path) != 2 || st.Path[1].Node != st.Node {
							errs <- fmt.Sprintf("half a batch: %s at %s, %s at %s", got[0].Account, got[0].Node, st.Account, st.Node)
							return
						}
					}
					c, err := s.Counts(t.Context(), wf)
					if err != nil {
						errs <- err.Error()
						return
					}
					total, nodes := 0, 0
					for _, nc := range c {
						if nc.Total() > 0 {
							total += nc.Total()
							nodes++
						}
					}
					if total != n || nodes != 1 {
						errs <- fmt.Sprintf("Counts saw half a batch: %v", c)
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				pend := 0
				for _, err := range s.PendingIntents(t.Context(), wf) {
					if err != nil {
						errs <- err.Error()
						return
					}
					pend++
				}
				// Chunked iteration may straddle a batch, but never sees
				// more than two rounds' intents.
				if pend > 2*n/4 {
					errs <- fmt.Sprintf("%d pending intents, want at most %d", pend, 2*n/4)
					return
				}
			}
		}()
		for r := 1; r < rounds; r++ {
			if err := s.Apply(t.Context(), wf, batch(r)); err != nil {
				close(stop)
				wg.Wait()
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		select {
		case e := <-errs:
			t.Fatal(e)
		default:
		}
		if got := len(collect(t, s.PendingIntents(t.Context(), wf))); got != n/4 {
			t.Fatalf("%d pending intents at the end, want %d", got, n/4)
		}
	})
	t.Run("Fencing", func(t *testing.T) {
		s := newStore()
		ls, ok := s.(store.LeaseStore)
		if !ok {
			t.Skip("not a store.LeaseStore")
		}
		ctx := t.Context()
		l1, err := ls.AcquireLease(ctx, wf, "engine-1", at(0), time.Minute)
		must(t, err)
		apply(t, s, &store.Batch{Fence: l1.Token, States: []store.AccountState{waiting("a", 1)}})
		apply(t, s, &store.Batch{Fence: 0, States: []store.AccountState{waiting("z", 1)}}) // unchecked
		wantErr(t, s.Apply(ctx, wf, &store.Batch{Fence: l1.Token + 1000, States: []store.AccountState{waiting("b", 1)}}),
			store.ErrFenced, "Apply with a token never granted")
		// l1 expires; engine-2 takes over.
		l2, err := ls.AcquireLease(ctx, wf, "engine-2", at(2*time.Minute), time.Minute)
		must(t, err)
		stale := &store.Batch{
			Fence:    l1.Token,
			States:   []store.AccountState{waiting("b", 1), {Account: "a", Status: store.StatusExited, Node: "x", Entry: 1}},
			Intents:  []store.Intent{intent("k", "b", at(0))},
			Audit:    []store.AuditRow{{Run: "r1", Account: "b", Node: "x", Event: "entered", At: at(0)}},
			Resolved: []string{"k0"},
		}
		wantErr(t, s.Apply(ctx, wf, stale), store.ErrFenced, "Apply with a superseded token")
		got, err := s.GetStates(ctx, wf, []string{"a", "b"})
		must(t, err)
		checkState(t, got[0], waiting("a", 1))
		if got[1].Status != store.StatusNone {
			t.Fatalf("a fenced batch saved %+v", got[1])
		}
		if n := len(collect(t, s.PendingIntents(ctx, wf))); n != 0 {
			t.Fatalf("a fenced batch wrote %d intents", n)
		}
		if rs, ok := s.(store.RunStore); ok {
			rows, err := rs.Audit(ctx, "r1", 0, 0)
			if err == nil && len(rows) != 0 {
				t.Fatalf("a fenced batch appended audit rows: %+v", rows)
			}
		}
		apply(t, s, &store.Batch{Fence: l2.Token, States: []store.AccountState{waiting("b", 1)}})
		// The fence is per workflow: l2 does not fence another workflow.
		wantErr(t, s.Apply(ctx, "other", &store.Batch{Fence: l2.Token, States: []store.AccountState{waiting("b", 1)}}),
			store.ErrFenced, "Apply to a workflow whose lease the token is not")
		// A released lease fences its token.
		must(t, ls.ReleaseLease(ctx, l2))
		wantErr(t, s.Apply(ctx, wf, &store.Batch{Fence: l2.Token, States: []store.AccountState{waiting("c", 1)}}),
			store.ErrFenced, "Apply with a released token")
	})
}
