package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"
	"unsafe"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// auditRow is an audit row kept compactly: the run id is the log's key, the
// node and event names are interned per log, the time is Unix nanoseconds.
type auditRow struct {
	account, detail string
	at              int64
	node, event     uint32
}

// auditLog keeps a run's rows in chunks of auditChunk rows: a long log
// grows by adding a chunk, never by copying the rows it has.
type auditLog struct {
	chunks [][]auditRow
	n      int
	names  []string
	ids    map[string]uint32
	cache  [32]auditName // by string data pointer and length (see names)
}

type auditName struct {
	p   *byte
	n   int
	idx uint32
}

const auditChunk = 1024

func newAuditLog() *auditLog {
	return &auditLog{names: []string{""}, ids: make(map[string]uint32)}
}

func (l *auditLog) name(s string) uint32 {
	if s == "" {
		return 0
	}
	// A run's rows name its graph's nodes and a few event kinds, passed
	// as the same strings again and again: most look-ups skip the map.
	p := unsafe.StringData(s)
	c := &l.cache[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(s)))%uintptr(len(l.cache))]
	if c.p == p && c.n == len(s) {
		return c.idx
	}
	i, ok := l.ids[s]
	if !ok {
		i = uint32(len(l.names))
		l.names = append(l.names, s)
		l.ids[s] = i
	}
	*c = auditName{p, len(s), i}
	return i
}

func (l *auditLog) add(r *store.AuditRow) {
	c := len(l.chunks) - 1
	if c < 0 || len(l.chunks[c]) == cap(l.chunks[c]) {
		size := auditChunk
		if c < 0 {
			size = 16 // most logs are short
		} else if cap(l.chunks[c]) < auditChunk {
			// Small logs grow by copying until their first chunk is full.
			size = min(auditChunk, 2*cap(l.chunks[c]))
			l.chunks[c] = append(make([]auditRow, 0, size), l.chunks[c]...)
			size = 0
		}
		if size > 0 {
			l.chunks = append(l.chunks, make([]auditRow, 0, size))
			c++
		}
	}
	l.chunks[c] = append(l.chunks[c], auditRow{
		account: r.Account, detail: r.Detail, at: nanos.Of(r.At),
		node: l.name(r.Node), event: l.name(r.Event),
	})
	l.n++
}

// at returns row i.
func (l *auditLog) at(i int) *auditRow {
	if c := len(l.chunks[0]); i < c {
		return &l.chunks[0][i]
	} else {
		i -= c
		return &l.chunks[1+i/auditChunk][i%auditChunk]
	}
}

// forget removes the account's rows, compacting the log in place.
func (l *auditLog) forget(account string) {
	w := 0
	for r := range l.n {
		row := l.at(r)
		if row.account == account {
			continue
		}
		if w != r {
			*l.at(w) = *row
		}
		w++
	}
	if w == l.n {
		return // no row of the account
	}
	for r := w; r < l.n; r++ {
		*l.at(r) = auditRow{} // keep no strings alive
	}
	// Chunks keep their layout: the first holds up to its capacity, the
	// others auditChunk rows each.
	first := len(l.chunks[0])
	if w <= first {
		l.chunks = l.chunks[:1]
		l.chunks[0] = l.chunks[0][:w]
	} else {
		rest := w - first
		k := (rest + auditChunk - 1) / auditChunk
		clear(l.chunks[1+k:])
		l.chunks = l.chunks[:1+k]
		l.chunks[k] = l.chunks[k][:rest-(k-1)*auditChunk]
	}
	l.n = w
}

// claimRuns records that the audit rows' runs belong to the workflow;
// rows for a run of another workflow are [store.ErrInvalid], and then no
// run is claimed. The caller holds w.meta (under w.mu in read mode) or
// w.mu in write mode.
func (s *Store) claimRuns(workflowID string, w *wfState, rows []store.AuditRow) error {
	var claim []string
	last := ""
	for i := range rows {
		run := rows[i].Run
		if run == last {
			continue
		}
		last = run
		if _, ok := w.audit[run]; ok {
			continue
		}
		if _, ok := w.runs[run]; ok {
			continue
		}
		if !slices.Contains(claim, run) {
			claim = append(claim, run)
		}
	}
	if len(claim) == 0 {
		return nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for _, run := range claim { // check them all before claiming any
		if owner, ok := s.runWF[run]; ok && owner != workflowID {
			i := slices.IndexFunc(rows, func(r store.AuditRow) bool { return r.Run == run })
			return invalid("audit row %d: run %q belongs to workflow %q", i, run, owner)
		}
	}
	for _, run := range claim {
		s.runWF[run] = workflowID
	}
	return nil
}

// PutRun implements [store.RunStore]. A run's Workflow never changes:
// putting a run id already stored under another workflow is
// [store.ErrInvalid].
func (s *Store) PutRun(ctx context.Context, r store.Run) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.ID == "" || r.Workflow == "" {
		return invalid("run: empty id or workflow")
	}
	w := s.lockWF(r.Workflow)
	defer w.mu.Unlock()
	s.rmu.Lock()
	owner, ok := s.runWF[r.ID]
	if !ok {
		s.runWF[r.ID] = r.Workflow
	}
	s.rmu.Unlock()
	if ok && owner != r.Workflow {
		return invalid("run %q belongs to workflow %q", r.ID, owner)
	}
	w.runs[r.ID] = copyRun(&r)
	return nil
}

