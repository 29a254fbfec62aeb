package memstore

import (
	"cmp"
	"context"
	"iter"
	"math"
	"slices"

	"github.com/playgraph/playgraph/store"
)

// scanChunk is how many states ScanStates and PendingIntents copy per lock
// acquisition; the lock is never held while the caller's loop body runs.
const scanChunk = 256

const noSlot = math.MaxUint32

// GetStates implements [store.StateStore]. An empty account id is
// [store.ErrInvalid].
func (s *Store) GetStates(ctx context.Context, workflowID string, accountIDs []string) ([]store.AccountState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if workflowID == "" {
		return nil, invalid("empty workflow id")
	}
	for _, id := range accountIDs {
		if id == "" {
			return nil, invalid("empty account id")
		}
	}
	out := make([]store.AccountState, len(accountIDs))
	w := s.rlockWF(workflowID)
	if w == nil {
		for i, id := range accountIDs {
			out[i] = store.AccountState{Account: id}
		}
		return out, nil
	}
	defer w.mu.RUnlock()
	found := make([]uint32, len(accountIDs))
	w.lookupMany(accountIDs, found)
	total := 0
	for _, i := range found {
		if i != noSlot {
			total += int(w.slots.at(i).pathLen)
		}
	}
	steps := make([]store.Step, total)
	for k, id := range accountIDs {
		i := found[k]
		if i == noSlot {
			out[k] = store.AccountState{Account: id}
			if t, _, ok := w.tomb(id); ok {
				out[k].Status = store.StatusForgotten
				out[k].Entry = w.slots.at(t).entry
			}
			continue
		}
		n := int(w.slots.at(i).pathLen)
		w.decode(i, &out[k], steps[:n:n], id)
		steps = steps[n:]
	}
	return out, nil
}

// ScanStates implements [store.StateStore]. The iteration is not a snapshot:
// it copies states a chunk at a time under the workflow's read lock and never
// holds the lock while the loop body runs, so the body may call Apply. Each
// state yielded is consistent; a state changed during the scan may be seen
// before or after the change; accounts added during the scan are seen. A
// tombstone (StatusForgotten) carries the hashed id (store.HashID) as its
// Account.
func (s *Store) ScanStates(ctx context.Context, workflowID string, statuses ...store.Status) iter.Seq2[store.AccountState, error] {
	var want [256]bool
	for _, st := range statuses {
		want[st] = true
	}
	all := len(statuses) == 0
	return func(yield func(store.AccountState, error) bool) {
		var cursor uint32
		sel := make([]uint32, 0, scanChunk)
		buf := make([]store.AccountState, 0, scanChunk)
		for {
			if err := ctx.Err(); err != nil {
				yield(store.AccountState{}, err)
				return
			}
			w := s.rlockWF(workflowID)
			if w == nil {
				return
			}
			sel, buf = sel[:0], buf[:0]
			total := 0
			n := w.slots.n
			for ; cursor < n && len(sel) < scanChunk; cursor++ {
				sl := w.slots.at(cursor)
				if all || want[sl.status] {
					sel = append(sel, cursor)
					total += int(sl.pathLen)
				}
			}
			steps := make([]store.Step, total)
			for _, i := range sel {
				var st store.AccountState
				k := int(w.slots.at(i).pathLen)
				w.decode(i, &st, steps[:k:k], "")
				steps = steps[k:]
				buf = append(buf, st)
			}
			w.mu.RUnlock()
			for _, st := range buf {
				if !yield(st, nil) {
					return
				}
			}
			if cursor >= n {
				return
			}
		}
	}
}

// Counts implements [store.StateStore]. Nodes with no account are left out.
func (s *Store) Counts(ctx context.Context, workflowID string) (map[string]store.NodeCounts, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]store.NodeCounts)
	w := s.rlockWF(workflowID)
	if w == nil {
		return out, nil
	}
	defer w.mu.RUnlock()
	for i, c := range w.counts {
		if c.Total() > 0 {
			out[w.names.list[i]] = c
		}
	}
	return out, nil
}

