package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// refShift splits an account's ref: the workflow's wid above it, a
// sequence number (from 1, in first-insertion order) below.
const refShift = 40

func refRange(wid int64) (lo, hi int64) { return wid << refShift, (wid+1)<<refShift - 1 }

// wfKey returns the wid and tombstone count of a workflow; ok is false when
// nothing was ever stored under its id.
func wfKey(ctx context.Context, t runner, id string) (wid, tombs int64, ok bool, err error) {
	err = t.row(ctx, q(`SELECT wid, tombs FROM wfs WHERE id = ?`), id).Scan(&wid, &tombs)
	switch {
	case err == sql.ErrNoRows:
		return 0, 0, false, nil
	case err != nil:
		return 0, 0, false, fmt.Errorf("sqlite: workflow %q: %w", id, err)
	}
	return wid, tombs, true, nil
}

// ensureWF returns the workflow's wid and tombstone count, creating its key
// if need be.
func ensureWF(ctx context.Context, t wtx, id string) (wid, tombs int64, err error) {
	wid, tombs, ok, err := wfKey(ctx, t, id)
	if err != nil || ok {
		return wid, tombs, err
	}
	res, err := t.exec(ctx, q(`INSERT INTO wfs (id) VALUES (?)`), id)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite: workflow %q: %w", id, err)
	}
	wid, err = res.LastInsertId()
	if err != nil {
		return 0, 0, err
	}
	if wid >= 1<<(63-refShift) {
		return 0, 0, fmt.Errorf("sqlite: workflow %q: %w: out of workflow keys", id, store.ErrInvalid)
	}
	return wid, 0, nil
}

func fencedError(name string, have, cur uint64) error {
	return fmt.Errorf("sqlite: %w: lease %q: token %d, current %d", store.ErrFenced, name, have, cur)
}

// checkFence fails with ErrFenced unless fence is the token of the current
// grant of the lease named name (expired but not granted again still
// counts; released does not).
func checkFence(ctx context.Context, t wtx, name string, fence uint64) error {
	var cur int64
	err := t.row(ctx, q(`SELECT token FROM leases WHERE name = ? AND holder <> ''`), name).Scan(&cur)
	switch {
	case err == sql.ErrNoRows:
		return fencedError(name, fence, 0)
	case err != nil:
		return fmt.Errorf("sqlite: fence: %w", err)
	case uint64(cur) != fence:
		return fencedError(name, fence, uint64(cur))
	}
	return nil
}

