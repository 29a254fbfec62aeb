package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// PutRun implements [store.RunStore]. A run's Workflow never changes:
// putting a run id already stored under another workflow is
// [store.ErrInvalid]. The record is kept as JSON beside the columns that
// order and prune runs.
func (s *Store) PutRun(ctx context.Context, r store.Run) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if r.ID == "" || r.Workflow == "" {
		return invalid("run: empty id or workflow")
	}
	if !store.TimeInRange(r.StartedAt) || !store.TimeInRange(r.EndedAt) || !store.TimeInRange(r.Now) {
		return invalid("run %q: time out of range", r.ID)
	}
	rec, err := json.Marshal(&r)
	if err != nil {
		return invalid("run %q: %v", r.ID, err)
	}
	err = s.write(ctx, func(t wtx) error {
		wid, _, err := ensureWF(ctx, t, r.Workflow)
		if err != nil {
			return err
		}
		rk, err := claimRun(ctx, t, wid, r.ID)
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, q(`UPDATE runs SET started = ?, ended = ?, record = ? WHERE rk = ?`),
			nanos.Of(r.StartedAt), nullTime(r.EndedAt), rec, rk)
		return err
	})
	if err != nil {
		return wrap("put run", err)
	}
	return nil
}

func decodeRun(rec []byte) (store.Run, error) {
	var r store.Run
	if err := json.Unmarshal(rec, &r); err != nil {
		return r, fmt.Errorf("%w: run record: %v", errCorrupt, err)
	}
	// JSON keeps the zone offset a time was written with; every time
	// comes back in UTC (see Times in the package doc).
	r.Now, r.StartedAt, r.EndedAt = r.Now.UTC(), r.StartedAt.UTC(), r.EndedAt.UTC()
	return r, nil
}

// GetRun implements [store.RunStore].
func (s *Store) GetRun(ctx context.Context, runID string) (store.Run, error) {
	if err := s.live(ctx); err != nil {
		return store.Run{}, err
	}
	var rec []byte
	err := s.read(ctx, func(t rtx) error {
		return t.row(ctx, q(`SELECT record FROM runs WHERE id = ? AND record IS NOT NULL`), runID).Scan(&rec)
	})
	if err == sql.ErrNoRows {
		return store.Run{}, notFound("run %q", runID)
	}
	if err != nil {
		return store.Run{}, wrap("get run", err)
	}
	return decodeRun(rec)
}

// ListRuns implements [store.RunStore]: newest first by StartedAt, ties
// broken by descending ID.
func (s *Store) ListRuns(ctx context.Context, workflowID string, limit int) ([]store.Run, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = -1
	}
	out := []store.Run{}
	err := s.read(ctx, func(t rtx) error {
		rows, err := t.query(ctx, q(`SELECT record FROM runs JOIN wfs USING (wid) WHERE wfs.id = ? AND record IS NOT NULL
			ORDER BY started DESC, runs.id DESC LIMIT ?`), workflowID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var rec []byte
			if err := rows.Scan(&rec); err != nil {
				return err
			}
			r, err := decodeRun(rec)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("list runs", err)
	}
	return out, nil
}

// Audit implements [store.RunStore]. limit <= 0 means every row from
// offset; a negative offset is [store.ErrInvalid]; a run with neither a
// record nor audit rows is [store.ErrNotFound].
func (s *Store) Audit(ctx context.Context, runID string, offset, limit int) ([]store.AuditRow, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, invalid("audit: negative offset %d", offset)
	}
	if limit <= 0 {
		limit = -1
	}
	out := []store.AuditRow{}
	err := s.read(ctx, func(t rtx) error {
		var rk, wid int64
		if err := t.row(ctx, q(`SELECT rk, wid FROM runs WHERE id = ?`), runID).Scan(&rk, &wid); err != nil {
			return err
		}
		lo, hi := auditRange(rk)
		rows, err := t.query(ctx, q(`SELECT account, row FROM audit WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ? OFFSET ?`),
			lo, hi, limit, offset)
		if err != nil {
			return err
		}
		type raw struct {
			node, event uint64
		}
		var raws []raw
		var need int64
		for rows.Next() {
			var r raw
			a := store.AuditRow{Run: runID}
			var blob []byte
			if err := rows.Scan(&a.Account, &blob); err != nil {
				rows.Close()
				return err
			}
			if r.node, r.event, err = decodeAuditRow(blob, &a); err != nil {
				rows.Close()
				return err
			}
			out = append(out, a)
			raws = append(raws, r)
			need = max(need, int64(r.node), int64(r.event))
		}
		if err := rows.Close(); err != nil {
			return err
		}
		names, err := s.nameList(ctx, t, wid, need)
		if err != nil {
			return err
		}
		for i, r := range raws {
			if r.node >= uint64(len(names)) || r.event >= uint64(len(names)) {
				return errCorrupt
			}
			out[i].Node, out[i].Event = names[r.node], names[r.event]
		}
		return nil
	})
	if err == sql.ErrNoRows {
		return nil, notFound("run %q", runID)
	}
	if err != nil {
		return nil, wrap("audit", err)
	}
	return out, nil
}

// PruneRuns implements [store.RunStore], in one transaction. keep <= 0
// sets no count bound; the age bound applies only to runs that ended
// (non-zero EndedAt). A pruned run's audit rows go with it.
func (s *Store) PruneRuns(ctx context.Context, workflowID string, keep int, before time.Time) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if keep <= 0 && before.IsZero() {
		return nil
	}
	err := s.write(ctx, func(t wtx) error {
		wid, _, ok, err := wfKey(ctx, t, workflowID)
		if err != nil || !ok {
			return err
		}
		rows, err := t.query(ctx, q(`SELECT rk, ended FROM runs WHERE wid = ? AND record IS NOT NULL ORDER BY started DESC, id DESC`), wid)
		if err != nil {
			return err
		}
		var gone []int64
		cut := nanos.Of(before)
		for i := 0; rows.Next(); i++ {
			var rk int64
			var ended sql.NullInt64
			if err := rows.Scan(&rk, &ended); err != nil {
				rows.Close()
				return err
			}
			if (keep > 0 && i >= keep) || (!before.IsZero() && ended.Valid && ended.Int64 < cut) {
				gone = append(gone, rk)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		return execIn(ctx, t, `DELETE FROM runs WHERE rk IN (`, `)`, nil, len(gone), func(i int) any { return gone[i] })
	})
	if err != nil {
		return wrap("prune runs", err)
	}
	return nil
}