// Apply implements [store.StateStore]. A nil batch is an empty one. The
// batch is validated in full before anything is written; an invalid batch
// is [store.ErrInvalid] and a stale fence [store.ErrFenced], and neither
// writes anything. Apply holds the workflow's write lock for the whole
// batch, so readers see all of it or none of it. A fence is checked against
// the lease named workflowID: it must be the token of the lease's current
// grant (expired but not yet granted again still counts; released does not).
func (s *Store) Apply(ctx context.Context, workflowID string, b *store.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if workflowID == "" {
		return invalid("empty workflow id")
	}
	if b == nil {
		b = &store.Batch{}
	}
	if err := validateBatch(b); err != nil {
		return err
	}
	w := s.lockWF(workflowID)
	defer w.mu.Unlock()
	if b.Fence != 0 {
		if cur := s.currentToken(workflowID); cur != b.Fence {
			return fencedError(workflowID, b.Fence, cur)
		}
	}
	// Intern every name first: running out of names is the one failure
	// that depends on the stored data, and must come before any write.
	sc := w.scratch[:0]
	for i := range b.States {
		st := &b.States[i]
		n, ok := w.names.get(st.Node)
		sc = append(sc, n)
		for _, p := range st.Path {
			nn, ok1 := w.names.get(p.Node)
			no, ok2 := w.names.get(p.Out)
			ok = ok && ok1 && ok2
			sc = append(sc, nn, no)
		}
		if !ok {
			w.scratch = sc
			return invalid("workflow %q: more than %d distinct node and path names", workflowID, math.MaxUint16)
		}
	}
	w.scratch = sc
	if err := s.claimRuns(workflowID, w, b.Audit); err != nil {
		return err
	}

	hs := w.prefetch(b.States)
	for i := range b.States {
		sc = w.put(&b.States[i], hs[i], sc)
	}
	for i := range b.Intents {
		in := &b.Intents[i]
		if r, ok := w.intents[in.Key]; ok {
			r.in = copyIntent(in)
			r.created = encTime(in.Created)
			continue
		}
		w.intentSeq++
		r := &intentRec{seq: w.intentSeq, created: encTime(in.Created)}
		if len(in.Items) == 1 && in.Items[0].Contact == nil {
			r.in = *in
			r.in.Created = utc(in.Created)
			r.one[0] = in.Items[0]
			r.in.Items = r.one[:1:1]
		} else {
			r.in = copyIntent(in)
		}
		w.intents[in.Key] = r
	}
	for _, k := range b.Resolved {
		delete(w.intents, k)
	}
	for i := range b.Audit {
		r := &b.Audit[i]
		l := w.audit[r.Run]
		if l == nil {
			l = newAuditLog()
			w.audit[r.Run] = l
		}
		l.add(r)
	}
	return nil
}

func validateBatch(b *store.Batch) error {
	for i := range b.States {
		st := &b.States[i]
		switch {
		case st.Account == "":
			return invalid("state %d: empty account id", i)
		case st.Status < store.StatusActive || st.Status > store.StatusExited:
			return invalid("state %d (%s): status %v cannot be saved", i, st.Account, st.Status)
		case !timeOK(st.EnteredAt) || !timeOK(st.WakeAt):
			return invalid("state %d (%s): time out of range", i, st.Account)
		case len(st.Account) > maxIDLen:
			return invalid("state %d: account id longer than %d bytes", i, maxIDLen)
		case len(st.Path) > math.MaxUint16:
			return invalid("state %d (%s): path too long", i, st.Account)
		}
		for _, p := range st.Path {
			if !timeOK(p.At) {
				return invalid("state %d (%s): path time out of range", i, st.Account)
			}
		}
	}
	for i := range b.Intents {
		in := &b.Intents[i]
		switch {
		case in.Key == "":
			return invalid("intent %d: empty key", i)
		case in.Account == "":
			return invalid("intent %d (%s): empty account id", i, in.Key)
		case !timeOK(in.Created):
			return invalid("intent %d (%s): time out of range", i, in.Key)
		}
		for j := range in.Items {
			if in.Items[j].Key == "" {
				return invalid("intent %d (%s): item %d: empty key", i, in.Key, j)
			}
		}
	}
	for i, k := range b.Resolved {
		if k == "" {
			return invalid("resolved %d: empty key", i)
		}
	}
	for i := range b.Audit {
		r := &b.Audit[i]
		if r.Run == "" {
			return invalid("audit row %d: empty run id", i)
		}
		if !timeOK(r.At) {
			return invalid("audit row %d: time out of range", i)
		}
	}
	return nil
}

