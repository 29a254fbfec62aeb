package memstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
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
			fillHints(&b, hint)
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

// TestAttChunksLetGo: accounts arrive in batches, every other one with
// intents that the next batch resolves (the engine's pattern; the others'
// accounts wait without one). Once nothing is pending, each shard holds at
// most two empty chunks (the one kept and the spare).
func TestAttChunksLetGo(t *testing.T) {
	ctx := context.Background()
	s := New()
	per := 2000
	if testing.Short() {
		per = 500
	}
	n := 0
	for round := range 100 {
		var b store.Batch
		for i := range per {
			id := fmt.Sprintf("acct-%07d", round*per+i)
			b.States = append(b.States, state(id, "n", 0))
			if round%2 == 1 {
				continue // accounts that enter and wait: no intent
			}
			k := store.ActionKey("wf", "n", id, 1)
			b.Intents = append(b.Intents, store.Intent{Key: k, Node: "n", Account: id, Entry: 1, Items: []store.Item{{Key: k}}, Created: t0})
		}
		if err := s.Apply(ctx, "wf", &b); err != nil {
			t.Fatal(err)
		}
		var r store.Batch
		for _, in := range b.Intents {
			r.Resolved = append(r.Resolved, in.Key)
		}
		if err := s.Apply(ctx, "wf", &r); err != nil {
			t.Fatal(err)
		}
		n += per
	}
	w := s.rlockWF("wf")
	defer w.mu.Unlock()
	chunks, live := 0, 0
	for k := range w.shards {
		for c, ch := range w.shards[k].att.chunks {
			if ch != nil {
				chunks++
				live += int(w.shards[k].att.live[c])
			}
		}
		if w.shards[k].att.spare != nil {
			chunks++
		}
	}
	t.Logf("%d accounts, 0 pending: %d att chunks held (%d KiB), live %d", n, chunks, chunks*16, live)
	if live != 0 {
		t.Fatalf("%d intents counted pending, none is", live)
	}
	if chunks > 2*wShards {
		t.Errorf("%d chunks held with no pending intent, want at most 2 per shard (%d)", chunks, 2*wShards)
	}
}

// checkPlaces checks that every attached intent sits at the live, indexed
// slot of its key's account and that no key is in two places; it returns
// how many intents are attached.
func checkPlaces(t *testing.T, s *Store, wf string) int {
	t.Helper()
	w := s.rlockWF(wf)
	defer w.mu.Unlock()
	seen := map[string]bool{}
	n := 0
	for k := range w.shards {
		sh := &w.shards[k]
		for c, ch := range sh.att.chunks {
			for l := range ch {
				r := &ch[l]
				if r.key == "" {
					continue
				}
				n++
				g := uint32(c)<<chunkBits | uint32(l)
				g = g<<wShardBits | uint32(k)
				acct, _ := store.ActionKeyAccount(r.key)
				if !w.valid(uint64(g)) || !w.hasID(g, acct) {
					t.Errorf("key %q attached at slot %d holding %q", r.key, g, w.idBytes(g))
				}
				if gi, ok := w.index.lookup(w.index.hash(acct), acct, w); !ok || gi != g {
					t.Errorf("key %q attached at slot %d, index says %d %v", r.key, g, gi, ok)
				}
				if seen[r.key] {
					t.Errorf("key %q attached twice", r.key)
				}
				seen[r.key] = true
			}
		}
	}
	for k := range w.shards {
		for key := range w.shards[k].intents {
			if seen[key] {
				t.Errorf("key %q attached and mapped", key)
			}
			seen[key] = true
		}
	}
	return n
}

