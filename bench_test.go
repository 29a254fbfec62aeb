package playgraph_test

import (
	"context"
	"iter"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/internal/gen"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store/memstore"
)

// noopConn accepts every item at once and records nothing: the benchmark
// measures the engine, not a connector.
type noopConn struct{ connector.Base }

var (
	_ connector.AudienceSyncer = (*noopConn)(nil)
	_ connector.CampaignPusher = (*noopConn)(nil)
)

// done is shared, read-only: the engine never modifies the Results a
// connector returns (connector.Resolve copies them).
var done = make([]connector.Result, 1<<16)

func allDone(n int) []connector.Result { return done[:n:n] }

func (*noopConn) AddToAudience(_ context.Context, _ string, items []connector.AccountItem) ([]connector.Result, error) {
	return allDone(len(items)), nil
}

func (*noopConn) RemoveFromAudience(_ context.Context, _ string, items []connector.AccountItem) ([]connector.Result, error) {
	return allDone(len(items)), nil
}

func (*noopConn) PushAccounts(_ context.Context, _ string, items []connector.AccountItem) ([]connector.Result, error) {
	return allDone(len(items)), nil
}

func (*noopConn) PushContacts(_ context.Context, _ string, items []connector.ContactItem) ([]connector.Result, error) {
	return allDone(len(items)), nil
}

// sliceSource serves generated accounts from a slice. Generated accounts
// have no known contacts, so Contacts returns none.
type sliceSource struct {
	accts []*audience.Account
	once  sync.Once
	byID  map[string]*audience.Account
}

func (s *sliceSource) Members(ctx context.Context) iter.Seq2[*audience.Account, error] {
	return func(yield func(*audience.Account, error) bool) {
		for i, a := range s.accts {
			if i&1023 == 0 && ctx.Err() != nil {
				yield(nil, ctx.Err())
				return
			}
			if !yield(a, nil) {
				return
			}
		}
	}
}

func (s *sliceSource) Lookup(_ context.Context, ids []string) ([]*audience.Account, error) {
	s.once.Do(func() {
		s.byID = make(map[string]*audience.Account, len(s.accts))
		for _, a := range s.accts {
			s.byID[a.ID] = a
		}
	})
	out := make([]*audience.Account, len(ids))
	for i, id := range ids {
		out[i] = s.byID[id]
	}
	return out, nil
}

func (*sliceSource) Contacts(context.Context, []string) (map[string][]audience.Contact, error) {
	return nil, nil
}

// exprPlay is the competitor research play with its branch filters written
// as expressions instead of structured conditions.
func exprPlay() *graph.Builder {
	b := plays.CompetitorResearch()
	others := `["` + plays.CROtherCompetitors[0]
	for _, c := range plays.CROtherCompetitors[1:] {
		others += `", "` + c
	}
	others += `"]`
	out := graph.New(b.Name())
	for _, n := range b.Nodes() {
		if n.NodeID() == plays.CRWhich {
			n = node.NewBranching(plays.CRWhich, n.NodeLabel()).
				Branch(plays.CRTopBranch, eval.Filter{Expr: `"` + plays.CRTopCompetitor + `" in researched_competitors`}).
				Branch(plays.CROtherBranch, eval.Filter{Expr: `any(researched_competitors, # in ` + others + `)`})
		}
		out.Add(n)
	}
	for _, e := range b.Edges() {
		out.Connect(e.From, e.Path, e.To)
	}
	return out
}

// accountsFor returns n generated accounts (seed 1), generating them once
// per size: the previous size's accounts are dropped first, so that only
// the accounts of the size being measured are live (every GC cycle scans
// them). Sizes beyond 1M are skipped under -short.
func accountsFor(b *testing.B, n int) []*audience.Account {
	if n > 1_000_000 && testing.Short() {
		b.Skip("5M accounts only without -short")
	}
	if len(benchAccounts) != n {
		benchAccounts = nil
		runtime.GC()
		benchAccounts = gen.Accounts(1, n)
	}
	return benchAccounts
}

var benchAccounts []*audience.Account

type benchSize struct {
	name string
	n    int
}

var benchSizes = []benchSize{{"100k", 100_000}, {"1M", 1_000_000}, {"5M", 5_000_000}}