// prefetch returns, per state, the id's index hash (0, unused, when the
// state's Ref names its slot: no index look-up needed). On the way it touches the
// first probe entry of every hash, one state after another, so that the
// processor overlaps the cache misses of independent look-ups (an entry
// batch is all misses in a big table) instead of waiting for each in turn
// inside put. The caller holds w's write lock.
func (w *wfState) prefetch(states []store.AccountState) []uint64 {
	hs := w.hashes[:0]
	var sink uint64
	for i := range states {
		st := &states[i]
		if st.Ref != 0 && st.Ref <= uint64(w.slots.n) && w.hasID(uint32(st.Ref-1), st.Account) {
			hs = append(hs, 0)
			continue
		}
		h := w.index.hash(st.Account)
		hs = append(hs, h)
		si, tag := split(h)
		if s := &w.index.shards[si]; len(s.entries) > 0 {
			sink += s.entries[tag&uint32(len(s.entries)-1)]
		}
	}
	w.hashes = hs
	w.sink += sink
	return hs
}

// put saves one state; h is its hash from prefetch, sc holds its interned
// node and path names (as Apply computed them) and put returns what follows
// them.
func (w *wfState) put(st *store.AccountState, h uint64, sc []uint16) []uint16 {
	id := st.Account
	var i uint32
	found := false
	if st.Ref != 0 && st.Ref <= uint64(w.slots.n) && w.hasID(uint32(st.Ref-1), id) {
		i, found = uint32(st.Ref-1), true
	}
	if !found {
		i, found = w.index.lookup(h, id, w)
		if !found {
			if t, hid, ok := w.tomb(id); ok {
				delete(w.tombs, hid)
				i = t
			} else {
				i = w.slots.add()
			}
			w.setID(i, id)
			w.index.insert(h, i)
		}
	}
	sl := w.slots.at(i)
	w.count(sl.node, sl.status, -1)

	sl.status = uint8(st.Status)
	sl.node = sc[0]
	sl.entry = st.Entry
	sl.entered = encTime(st.EnteredAt)
	sl.wake = encTime(st.WakeAt)
	sl.failures = st.Failures
	if sl.reason == reasonSide {
		delete(w.reasonSide, i)
	}
	r, ok := w.reasons.get(st.Reason)
	if !ok {
		r = reasonSide
		if w.reasonSide == nil {
			w.reasonSide = make(map[uint32]string)
		}
		w.reasonSide[i] = st.Reason
	}
	sl.reason = r
	n := len(st.Path)
	var ov []step
	if int(sl.pathLen) > inlineSteps {
		ov = w.overflow[i][:0]
	}
	for k := range n {
		p := step{at: encTime(st.Path[k].At), node: sc[1+2*k], out: sc[2+2*k]}
		if k < inlineSteps {
			sl.path[k] = p
		} else {
			ov = append(ov, p)
		}
	}
	for k := n; k < inlineSteps && k < int(sl.pathLen); k++ {
		sl.path[k] = step{}
	}
	switch {
	case n > inlineSteps:
		if w.overflow == nil {
			w.overflow = make(map[uint32][]step)
		}
		w.overflow[i] = ov
	case int(sl.pathLen) > inlineSteps:
		delete(w.overflow, i)
	}
	sl.pathLen = uint16(n)
	w.count(sl.node, sl.status, +1)
	st.Ref = uint64(i) + 1
	return sc[1+2*n:]
}

