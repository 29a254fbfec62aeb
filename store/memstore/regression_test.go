package memstore

// Regression tests for defects a review of the memstore rework found (the
// first three predate it).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph/store"
)

// A batch naming an account twice, the first time with a stale Ref into
// another shard, must keep the last state.
func TestDuplicateWithStaleRefLastWins(t *testing.T) {
	ctx := context.Background()
	s := New()
	b := &store.Batch{States: []store.AccountState{state("a", "n0", 0)}}
	for i := range 64 {
		b.States = append(b.States, state(fmt.Sprintf("b%d", i), "n0", 0))
	}
	if err := s.Apply(ctx, "wf", b); err != nil {
		t.Fatal(err)
	}
	refA := b.States[0].Ref
	var other uint64
	for _, st := range b.States[1:] {
		if (st.Ref-1)&wShardMask != (refA-1)&wShardMask {
			other = st.Ref
			break
		}
	}
	first, last := state("a", "first", 0), state("a", "last", 0)
	first.Ref = other
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{first, last}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetStates(ctx, "wf", []string{"a"})
	if got[0].Node != "last" {
		t.Fatalf("duplicate account with wrong Ref first: kept %q, want last", got[0].Node)
	}
}

// A failed Apply must write nothing: not even the ownership of a run.
func TestFailedApplyClaimsNoRun(t *testing.T) {
	ctx := context.Background()
	s := New()
	if err := s.PutRun(ctx, store.Run{ID: "foreign", Workflow: "wf2"}); err != nil {
		t.Fatal(err)
	}
	err := s.Apply(ctx, "wf1", &store.Batch{Audit: []store.AuditRow{{Run: "fresh", Account: "a"}, {Run: "foreign", Account: "a"}}})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Apply = %v", err)
	}
	if err := s.PutRun(ctx, store.Run{ID: "fresh", Workflow: "wf3"}); err != nil {
		t.Fatalf("failed Apply left run %q claimed: %v", "fresh", err)
	}
}

func TestEpochRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := New()
	ep := time.Unix(0, 0)
	st := store.AccountState{Account: "a", Status: store.StatusWaiting, Node: "n", Entry: 1, EnteredAt: ep, WakeAt: ep.In(time.FixedZone("x", 3600)),
		Path: []store.Step{{Node: "n", At: ep}}}
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{st}, Intents: []store.Intent{{Key: "k", Account: "a", Created: ep, Items: []store.Item{{Key: "k"}}}}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetStates(ctx, "wf", []string{"a"})
	if got[0].EnteredAt.IsZero() || !got[0].EnteredAt.Equal(ep) || !got[0].WakeAt.Equal(ep) || !got[0].Path[0].At.Equal(ep) {
		t.Fatalf("epoch: %+v", got[0])
	}
	for in := range s.PendingIntents(ctx, "wf") {
		if !in.Created.Equal(ep) || in.Created.IsZero() {
			t.Fatalf("intent created %v", in.Created)
		}
	}
}

// Concurrent Applies with intents, PendingIntents and Forget: run with -race.
func TestConcurrentIntentsAcrossShards(t *testing.T) {
	ctx := context.Background()
	s := New()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 200 {
				var b store.Batch
				for i := range 20 {
					k := fmt.Sprintf("g%d-r%d-%d", g, r, i)
					acc := fmt.Sprintf("acc%d", i)
					b.States = append(b.States, store.AccountState{Account: acc, Status: store.StatusActive, Node: "n", Entry: 1, EnteredAt: t0.Add(time.Duration(r) * time.Second), Reason: fmt.Sprintf("r%d", r%7)})
					b.Intents = append(b.Intents, store.Intent{Key: k, Account: acc, Created: t0.Add(time.Duration(r) * time.Second), Items: []store.Item{{Key: k}}})
					if r > 0 {
						b.Resolved = append(b.Resolved, fmt.Sprintf("g%d-r%d-%d", g, r-1, i))
					}
				}
				b.Audit = []store.AuditRow{{Run: fmt.Sprintf("run%d", g), Account: "acc1", At: t0}}
				if err := s.Apply(ctx, "wf", &b); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	stop := make(chan struct{})
	var rg sync.WaitGroup
	rg.Add(1)
	go func() {
		defer rg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for range s.PendingIntents(ctx, "wf") {
			}
			_ = s.Forget(ctx, "wf", "acc3")
			_, _ = s.Audit(ctx, "run1", 0, 0)
		}
	}()
	wg.Wait()
	close(stop)
	rg.Wait()
	// Each writer resolved all but its last round's 20 intents; Forget may
	// have taken acc3's last one from any writer.
	n := 0
	for in, err := range s.PendingIntents(ctx, "wf") {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(in.Key, "-r199-") {
			t.Fatalf("intent %s of an earlier round is still pending", in.Key)
		}
		n++
	}
	if n < 76 || n > 80 {
		t.Fatalf("%d intents pending, want 76 to 80", n)
	}
}

