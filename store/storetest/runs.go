package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/playgraph/playgraph/store"
)

func sampleRun(id, workflow string, started time.Time) store.Run {
	return store.Run{
		ID: id, Workflow: workflow, Version: 1, Status: store.RunCompletedWithErrors, Actor: "u1",
		Now: started, StartedAt: started, EndedAt: started.Add(time.Minute),
		Counts: map[string]store.RunNodeCounts{
			"start":  {Entered: 10, Paths: map[string]int{"next": 10}},
			"decide": {Entered: 10, Paths: map[string]int{"yes": 4, "no": 6}},
			"sep":    {Entered: 4, Sent: 3, Failed: 1},
		},
		Errors:       []store.RunError{{Node: "sep", Account: "a", Err: "503"}},
		ErrorCount:   1,
		CreditsSpent: 42,
		Published:    []string{"out.csv"},
	}
}

func diffRun(got, want store.Run) string {
	if got.ID != want.ID || got.Workflow != want.Workflow || got.Version != want.Version || got.Status != want.Status ||
		got.Actor != want.Actor || !eqTime(got.Now, want.Now) || !eqTime(got.StartedAt, want.StartedAt) ||
		!eqTime(got.EndedAt, want.EndedAt) || got.ErrorCount != want.ErrorCount || got.CreditsSpent != want.CreditsSpent ||
		got.Err != want.Err || fmt.Sprint(got.Errors) != fmt.Sprint(want.Errors) ||
		fmt.Sprint(got.Published) != fmt.Sprint(want.Published) || fmt.Sprint(got.Counts) != fmt.Sprint(want.Counts) {
		return fmt.Sprintf("run %+v, want %+v", got, want)
	}
	return ""
}