// tomb returns the tombstone slot of an account id and its hashed id.
func (w *wfState) tomb(id string) (uint32, string, bool) {
	if len(w.tombs) == 0 {
		return 0, "", false
	}
	hid := store.HashID(id)
	i, ok := w.tombs[hid]
	return i, hid, ok
}

// PendingIntents implements [store.IntentStore]: oldest first by Created,
// then by first insertion. Like ScanStates, it copies intents a chunk at a
// time and never holds a lock while the loop body runs; an intent resolved
// during the iteration and not yet yielded is skipped.
func (s *Store) PendingIntents(ctx context.Context, workflowID string) iter.Seq2[store.Intent, error] {
	return func(yield func(store.Intent, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(store.Intent{}, err)
			return
		}
		type ref struct {
			created int64
			seq     uint64
			key     string
		}
		w := s.rlockWF(workflowID)
		if w == nil {
			return
		}
		refs := make([]ref, 0, len(w.intents))
		for k, r := range w.intents {
			refs = append(refs, ref{r.created, r.seq, k})
		}
		w.mu.RUnlock()
		slices.SortFunc(refs, func(a, b ref) int {
			if c := cmp.Compare(a.created, b.created); c != 0 {
				return c
			}
			return cmp.Compare(a.seq, b.seq)
		})
		buf := make([]store.Intent, 0, scanChunk)
		for len(refs) > 0 {
			if err := ctx.Err(); err != nil {
				yield(store.Intent{}, err)
				return
			}
			chunk := refs[:min(len(refs), scanChunk)]
			refs = refs[len(chunk):]
			buf = buf[:0]
			if w = s.rlockWF(workflowID); w == nil {
				return
			}
			for _, rf := range chunk {
				if r, ok := w.intents[rf.key]; ok && r.seq == rf.seq {
					buf = append(buf, copyIntent(&r.in))
				}
			}
			w.mu.RUnlock()
			for _, in := range buf {
				if !yield(in, nil) {
					return
				}
			}
		}
	}
}

// Forget implements [store.Eraser]. Forgetting an account that was never in
// the workflow leaves no tombstone but still erases its engagement events;
// forgetting twice is not an error. Besides what store.Eraser lists, the
// account's entries in the workflow's runs' Errors are removed (ErrorCount
// is kept).
func (s *Store) Forget(ctx context.Context, workflowID, accountID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if workflowID == "" || accountID == "" {
		return invalid("empty workflow or account id")
	}
	if w := s.rlockWF(workflowID); w != nil {
		w.mu.RUnlock()
		w = s.lockWF(workflowID)
		w.forget(accountID)
		w.mu.Unlock()
	}
	s.forgetEvents(accountID)
	return nil
}

func (w *wfState) forget(id string) {
	h := w.index.hash(id)
	if i, ok := w.index.lookup(h, id, w); ok {
		sl := w.slots.at(i)
		w.count(sl.node, sl.status, -1)
		w.index.remove(h, i)
		if sl.reason == reasonSide {
			delete(w.reasonSide, i)
		}
		if int(sl.pathLen) > inlineSteps {
			delete(w.overflow, i)
		}
		clear(w.ids.bytes(sl.idRef, sl.idLen)) // no copy of the id stays behind
		hid := store.HashID(id)
		*sl = slot{status: uint8(store.StatusForgotten), entry: sl.entry}
		w.setID(i, hid)
		if w.tombs == nil {
			w.tombs = make(map[string]uint32)
		}
		w.tombs[hid] = i
	}
	for k, r := range w.intents {
		if r.in.Account == id {
			delete(w.intents, k)
		}
	}
	for _, l := range w.audit {
		l.forget(id)
	}
	for _, r := range w.runs {
		r.Errors = slices.DeleteFunc(r.Errors, func(e store.RunError) bool { return e.Account == id })
	}
}