var benchVariants = []struct {
	name  string
	build func() *graph.Builder
}{
	{"expr", exprPlay},
	{"structured", plays.CompetitorResearch},
}

var benchNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// BenchmarkRun measures an entry run of the competitor research play (every
// account new to the workflow) over 100k, 1M and 5M generated accounts
// (5M only without -short), memstore, no-op connectors, with the branch
// filters as expressions and as structured conditions; and beside it a
// bare loop evaluating the same compiled branch programs over the same
// accounts at the same parallelism.
//
// Metrics: accounts/s and ns/account (wall time); for engine runs also
// bare-ns/account (the bare loop measured in the same sub-benchmark, median
// of 5), bookkeeping-ns/account (engine minus bare), cpu-ns/account (the
// process's CPU time during runs, all threads), waiting (accounts left
// waiting at the timer), state-B/account and state-B/waiting (heap held by
// the store after the run, audit rows and run record dropped, per stored
// account and per waiting account).
//
// Generated accounts have no contacts, so the people-level SEP push finds
// no contact matching its persona: those accounts are recorded as skipped
// and move on with no items.
func BenchmarkRun(b *testing.B) {
	for _, sz := range benchSizes {
		for _, v := range benchVariants {
			g, err := v.build().Build()
			if err != nil {
				b.Fatal(err)
			}
			progs := g.Programs(g.Index(plays.CRWhich))
			b.Run("engine/filters="+v.name+"/accounts="+sz.name, func(b *testing.B) {
				benchEngine(b, v.build, progs, accountsFor(b, sz.n))
			})
			b.Run("bare/filters="+v.name+"/accounts="+sz.name, func(b *testing.B) {
				accts := accountsFor(b, sz.n)
				runtime.GC()
				b.ResetTimer()
				for range b.N {
					bareLoop(progs, accts)
				}
				reportRate(b, len(accts))
			})
		}
	}
}

func reportRate(b *testing.B, n int) float64 {
	total := float64(n) * float64(b.N)
	ns := float64(b.Elapsed().Nanoseconds())
	b.ReportMetric(total/(ns/1e9), "accounts/s")
	b.ReportMetric(ns/total, "ns/account")
	return ns / total
}

func benchEngine(b *testing.B, build func() *graph.Builder, progs []*eval.Program, accts []*audience.Account) {
	ctx := context.Background()
	admin := playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
	src := &sliceSource{accts: accts}
	conns := []connector.Connector{
		&noopConn{connector.NewBase("outreach", connector.Limits{})},
		&noopConn{connector.NewBase("linkedin", connector.Limits{})},
	}

	// The bare loop, measured here too so that bookkeeping compares like
	// with like (same process, same moment of a noisy machine).
	bare := make([]float64, 5)
	for k := range bare {
		t0 := time.Now()
		bareLoop(progs, accts)
		bare[k] = float64(time.Since(t0).Nanoseconds()) / float64(len(accts))
	}
	sort.Float64s(bare)

	setup := func() (*playgraph.Engine, *memstore.Store, string) {
		reg, err := connector.NewRegistry(conns...)
		if err != nil {
			b.Fatal(err)
		}
		st := memstore.New()
		e, err := playgraph.New(&playgraph.Options{
			Store: st, Clock: clock.NewFake(benchNow), Connectors: reg,
			Segments: playgraph.SegmentMap{plays.CRSegment: src},
		})
		if err != nil {
			b.Fatal(err)
		}
		g, err := build().Build()
		if err != nil {
			b.Fatal(err)
		}
		wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Publish(ctx, admin, wf.ID); err != nil {
			b.Fatal(err)
		}
		return e, st, wf.ID
	}

	var waiting int
	var cpu int64 // process CPU time spent in runs
	var heapBefore uint64
	var lastStore *memstore.Store
	var lastWF string
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		lastStore = nil
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heapBefore = ms.HeapAlloc
		e, st, wfID := setup()
		b.StartTimer()
		cpu0 := cpuNanos()
		rep, err := e.Run(ctx, admin, wfID)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuNanos() - cpu0
		b.StopTimer()
		if rep.ErrorCount > 0 {
			b.Fatalf("run had %d errors: %v", rep.ErrorCount, rep.Errors[:min(3, len(rep.Errors))])
		}
		waiting = rep.Counts[plays.CRWait].Waiting
		lastStore, lastWF = st, wfID
		b.StartTimer()
	}
	b.StopTimer()
	ns := reportRate(b, len(accts))
	med := bare[len(bare)/2]
	b.ReportMetric(med, "bare-ns/account")
	b.ReportMetric(ns-med, "bookkeeping-ns/account")
	b.ReportMetric(float64(waiting), "waiting")
	if cpu > 0 {
		// CPU time (all threads, GC included) per account: on a noisy
		// machine, what the run cost even when it did not get both cores.
		b.ReportMetric(float64(cpu)/float64(b.N*len(accts)), "cpu-ns/account")
	}

	// Engine state: what the store holds after the run, without the run's
	// audit rows and record (PruneRuns drops both).
	if err := lastStore.PruneRuns(ctx, lastWF, 0, benchNow.AddDate(100, 0, 0)); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	state := float64(int64(ms.HeapAlloc) - int64(heapBefore))
	b.ReportMetric(state/float64(len(accts)), "state-B/account")
	if waiting > 0 {
		b.ReportMetric(state/float64(waiting), "state-B/waiting")
	}
	runtime.KeepAlive(lastStore)
}

