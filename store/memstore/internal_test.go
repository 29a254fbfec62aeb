package memstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

var t0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

func state(id, node string, steps int) store.AccountState {
	st := store.AccountState{Account: id, Status: store.StatusWaiting, Node: node, Entry: 1, EnteredAt: t0}
	for k := range steps {
		st.Path = append(st.Path, store.Step{Node: fmt.Sprintf("n%d", k), At: t0.Add(time.Duration(k) * time.Second), Out: "o"})
	}
	return st
}

func TestSlotHasNoPointers(t *testing.T) {
	var walk func(reflect.Type) bool
	walk = func(ty reflect.Type) bool {
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				if !walk(ty.Field(i).Type) {
					return false
				}
			}
			return true
		case reflect.Array:
			return walk(ty.Elem())
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return true
		}
		return false
	}
	if !walk(reflect.TypeFor[slot]()) {
		t.Fatal("slot holds a pointer: the garbage collector would scan every slot")
	}
	if sz := reflect.TypeFor[slot]().Size(); sz > 64 {
		t.Fatalf("slot is %d bytes, want at most 64", sz)
	}
}

// TestIndexAgainstModel inserts, forgets and re-enters accounts at random
// and checks every look-up against a map, exercising growth and the
// backward-shift deletion of the id index.
func TestIndexAgainstModel(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	ctx := context.Background()
	s := New()
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string]store.Status{} // live accounts → status; forgotten → StatusForgotten
	for round := range 4 {
		var b store.Batch
		for i := range n {
			id := fmt.Sprintf("a-%d", rng.IntN(n*2))
			st := state(id, fmt.Sprintf("node-%d", round), i%7)
			b.States = append(b.States, st)
			model[id] = st.Status
			if len(b.States) == 500 {
				if err := s.Apply(ctx, "wf", &b); err != nil {
					t.Fatal(err)
				}
				b.States = b.States[:0]
			}
		}
		if err := s.Apply(ctx, "wf", &b); err != nil {
			t.Fatal(err)
		}
		for id := range model {
			if rng.IntN(4) == 0 {
				if err := s.Forget(ctx, "wf", id); err != nil {
					t.Fatal(err)
				}
				model[id] = store.StatusForgotten
			}
		}
	}
	var all []string
	for id := range model {
		all = append(all, id)
	}
	all = append(all, "never-1", "never-2")
	got, err := s.GetStates(ctx, "wf", all)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range all {
		want := model[id]
		if got[i].Status != want || got[i].Account != id {
			t.Fatalf("%s: status %v, want %v", id, got[i].Status, want)
		}
	}
	live, tombs := 0, 0
	for st, err := range s.ScanStates(ctx, "wf") {
		if err != nil {
			t.Fatal(err)
		}
		if st.Status == store.StatusForgotten {
			tombs++
		} else {
			live++
		}
	}
	wantLive, wantTombs := 0, 0
	for _, st := range model {
		if st == store.StatusForgotten {
			wantTombs++
		} else {
			wantLive++
		}
	}
	if live != wantLive || tombs != wantTombs {
		t.Fatalf("scan: %d live, %d tombstones; want %d, %d", live, tombs, wantLive, wantTombs)
	}
	w := s.wf("wf")
	indexed := 0
	for i := range w.index.shards {
		indexed += w.index.shards[i].n
	}
	if indexed != wantLive {
		t.Fatalf("index holds %d ids, want %d", indexed, wantLive)
	}
}

