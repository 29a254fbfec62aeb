package storetest

import (
	"encoding/json"
	"testing"

	"github.com/playgraph/playgraph/store"
)

// TestWorkflows tests a [store.WorkflowStore]: round trips, optimistic
// concurrency on PutWorkflow, write-once versions, ordering, deletion, copy
// semantics and not-found errors. newStore must return an empty store.
func TestWorkflows(t *testing.T, newStore func() store.WorkflowStore) {
	sample := func(id string) store.Workflow {
		return store.Workflow{
			ID: id, Name: "Play " + id, Owner: "u1", Segment: "seg", TimeZone: "Europe/Paris",
			Status: store.WorkflowDraft, Draft: 1,
			Schedule: json.RawMessage(`{"kind":"daily"}`), Options: json.RawMessage(`{"reentry":"once"}`),
			CreatedAt: at(0), UpdatedAt: at(1),
		}
	}
	t.Run("RoundTrip", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		w := sample("wf1")
		rev, err := s.PutWorkflow(ctx, w, 0)
		must(t, err)
		if rev == 0 {
			t.Fatal("PutWorkflow returned revision 0")
		}
		got, err := s.GetWorkflow(ctx, "wf1")
		must(t, err)
		if got.Revision != rev {
			t.Fatalf("Revision %d, want %d", got.Revision, rev)
		}
		if got.ID != w.ID || got.Name != w.Name || got.Owner != w.Owner || got.Segment != w.Segment ||
			got.TimeZone != w.TimeZone || got.Status != w.Status || got.Draft != w.Draft ||
			string(got.Schedule) != string(w.Schedule) || string(got.Options) != string(w.Options) ||
			!eqTime(got.CreatedAt, w.CreatedAt) || !eqTime(got.UpdatedAt, w.UpdatedAt) {
			t.Fatalf("got %+v, want %+v", got, w)
		}
	})
	t.Run("OptimisticConcurrency", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		_, err := s.PutWorkflow(ctx, sample("wf1"), 7)
		wantErr(t, err, store.ErrConflict, "expect on a missing workflow")
		if _, err := s.GetWorkflow(ctx, "wf1"); err == nil {
			t.Fatal("a conflicting PutWorkflow stored the workflow")
		}
		r1, err := s.PutWorkflow(ctx, sample("wf1"), 0)
		must(t, err)
		w := sample("wf1")
		w.Name = "second"
		r2, err := s.PutWorkflow(ctx, w, r1)
		must(t, err)
		if r2 <= r1 {
			t.Fatalf("revision %d after %d", r2, r1)
		}
		w.Name = "stale"
		_, err = s.PutWorkflow(ctx, w, r1)
		wantErr(t, err, store.ErrConflict, "stale expect")
		got, err := s.GetWorkflow(ctx, "wf1")
		must(t, err)
		if got.Name != "second" || got.Revision != r2 {
			t.Fatalf("after a conflict: %q revision %d, want %q revision %d", got.Name, got.Revision, "second", r2)
		}
		w.Name = "unconditional"
		r3, err := s.PutWorkflow(ctx, w, 0)
		must(t, err)
		if r3 <= r2 {
			t.Fatalf("revision %d after %d", r3, r2)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		_, err := s.GetWorkflow(ctx, "nope")
		wantErr(t, err, store.ErrNotFound, "GetWorkflow")
		_, err = s.GetVersion(ctx, "nope", 1)
		wantErr(t, err, store.ErrNotFound, "GetVersion")
		wantErr(t, s.DeleteWorkflow(ctx, "nope"), store.ErrNotFound, "DeleteWorkflow")
	})
	t.Run("Invalid", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		_, err := s.PutWorkflow(ctx, sample(""), 0)
		wantErr(t, err, store.ErrInvalid, "PutWorkflow with an empty id")
		wantErr(t, s.PutVersion(ctx, store.Version{Number: 1}), store.ErrInvalid, "PutVersion with an empty workflow")
	})
	t.Run("ListOrderedByID", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		for _, id := range []string{"c", "a", "d", "b"} {
			_, err := s.PutWorkflow(ctx, sample(id), 0)
			must(t, err)
		}
		var got []string
		for w, err := range s.ListWorkflows(ctx) {
			must(t, err)
			got = append(got, w.ID)
		}
		checkIDs(t, "ListWorkflows", got, []string{"a", "b", "c", "d"})
		n := 0
		for range s.ListWorkflows(ctx) {
			n++
			break
		}
		if n != 1 {
			t.Fatal("breaking out of ListWorkflows")
		}
		empty := newStore()
		if got := collect(t, empty.ListWorkflows(ctx)); len(got) != 0 {
			t.Fatalf("an empty store lists %d workflows", len(got))
		}
	})
	t.Run("Versions", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		v := store.Version{Workflow: "wf1", Number: 1, Graph: json.RawMessage(`{"nodes":[]}`), CreatedAt: at(0), CreatedBy: "u1"}
		must(t, s.PutVersion(ctx, v))
		v2 := v
		v2.Graph = json.RawMessage(`{"other":true}`)
		wantErr(t, s.PutVersion(ctx, v2), store.ErrConflict, "PutVersion twice")
		got, err := s.GetVersion(ctx, "wf1", 1)
		must(t, err)
		if string(got.Graph) != `{"nodes":[]}` || got.CreatedBy != "u1" || !eqTime(got.CreatedAt, v.CreatedAt) || got.Number != 1 || got.Workflow != "wf1" {
			t.Fatalf("version 1 = %+v after a refused rewrite", got)
		}
		v2.Number = 2
		must(t, s.PutVersion(ctx, v2))
		_, err = s.GetVersion(ctx, "wf1", 3)
		wantErr(t, err, store.ErrNotFound, "GetVersion of a missing number")
	})
	t.Run("CopySemantics", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		w := sample("wf1")
		_, err := s.PutWorkflow(ctx, w, 0)
		must(t, err)
		w.Schedule[2] = 'X' // the caller reuses its buffer
		got, err := s.GetWorkflow(ctx, "wf1")
		must(t, err)
		if string(got.Schedule) != `{"kind":"daily"}` {
			t.Fatalf("mutating the input changed the stored Schedule: %s", got.Schedule)
		}
		got.Options[2] = 'X'
		again, err := s.GetWorkflow(ctx, "wf1")
		must(t, err)
		if string(again.Options) != `{"reentry":"once"}` {
			t.Fatalf("mutating a result changed the stored Options: %s", again.Options)
		}
		v := store.Version{Workflow: "wf1", Number: 1, Graph: json.RawMessage(`{"a":1}`)}
		must(t, s.PutVersion(ctx, v))
		v.Graph[2] = 'X'
		gv, err := s.GetVersion(ctx, "wf1", 1)
		must(t, err)
		gv.Graph[3] = 'Y'
		gv, err = s.GetVersion(ctx, "wf1", 1)
		must(t, err)
		if string(gv.Graph) != `{"a":1}` {
			t.Fatalf("stored Graph changed through a copy: %s", gv.Graph)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		_, err := s.PutWorkflow(ctx, sample("wf1"), 0)
		must(t, err)
		_, err = s.PutWorkflow(ctx, sample("wf2"), 0)
		must(t, err)
		must(t, s.PutVersion(ctx, store.Version{Workflow: "wf1", Number: 1}))
		must(t, s.PutVersion(ctx, store.Version{Workflow: "wf2", Number: 1}))
		must(t, s.DeleteWorkflow(ctx, "wf1"))
		_, err = s.GetWorkflow(ctx, "wf1")
		wantErr(t, err, store.ErrNotFound, "GetWorkflow after delete")
		_, err = s.GetVersion(ctx, "wf1", 1)
		wantErr(t, err, store.ErrNotFound, "GetVersion after delete")
		_, err = s.GetVersion(ctx, "wf2", 1)
		must(t, err)
		// A deleted workflow's version numbers may be written again.
		must(t, s.PutVersion(ctx, store.Version{Workflow: "wf1", Number: 1}))
	})
}