// bareLoop evaluates the branch programs over accts the way a decision
// does (first match wins), split across GOMAXPROCS goroutines with one
// eval.Runner and one eval.Env each. It returns how many matched a branch.
func bareLoop(progs []*eval.Program, accts []*audience.Account) int {
	p := runtime.GOMAXPROCS(0)
	per := (len(accts) + p - 1) / p
	var wg sync.WaitGroup
	counts := make([]int, p)
	for w := range p {
		part := accts[min(w*per, len(accts)):min((w+1)*per, len(accts))]
		wg.Go(func() {
			var r eval.Runner
			var env eval.Env
			n := 0
			for _, a := range part {
				env = eval.Env{Account: a, Now: benchNow, EnteredAt: benchNow}
				for _, pr := range progs {
					ok, err := r.Match(pr, &env)
					if err != nil {
						panic(err)
					}
					if ok {
						n++
						break
					}
				}
			}
			counts[w] = n
		})
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	return total
}

// BenchmarkPreview measures Engine.Preview of the competitor research play
// with expression filters over 1M generated accounts (memstore, no-op
// connectors), the workflow published and never run: the preview simulates
// the entry run that BenchmarkRun measures, writing nothing. One engine and
// workflow serve every iteration (a preview changes no state; it posts one
// notification). Metrics: s/preview and accounts/s (wall time),
// cpu-ns/account (process CPU time during the previews, all threads).
func BenchmarkPreview(b *testing.B) {
	accts := accountsFor(b, 1_000_000)
	ctx := context.Background()
	admin := playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
	reg, err := connector.NewRegistry(
		&noopConn{connector.NewBase("outreach", connector.Limits{})},
		&noopConn{connector.NewBase("linkedin", connector.Limits{})},
	)
	if err != nil {
		b.Fatal(err)
	}
	e, err := playgraph.New(&playgraph.Options{
		Store: memstore.New(), Clock: clock.NewFake(benchNow), Connectors: reg,
		Segments: playgraph.SegmentMap{plays.CRSegment: &sliceSource{accts: accts}},
	})
	if err != nil {
		b.Fatal(err)
	}
	g, err := exprPlay().Build()
	if err != nil {
		b.Fatal(err)
	}
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Publish(ctx, admin, wf.ID); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var cpu int64
	var waiting int
	b.ResetTimer()
	for range b.N {
		cpu0 := cpuNanos()
		rep, err := e.Preview(ctx, admin, wf.ID)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuNanos() - cpu0
		waiting = rep.Counts[plays.CRWait].Waiting
	}
	b.StopTimer()
	reportRate(b, len(accts))
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/preview")
	b.ReportMetric(float64(cpu)/float64(b.N*len(accts)), "cpu-ns/account")
	b.ReportMetric(float64(waiting), "waiting")
}