// A batch refused for having too many names leaves the name table as it
// found it: a later valid batch with a new name is accepted.
func TestRefusedApplyTakesBackNames(t *testing.T) {
	ctx := context.Background()
	s := New()
	var b store.Batch
	for i := range 400 {
		st := state(fmt.Sprintf("a%d", i), "n", 0)
		for k := range 100 {
			st.Path = append(st.Path, store.Step{Node: fmt.Sprintf("n%d-%d", i, k), Out: fmt.Sprintf("o%d-%d", i, k)})
		}
		b.States = append(b.States, st)
	}
	if err := s.Apply(ctx, "wf", &b); err == nil {
		t.Fatal("want error")
	}
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state("x", "brand-new-node", 0)}}); err != nil {
		t.Fatalf("a valid batch after a refused one: %v", err)
	}
}

// A batch refused because an audit row's run belongs to another workflow
// interns nothing either.
func TestFailedApplyInternsNothing(t *testing.T) {
	ctx := context.Background()
	s := New()
	if err := s.PutRun(ctx, store.Run{ID: "foreign", Workflow: "wf2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, "wf1", &store.Batch{States: []store.AccountState{state("a", "n", 0)}}); err != nil {
		t.Fatal(err)
	}
	st := state("b", "brand-new-node", 0)
	st.EnteredAt = t0.Add(time.Hour)
	err := s.Apply(ctx, "wf1", &store.Batch{States: []store.AccountState{st}, Audit: []store.AuditRow{{Run: "foreign", Account: "b"}}})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Apply = %v, want ErrInvalid", err)
	}
	w := s.rlockWF("wf1")
	defer w.mu.Unlock()
	if _, ok := w.names.ids["brand-new-node"]; ok {
		t.Fatal("a refused batch left its node name interned")
	}
	if _, ok := w.times.ids[t0.Add(time.Hour).UnixNano()]; ok {
		t.Fatal("a refused batch left its time interned")
	}
}

// A workflow whose shards are full refuses more accounts with ErrInvalid
// instead of wrapping slot numbers or id positions.
func TestFullWorkflowRefusesAccounts(t *testing.T) {
	ctx := context.Background()
	for _, used := range []uint64{uint64(maxShardSlots-1) << 32, maxArenaChunks} {
		s := New()
		if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state("a", "n", 0)}}); err != nil {
			t.Fatal(err)
		}
		w := s.rlockWF("wf")
		w.shards[5].used.Store(used) // as if shard 5 were full
		w.mu.Unlock()
		err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state("b", "n", 0)}})
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("used %#x: Apply = %v, want ErrInvalid", used, err)
		}
		if got, _ := s.GetStates(ctx, "wf", []string{"b"}); got[0].Status != store.StatusNone {
			t.Fatalf("a refused batch wrote %+v", got[0])
		}
	}
}

// Applies in progress reserve their room: two that each fit alone but not
// together cannot both pass.
func TestReserveCountsApplies(t *testing.T) {
	s := New()
	if err := s.Apply(context.Background(), "wf", &store.Batch{States: []store.AccountState{state("a", "n", 0)}}); err != nil {
		t.Fatal(err)
	}
	w := s.rlockWF("wf")
	defer w.mu.Unlock()
	w.shards[9].used.Store(uint64(maxShardSlots-150) << 32) // room for 149 more
	if !w.reserve(100) {
		t.Fatal("100 accounts do not fit in 149")
	}
	if w.reserve(100) {
		t.Fatal("a second 100 fit while the first 100 were reserved")
	}
	w.unreserve(100)
	if !w.reserve(100) {
		t.Fatal("100 accounts do not fit once the first reservation is given back")
	}
	w.unreserve(100)
}

// A new account takes its place in the scan order at its first occurrence
// in a batch, also when that copy carries a stale Ref naming another
// shard's account and a later copy is the one stored: [x (Ref of z), y, x]
// scanned y before x.
func TestStaleRefRepeatKeepsFirstOccurrence(t *testing.T) {
	ctx := context.Background()
	s := New()
	zs := &store.Batch{}
	for i := range 16 {
		zs.States = append(zs.States, state(fmt.Sprintf("z%02d", i), "n0", 0))
	}
	if err := s.Apply(ctx, "wf", zs); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, z := range zs.States {
		want = append(want, z.Account)
	}
	for i, z := range zs.States {
		x, y := fmt.Sprintf("x%02d", i), fmt.Sprintf("y%02d", i)
		stale := state(x, "n0", 0)
		stale.Ref = z.Ref
		b := &store.Batch{States: []store.AccountState{stale, state(y, "n0", 0), state(x, "n1", 0)}}
		if err := s.Apply(ctx, "wf", b); err != nil {
			t.Fatal(err)
		}
		want = append(want, x, y)
	}
	var got []string
	for st, err := range s.ScanStates(ctx, "wf") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, st.Account)
		if strings.HasPrefix(st.Account, "x") && st.Node != "n1" {
			t.Errorf("%s at %s, want the batch's last state (n1)", st.Account, st.Node)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("scan order\n got %v\nwant %v", got, want)
	}
}