func runIDs(rs []store.Run) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// TestRuns tests a [store.RunStore]: round trips, copy semantics, ListRuns
// newest first (by StartedAt, then ID descending), limits, PruneRuns by
// count and age (keep <= 0: no count bound; runs not ended are never
// pruned by age) and not-found errors. When the store is also a
// [store.StateStore], audit rows appended through Apply are checked too:
// append order, paging, and removal with their run. newStore must return an
// empty store.
func TestRuns(t *testing.T, newStore func() store.RunStore) {
	t.Run("RoundTrip", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		r := sampleRun("r1", wf, at(0))
		must(t, s.PutRun(ctx, r))
		got, err := s.GetRun(ctx, "r1")
		must(t, err)
		if d := diffRun(got, r); d != "" {
			t.Fatal(d)
		}
		// Replace.
		r.Status, r.CreditsSpent = store.RunCompleted, 43
		must(t, s.PutRun(ctx, r))
		got, err = s.GetRun(ctx, "r1")
		must(t, err)
		if d := diffRun(got, r); d != "" {
			t.Fatal(d)
		}
		_, err = s.GetRun(ctx, "nope")
		wantErr(t, err, store.ErrNotFound, "GetRun")
	})
	t.Run("Copies", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		r := sampleRun("r1", wf, at(0))
		must(t, s.PutRun(ctx, r))
		r.Counts["decide"].Paths["yes"] = 99
		r.Counts["new"] = store.RunNodeCounts{}
		r.Errors[0].Err = "mutated"
		r.Published[0] = "mutated"
		got, err := s.GetRun(ctx, "r1")
		must(t, err)
		if d := diffRun(got, sampleRun("r1", wf, at(0))); d != "" {
			t.Fatalf("mutating the input changed the store: %s", d)
		}
		got.Counts["decide"].Paths["no"] = 99
		got.Errors[0].Account = "mutated"
		list, err := s.ListRuns(ctx, wf, 0)
		must(t, err)
		list[0].Counts["start"].Paths["next"] = 0
		got, err = s.GetRun(ctx, "r1")
		must(t, err)
		if d := diffRun(got, sampleRun("r1", wf, at(0))); d != "" {
			t.Fatalf("mutating a result changed the store: %s", d)
		}
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		for _, r := range []store.Run{
			sampleRun("r2", wf, at(2*day)),
			sampleRun("r1", wf, at(day)),
			sampleRun("r4", wf, at(3*day)),
			sampleRun("r3", wf, at(3*day)), // same start as r4: ID descending
			sampleRun("x1", "other", at(5*day)),
		} {
			must(t, s.PutRun(ctx, r))
		}
		list, err := s.ListRuns(ctx, wf, 0)
		must(t, err)
		checkIDs(t, "ListRuns", runIDs(list), []string{"r4", "r3", "r2", "r1"})
		list, err = s.ListRuns(ctx, wf, 2)
		must(t, err)
		checkIDs(t, "ListRuns(limit 2)", runIDs(list), []string{"r4", "r3"})
		list, err = s.ListRuns(ctx, "none", 0)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("ListRuns of a workflow without runs = %v", runIDs(list))
		}
	})
	t.Run("Prune", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		for i := range 6 {
			r := sampleRun(fmt.Sprintf("r%d", i), wf, at(time.Duration(i)*day))
			if i == 0 {
				r.EndedAt, r.Status = time.Time{}, store.RunInProgress // never pruned by age
			}
			must(t, s.PutRun(ctx, r))
		}
		must(t, s.PutRun(ctx, sampleRun("x", "other", at(0))))
		must(t, s.PruneRuns(ctx, wf, 0, at(2*day))) // no count bound; r1 ended before day 2
		list, err := s.ListRuns(ctx, wf, 0)
		must(t, err)
		checkIDs(t, "after PruneRuns(0, day 2)", runIDs(list), []string{"r5", "r4", "r3", "r2", "r0"})
		must(t, s.PruneRuns(ctx, wf, 3, time.Time{}))
		list, err = s.ListRuns(ctx, wf, 0)
		must(t, err)
		checkIDs(t, "after PruneRuns(3)", runIDs(list), []string{"r5", "r4", "r3"})
		_, err = s.GetRun(ctx, "r2")
		wantErr(t, err, store.ErrNotFound, "GetRun of a pruned run")
		if _, err := s.GetRun(ctx, "x"); err != nil {
			t.Fatalf("pruning one workflow removed another's run: %v", err)
		}
	})
	t.Run("Audit", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		ss, ok := s.(store.StateStore)
		if !ok {
			t.Skip("not a store.StateStore: audit rows are appended through Apply")
		}
		must(t, s.PutRun(ctx, sampleRun("r1", wf, at(0))))
		must(t, s.PutRun(ctx, sampleRun("r2", wf, at(day))))
		var want []store.AuditRow
		for b := range 3 {
			var batch store.Batch
			for i := range 5 {
				row := store.AuditRow{Run: "r1", Account: fmt.Sprintf("a%d", i), Node: "n" + fmt.Sprint(b),
					Event: "entered", Detail: fmt.Sprintf("d%d-%d", b, i), At: at(time.Duration(b*5+i) * time.Second)}
				batch.Audit = append(batch.Audit, row)
				want = append(want, row)
			}
			batch.Audit = append(batch.Audit, store.AuditRow{Run: "r2", Account: "z", Event: "took", At: at(0)})
			must(t, ss.Apply(ctx, wf, &batch))
		}
		check := func(offset, limit int, want []store.AuditRow) {
			t.Helper()
			got, err := s.Audit(ctx, "r1", offset, limit)
			must(t, err)
			if len(got) != len(want) {
				t.Fatalf("Audit(%d, %d): %d rows, want %d", offset, limit, len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Run != w.Run || g.Account != w.Account || g.Node != w.Node || g.Event != w.Event || g.Detail != w.Detail || !eqTime(g.At, w.At) {
					t.Fatalf("Audit(%d, %d)[%d] = %+v, want %+v", offset, limit, i, g, w)
				}
			}
		}
		check(0, 0, want)
		check(0, 4, want[:4])
		check(4, 4, want[4:8])
		check(12, 10, want[12:])
		check(15, 10, nil)
		check(100, 10, nil)
		rows, err := s.Audit(ctx, "r2", 0, 0)
		must(t, err)
		if len(rows) != 3 {
			t.Fatalf("Audit(r2) has %d rows, want 3", len(rows))
		}
		rows[0].Account = "mutated"
		rows, err = s.Audit(ctx, "r2", 0, 1)
		must(t, err)
		if rows[0].Account != "z" {
			t.Fatal("mutating an audit result changed the store")
		}
		// Pruning a run removes its audit rows.
		must(t, s.PruneRuns(ctx, wf, 1, time.Time{}))
		_, err = s.Audit(ctx, "r1", 0, 0)
		wantErr(t, err, store.ErrNotFound, "Audit of a pruned run")
		_, err = s.Audit(ctx, "never", 0, 0)
		wantErr(t, err, store.ErrNotFound, "Audit of an unknown run")
		if _, err := s.Audit(ctx, "r2", 0, 0); err != nil {
			t.Fatal(err)
		}
	})
}
