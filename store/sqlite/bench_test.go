package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/playgraph/playgraph/internal/gen"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
	"github.com/playgraph/playgraph/store/sqlite"
)

var benchT0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

const (
	entryAccounts = 100_000
	entryChunk    = 1024 // the engine's default BatchSize
)

// entryRun is one entry run of n accounts in segment order through
// start → decide → linkedin-ad (an action) → timer-14d, written as the
// engine writes it, chunk by chunk: a first batch records each account
// active at the action with its intent (before the send) and the audit
// rows of the two transitions so far; a second resolves the intents and
// leaves each account waiting at the timer with a four-step path, with the
// audit row of the third transition. Each account makes three transitions
// (a state and an audit row each, the states of a chunk written together)
// plus one intent and its resolution.
func entryRun(tb testing.TB, s store.StateStore, wf string, ids []string) {
	ctx := context.Background()
	now := benchT0
	run := wf + "-run"
	const ad = "linkedin-ad"
	a := &store.Batch{}
	b := &store.Batch{}
	keys := make([]string, entryChunk)
	for off := 0; off < len(ids); off += entryChunk {
		chunk := ids[off:min(off+entryChunk, len(ids))]
		a.States, a.Intents, a.Audit = a.States[:0], a.Intents[:0], a.Audit[:0]
		for i, id := range chunk {
			keys[i] = "pg1:" + wf + ":" + ad + ":1:" + id
			a.States = append(a.States, store.AccountState{
				Account: id, Status: store.StatusActive, Node: ad, Entry: 1, EnteredAt: now,
				Path: []store.Step{{Node: "start", At: now, Out: "next"}, {Node: "decide-competitors", At: now, Out: "yes"}, {Node: ad, At: now}},
			})
			a.Intents = append(a.Intents, store.Intent{Key: keys[i], Node: ad, Account: id, Entry: 1, Created: now,
				Items: []store.Item{{Key: keys[i]}}})
			a.Audit = append(a.Audit,
				store.AuditRow{Run: run, Account: id, Node: "start", Event: "took", Detail: "next", At: now},
				store.AuditRow{Run: run, Account: id, Node: "decide-competitors", Event: "took", Detail: "yes", At: now})
		}
		if err := s.Apply(ctx, wf, a); err != nil {
			tb.Fatal(err)
		}
		b.States, b.Resolved, b.Audit = b.States[:0], b.Resolved[:0], b.Audit[:0]
		for i := range chunk {
			st := a.States[i] // with the Ref the store assigned
			st.Status, st.Node, st.WakeAt = store.StatusWaiting, "timer-14d", now.Add(14*24*time.Hour)
			st.Path = append(st.Path[:2:2], store.Step{Node: ad, At: now, Out: "next"}, store.Step{Node: "timer-14d", At: now})
			b.States = append(b.States, st)
			b.Resolved = append(b.Resolved, keys[i])
			b.Audit = append(b.Audit, store.AuditRow{Run: run, Account: st.Account, Node: ad, Event: "took", Detail: "next", At: now})
		}
		if err := s.Apply(ctx, wf, b); err != nil {
			tb.Fatal(err)
		}
	}
}

func genIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = gen.ID(i)
	}
	return ids
}

func fileSize(tb testing.TB, path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkApplyEntry runs the same entry run (entryRun: 100k accounts,
// three transitions each) against memstore and against this package's
// store with each synchronous level; one op is one whole run into a fresh
// workflow. It reports transitions/s and accounts/s, and for SQLite the
// file's bytes per account after a checkpoint (states, the run's audit
// rows, the emptied intents table).
func BenchmarkApplyEntry(b *testing.B) {
	ids := genIDs(entryAccounts)
	report := func(b *testing.B) {
		sec := b.Elapsed().Seconds()
		b.ReportMetric(float64(b.N*entryAccounts*3)/sec, "transitions/s")
		b.ReportMetric(float64(b.N*entryAccounts)/sec, "accounts/s")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("memstore", func(b *testing.B) {
		s := memstore.New()
		n := 0
		for b.Loop() {
			entryRun(b, s, fmt.Sprintf("wf%d", n), ids)
			n++
		}
		report(b)
	})
	for _, sync := range []sqlite.Sync{sqlite.SyncFull, sqlite.SyncNormal} {
		b.Run("sqlite-"+sync.String(), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.db")
			s, err := sqlite.Open(context.Background(), path, sqlite.WithSync(sync))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			n := 0
			for b.Loop() {
				entryRun(b, s, fmt.Sprintf("wf%d", n), ids)
				n++
			}
			report(b)
			if err := s.Checkpoint(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(fileSize(b, path))/float64(n*entryAccounts), "disk-B/account")
		})
	}
}

// waitingState is an account waiting at a timer after a four-step path
// (as in memstore's BenchmarkWaitingAccountBytes: a second between steps).
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

// BenchmarkWaitingAccountBytes reports the bytes on disk one waiting
// account costs (B/account; the target is at most 300): 100k accounts
// waiting at a timer with four-step paths, stored in batches of 1024, the
// file measured after a checkpoint. Each op builds a fresh file.
func BenchmarkWaitingAccountBytes(b *testing.B) {
	ids := genIDs(entryAccounts)
	var per float64
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "bytes.db")
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		batch := &store.Batch{}
		for off := 0; off < len(ids); off += entryChunk {
			batch.States = batch.States[:0]
			for _, id := range ids[off:min(off+entryChunk, len(ids))] {
				batch.States = append(batch.States, waitingState(id))
			}
			if err := s.Apply(context.Background(), "wf", batch); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Checkpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
		per = float64(fileSize(b, path)) / entryAccounts
		s.Close()
	}
	b.ReportMetric(per, "B/account")
}