// runState returns the locked (see rlockWF) state of the workflow a run belongs to.
func (s *Store) runState(runID string) *wfState {
	s.rmu.RLock()
	wf, ok := s.runWF[runID]
	s.rmu.RUnlock()
	if !ok {
		return nil
	}
	return s.rlockWF(wf)
}

// GetRun implements [store.RunStore].
func (s *Store) GetRun(ctx context.Context, runID string) (store.Run, error) {
	if err := ctx.Err(); err != nil {
		return store.Run{}, err
	}
	if w := s.runState(runID); w != nil {
		defer w.mu.Unlock()
		if r := w.runs[runID]; r != nil {
			return *copyRun(r), nil
		}
	}
	return store.Run{}, notFound("run %q", runID)
}

func newestFirst(a, b *store.Run) int {
	if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

func (w *wfState) sortedRuns() []*store.Run {
	rs := make([]*store.Run, 0, len(w.runs))
	for _, r := range w.runs {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, newestFirst)
	return rs
}

// ListRuns implements [store.RunStore]: newest first by StartedAt, ties
// broken by descending ID.
func (s *Store) ListRuns(ctx context.Context, workflowID string, limit int) ([]store.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := s.rlockWF(workflowID)
	if w == nil {
		return []store.Run{}, nil
	}
	defer w.mu.Unlock()
	rs := w.sortedRuns()
	if limit > 0 && len(rs) > limit {
		rs = rs[:limit]
	}
	out := make([]store.Run, len(rs))
	for i, r := range rs {
		out[i] = *copyRun(r)
	}
	return out, nil
}

// Audit implements [store.RunStore]. limit <= 0 means every row from
// offset; a negative offset is [store.ErrInvalid]; a run with neither a
// record nor audit rows is [store.ErrNotFound].
func (s *Store) Audit(ctx context.Context, runID string, offset, limit int) ([]store.AuditRow, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, invalid("audit: negative offset %d", offset)
	}
	w := s.runState(runID)
	if w == nil {
		return nil, notFound("run %q", runID)
	}
	defer w.mu.Unlock()
	l := w.audit[runID]
	if l == nil {
		if w.runs[runID] == nil {
			return nil, notFound("run %q", runID)
		}
		return []store.AuditRow{}, nil
	}
	lo := min(offset, l.n)
	hi := l.n
	if limit > 0 && hi-lo > limit {
		hi = lo + limit
	}
	out := make([]store.AuditRow, hi-lo)
	for i := range out {
		r := l.at(lo + i)
		out[i] = store.AuditRow{
			Run: runID, Account: r.account, Node: l.names[r.node], Event: l.names[r.event],
			Detail: r.detail, At: nanos.Time(r.at),
		}
	}
	return out, nil
}

// PruneRuns implements [store.RunStore]. keep <= 0 sets no count bound; the
// age bound applies only to runs that ended (non-zero EndedAt).
func (s *Store) PruneRuns(ctx context.Context, workflowID string, keep int, before time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if w := s.rlockWF(workflowID); w == nil {
		return nil
	} else {
		w.mu.Unlock()
	}
	w := s.lockWF(workflowID)
	defer w.mu.Unlock()
	var gone []string
	for i, r := range w.sortedRuns() {
		if (keep > 0 && i >= keep) || (!before.IsZero() && !r.EndedAt.IsZero() && r.EndedAt.Before(before)) {
			gone = append(gone, r.ID)
			delete(w.runs, r.ID)
			delete(w.audit, r.ID)
		}
	}
	s.unclaimRuns(workflowID, gone)
	return nil
}

// unclaimRuns forgets which workflow the runs belonged to. The caller holds
// the workflow's write lock.
func (s *Store) unclaimRuns(workflowID string, runs []string) {
	if len(runs) == 0 {
		return
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for _, id := range runs {
		if s.runWF[id] == workflowID {
			delete(s.runWF, id)
		}
	}
}