func TestLongPathsAndReasons(t *testing.T) {
	ctx := context.Background()
	s := New()
	// More distinct reasons than are interned: the rest go to a side map.
	var b store.Batch
	for i := range maxReasons + 100 {
		st := state(fmt.Sprintf("a%d", i), "x", 3+i%5)
		st.Status, st.Reason = store.StatusExited, fmt.Sprintf("reason %d", i)
		b.States = append(b.States, st)
	}
	if err := s.Apply(ctx, "wf", &b); err != nil {
		t.Fatal(err)
	}
	check := func(want []store.AccountState) {
		t.Helper()
		ids := make([]string, len(want))
		for i := range want {
			ids[i] = want[i].Account
		}
		got, err := s.GetStates(ctx, "wf", ids)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Reason != w.Reason || len(g.Path) != len(w.Path) || g.Node != w.Node {
				t.Fatalf("%s: got %+v, want %+v", w.Account, g, w)
			}
			for k := range w.Path {
				if g.Path[k].Node != w.Path[k].Node || !g.Path[k].At.Equal(w.Path[k].At) || g.Path[k].Out != w.Path[k].Out {
					t.Fatalf("%s: step %d = %+v, want %+v", w.Account, k, g.Path[k], w.Path[k])
				}
			}
		}
	}
	check(b.States)
	// Shrink, grow and clear paths and reasons in place.
	for i := range b.States {
		st := &b.States[i]
		st.Path = state("", "", (i*3)%9).Path
		if i%2 == 0 {
			st.Reason = ""
		}
	}
	if err := s.Apply(ctx, "wf", &b); err != nil {
		t.Fatal(err)
	}
	check(b.States)
	w := s.wf("wf")
	side := 0
	for k := range w.shards {
		side += len(w.shards[k].reasonSide)
	}
	if side > 100 {
		t.Fatalf("side map holds %d reasons, want at most 100", side)
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	s := New()
	long := state(strings.Repeat("x", maxIDLen+1), "n", 0)
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state("ok", "n", 0), long}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("over-long id: %v", err)
	}
	far := state("far", "n", 0)
	far.WakeAt = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{far}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("time out of range: %v", err)
	}
	// Running out of names writes nothing.
	var b store.Batch
	for i := range 400 { // 400 × 200 distinct path names
		st := state(fmt.Sprintf("a%d", i), "n", 0)
		for k := range 100 {
			st.Path = append(st.Path, store.Step{Node: fmt.Sprintf("n%d-%d", i, k), Out: fmt.Sprintf("o%d-%d", i, k)})
		}
		b.States = append(b.States, st)
	}
	if err := s.Apply(ctx, "wf", &b); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("too many names: %v", err)
	}
	got, err := s.GetStates(ctx, "wf", []string{"ok", "a0"})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Status != store.StatusNone || got[1].Status != store.StatusNone {
		t.Fatalf("a refused batch wrote %+v", got)
	}
}

func TestForgetErasesIDBytes(t *testing.T) {
	ctx := context.Background()
	s := New()
	id := "secret-account-id-42"
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state(id, "n", 2), state("other", "n", 2)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Forget(ctx, "wf", id); err != nil {
		t.Fatal(err)
	}
	w := s.wf("wf")
	for k := range w.shards {
		for _, ch := range w.shards[k].ids.chunks {
			if bytes.Contains(ch, []byte(id)) {
				t.Fatal("the forgotten id is still in the arena")
			}
		}
	}
}

// TestForgetTombstoneIDs forgets a short id (its hash needs new arena
// room) and a long one (the hash takes the id's place): both tombstones
// name HashID(id), and both accounts can enter again.
func TestForgetTombstoneIDs(t *testing.T) {
	ctx := context.Background()
	s := New()
	short, long := "a", strings.Repeat("long-account-id-", 4)
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state(short, "n", 1), state(long, "n", 1)}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{short, long} {
		if err := s.Forget(ctx, "wf", id); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for st, err := range s.ScanStates(ctx, "wf", store.StatusForgotten) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, st.Account)
	}
	want := []string{store.HashID(short), store.HashID(long)}
	if !slices.Equal(got, want) {
		t.Fatalf("tombstones = %v, want %v", got, want)
	}
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state(short, "m", 1), state(long, "m", 1)}}); err != nil {
		t.Fatal(err)
	}
	sts, err := s.GetStates(ctx, "wf", []string{short, long})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range sts {
		if st.Status != store.StatusWaiting || st.Node != "m" || st.Account != []string{short, long}[i] {
			t.Fatalf("state %d after re-entry = %+v", i, st)
		}
	}
}

