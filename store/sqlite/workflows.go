package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/playgraph/playgraph/store"
)

// PutWorkflow implements [store.WorkflowStore]. The stored revision is the
// previous stored revision + 1 (1 for a new record), whatever w.Revision
// says; a non-zero expect must equal the stored revision, and fails with
// [store.ErrConflict] when the workflow does not exist. The check and the
// write are one transaction, so the check holds across processes.
func (s *Store) PutWorkflow(ctx context.Context, w store.Workflow, expect uint64) (uint64, error) {
	if err := s.live(ctx); err != nil {
		return 0, err
	}
	if w.ID == "" {
		return 0, invalid("workflow: empty id")
	}
	if !store.TimeInRange(w.CreatedAt) || !store.TimeInRange(w.UpdatedAt) {
		return 0, invalid("workflow %q: time out of range", w.ID)
	}
	var rev int64
	err := s.write(ctx, func(t wtx) error {
		if expect != 0 {
			var cur int64
			err := t.row(ctx, q(`SELECT revision FROM workflows JOIN wfs USING (wid) WHERE id = ?`), w.ID).Scan(&cur)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			if uint64(cur) != expect {
				return fmt.Errorf("sqlite: %w: workflow %q: revision %d, expected %d", store.ErrConflict, w.ID, cur, expect)
			}
		}
		wid, _, err := ensureWF(ctx, t, w.ID)
		if err != nil {
			return err
		}
		return t.row(ctx, q(`INSERT INTO workflows (wid, revision, name, owner, segment, tz, status, published, draft,
				schedule, options, reason, created, updated, last_run)
			VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (wid) DO UPDATE SET revision = revision + 1, name = excluded.name, owner = excluded.owner,
				segment = excluded.segment, tz = excluded.tz, status = excluded.status, published = excluded.published,
				draft = excluded.draft, schedule = excluded.schedule, options = excluded.options, reason = excluded.reason,
				created = excluded.created, updated = excluded.updated, last_run = excluded.last_run
			RETURNING revision`),
			wid, w.Name, w.Owner, w.Segment, w.TimeZone, int64(w.Status), int64(w.Published), int64(w.Draft),
			blob(w.Schedule), blob(w.Options), w.Reason, nullTime(w.CreatedAt), nullTime(w.UpdatedAt), w.LastRun).Scan(&rev)
	})
	if err != nil {
		return 0, wrap("put workflow", err)
	}
	return uint64(rev), nil
}

// blob is a nullable BLOB argument: nil stays NULL, anything else (even
// empty) is a copy of the bytes.
func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return []byte(b)
}

