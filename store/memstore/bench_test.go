package memstore_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/playgraph/playgraph/internal/gen"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

var benchT0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// waitingState is the i-th generated account waiting at a timer after a
// four-step path.
func waitingState(id string) store.AccountState {
	return store.AccountState{
		Account: id, Status: store.StatusWaiting, Node: "timer-14d", Entry: 1,
		EnteredAt: benchT0.Add(3 * time.Second), WakeAt: benchT0.Add(14 * 24 * time.Hour),
		Path: []store.Step{
			{Node: "start", At: benchT0, Out: "next"},
			{Node: "decide-competitors", At: benchT0.Add(time.Second), Out: "yes"},
			{Node: "linkedin-ad", At: benchT0.Add(2 * time.Second), Out: "next"},
			{Node: "timer-14d", At: benchT0.Add(3 * time.Second)},
		},
	}
}

// fill stores n waiting accounts in batches of 1024 and returns their
// Refs.
func fill(tb testing.TB, s *memstore.Store, ids []string) []uint64 {
	ctx := context.Background()
	refs := make([]uint64, 0, len(ids))
	b := &store.Batch{States: make([]store.AccountState, 0, 1024)}
	for i := 0; i < len(ids); i += 1024 {
		b.States = b.States[:0]
		for _, id := range ids[i:min(i+1024, len(ids))] {
			b.States = append(b.States, waitingState(id))
		}
		if err := s.Apply(ctx, "wf", b); err != nil {
			tb.Fatal(err)
		}
		for _, st := range b.States {
			refs = append(refs, st.Ref)
		}
	}
	return refs
}

func genIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = gen.ID(i)
	}
	return ids
}

// BenchmarkWaitingAccountBytes reports the heap one waiting account costs
// (B/account: id index, slot, id bytes and a four-step path; the target is
// at most 200) with a million accounts stored. Each iteration builds a
// fresh store.
func BenchmarkWaitingAccountBytes(b *testing.B) {
	const n = 1_000_000
	ids := genIDs(n)
	var perAccount float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := memstore.New()
		fill(b, s, ids)
		runtime.GC()
		runtime.ReadMemStats(&after)
		perAccount = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perAccount, "B/account")
}

// BenchmarkApply moves accounts between two nodes in batches of 1024 (one
// op is one batch), over a million stored accounts, and reports
// ns/transition. WithRef passes back the Refs the store assigned, as the
// engine does; ByID leaves Ref zero so every state goes through the id
// index.
func BenchmarkApply(b *testing.B) {
	const n = 1 << 20
	ids := genIDs(n)
	s := memstore.New()
	refs := fill(b, s, ids)
	for _, mode := range []string{"WithRef", "ByID"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			batch := &store.Batch{States: make([]store.AccountState, 1024)}
			for i := range batch.States {
				batch.States[i] = waitingState("")
			}
			off, round := 0, 0
			for b.Loop() {
				node, out := "sep-email", "time up"
				if round%2 == 1 {
					node, out = "timer-14d", ""
				}
				for i := range batch.States {
					st := &batch.States[i]
					st.Account = ids[off+i]
					st.Ref = 0
					if mode == "WithRef" {
						st.Ref = refs[off+i]
					}
					st.Node = node
					st.Status = store.StatusActive
					st.Path[3].Out = out
				}
				if err := s.Apply(ctx, "wf", batch); err != nil {
					b.Fatal(err)
				}
				off += 1024
				if off == n {
					off, round = 0, round+1
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/transition")
		})
	}
}

// BenchmarkGetStates reads batches of 1024 states out of a million and
// reports ns/state: Hit reads stored accounts (four-step paths), Miss
// accounts never stored (an entry run's look-ups).
func BenchmarkGetStates(b *testing.B) {
	const n = 1 << 20
	ids := genIDs(2 * n)
	s := memstore.New()
	fill(b, s, ids[:n])
	ctx := context.Background()
	for _, mode := range []string{"Hit", "Miss"} {
		b.Run(mode, func(b *testing.B) {
			base, off := 0, 0
			if mode == "Miss" {
				base = n
			}
			for b.Loop() {
				if _, err := s.GetStates(ctx, "wf", ids[base+off:base+off+1024]); err != nil {
					b.Fatal(err)
				}
				off = (off + 1024) % n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/state")
		})
	}
}