// TestForgetFullArena forgets an account whose hashed id does not fit in
// place when its shard's arena has no room: Forget fails with ErrInvalid
// and the account's state is untouched.
func TestForgetFullArena(t *testing.T) {
	ctx := context.Background()
	s := New()
	if err := s.Apply(ctx, "wf", &store.Batch{States: []store.AccountState{state("a", "n", 1)}}); err != nil {
		t.Fatal(err)
	}
	w := s.wf("wf")
	sh := &w.shards[s.wf("wf").index.hash("a")&wShardMask]
	real := sh.ids.chunks
	sh.ids.chunks = append(slices.Clip(real), make([][]byte, maxArenaChunks-len(real))...)
	err := s.Forget(ctx, "wf", "a")
	sh.ids.chunks = real
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Forget with a full arena: %v, want ErrInvalid", err)
	}
	sts, err := s.GetStates(ctx, "wf", []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if sts[0].Status != store.StatusWaiting || sts[0].Node != "n" {
		t.Fatalf("state after a refused Forget = %+v", sts[0])
	}
}

func TestDeleteWorkflowClearsEverything(t *testing.T) {
	ctx := context.Background()
	s := New()
	if err := s.PutRun(ctx, store.Run{ID: "r1", Workflow: "wf", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, "wf", &store.Batch{
		States:  []store.AccountState{state("a", "n", 1)},
		Intents: []store.Intent{{Key: "k", Account: "a", Node: "n"}},
		Audit:   []store.AuditRow{{Run: "r1", Account: "a"}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWorkflow(ctx, "wf"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRun after delete: %v", err)
	}
	if _, err := s.Audit(ctx, "r1", 0, 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Audit after delete: %v", err)
	}
	got, _ := s.GetStates(ctx, "wf", []string{"a"})
	if got[0].Status != store.StatusNone {
		t.Fatalf("state after delete: %+v", got[0])
	}
	for range s.PendingIntents(ctx, "wf") {
		t.Fatal("an intent survived DeleteWorkflow")
	}
	// The run id may be used by another workflow now.
	if err := s.PutRun(ctx, store.Run{ID: "r1", Workflow: "wf2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRun(ctx, store.Run{ID: "r1", Workflow: "wf3"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("moving a run to another workflow: %v", err)
	}
}

// TestConcurrentWorkflows runs writers and readers on several workflows at
// once, with deletes, under the race detector.
func TestConcurrentWorkflows(t *testing.T) {
	ctx := context.Background()
	s := New()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			wf := fmt.Sprintf("wf%d", g%2)
			for r := range 50 {
				var b store.Batch
				for i := range 50 {
					b.States = append(b.States, state(fmt.Sprintf("a%d", i), fmt.Sprintf("n%d", r), 3))
				}
				b.Audit = []store.AuditRow{{Run: wf + "-run", Account: "a0", At: t0}}
				if err := s.Apply(ctx, wf, &b); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.GetStates(ctx, wf, []string{"a1", "a2"}); err != nil {
					t.Error(err)
					return
				}
				for _, err := range s.ScanStates(ctx, wf) {
					if err != nil {
						t.Error(err)
						return
					}
				}
				if r%10 == 0 {
					_ = s.DeleteWorkflow(ctx, wf)
				}
				_ = s.Forget(ctx, wf, "a3")
				_, _ = s.Counts(ctx, wf)
			}
		})
	}
	wg.Wait()
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New()
	if err := s.Apply(ctx, "wf", &store.Batch{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply: %v", err)
	}
	for _, err := range s.ScanStates(ctx, "wf") {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ScanStates: %v", err)
		}
	}
}

// TestLongAuditLog pages through a log that spans several chunks, before
// and after forgetting an account, against a plain slice.
func TestLongAuditLog(t *testing.T) {
	ctx := context.Background()
	s := New()
	const wf, run = "wf", "r1"
	if err := s.PutRun(ctx, store.Run{ID: run, Workflow: wf}); err != nil {
		t.Fatal(err)
	}
	var want []store.AuditRow
	for b := range 7 {
		var batch store.Batch
		for i := range 700 {
			row := store.AuditRow{Run: run, Account: fmt.Sprintf("a%d", i%13), Node: fmt.Sprintf("n%d", i%3),
				Event: "entered", Detail: fmt.Sprintf("%d-%d", b, i), At: t0.Add(time.Duration(b*700+i) * time.Second)}
			batch.Audit = append(batch.Audit, row)
			want = append(want, row)
		}
		if err := s.Apply(ctx, wf, &batch); err != nil {
			t.Fatal(err)
		}
	}
	check := func(want []store.AuditRow) {
		t.Helper()
		for _, pg := range [][2]int{{0, 0}, {0, 1}, {1023, 2}, {1024, 1025}, {2047, 0}, {len(want) - 1, 5}, {len(want), 3}, {len(want) + 9, 0}} {
			got, err := s.Audit(ctx, run, pg[0], pg[1])
			if err != nil {
				t.Fatal(err)
			}
			lo := min(pg[0], len(want))
			hi := len(want)
			if pg[1] > 0 {
				hi = min(hi, lo+pg[1])
			}
			if !reflect.DeepEqual(got, want[lo:hi]) && !(len(got) == 0 && lo == hi) {
				t.Fatalf("Audit(%d, %d): %d rows, want %d (first %+v)", pg[0], pg[1], len(got), hi-lo, got[:min(1, len(got))])
			}
		}
	}
	check(want)
	if err := s.Forget(ctx, wf, "a5"); err != nil {
		t.Fatal(err)
	}
	kept := want[:0:0]
	for _, r := range want {
		if r.Account != "a5" {
			kept = append(kept, r)
		}
	}
	check(kept)
	// Rows appended after a forget land after the kept ones.
	extra := store.AuditRow{Run: run, Account: "late", Event: "took", At: t0}
	if err := s.Apply(ctx, wf, &store.Batch{Audit: []store.AuditRow{extra}}); err != nil {
		t.Fatal(err)
	}
	check(append(kept, extra))
}

// TestTimesRoundTrip stores states whose every time is distinct (and some
// zero, some shared, some far apart) and reads them back exactly: slots
// keep times as indexes into the workflow's table of distinct times.
func TestTimesRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := New()
	r := rand.New(rand.NewPCG(7, 9))
	var want []store.AccountState
	for b := range 4 {
		var batch store.Batch
		for i := range 500 {
			tm := func() time.Time {
				switch r.IntN(5) {
				case 0:
					return time.Time{}
				case 1:
					return t0 // shared by many states
				case 2:
					return time.Unix(0, r.Int64()).UTC() // anywhere in range
				default:
					return t0.Add(time.Duration(r.Int64N(1e15)))
				}
			}
			st := store.AccountState{Account: fmt.Sprintf("a%d-%d", b, i), Status: store.StatusWaiting, Node: "wait",
				Entry: 1, EnteredAt: tm(), WakeAt: tm()}
			for k := range r.IntN(7) {
				st.Path = append(st.Path, store.Step{Node: fmt.Sprintf("n%d", k), At: tm()})
			}
			batch.States = append(batch.States, st)
			want = append(want, st)
		}
		if err := s.Apply(ctx, "wf", &batch); err != nil {
			t.Fatal(err)
		}
	}
	got := getAll(t, s, "wf", want)
	for i := range want {
		g, w := got[i], want[i]
		if !g.EnteredAt.Equal(w.EnteredAt) || !g.WakeAt.Equal(w.WakeAt) || g.EnteredAt.IsZero() != w.EnteredAt.IsZero() || len(g.Path) != len(w.Path) {
			t.Fatalf("state %s: got entered %v wake %v path %d, want %v %v %d", w.Account, g.EnteredAt, g.WakeAt, len(g.Path), w.EnteredAt, w.WakeAt, len(w.Path))
		}
		for k := range w.Path {
			if !g.Path[k].At.Equal(w.Path[k].At) || g.Path[k].At.IsZero() != w.Path[k].At.IsZero() || g.Path[k].Node != w.Path[k].Node {
				t.Fatalf("state %s step %d: got %+v, want %+v", w.Account, k, g.Path[k], w.Path[k])
			}
		}
	}
	// The table holds each distinct time once.
	w := s.rlockWF("wf")
	defer w.mu.Unlock()
	seen := map[int64]bool{}
	for _, v := range w.times.list[1:] {
		if seen[v] {
			t.Fatalf("time %d interned twice", v)
		}
		seen[v] = true
	}
}

// TestInternCachesPerWorkflow applies the same name and time values to two
// workflows in turn, and to a workflow deleted and created again: each
// workflow interns them in its own tables, and what an Apply remembers of
// one workflow's tables is never used for another's.
func TestInternCachesPerWorkflow(t *testing.T) {
	ctx := context.Background()
	s := New()
	x, y := "x-node", "y-node"
	later := t0.Add(time.Hour)
	mk := func(node, out string, at time.Time) *store.Batch {
		return &store.Batch{States: []store.AccountState{{
			Account: "acc", Status: store.StatusActive, Node: node, Entry: 1, EnteredAt: at,
			Path: []store.Step{{Node: node, At: at, Out: out}}, Reason: out,
		}}}
	}
	check := func(wf, node, out string, at time.Time) {
		t.Helper()
		got, err := s.GetStates(ctx, wf, []string{"acc"})
		if err != nil {
			t.Fatal(err)
		}
		g := got[0]
		if g.Node != node || len(g.Path) != 1 || g.Path[0].Node != node || g.Path[0].Out != out || !g.EnteredAt.Equal(at) || !g.Path[0].At.Equal(at) || g.Reason != out {
			t.Fatalf("%s: got %+v, want node %s out %s at %v", wf, g, node, out, at)
		}
	}
	for range 3 {
		// Workflow a interns x first, b interns y first: their indexes differ.
		if err := s.Apply(ctx, "a", mk(x, y, t0)); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(ctx, "b", mk(y, x, later)); err != nil {
			t.Fatal(err)
		}
		check("a", x, y, t0)
		check("b", y, x, later)
		if err := s.DeleteWorkflow(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(ctx, "a", mk(y, x, later)); err != nil {
			t.Fatal(err)
		}
		check("a", y, x, later)
		if err := s.DeleteWorkflow(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEventsAcrossShards reads the events of many accounts at once (ids in
// every shard, some repeated, some without events), before and after
// forgetting, against what was added; the no-events fast path must not
// hide events.
func TestEventsAcrossShards(t *testing.T) {
	ctx := context.Background()
	s := New()
	ids := make([]string, 0, 600)
	for i := range 300 {
		ids = append(ids, fmt.Sprintf("acc-%d", i))
	}
	ids = append(ids, ids[:300]...) // every id twice
	got, err := s.Events(ctx, ids, time.Time{})
	if err != nil || len(got) != 0 {
		t.Fatalf("Events of an empty store = %v, %v", got, err)
	}
	var evs []audience.Event
	for i := 0; i < 300; i += 3 {
		evs = append(evs, audience.Event{AccountID: fmt.Sprintf("acc-%d", i), Kind: audience.KindClick, Channel: "linkedin_ad", At: t0.Add(time.Duration(i) * time.Minute)})
	}
	if err := s.AddEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	check := func(forgotten map[string]bool) {
		t.Helper()
		got, err := s.Events(ctx, ids, t0.Add(30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, e := range evs {
			if e.At.Before(t0.Add(30*time.Minute)) || forgotten[e.AccountID] {
				continue
			}
			want++
			g := got[e.AccountID]
			if len(g) != 1 || !g[0].At.Equal(e.At) || g[0].AccountID != e.AccountID {
				t.Fatalf("events of %s = %+v, want [%+v]", e.AccountID, g, e)
			}
		}
		if len(got) != want {
			t.Fatalf("Events returned %d accounts, want %d", len(got), want)
		}
	}
	check(nil)
	forgotten := map[string]bool{}
	for _, e := range evs {
		if err := s.Forget(ctx, "wf", e.AccountID); err != nil {
			t.Fatal(err)
		}
		forgotten[e.AccountID] = true
		if len(forgotten)%25 == 0 {
			check(forgotten)
		}
	}
	if n := s.eventAccounts.Load(); n != 0 {
		t.Fatalf("%d accounts with events after forgetting them all", n)
	}
}

// TestInternSharedSteps stores states whose path steps share name strings
// and times with the previous state's in every combination (same names and
// time, same names and another time, other names and the same time) and
// reads each back exactly.
func TestInternSharedSteps(t *testing.T) {
	ctx := context.Background()
	s := New()
	names := []string{"start", "which", "linkedin", "wait"}
	alike := []string{"begin", "whose", "linkedup", "halt"} // same lengths, other names
	outs := []string{"next", "Other", "next", ""}
	r := rand.New(rand.NewPCG(1, 2))
	var batch store.Batch
	for i := range 300 {
		st := store.AccountState{Account: fmt.Sprintf("a%d", i), Status: store.StatusWaiting, Node: "wait", Entry: 1, EnteredAt: t0}
		for k := range 1 + r.IntN(4) {
			node, out, at := names[k], outs[k], t0
			switch r.IntN(5) {
			case 4:
				node = alike[k]
			case 1:
				at = t0.Add(time.Duration(r.IntN(3)) * time.Hour)
			case 2:
				node = strings.Clone(node) // same bytes, another string
			case 3:
				out = fmt.Sprintf("o%d", r.IntN(3))
			}
			st.Path = append(st.Path, store.Step{Node: node, At: at, Out: out})
		}
		batch.States = append(batch.States, st)
	}
	want := slices.Clone(batch.States)
	if err := s.Apply(ctx, "wf", &batch); err != nil {
		t.Fatal(err)
	}
	got := getAll(t, s, "wf", want)
	for i := range want {
		if len(got[i].Path) != len(want[i].Path) {
			t.Fatalf("%s: path %v, want %v", want[i].Account, got[i].Path, want[i].Path)
		}
		for k, w := range want[i].Path {
			g := got[i].Path[k]
			if g.Node != w.Node || g.Out != w.Out || !g.At.Equal(w.At) {
				t.Fatalf("%s step %d: %+v, want %+v", want[i].Account, k, g, w)
			}
		}
	}
}

// getAll reads back the states of the accounts of want, in want's order.
func getAll(t *testing.T, s *Store, wf string, want []store.AccountState) []store.AccountState {
	t.Helper()
	ids := make([]string, len(want))
	for i := range want {
		ids[i] = want[i].Account
	}
	got, err := s.GetStates(context.Background(), wf, ids)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestInternSameShape: a batch's states mostly differ from the one before
// only by account (intern reuses what that one interned where it can);
// here each field changes now and then (node, reason, either time, a path step, the
// path's length, a name with the same bytes in another string), and every
// state reads back as written.
func TestInternSameShape(t *testing.T) {
	ctx := context.Background()
	s := New()
	r := rand.New(rand.NewPCG(5, 6))
	node, reason := "wait", ""
	entered, wake := t0, t0.AddDate(0, 0, 14)
	path := []store.Step{{Node: "start", At: t0, Out: "next"}, {Node: "which", At: t0, Out: "Other"}, {Node: "wait", At: t0}}
	var batch store.Batch
	for i := range 400 {
		switch r.IntN(12) {
		case 0:
			node = []string{"wait", "linkedin", "which"}[r.IntN(3)]
		case 1:
			reason = []string{"", "timed out", "gave up"}[r.IntN(3)]
		case 2:
			entered = t0.Add(time.Duration(r.IntN(3)) * time.Hour)
		case 3:
			wake = t0.AddDate(0, 0, r.IntN(3))
		case 4:
			path = slices.Clone(path)
			path[r.IntN(len(path))].Out = fmt.Sprintf("o%d", r.IntN(3))
		case 5:
			path = slices.Clone(path)
			if len(path) > 1 && r.IntN(2) == 0 {
				path = path[:len(path)-1]
			} else {
				path = append(path, store.Step{Node: "n", At: t0.Add(time.Minute)})
			}
		case 6:
			node = strings.Clone(node)
		}
		batch.States = append(batch.States, store.AccountState{Account: fmt.Sprintf("a%d", i), Status: store.StatusWaiting,
			Node: node, Reason: reason, Entry: 1, EnteredAt: entered, WakeAt: wake, Path: path})
	}
	want := slices.Clone(batch.States)
	if err := s.Apply(ctx, "wf", &batch); err != nil {
		t.Fatal(err)
	}
	got := getAll(t, s, "wf", want)
	for i := range want {
		g, w := got[i], want[i]
		if g.Node != w.Node || g.Reason != w.Reason || !g.EnteredAt.Equal(w.EnteredAt) || !g.WakeAt.Equal(w.WakeAt) || len(g.Path) != len(w.Path) {
			t.Fatalf("%s: %+v, want %+v", w.Account, g, w)
		}
		for k := range w.Path {
			if gs, ws := g.Path[k], w.Path[k]; gs.Node != ws.Node || gs.Out != ws.Out || !gs.At.Equal(ws.At) {
				t.Fatalf("%s step %d: %+v, want %+v", w.Account, k, gs, ws)
			}
		}
	}
}
