package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

// TestIntentsAgainstModel applies random batches of intents, resolutions
// and states, with the batch's state hints right, wrong or absent, and
// random Forgets, and after each step compares PendingIntents with a model
// keyed by intent key (replacing keeps the first insertion's place). Keys
// are mostly ActionKeys of a few accounts (kept beside their slots when
// they can be), with some that cannot be attached: an escaped id, another
// Account than the key's, plain keys, keys of accounts with no state, a
// second intent of an account, items with contacts or outcomes. The test
// also checks that both places were used.
func TestIntentsAgainstModel(t *testing.T) {
	steps := 3000
	if testing.Short() {
		steps = 600
	}
	ctx := context.Background()
	const wfID = "wf"
	accts := []string{"a0", "a1", "a2", "a3", "a4", "a5", "x:y", "a 7"}
	rng := rand.New(rand.NewPCG(7, 9))
	s := New()
	type rec struct {
		in  store.Intent
		seq int
	}
	model := map[string]rec{}
	seq := 0
	maxAttached, maxMapped := 0, 0
	randIntent := func() store.Intent {
		var key, acct string
		acct = accts[rng.IntN(len(accts))]
		switch rng.IntN(10) {
		case 0:
			key = fmt.Sprintf("plain-%d", rng.IntN(6))
		default:
			key = store.ActionKey(wfID, "n", acct, uint32(1+rng.IntN(3)))
		}
		in := store.Intent{Key: key, Node: fmt.Sprintf("n%d", rng.IntN(2)), Account: acct,
			Entry: uint32(rng.IntN(4)), Attempts: rng.IntN(3), Created: t0.Add(0)}
		if rng.IntN(8) == 0 {
			in.Account = accts[rng.IntN(len(accts))]
		}
		switch rng.IntN(6) {
		case 0: // contacts
			for c := range 1 + rng.IntN(2) {
				in.Items = append(in.Items, store.Item{Key: fmt.Sprintf("%s:c:%d", key, c),
					Contact: &audience.Contact{ID: fmt.Sprint(c), AccountID: acct}})
			}
		case 1: // an outcome
			in.Items = []store.Item{{Key: key, Status: store.ItemFailed, Err: "e"}}
		case 2: // no items
		default:
			in.Items = []store.Item{{Key: key}}
		}
		return in
	}
	check := func(step int) {
		t.Helper()
		var want []rec
		for _, r := range model {
			want = append(want, r)
		}
		slices.SortFunc(want, func(a, b rec) int { return a.seq - b.seq })
		var got []store.Intent
		for in, err := range s.PendingIntents(ctx, wfID) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, in)
		}
		if len(got) != len(want) {
			t.Fatalf("step %d: %d pending intents, want %d\ngot  %+v\nwant %+v", step, len(got), len(want), got, want)
		}
		for i := range want {
			w, g := want[i].in, got[i]
			if g.Key != w.Key || g.Node != w.Node || g.Account != w.Account || g.Entry != w.Entry ||
				g.Attempts != w.Attempts || !g.Created.Equal(w.Created) || len(g.Items) != len(w.Items) {
				t.Fatalf("step %d: pending[%d] = %+v, want %+v", step, i, g, w)
			}
			for k := range w.Items {
				gi, wi := g.Items[k], w.Items[k]
				if gi.Key != wi.Key || gi.Status != wi.Status || gi.Err != wi.Err || (gi.Contact == nil) != (wi.Contact == nil) {
					t.Fatalf("step %d: pending[%d] item %d = %+v, want %+v", step, i, k, gi, wi)
				}
			}
		}
		w := s.rlockWF(wfID)
		attached, mapped := 0, 0
		for k := range w.shards {
			mapped += len(w.shards[k].intents)
			for _, c := range w.shards[k].att.live {
				attached += int(c)
			}
		}
		w.mu.Unlock()
		if attached+mapped != len(want) {
			t.Fatalf("step %d: %d attached + %d mapped intents, want %d in all (a key in two places?)", step, attached, mapped, len(want))
		}
		maxAttached, maxMapped = max(maxAttached, attached), max(maxMapped, mapped)
	}
	for step := range steps {
		if rng.IntN(25) == 0 {
			id := accts[rng.IntN(len(accts))]
			if err := s.Forget(ctx, wfID, id); err != nil {
				t.Fatal(err)
			}
			for k, r := range model {
				if r.in.Account == id {
					delete(model, k)
				}
			}
			check(step)
			continue
		}
		var b store.Batch
		for range rng.IntN(4) {
			id := accts[rng.IntN(len(accts))]
			if id == "a5" {
				continue // never has a state
			}
			b.States = append(b.States, state(id, "n", rng.IntN(3)))
		}
		for range rng.IntN(5) {
			b.Intents = append(b.Intents, randIntent())
		}
		for range rng.IntN(4) {
			if rng.IntN(3) == 0 || len(model) == 0 {
				b.Resolved = append(b.Resolved, randIntent().Key)
				continue
			}
			for k := range model { // a pending key
				b.Resolved = append(b.Resolved, k)
				break
			}
		}
		// Hints: the state of the account (right), another state
		// (wrong), -1, or none at all.
		stateOf := func(acct string) int32 {
			for j := len(b.States) - 1; j >= 0; j-- {
				if b.States[j].Account == acct {
					return int32(j)
				}
			}
			return -1
		}
		hint := func(acct string) int32 {
			if rng.IntN(5) == 0 && len(b.States) > 0 {
				return int32(rng.IntN(len(b.States)))
			}
			return stateOf(acct)
		}
		if rng.IntN(4) != 0 {
			for _, in := range b.Intents {
				b.IntentStates = append(b.IntentStates, hint(in.Account))
			}
			for _, k := range b.Resolved {
				acct, _ := store.ActionKeyAccount(k)
				b.ResolvedStates = append(b.ResolvedStates, hint(acct))
			}
		}
		if err := s.Apply(ctx, wfID, &b); err != nil {
			t.Fatal(err)
		}
		for _, in := range b.Intents {
			r, ok := model[in.Key]
			if !ok {
				seq++
				r.seq = seq
			}
			r.in = in
			model[in.Key] = r
		}
		for _, k := range b.Resolved {
			delete(model, k)
		}
		check(step)
	}
	if maxAttached == 0 || maxMapped == 0 {
		t.Fatalf("the steps never used both places (at most %d attached, %d mapped)", maxAttached, maxMapped)
	}
}