// TestIntentPlacesParallel: random batches with right, stale, foreign and
// random Refs, accounts named twice, right, wrong and absent hints, and
// Forgets, two Applies at a time; after each round every intent is in its
// one place (checkPlaces) and PendingIntents yields the model's keys.
func TestIntentPlacesParallel(t *testing.T) {
	ctx := context.Background()
	const wf = "wf"
	var accts []string
	for i := range 64 {
		accts = append(accts, fmt.Sprintf("a%d", i))
	}
	s := New()
	var mu sync.Mutex
	refs := map[string]uint64{} // last Ref seen per account (may go stale after Forget)
	var allRefs []uint64
	pending := map[string]bool{}
	rounds := 400
	if testing.Short() {
		rounds = 100
	}
	frng := rand.New(rand.NewPCG(3, 4))
	for round := range rounds {
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(g)))
				// Each goroutine has its own half of the accounts, so that the
				// model does not depend on the order of the two Applies.
				own := accts[g*32 : g*32+32]
				var b store.Batch
				for range rng.IntN(6) {
					id := own[rng.IntN(len(own))]
					st := state(id, "n", 0)
					mu.Lock()
					switch rng.IntN(4) {
					case 0:
						st.Ref = refs[id]
					case 1:
						if len(allRefs) > 0 {
							st.Ref = allRefs[rng.IntN(len(allRefs))] // another account's
						}
					case 2:
						st.Ref = uint64(rng.IntN(1 << 12))
					}
					mu.Unlock()
					b.States = append(b.States, st)
				}
				var ins []string
				for range rng.IntN(6) {
					id := own[rng.IntN(len(own))]
					k := store.ActionKey(wf, "n", id, uint32(1+rng.IntN(2)))
					b.Intents = append(b.Intents, store.Intent{Key: k, Node: "n", Account: id, Entry: 1, Items: []store.Item{{Key: k}}, Created: t0})
					ins = append(ins, k)
				}
				var res []string
				for range rng.IntN(6) {
					id := own[rng.IntN(len(own))]
					res = append(res, store.ActionKey(wf, "n", id, uint32(1+rng.IntN(2))))
				}
				b.Resolved = res
				pick := func(acct string) int32 {
					if rng.IntN(4) == 0 && len(b.States) > 0 {
						return int32(rng.IntN(len(b.States)))
					}
					for j := len(b.States) - 1; j >= 0; j-- {
						if b.States[j].Account == acct {
							return int32(j)
						}
					}
					return -1
				}
				if rng.IntN(3) != 0 {
					fillHints(&b, pick)
				}
				if err := s.Apply(ctx, wf, &b); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, st := range b.States {
					refs[st.Account] = st.Ref
					allRefs = append(allRefs, st.Ref)
				}
				for _, k := range ins {
					pending[k] = true
				}
				for _, k := range res {
					delete(pending, k)
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if round%17 == 0 {
			id := accts[frng.IntN(len(accts))]
			if err := s.Forget(ctx, wf, id); err != nil {
				t.Fatal(err)
			}
			for k := range pending {
				if a, _ := store.ActionKeyAccount(k); a == id {
					delete(pending, k)
				}
			}
		}
		checkPlaces(t, s, wf)
		got := map[string]bool{}
		for in, err := range s.PendingIntents(ctx, wf) {
			if err != nil {
				t.Fatal(err)
			}
			if got[in.Key] {
				t.Fatalf("round %d: %q yielded twice", round, in.Key)
			}
			got[in.Key] = true
		}
		if len(got) != len(pending) {
			t.Fatalf("round %d: %d pending, model %d", round, len(got), len(pending))
		}
		for k := range pending {
			if !got[k] {
				t.Fatalf("round %d: %q missing", round, k)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

// TestTombstoneRefNotAnAccount: a state whose Ref names a forgotten
// account's slot and whose id is that account's hashed id does not take
// the tombstone over, and an intent written with it is found again by key.
func TestTombstoneRefNotAnAccount(t *testing.T) {
	ctx := context.Background()
	s := New()
	b := store.Batch{States: []store.AccountState{state("a1", "n", 0)}}
	if err := s.Apply(ctx, "wf", &b); err != nil {
		t.Fatal(err)
	}
	ref := b.States[0].Ref
	if err := s.Forget(ctx, "wf", "a1"); err != nil {
		t.Fatal(err)
	}
	hid := store.HashID("a1")
	st := state(hid, "n", 0)
	st.Ref = ref
	k := store.ActionKey("wf", "n", hid, 1)
	b = store.Batch{States: []store.AccountState{st}, Intents: []store.Intent{{Key: k, Node: "n", Account: hid, Entry: 1, Items: []store.Item{{Key: k}}, Created: t0}}, IntentStates: []int32{0}}
	if err := s.Apply(ctx, "wf", &b); err != nil {
		t.Fatal(err)
	}
	checkPlaces(t, s, "wf")
	if err := s.Apply(ctx, "wf", &store.Batch{Resolved: []string{k}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for range s.PendingIntents(ctx, "wf") {
		n++
	}
	if n != 0 {
		t.Fatalf("%d intents pending after their resolution", n)
	}
	if st := b.States[0]; st.Ref == ref {
		t.Fatalf("the state was written into the tombstone's slot")
	}
}

// TestPendingIntentsSeesMovedIntent: an intent pending all along, updated
// during a PendingIntents iteration so that it moves from its slot to the
// map (another Account than its key's), is still yielded.
func TestPendingIntentsSeesMovedIntent(t *testing.T) {
	ctx := context.Background()
	s := New()
	var b store.Batch
	for i := range 2 * scanChunk {
		id := fmt.Sprintf("a%04d", i)
		b.States = append(b.States, state(id, "n", 0))
		k := store.ActionKey("wf", "n", id, 1)
		b.Intents = append(b.Intents, store.Intent{Key: k, Node: "n", Account: id, Entry: 1, Items: []store.Item{{Key: k}}, Created: t0})
	}
	if err := s.Apply(ctx, "wf", &b); err != nil {
		t.Fatal(err)
	}
	last := b.Intents[len(b.Intents)-1]
	n := 0
	for _, err := range s.PendingIntents(ctx, "wf") {
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 { // update the last one: same key, still pending, another Account
			up := last
			up.Account = "someone-else"
			up.Attempts = 1
			if err := s.Apply(ctx, "wf", &store.Batch{Intents: []store.Intent{up}}); err != nil {
				t.Fatal(err)
			}
		}
		n++
	}
	if n != 2*scanChunk {
		t.Errorf("yielded %d of %d pending intents (none was resolved)", n, 2*scanChunk)
	}
}

// TestMalformedHints: memstore refuses a batch whose state hints fail
// Batch.Validate (a count that is not the intents' or resolved keys', an
// index out of the states' range), writing nothing.
func TestMalformedHints(t *testing.T) {
	ctx := context.Background()
	k := store.ActionKey("wf", "n", "a", 1)
	in := store.Intent{Key: k, Node: "n", Account: "a", Entry: 1, Items: []store.Item{{Key: k}}, Created: t0}
	for name, b := range map[string]store.Batch{
		"intent hints too few":    {States: []store.AccountState{state("a", "n", 0)}, Intents: []store.Intent{in}, IntentStates: []int32{}},
		"intent hint too big":     {States: []store.AccountState{state("a", "n", 0)}, Intents: []store.Intent{in}, IntentStates: []int32{1}},
		"resolved hints too many": {States: []store.AccountState{state("a", "n", 0)}, Intents: []store.Intent{in}, Resolved: []string{"x"}, ResolvedStates: []int32{0, 0}},
		"resolved hint below -1":  {States: []store.AccountState{state("a", "n", 0)}, Intents: []store.Intent{in}, Resolved: []string{"x"}, ResolvedStates: []int32{-2}},
	} {
		t.Run(name, func(t *testing.T) {
			s := New()
			if err := s.Apply(ctx, "wf", &b); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Apply = %v, want ErrInvalid", err)
			}
			for range s.PendingIntents(ctx, "wf") {
				t.Fatal("a refused batch wrote an intent")
			}
			if got := getAll(t, s, "wf", b.States[:1]); got[0].Status != store.StatusNone {
				t.Fatalf("a refused batch saved a state: %+v", got[0])
			}
		})
	}
}

// fillHints sets b's state hints: pick returns the hint for an account
// (the account of an intent, or the one a resolved key names).
func fillHints(b *store.Batch, pick func(acct string) int32) {
	for _, in := range b.Intents {
		b.IntentStates = append(b.IntentStates, pick(in.Account))
	}
	for _, k := range b.Resolved {
		acct, _ := store.ActionKeyAccount(k)
		b.ResolvedStates = append(b.ResolvedStates, pick(acct))
	}
}