// wrap adds context to err unless it already carries a sentinel of
// package store or this package (and so says what failed).
func wrap(what string, err error) error {
	for _, s := range []error{store.ErrNotFound, store.ErrConflict, store.ErrLeaseHeld, store.ErrFenced, store.ErrInvalid,
		ErrClosed, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

const workflowCols = `wfs.id, revision, name, owner, segment, tz, status, published, draft, schedule, options, reason, created, updated, last_run`

func scanWorkflow(sc interface{ Scan(...any) error }) (store.Workflow, error) {
	var w store.Workflow
	var status, pub, draft, rev int64
	var created, updated sql.NullInt64
	var sched, opts []byte
	err := sc.Scan(&w.ID, &rev, &w.Name, &w.Owner, &w.Segment, &w.TimeZone, &status, &pub, &draft, &sched, &opts,
		&w.Reason, &created, &updated, &w.LastRun)
	if err != nil {
		return w, err
	}
	w.Revision, w.Status, w.Published, w.Draft = uint64(rev), store.WorkflowStatus(status), int(pub), int(draft)
	w.CreatedAt, w.UpdatedAt = decNullTime(created), decNullTime(updated)
	if sched != nil {
		w.Schedule = json.RawMessage(sched)
	}
	if opts != nil {
		w.Options = json.RawMessage(opts)
	}
	return w, nil
}

// GetWorkflow implements [store.WorkflowStore].
func (s *Store) GetWorkflow(ctx context.Context, id string) (store.Workflow, error) {
	if err := s.live(ctx); err != nil {
		return store.Workflow{}, err
	}
	var w store.Workflow
	err := s.read(ctx, func(t rtx) error {
		var err error
		w, err = scanWorkflow(t.row(ctx, q(`SELECT `+workflowCols+` FROM wfs JOIN workflows USING (wid) WHERE wfs.id = ?`), id))
		return err
	})
	if err == sql.ErrNoRows {
		return store.Workflow{}, notFound("workflow %q", id)
	}
	if err != nil {
		return store.Workflow{}, wrap("get workflow", err)
	}
	return w, nil
}

// ListWorkflows implements [store.WorkflowStore]. It iterates over a
// snapshot read when iteration starts.
func (s *Store) ListWorkflows(ctx context.Context) iter.Seq2[store.Workflow, error] {
	return func(yield func(store.Workflow, error) bool) {
		var list []store.Workflow
		err := s.read(ctx, func(t rtx) error {
			rows, err := t.query(ctx, q(`SELECT `+workflowCols+` FROM wfs JOIN workflows USING (wid) ORDER BY wfs.id`))
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				w, err := scanWorkflow(rows)
				if err != nil {
					return err
				}
				list = append(list, w)
			}
			return rows.Err()
		})
		if err != nil {
			yield(store.Workflow{}, wrap("list workflows", err))
			return
		}
		for _, w := range list {
			if !yield(w, nil) {
				return
			}
		}
	}
}

// DeleteWorkflow implements [store.WorkflowStore]: in one transaction it
// removes the record, its versions, and everything kept under the
// workflow's id (account state, tombstones, intents, runs and their audit
// rows). It fails with [store.ErrNotFound] only when nothing at all was
// stored under the id. Leases and engagement events are not per workflow
// and stay.
func (s *Store) DeleteWorkflow(ctx context.Context, id string) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	var wid int64
	err := s.write(ctx, func(t wtx) error {
		var ok bool
		var err error
		if wid, _, ok, err = wfKey(ctx, t, id); err != nil {
			return err
		}
		if !ok {
			return notFound("workflow %q", id)
		}
		// Rows keyed by ranges go first, with range deletes; the
		// cascade takes the rest.
		lo, hi := refRange(wid)
		if _, err := t.exec(ctx, q(`DELETE FROM accounts WHERE ref BETWEEN ? AND ?`), lo, hi); err != nil {
			return err
		}
		_, err = t.exec(ctx, q(`DELETE FROM wfs WHERE wid = ?`), wid)
		return err
	})
	if err != nil {
		return wrap("delete workflow", err)
	}
	s.names.drop(wid)
	return nil
}

// PutVersion implements [store.WorkflowStore]. The workflow record need not
// exist; version numbers start at 1.
func (s *Store) PutVersion(ctx context.Context, v store.Version) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if v.Workflow == "" || v.Number < 1 {
		return invalid("version: workflow %q number %d", v.Workflow, v.Number)
	}
	if !store.TimeInRange(v.CreatedAt) {
		return invalid("version: time out of range")
	}
	err := s.write(ctx, func(t wtx) error {
		wid, _, err := ensureWF(ctx, t, v.Workflow)
		if err != nil {
			return err
		}
		res, err := t.exec(ctx, q(`INSERT INTO versions (wid, number, graph, created, created_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`), wid, int64(v.Number), blob(v.Graph), nullTime(v.CreatedAt), v.CreatedBy)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("sqlite: %w: workflow %q version %d exists", store.ErrConflict, v.Workflow, v.Number)
		}
		return nil
	})
	if err != nil {
		return wrap("put version", err)
	}
	return nil
}

// GetVersion implements [store.WorkflowStore].
func (s *Store) GetVersion(ctx context.Context, workflowID string, number int) (store.Version, error) {
	if err := s.live(ctx); err != nil {
		return store.Version{}, err
	}
	v := store.Version{Workflow: workflowID, Number: number}
	err := s.read(ctx, func(t rtx) error {
		var created sql.NullInt64
		var graph []byte
		err := t.row(ctx, q(`SELECT graph, created, created_by FROM versions JOIN wfs USING (wid) WHERE wfs.id = ? AND number = ?`),
			workflowID, int64(number)).Scan(&graph, &created, &v.CreatedBy)
		if graph != nil {
			v.Graph = json.RawMessage(slices.Clip(graph))
		}
		v.CreatedAt = decNullTime(created)
		return err
	})
	if err == sql.ErrNoRows {
		return store.Version{}, notFound("workflow %q version %d", workflowID, number)
	}
	if err != nil {
		return store.Version{}, wrap("get version", err)
	}
	return v, nil
}