// Apply implements [store.StateStore]. The batch is validated before
// anything is written; then it is written in one transaction begun with
// BEGIN IMMEDIATE, inside which the fence is checked against the lease
// named workflowID, so that a process that lost its lease cannot write,
// whichever process took the lease over. Readers, in this process or
// another, see all of the batch or none of it. Rows go in with multi-row
// INSERTs. Audit rows name a run of this workflow: one of another workflow
// is [store.ErrInvalid].
func (s *Store) Apply(ctx context.Context, workflowID string, b *store.Batch) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if workflowID == "" {
		return invalid("empty workflow id")
	}
	if b == nil {
		return nil
	}
	if err := validateBatch(b); err != nil {
		return err
	}
	if len(b.States) == 0 && len(b.Intents) == 0 && len(b.Resolved) == 0 && len(b.Audit) == 0 {
		return nil // empty: a no-op, whatever its fence
	}
	names := make(map[string]int64, 16)
	for i := range b.States {
		st := &b.States[i]
		names[st.Node] = 0
		for k := range st.Path {
			names[st.Path[k].Node] = 0
			names[st.Path[k].Out] = 0
		}
	}
	for i := range b.Intents {
		names[b.Intents[i].Node] = 0
	}
	for i := range b.Audit {
		names[b.Audit[i].Node] = 0
		names[b.Audit[i].Event] = 0
	}
	var refs []int64
	var wid int64
	err := s.write(ctx, func(t wtx) error {
		var tombs int64
		var err error
		if wid, tombs, err = ensureWF(ctx, t, workflowID); err != nil {
			return err
		}
		if b.Fence != 0 {
			if err := checkFence(ctx, t, workflowID, b.Fence); err != nil {
				return err
			}
		}
		if err := s.intern(ctx, t, wid, names); err != nil {
			return err
		}
		if len(b.States) > 0 {
			if refs, err = putStates(ctx, t, wid, tombs, b.States, names); err != nil {
				return fmt.Errorf("sqlite: apply: states: %w", err)
			}
		}
		if len(b.Intents) > 0 {
			if err := putIntents(ctx, t, wid, b.Intents, names); err != nil {
				return fmt.Errorf("sqlite: apply: intents: %w", err)
			}
		}
		if len(b.Resolved) > 0 {
			err := execIn(ctx, t, `DELETE FROM intents WHERE wid = ? AND key IN (`, `)`, []any{wid}, len(b.Resolved),
				func(i int) any { return b.Resolved[i] })
			if err != nil {
				return fmt.Errorf("sqlite: apply: resolved: %w", err)
			}
		}
		if len(b.Audit) > 0 {
			if err := appendAudit(ctx, t, wid, b.Audit, names); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.names.learn(wid, names)
	for i := range b.States {
		b.States[i].Ref = uint64(refs[i])
	}
	return nil
}

func validateBatch(b *store.Batch) error {
	if err := b.Validate(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	for i := range b.Intents {
		if in := &b.Intents[i]; int64(in.Attempts) > math.MaxInt32 {
			return invalid("intent %d (%s): attempts %d out of range", i, in.Key, in.Attempts)
		}
	}
	return nil
}

// putStates saves states (the last of each account; a new account takes
// its place at its first occurrence) and returns each state's ref. An
// account is found by its Ref when that names a row of this workflow
// holding this account id, else by its id, else by its tombstone; the
// rest get new refs at the end of the workflow's range.
func putStates(ctx context.Context, t wtx, wid, tombs int64, states []store.AccountState, names map[string]int64) ([]int64, error) {
	lo, hi := refRange(wid)
	slotOf := make([]int, len(states))
	uniq := make([]int, 0, len(states)) // per account, its last state's index; in first-occurrence order
	idx := make(map[string]int, len(states))
	for i := range states {
		a := states[i].Account
		if u, ok := idx[a]; ok {
			uniq[u] = i
			slotOf[i] = u
			continue
		}
		idx[a] = len(uniq)
		slotOf[i] = len(uniq)
		uniq = append(uniq, i)
	}
	uref := make([]int64, len(uniq))

	// 1. By Ref.
	var byRef []int
	for u, i := range uniq {
		if r := states[i].Ref; r > uint64(lo) && r <= uint64(hi) {
			byRef = append(byRef, u)
		}
	}
	if len(byRef) > 0 {
		err := queryIn(ctx, t, `SELECT ref, account FROM accounts WHERE status <> 6 AND ref IN (`, `)`, nil, len(byRef),
			func(i int) any { return int64(states[uniq[byRef[i]]].Ref) },
			func(rows *sql.Rows) error {
				var ref int64
				var acct string
				if err := rows.Scan(&ref, &acct); err != nil {
					return err
				}
				if u, ok := idx[acct]; ok && int64(states[uniq[u]].Ref) == ref {
					uref[u] = ref
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	// 2. By id.
	rest := make([]int, 0, len(uniq))
	for u := range uniq {
		if uref[u] == 0 {
			rest = append(rest, u)
		}
	}
	if len(rest) > 0 {
		err := queryIn(ctx, t, `SELECT account, ref FROM accounts WHERE wid = ? AND status <> 6 AND account IN (`, `)`, []any{wid}, len(rest),
			func(i int) any { return states[uniq[rest[i]]].Account },
			func(rows *sql.Rows) error {
				var ref int64
				var acct string
				if err := rows.Scan(&acct, &ref); err != nil {
					return err
				}
				if u, ok := idx[acct]; ok {
					uref[u] = ref
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		rest = slices.DeleteFunc(rest, func(u int) bool { return uref[u] != 0 })
	}
	// 3. Tombstones: the account enters again in its old place.
	if len(rest) > 0 && tombs > 0 {
		hashes := make([]string, len(rest))
		byHash := make(map[string]int, len(rest))
		for k, u := range rest {
			hashes[k] = store.HashID(states[uniq[u]].Account)
			byHash[hashes[k]] = u
		}
		var revived []int
		err := queryIn(ctx, t, `SELECT account, ref FROM accounts WHERE wid = ? AND status = 6 AND account IN (`, `)`, []any{wid}, len(hashes),
			func(i int) any { return hashes[i] },
			func(rows *sql.Rows) error {
				var ref int64
				var h string
				if err := rows.Scan(&h, &ref); err != nil {
					return err
				}
				if u, ok := byHash[h]; ok {
					uref[u] = ref
					revived = append(revived, u)
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		for _, u := range revived {
			if _, err := t.exec(ctx, q(`UPDATE accounts SET account = ? WHERE ref = ?`), states[uniq[u]].Account, uref[u]); err != nil {
				return nil, err
			}
		}
		if len(revived) > 0 {
			if _, err := t.exec(ctx, q(`UPDATE wfs SET tombs = tombs - ? WHERE wid = ?`), len(revived), wid); err != nil {
				return nil, err
			}
		}
		rest = slices.DeleteFunc(rest, func(u int) bool { return uref[u] != 0 })
	}
	// 4. New accounts.
	if len(rest) > 0 {
		var last int64
		if err := t.row(ctx, q(`SELECT coalesce(max(ref), ?) FROM accounts WHERE ref BETWEEN ? AND ?`), lo, lo, hi).Scan(&last); err != nil {
			return nil, err
		}
		if hi-last < int64(len(rest)) {
			return nil, invalid("workflow holds too many accounts")
		}
		for _, u := range rest {
			last++
			uref[u] = last
		}
	}

	var buf []byte
	id := func(n string) int64 { return names[n] }
	err := execRows(ctx, t, `INSERT INTO accounts (ref, wid, account, status, node, state) VALUES `,
		` ON CONFLICT (ref) DO UPDATE SET status = excluded.status, node = excluded.node, state = excluded.state`,
		6, len(uniq), func(j int, args []any) []any {
			st := &states[uniq[j]]
			start := len(buf)
			buf = appendState(buf, st, id)
			return append(args, uref[j], wid, st.Account, int64(st.Status), names[st.Node], buf[start:len(buf):len(buf)])
		})
	if err != nil {
		return nil, err
	}
	refs := make([]int64, len(states))
	for i := range states {
		refs[i] = uref[slotOf[i]]
	}
	return refs, nil
}

func putIntents(ctx context.Context, t wtx, wid int64, intents []store.Intent, names map[string]int64) error {
	var top int64
	if err := t.row(ctx, q(`UPDATE wfs SET iseq = iseq + ? WHERE wid = ? RETURNING iseq`), len(intents), wid).Scan(&top); err != nil {
		return err
	}
	base := top - int64(len(intents))
	var buf []byte
	return execRows(ctx, t, `INSERT INTO intents (wid, key, seq, account, created, intent) VALUES `,
		` ON CONFLICT (wid, key) DO UPDATE SET account = excluded.account, created = excluded.created, intent = excluded.intent`,
		6, len(intents), func(j int, args []any) []any {
			in := &intents[j]
			start := len(buf)
			buf = appendIntent(buf, in, names)
			return append(args, wid, in.Key, base+int64(j)+1, in.Account, nanos.Of(in.Created), buf[start:len(buf):len(buf)])
		})
}

// claimRun returns the key of a run of the workflow, recording the run
// (without a record) if it is new. A run of another workflow is
// ErrInvalid.
func claimRun(ctx context.Context, t wtx, wid int64, run string) (int64, error) {
	var rk, owner int64
	err := t.row(ctx, q(`SELECT rk, wid FROM runs WHERE id = ?`), run).Scan(&rk, &owner)
	switch {
	case err == sql.ErrNoRows:
		res, err := t.exec(ctx, q(`INSERT INTO runs (id, wid) VALUES (?, ?)`), run, wid)
		if err != nil {
			return 0, err
		}
		if rk, err = res.LastInsertId(); err != nil {
			return 0, err
		}
		if rk >= 1<<31 {
			return 0, invalid("out of run keys")
		}
		return rk, nil
	case err != nil:
		return 0, err
	case owner != wid:
		return 0, invalid("run %q belongs to another workflow", run)
	}
	return rk, nil
}

func auditRange(rk int64) (lo, hi int64) { return rk << 32, rk<<32 + math.MaxUint32 }

func appendAudit(ctx context.Context, t wtx, wid int64, rows []store.AuditRow, names map[string]int64) error {
	ids := make([]int64, len(rows))
	next := make(map[string]*int64, 1)
	last := ""
	var cur *int64
	for i := range rows {
		run := rows[i].Run
		if cur == nil || run != last {
			p := next[run]
			if p == nil {
				rk, err := claimRun(ctx, t, wid, run)
				if err != nil {
					return fmt.Errorf("sqlite: apply: audit: %w", err)
				}
				lo, hi := auditRange(rk)
				var n int64
				if err := t.row(ctx, q(`SELECT coalesce(max(id) + 1, ?) FROM audit WHERE id BETWEEN ? AND ?`), lo, lo, hi).Scan(&n); err != nil {
					return fmt.Errorf("sqlite: apply: audit: %w", err)
				}
				p = &n
				next[run] = p
			}
			cur, last = p, run
		}
		ids[i] = *cur
		*cur++
	}
	var buf []byte
	err := execRows(ctx, t, `INSERT INTO audit (id, account, row) VALUES `, ``, 3, len(rows),
		func(j int, args []any) []any {
			r := &rows[j]
			start := len(buf)
			buf = appendAuditRow(buf, r, names)
			return append(args, ids[j], r.Account, buf[start:len(buf):len(buf)])
		})
	if err != nil {
		return fmt.Errorf("sqlite: apply: audit: %w", err)
	}
	return nil
}

// rawState is an accounts row before its names are resolved.
type rawState struct {
	ref          int64
	account      string
	status, node int64
	state        []byte
}

const stateCols = `ref, account, status, node, state`

func scanState(rows *sql.Rows, r *rawState) error {
	return rows.Scan(&r.ref, &r.account, &r.status, &r.node, &r.state)
}

// decodeStates turns raw rows into states, loading the names they need.
func (s *Store) decodeStates(ctx context.Context, t runner, wid int64, raws []rawState, out []store.AccountState) error {
	heads := make([]stateHead, len(raws))
	var need int64
	for i := range raws {
		h, err := decodeStateHead(raws[i].state)
		if err != nil {
			return err
		}
		heads[i] = h
		need = max(need, raws[i].node, maxPathName(h.path))
	}
	names, err := s.nameList(ctx, t, wid, need)
	if err != nil {
		return err
	}
	for i := range raws {
		r, h := &raws[i], &heads[i]
		if r.node < 0 || r.node >= int64(len(names)) {
			return errCorrupt
		}
		st := &out[i]
		*st = store.AccountState{
			Ref: uint64(r.ref), Account: r.account, Status: store.Status(r.status), Node: names[r.node],
			Entry: uint32(h.entry), EnteredAt: h.entered, WakeAt: h.wake, Failures: uint16(h.failures), Reason: h.reason,
		}
		if st.Path, err = decodePath(h.path, h.base, names); err != nil {
			return err
		}
	}
	return nil
}

// GetStates implements [store.StateStore]. It reads in one transaction, so
// it sees each batch whole or not at all. An empty account id is
// [store.ErrInvalid].
func (s *Store) GetStates(ctx context.Context, workflowID string, accountIDs []string) ([]store.AccountState, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	if workflowID == "" {
		return nil, invalid("empty workflow id")
	}
	out := make([]store.AccountState, len(accountIDs))
	pos := make(map[string]int, len(accountIDs))
	var uniq []string
	for i, id := range accountIDs {
		if id == "" {
			return nil, invalid("empty account id")
		}
		out[i].Account = id
		if _, ok := pos[id]; !ok {
			pos[id] = i
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return out, nil
	}
	err := s.read(ctx, func(t rtx) error {
		wid, tombs, ok, err := wfKey(ctx, t, workflowID)
		if err != nil || !ok {
			return err
		}
		var raws []rawState
		err = queryIn(ctx, t, `SELECT `+stateCols+` FROM accounts WHERE wid = ? AND account IN (`, `)`, []any{wid}, len(uniq),
			func(i int) any { return uniq[i] },
			func(rows *sql.Rows) error {
				raws = append(raws, rawState{})
				return scanState(rows, &raws[len(raws)-1])
			})
		if err != nil {
			return err
		}
		found := make([]store.AccountState, len(raws))
		if err := s.decodeStates(ctx, t, wid, raws, found); err != nil {
			return err
		}
		for _, st := range found {
			if st.Status != store.StatusForgotten {
				out[pos[st.Account]] = st
			}
		}
		if tombs > 0 {
			var hashes []string
			byHash := make(map[string]int)
			for _, id := range uniq {
				if out[pos[id]].Status == store.StatusNone {
					h := store.HashID(id)
					hashes = append(hashes, h)
					byHash[h] = pos[id]
				}
			}
			err := queryIn(ctx, t, `SELECT account, state FROM accounts WHERE wid = ? AND status = 6 AND account IN (`, `)`, []any{wid}, len(hashes),
				func(i int) any { return hashes[i] },
				func(rows *sql.Rows) error {
					var h string
					var state []byte
					if err := rows.Scan(&h, &state); err != nil {
						return err
					}
					head, err := decodeStateHead(state)
					if err != nil {
						return err
					}
					if i, ok := byHash[h]; ok {
						out[i].Status, out[i].Entry = store.StatusForgotten, uint32(head.entry)
					}
					return nil
				})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: get states: %w", err)
	}
	for i, id := range accountIDs {
		if j := pos[id]; j != i {
			out[i] = out[j]
			out[i].Path = slices.Clone(out[j].Path)
		}
	}
	return out, nil
}

// scanChunk is how many states or intents an iterator reads per query.
const scanChunk = 256

// ScanStates implements [store.StateStore]: accounts in first-insertion
// order (their ref order). The iteration is not a snapshot: it reads a
// chunk at a time, each in its own read transaction, and holds no
// transaction while the loop body runs, so the body may call Apply. A
// tombstone (StatusForgotten) carries the hashed id as its Account.
func (s *Store) ScanStates(ctx context.Context, workflowID string, statuses ...store.Status) iter.Seq2[store.AccountState, error] {
	var filter []any
	if len(statuses) > 0 {
		seen := map[store.Status]bool{}
		for _, st := range statuses {
			if !seen[st] {
				seen[st] = true
				filter = append(filter, int64(st))
			}
		}
	}
	return func(yield func(store.AccountState, error) bool) {
		var wid, cursor, hi int64
		first := true
		for {
			var buf []store.AccountState
			err := s.read(ctx, func(t rtx) error {
				if first {
					w, _, ok, err := wfKey(ctx, t, workflowID)
					if err != nil || !ok {
						return err
					}
					wid = w
					cursor, hi = refRange(wid)
					first = false
				}
				args := append([]any{cursor, hi}, filter...)
				k := stmtKey{head: `SELECT ` + stateCols + ` FROM accounts WHERE ref > ? AND ref <= ? ORDER BY ref LIMIT 256`}
				if len(filter) > 0 {
					k = stmtKey{head: `SELECT ` + stateCols + ` FROM accounts WHERE ref > ? AND ref <= ? AND status IN (`,
						tail: `) ORDER BY ref LIMIT 256`, rows: len(filter)}
				}
				rows, err := t.query(ctx, k, args...)
				if err != nil {
					return err
				}
				var raws []rawState
				for rows.Next() {
					raws = append(raws, rawState{})
					if err := scanState(rows, &raws[len(raws)-1]); err != nil {
						rows.Close()
						return err
					}
				}
				if err := rows.Close(); err != nil {
					return err
				}
				if err := rows.Err(); err != nil {
					return err
				}
				buf = make([]store.AccountState, len(raws))
				if len(raws) > 0 {
					cursor = raws[len(raws)-1].ref
				}
				return s.decodeStates(ctx, t, wid, raws, buf)
			})
			if err != nil {
				yield(store.AccountState{}, fmt.Errorf("sqlite: scan states: %w", err))
				return
			}
			for _, st := range buf {
				if !yield(st, nil) {
					return
				}
			}
			if len(buf) < scanChunk {
				return
			}
		}
	}
}

// Counts implements [store.StateStore], counting the workflow's rows in
// one query. Nodes with no account are left out.
func (s *Store) Counts(ctx context.Context, workflowID string) (map[string]store.NodeCounts, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]store.NodeCounts)
	err := s.read(ctx, func(t rtx) error {
		wid, _, ok, err := wfKey(ctx, t, workflowID)
		if err != nil || !ok {
			return err
		}
		lo, hi := refRange(wid)
		rows, err := t.query(ctx, q(`SELECT node, status, count(*) FROM accounts WHERE ref BETWEEN ? AND ? AND status BETWEEN 1 AND 5 GROUP BY node, status`), lo, hi)
		if err != nil {
			return err
		}
		type cnt struct{ node, status, n int64 }
		var cs []cnt
		var need int64
		for rows.Next() {
			var c cnt
			if err := rows.Scan(&c.node, &c.status, &c.n); err != nil {
				rows.Close()
				return err
			}
			cs = append(cs, c)
			need = max(need, c.node)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		names, err := s.nameList(ctx, t, wid, need)
		if err != nil {
			return err
		}
		for _, c := range cs {
			name := names[c.node]
			nc := out[name]
			switch store.Status(c.status) {
			case store.StatusActive:
				nc.Active += int(c.n)
			case store.StatusWaiting:
				nc.Waiting += int(c.n)
			case store.StatusFailed:
				nc.Failed += int(c.n)
			case store.StatusBlocked:
				nc.Blocked += int(c.n)
			case store.StatusExited:
				nc.Exited += int(c.n)
			}
			out[name] = nc
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: counts: %w", err)
	}
	return out, nil
}

// PendingIntents implements [store.IntentStore]: oldest first by Created,
// then by first insertion. It reads the order of the pending intents' keys
// at once, then the intents a chunk at a time, each chunk in its own read
// transaction, and holds no transaction while the loop body runs; an intent
// resolved during the iteration and not yet yielded is skipped.
func (s *Store) PendingIntents(ctx context.Context, workflowID string) iter.Seq2[store.Intent, error] {
	return func(yield func(store.Intent, error) bool) {
		type ref struct {
			key string
			seq int64
		}
		var wid int64
		var refs []ref
		err := s.read(ctx, func(t rtx) error {
			w, _, ok, err := wfKey(ctx, t, workflowID)
			if err != nil || !ok {
				return err
			}
			wid = w
			rows, err := t.query(ctx, q(`SELECT key, seq FROM intents WHERE wid = ? ORDER BY created, seq`), wid)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var r ref
				if err := rows.Scan(&r.key, &r.seq); err != nil {
					return err
				}
				refs = append(refs, r)
			}
			return rows.Err()
		})
		if err != nil {
			yield(store.Intent{}, fmt.Errorf("sqlite: pending intents: %w", err))
			return
		}
		for len(refs) > 0 {
			chunk := refs[:min(len(refs), scanChunk)]
			refs = refs[len(chunk):]
			type raw struct {
				in                    store.Intent
				seq                   int64
				node, entry, attempts uint64
				items                 []byte
			}
			byKey := make(map[string]*raw, len(chunk))
			var buf []store.Intent
			err := s.read(ctx, func(t rtx) error {
				var need int64
				err := queryIn(ctx, t, `SELECT key, seq, account, created, intent FROM intents WHERE wid = ? AND key IN (`, `)`,
					[]any{wid}, len(chunk), func(i int) any { return chunk[i].key },
					func(rows *sql.Rows) error {
						r := new(raw)
						var blob []byte
						var created int64
						if err := rows.Scan(&r.in.Key, &r.seq, &r.in.Account, &created, &blob); err != nil {
							return err
						}
						var err error
						if r.node, r.entry, r.attempts, r.items, err = decodeIntentHead(blob); err != nil {
							return err
						}
						r.in.Entry, r.in.Attempts, r.in.Created = uint32(r.entry), int(r.attempts), nanos.Time(created)
						need = max(need, int64(r.node))
						byKey[r.in.Key] = r
						return nil
					})
				if err != nil {
					return err
				}
				names, err := s.nameList(ctx, t, wid, need)
				if err != nil {
					return err
				}
				for _, rf := range chunk {
					r := byKey[rf.key]
					if r == nil || r.seq != rf.seq {
						continue
					}
					if r.node >= uint64(len(names)) {
						return errCorrupt
					}
					in := r.in
					in.Node = names[r.node]
					if in.Items, err = decodeItems(r.items, in.Key); err != nil {
						return err
					}
					buf = append(buf, in)
				}
				return nil
			})
			if err != nil {
				yield(store.Intent{}, fmt.Errorf("sqlite: pending intents: %w", err))
				return
			}
			for _, in := range buf {
				if !yield(in, nil) {
					return
				}
			}
		}
	}
}

// Forget implements [store.Eraser], in one transaction. Forgetting an
// account never in the workflow leaves no tombstone but still erases its
// engagement events; forgetting twice is not an error. Besides what
// store.Eraser lists, the account's entries in the workflow's runs' Errors
// are removed (ErrorCount is kept), and so are the contacts the workflow
// bought for it (as [Store.ForgetPurchased] does), in the same transaction.
func (s *Store) Forget(ctx context.Context, workflowID, accountID string) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if workflowID == "" || accountID == "" {
		return invalid("empty workflow or account id")
	}
	err := s.write(ctx, func(t wtx) error {
		if _, err := t.exec(ctx, q(`DELETE FROM events WHERE account = ?`), accountID); err != nil {
			return err
		}
		wid, _, ok, err := wfKey(ctx, t, workflowID)
		if err != nil || !ok {
			return err
		}
		var ref int64
		var state []byte
		err = t.row(ctx, q(`SELECT ref, state FROM accounts WHERE wid = ? AND account = ? AND status <> 6`), wid, accountID).Scan(&ref, &state)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		default:
			h, err := decodeStateHead(state)
			if err != nil {
				return err
			}
			tomb := appendState(nil, &store.AccountState{Entry: uint32(h.entry)}, nil)
			if _, err := t.exec(ctx, q(`UPDATE accounts SET account = ?, status = 6, node = 0, state = ? WHERE ref = ?`),
				store.HashID(accountID), tomb, ref); err != nil {
				return err
			}
			if _, err := t.exec(ctx, q(`UPDATE wfs SET tombs = tombs + 1 WHERE wid = ?`), wid); err != nil {
				return err
			}
		}
		if _, err := t.exec(ctx, q(`DELETE FROM intents WHERE wid = ? AND account = ?`), wid, accountID); err != nil {
			return err
		}
		if _, err := t.exec(ctx, q(`DELETE FROM purchased WHERE wid = ? AND account = ?`), wid, accountID); err != nil {
			return err
		}
		rows, err := t.query(ctx, q(`SELECT rk, record FROM runs WHERE wid = ?`), wid)
		if err != nil {
			return err
		}
		type runRec struct {
			rk  int64
			rec []byte
		}
		var runs []runRec
		for rows.Next() {
			var r runRec
			if err := rows.Scan(&r.rk, &r.rec); err != nil {
				rows.Close()
				return err
			}
			runs = append(runs, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range runs {
			lo, hi := auditRange(r.rk)
			if _, err := t.exec(ctx, q(`DELETE FROM audit WHERE id BETWEEN ? AND ? AND account = ?`), lo, hi, accountID); err != nil {
				return err
			}
			if r.rec == nil {
				continue
			}
			var run store.Run
			if err := json.Unmarshal(r.rec, &run); err != nil {
				return err
			}
			n := len(run.Errors)
			run.Errors = slices.DeleteFunc(run.Errors, func(e store.RunError) bool { return e.Account == accountID })
			if len(run.Errors) != n {
				rec, err := json.Marshal(&run)
				if err != nil {
					return err
				}
				if _, err := t.exec(ctx, q(`UPDATE runs SET record = ? WHERE rk = ?`), rec, r.rk); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: forget: %w", err)
	}
	return nil
}
