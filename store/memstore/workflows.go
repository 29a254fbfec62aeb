package memstore

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"

	"github.com/playgraph/playgraph/store"
)

// PutWorkflow implements [store.WorkflowStore]. The stored revision is the
// previous stored revision + 1 (1 for a new record), whatever w.Revision
// says; a non-zero expect must equal the stored revision, and fails with
// [store.ErrConflict] when the workflow does not exist.
func (s *Store) PutWorkflow(ctx context.Context, w store.Workflow, expect uint64) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if w.ID == "" {
		return 0, invalid("workflow: empty id")
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var rev uint64
	if old := s.workflows[w.ID]; old != nil {
		rev = old.Revision
	}
	if expect != 0 && expect != rev {
		return 0, fmt.Errorf("memstore: %w: workflow %q: revision %d, expected %d", store.ErrConflict, w.ID, rev, expect)
	}
	c := copyWorkflow(&w)
	c.Revision = rev + 1
	s.workflows[w.ID] = c
	return c.Revision, nil
}

// GetWorkflow implements [store.WorkflowStore].
func (s *Store) GetWorkflow(ctx context.Context, id string) (store.Workflow, error) {
	if err := ctx.Err(); err != nil {
		return store.Workflow{}, err
	}
	s.wmu.RLock()
	defer s.wmu.RUnlock()
	w := s.workflows[id]
	if w == nil {
		return store.Workflow{}, notFound("workflow %q", id)
	}
	return *copyWorkflow(w), nil
}

// ListWorkflows implements [store.WorkflowStore]. It iterates over a
// snapshot taken when iteration starts.
func (s *Store) ListWorkflows(ctx context.Context) iter.Seq2[store.Workflow, error] {
	return func(yield func(store.Workflow, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(store.Workflow{}, err)
			return
		}
		s.wmu.RLock()
		ids := slices.Sorted(maps.Keys(s.workflows))
		list := make([]store.Workflow, len(ids))
		for i, id := range ids {
			list[i] = *copyWorkflow(s.workflows[id])
		}
		s.wmu.RUnlock()
		for _, w := range list {
			if !yield(w, nil) {
				return
			}
		}
	}
}

// DeleteWorkflow implements [store.WorkflowStore]: it removes the record,
// its versions, and everything kept under the workflow's id (account state,
// tombstones, intents, runs and their audit rows). It fails with
// [store.ErrNotFound] only when nothing at all was stored under the id.
// Leases and engagement events are not per workflow and stay.
func (s *Store) DeleteWorkflow(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.bought.mu.Lock()
	delete(s.bought.m, id)
	s.bought.mu.Unlock()
	s.wmu.Lock()
	_, had := s.workflows[id]
	_, hadV := s.versions[id]
	delete(s.workflows, id)
	delete(s.versions, id)
	s.wmu.Unlock()

	s.mu.Lock()
	w := s.wfs[id]
	delete(s.wfs, id)
	s.mu.Unlock()
	if w != nil {
		w.mu.Lock()
		w.deleted = true
		runs := make([]string, 0, len(w.runs)+len(w.audit))
		for r := range w.runs {
			runs = append(runs, r)
		}
		for r := range w.audit {
			runs = append(runs, r)
		}
		s.unclaimRuns(id, runs)
		w.mu.Unlock()
	}
	if !had && !hadV && w == nil {
		return notFound("workflow %q", id)
	}
	return nil
}

// PutVersion implements [store.WorkflowStore]. The workflow record need not
// exist; version numbers start at 1.
func (s *Store) PutVersion(ctx context.Context, v store.Version) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.Workflow == "" || v.Number < 1 {
		return invalid("version: workflow %q number %d", v.Workflow, v.Number)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	m := s.versions[v.Workflow]
	if m == nil {
		m = make(map[int]*store.Version)
		s.versions[v.Workflow] = m
	}
	if _, ok := m[v.Number]; ok {
		return fmt.Errorf("memstore: %w: workflow %q version %d exists", store.ErrConflict, v.Workflow, v.Number)
	}
	m[v.Number] = copyVersion(&v)
	return nil
}

// GetVersion implements [store.WorkflowStore].
func (s *Store) GetVersion(ctx context.Context, workflowID string, number int) (store.Version, error) {
	if err := ctx.Err(); err != nil {
		return store.Version{}, err
	}
	s.wmu.RLock()
	defer s.wmu.RUnlock()
	v := s.versions[workflowID][number]
	if v == nil {
		return store.Version{}, notFound("workflow %q version %d", workflowID, number)
	}
	return *copyVersion(v), nil
}
