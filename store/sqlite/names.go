package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Node ids, output path names and audit event names are interned per
// workflow in table names: name 0 is "", the others are numbered densely
// from 1 in the order first written. Names are never renumbered or removed
// (until their workflow is deleted, and a deleted workflow's wid is never
// reused), so a process may cache them: the cache learns a name id when a
// write it made commits or when a read meets an id it does not know, and
// so stays right when other processes share the file.

type nameCache struct {
	mu  sync.RWMutex
	wfs map[int64]*wfNames
}

type wfNames struct {
	ids  map[string]int64
	list []string // by id; append-only, dense
}

func (c *nameCache) init() { c.wfs = make(map[int64]*wfNames) }

func (c *nameCache) wf(wid int64) *wfNames {
	w := c.wfs[wid]
	if w == nil {
		w = &wfNames{ids: map[string]int64{"": 0}, list: []string{""}}
		c.wfs[wid] = w
	}
	return w
}

// drop forgets a deleted workflow's names.
func (c *nameCache) drop(wid int64) {
	c.mu.Lock()
	delete(c.wfs, wid)
	c.mu.Unlock()
}

// learn records committed name ids.
func (c *nameCache) learn(wid int64, m map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.wf(wid)
	for name, n := range m {
		w.ids[name] = n
	}
}

// list returns the workflow's names by id, reloading from q when id need
// is not known yet.
func (s *Store) nameList(ctx context.Context, t runner, wid, need int64) ([]string, error) {
	s.names.mu.RLock()
	var list []string
	if w := s.names.wfs[wid]; w != nil {
		list = w.list
	}
	s.names.mu.RUnlock()
	if need < int64(len(list)) {
		return list, nil
	}
	from := max(int64(len(list)), 1)
	rows, err := t.query(ctx, q(`SELECT n, name FROM names WHERE wid = ? AND n >= ? ORDER BY n`), wid, from)
	if err != nil {
		return nil, fmt.Errorf("sqlite: names: %w", err)
	}
	defer rows.Close()
	type pair struct {
		n    int64
		name string
	}
	var got []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.n, &p.name); err != nil {
			return nil, fmt.Errorf("sqlite: names: %w", err)
		}
		got = append(got, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: names: %w", err)
	}
	s.names.mu.Lock()
	defer s.names.mu.Unlock()
	w := s.names.wf(wid)
	for _, p := range got {
		if p.n == int64(len(w.list)) {
			w.list = append(w.list, p.name)
			w.ids[p.name] = p.n
		}
	}
	if need >= int64(len(w.list)) {
		return nil, fmt.Errorf("sqlite: workflow %d: name %d missing: the file is damaged", wid, need)
	}
	return w.list, nil
}

// intern fills want (name → id) for every name in it, inserting those the
// workflow does not have yet, inside the write transaction tx. The ids are
// learnt by the cache only once tx commits (the caller calls learn).
func (s *Store) intern(ctx context.Context, t wtx, wid int64, want map[string]int64) error {
	var miss []string
	s.names.mu.RLock()
	w := s.names.wfs[wid]
	for name := range want {
		if name == "" {
			want[name] = 0
			continue
		}
		if w != nil {
			if n, ok := w.ids[name]; ok {
				want[name] = n
				continue
			}
		}
		want[name] = -1
		miss = append(miss, name)
	}
	s.names.mu.RUnlock()
	if len(miss) == 0 {
		return nil
	}
	found := 0
	err := queryIn(ctx, t, `SELECT name, n FROM names WHERE wid = ? AND name IN (`, `)`, []any{wid}, len(miss),
		func(i int) any { return miss[i] },
		func(rows *sql.Rows) error {
			var name string
			var n int64
			if err := rows.Scan(&name, &n); err != nil {
				return err
			}
			want[name] = n
			found++
			return nil
		})
	if err != nil {
		return fmt.Errorf("sqlite: names: %w", err)
	}
	if found == len(miss) {
		return nil
	}
	var next int64
	if err := t.row(ctx, q(`SELECT coalesce(max(n), 0) FROM names WHERE wid = ?`), wid).Scan(&next); err != nil {
		return fmt.Errorf("sqlite: names: %w", err)
	}
	var add []string
	for _, name := range miss {
		if want[name] < 0 {
			next++
			want[name] = next
			add = append(add, name)
		}
	}
	err = execRows(ctx, t, `INSERT INTO names (wid, n, name) VALUES `, ``, 3, len(add), func(i int, args []any) []any {
		return append(args, wid, want[add[i]], add[i])
	})
	if err != nil {
		return fmt.Errorf("sqlite: names: %w", err)
	}
	return nil
}
