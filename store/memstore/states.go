package memstore

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"
	"time"
	"unsafe"

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
	defer w.mu.Unlock()
	found := make([]uint32, len(accountIDs))
	w.lookupMany(accountIDs, found)
	total := 0
	for _, i := range found {
		if i != noSlot {
			total += int(w.at(i).pathLen)
		}
	}
	steps := make([]store.Step, total)
	for k, id := range accountIDs {
		i := found[k]
		if i == noSlot {
			out[k] = store.AccountState{Account: id}
			if t, _, ok := w.tomb(w.sh(uint32(w.index.hash(id))), id); ok {
				out[k].Status = store.StatusForgotten
				out[k].Entry = w.at(t).entry
			}
			continue
		}
		n := int(w.at(i).pathLen)
		w.decode(i, &out[k], steps[:n:n], id)
		steps = steps[n:]
	}
	return out, nil
}

// ScanStates implements [store.StateStore]. The iteration is not a snapshot:
// it copies states a chunk at a time under the workflow's lock and never
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
			n := w.order.n
			for ; cursor < n && len(sel) < scanChunk; cursor++ {
				i := w.order.at(cursor)
				sl := w.at(i)
				if all || want[sl.status] {
					sel = append(sel, i)
					total += int(sl.pathLen)
				}
			}
			steps := make([]store.Step, total)
			for _, i := range sel {
				var st store.AccountState
				k := int(w.at(i).pathLen)
				w.decode(i, &st, steps[:k:k], "")
				steps = steps[k:]
				buf = append(buf, st)
			}
			w.mu.Unlock()
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
	defer w.mu.Unlock()
	var sum []store.NodeCounts
	for k := range w.shards {
		cs := w.shards[k].counts
		if len(cs) > len(sum) {
			sum = append(sum, make([]store.NodeCounts, len(cs)-len(sum))...)
		}
		for i, c := range cs {
			d := &sum[i]
			d.Active += c.Active
			d.Waiting += c.Waiting
			d.Failed += c.Failed
			d.Blocked += c.Blocked
			d.Exited += c.Exited
		}
	}
	for i, c := range sum {
		if c.Total() > 0 {
			out[w.names.list[i]] = c
		}
	}
	return out, nil
}

// Apply implements [store.StateStore]. A nil batch is an empty one. The
// batch is validated in full before anything is written; an invalid batch
// is [store.ErrInvalid] and a stale fence [store.ErrFenced], and neither
// writes anything. Apply holds the workflow's lock in read mode for the
// whole batch and every reader takes it in write mode, so readers see all
// of a batch or none of it, while two Applies (two chunks of a run) write
// their states and intents in parallel, each shard under its own lock. A
// fence is checked against the lease named workflowID: it must be the token
// of the lease's current grant (expired but not yet granted again still
// counts; released does not).
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
	if len(b.States) == 0 && len(b.Intents) == 0 && len(b.Resolved) == 0 && len(b.Audit) == 0 {
		return nil // empty: a no-op, whatever its fence
	}
	w := s.applyLockWF(workflowID)
	defer w.mu.RUnlock()
	if b.Fence != 0 {
		if cur := s.currentToken(workflowID); cur != b.Fence {
			return fencedError(workflowID, b.Fence, cur)
		}
	}
	if n := len(b.States); n > 0 {
		if !w.reserve(n) {
			return invalid("workflow %q: the store cannot hold more accounts", workflowID)
		}
		defer w.unreserve(n)
	}
	a := scratchPool.Get().(*applyScratch)
	defer scratchPool.Put(a)
	// Everything that can fail comes before the first write, and a failure
	// takes back the names and times it interned. A batch with audit rows
	// holds w.meta from interning to appending them (claiming their runs
	// can fail too); others take it only to intern what they have not seen.
	if len(b.Audit) > 0 {
		w.lockMeta(a)
	}
	err := w.intern(workflowID, b.States, a)
	if err == nil && len(b.Audit) > 0 {
		if err = s.claimRuns(workflowID, w, b.Audit); err != nil {
			w.unintern(a)
		} else {
			w.appendAudit(b.Audit)
		}
	}
	if a.locked {
		a.locked = false
		w.meta.Unlock()
	}
	if err != nil {
		return err
	}
	if len(b.States) > 0 || len(b.Intents) > 0 || len(b.Resolved) > 0 {
		w.applyShards(b, a)
	}
	return nil
}

// applyScratch is one Apply's working memory, pooled. Its caches of
// interned names, times and reasons belong to the workflow state whose
// generation is gen: an interned value's index never changes, so a hit
// needs no lock.
type applyScratch struct {
	sc     []uint16 // interned node and path names, state after state
	off    []int32  // each state's first entry in sc
	tm     []uint32 // interned times, state after state: entered, wake, then each step's
	toff   []int32  // each state's first entry in tm
	rsn    []uint32 // each state's interned reason (reasonSide: not interned)
	hs     []uint64 // each state's index hash
	shard  []uint8  // each state's shard; viaRef: its Ref is to be tried first
	byS    []int32  // state indexes grouped by shard
	left   []int32  // states whose Ref was stale and whose hash is in another shard
	fresh  []uint32 // per state: the slot this Apply allocated for it, or noSlot
	nfresh int
	starts [wShards + 1]int32
	sink   uint64

	ins     []int32  // intent indexes grouped by their key's shard
	res     []int32  // resolved key indexes grouped by shard
	kshard  []uint8  // per intent, then per resolved key: its shard
	kh      []uint64 // per intent, then per resolved key: its index hash (see groupKeys)
	kacct   []int32  // per intent, then per resolved key: the length of its account id, or -1
	istarts [wShards + 1]int32
	rstarts [wShards + 1]int32
	seq     uint64 // the first insertion sequence this Apply may use

	gen      uint64 // the wfState generation the caches below belong to
	locked   bool   // intern holds w.meta
	nameMark int    // names and times held when intern took w.meta
	timeMark int
	names    [64]nameCache
	times    [32]timeCache
	rcache   [16]reasonCache
}

type reasonCache struct {
	p   *byte
	n   int
	idx uint32
}

const viaRef = 0x80

var scratchPool = sync.Pool{New: func() any { return new(applyScratch) }}

// intern interns the states' node and path names, times and reasons into
// the scratch's per-state arrays. Values seen before (by this scratch, for
// this workflow state) are found without a lock; the others are interned
// under w.meta, which intern takes when it first needs it and leaves held
// for Apply to release (Apply may hold it already). Running out of names or
// times fails the call, after taking back what it interned; Apply calls
// intern before any write.
func (w *wfState) intern(workflowID string, states []store.AccountState, a *applyScratch) error {
	if a.gen != w.gen {
		a.gen = w.gen
		a.names = [len(a.names)]nameCache{}
		a.times = [len(a.times)]timeCache{}
		a.rcache = [len(a.rcache)]reasonCache{}
	}
	sc, off, rsn := a.sc[:0], a.off[:0], a.rsn[:0]
	tm, toff := a.tm[:0], a.toff[:0]
	defer func() { a.sc, a.off, a.rsn, a.tm, a.toff = sc, off, rsn, tm, toff }()
	ok := true
	var prev *store.AccountState // the previous state
	var po, pt int               // its first entries in sc and tm
	for i := range states {
		st := &states[i]
		o, t := len(sc), len(tm)
		off = append(off, int32(o))
		toff = append(toff, int32(t))
		sc = append(sc, w.internName(a, st.Node, &ok))
		// A batch's states mostly share their times: reuse what the
		// previous state interned.
		if prev != nil && st.EnteredAt == prev.EnteredAt {
			tm = append(tm, tm[pt])
		} else {
			tm = append(tm, w.internTime(a, st.EnteredAt, &ok))
		}
		if prev != nil && st.WakeAt == prev.WakeAt {
			tm = append(tm, tm[pt+1])
		} else {
			tm = append(tm, w.internTime(a, st.WakeAt, &ok))
		}
		var prevPath []store.Step
		if prev != nil {
			prevPath = prev.Path
		}
		for k := range st.Path {
			p := &st.Path[k]
			if k < len(prevPath) && sameStep(p, &prevPath[k]) {
				// A batch's states mostly walked the same nodes at the
				// same times: reuse what the previous state interned.
				sc = append(sc, sc[po+1+2*k], sc[po+2+2*k])
				tm = append(tm, tm[pt+2+k])
				continue
			}
			sc = append(sc, w.internName(a, p.Node, &ok), w.internName(a, p.Out, &ok))
			tm = append(tm, w.internTime(a, p.At, &ok))
		}
		if !ok {
			w.unintern(a)
			return invalid("workflow %q: more than %d distinct node and path names, or more than %d distinct times",
				workflowID, math.MaxUint16, uint32(math.MaxUint32))
		}
		rsn = append(rsn, w.internReason(a, st.Reason))
		prev, po, pt = st, o, t
	}
	return nil
}

// sameStep reports whether two steps hold the very same name strings (same
// bytes in memory) and the same time value, so that they intern alike.
func sameStep(p, q *store.Step) bool {
	return unsafe.StringData(p.Node) == unsafe.StringData(q.Node) && len(p.Node) == len(q.Node) &&
		unsafe.StringData(p.Out) == unsafe.StringData(q.Out) && len(p.Out) == len(q.Out) &&
		p.At == q.At
}

// lockMeta takes w.meta for the rest of an intern call, and marks how
// many names and times the tables held, so that a failed call can take its
// additions back.
func (w *wfState) lockMeta(a *applyScratch) {
	if !a.locked {
		w.meta.Lock()
		a.locked = true
		a.nameMark, a.timeMark = len(w.names.list), len(w.times.list)
	}
}

// unintern takes back the names and times interned since lockMeta, for a
// batch that is refused: a refused Apply leaves the tables as it found
// them. The scratch's own caches are dropped. The caller holds w.meta.
func (w *wfState) unintern(a *applyScratch) {
	if !a.locked {
		return
	}
	a.gen = 0
	if m := a.nameMark; m < len(w.names.list) {
		for _, s := range w.names.list[m:] {
			delete(w.names.ids, s)
		}
		clear(w.names.list[m:])
		w.names.list = w.names.list[:m]
		for i := range w.names.cache {
			if int(w.names.cache[i].idx) >= m {
				w.names.cache[i] = nameCache{}
			}
		}
	}
	if m := a.timeMark; m < len(w.times.list) {
		for _, v := range w.times.list[m:] {
			delete(w.times.ids, v)
		}
		w.times.list = w.times.list[:m]
		for i := range w.times.cache {
			if int(w.times.cache[i].idx) >= m {
				w.times.cache[i] = timeCache{}
			}
		}
	}
}

func (w *wfState) internName(a *applyScratch, s string, ok *bool) uint16 {
	if s == "" {
		return 0
	}
	p := unsafe.StringData(s)
	c := &a.names[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(s)))%uintptr(len(a.names))]
	if c.p == p && c.n == len(s) {
		return c.idx
	}
	w.lockMeta(a)
	i, good := w.names.get(s)
	if !good {
		*ok = false
		return 0
	}
	*c = nameCache{p, len(s), i}
	return i
}

func (w *wfState) internTime(a *applyScratch, t time.Time, ok *bool) uint32 {
	if t.IsZero() {
		return 0
	}
	v := t.UnixNano()
	c := &a.times[uint64(v^v>>29^v>>41)%uint64(len(a.times))]
	if c.idx != 0 && c.v == v {
		return c.idx
	}
	w.lockMeta(a)
	i, good := w.times.get(t)
	if !good {
		*ok = false
		return 0
	}
	*c = timeCache{v, i}
	return i
}

// internReason returns the interned index of a reason, or reasonSide
// when the table is full.
func (w *wfState) internReason(a *applyScratch, s string) uint32 {
	if s == "" {
		return 0
	}
	p := unsafe.StringData(s)
	c := &a.rcache[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(s)))%uintptr(len(a.rcache))]
	if c.p == p && c.n == len(s) {
		return c.idx
	}
	w.lockMeta(a)
	i, ok := w.reasons.get(s)
	if !ok {
		return reasonSide
	}
	*c = reasonCache{p, len(s), i}
	return i
}

// appendAudit appends audit rows to their runs' logs. The caller holds
// w.meta.
func (w *wfState) appendAudit(rows []store.AuditRow) {
	for i := range rows {
		r := &rows[i]
		l := w.audit[r.Run]
		if l == nil {
			l = newAuditLog()
			w.audit[r.Run] = l
		}
		l.add(r)
	}
}

// groupKeys groups the batch's intents and resolved keys by shard
// (keeping batch order within a shard), into a.ins and a.res. A key's shard
// and hash are its account's when it is an ActionKey whose account
// store.ActionKeyAccount reads (its intent may be kept beside the
// account's slot, in that shard), and the key's own otherwise.
func (w *wfState) groupKeys(b *store.Batch, a *applyScratch) {
	ni, nr := len(b.Intents), len(b.Resolved)
	a.kshard = slices.Grow(a.kshard[:0], ni+nr)[:ni+nr]
	a.kh = slices.Grow(a.kh[:0], ni+nr)[:ni+nr]
	a.kacct = slices.Grow(a.kacct[:0], ni+nr)[:ni+nr]
	a.ins = slices.Grow(a.ins[:0], ni)[:ni]
	a.res = slices.Grow(a.res[:0], nr)[:nr]
	var ci, cr [wShards]int32
	for i := range b.Intents {
		h, n := w.keyHash(b.Intents[i].Key)
		k := uint8(h & wShardMask)
		a.kh[i], a.kacct[i], a.kshard[i] = h, n, k
		ci[k]++
	}
	for i, key := range b.Resolved {
		h, n := w.keyHash(key)
		k := uint8(h & wShardMask)
		a.kh[ni+i], a.kacct[ni+i], a.kshard[ni+i] = h, n, k
		cr[k]++
	}
	a.istarts[0], a.rstarts[0] = 0, 0
	for k := range wShards {
		a.istarts[k+1] = a.istarts[k] + ci[k]
		a.rstarts[k+1] = a.rstarts[k] + cr[k]
	}
	pi, pr := a.istarts, a.rstarts
	for i := range ni {
		k := a.kshard[i]
		a.ins[pi[k]] = int32(i)
		pi[k]++
	}
	for i := range nr {
		k := a.kshard[ni+i]
		a.res[pr[k]] = int32(i)
		pr[k]++
	}
	if ni > 0 {
		// Reserve a block of insertion sequence numbers: new intents
		// take them in batch order.
		a.seq = w.intentSeq.Add(uint64(ni)) - uint64(ni) + 1
	}
}

// applyShards writes a batch shard by shard: states, intents and resolved
// keys are hashed outside any lock and grouped by shard (keeping their
// batch order within a shard), and each shard's part written under its
// lock: its states, then its intents, then its resolutions. An intent key
// belongs to one shard, so the batch's order of effects holds per key. The
// walk over shards starts at a different shard on each call, so that two
// concurrent Applies rarely wait for one another.
func (w *wfState) applyShards(b *store.Batch, a *applyScratch) {
	states := b.States
	n := len(states)
	a.hs = slices.Grow(a.hs[:0], n)[:n]
	a.shard = slices.Grow(a.shard[:0], n)[:n]
	a.byS = slices.Grow(a.byS[:0], n)[:n]
	a.left = a.left[:0]
	a.fresh = slices.Grow(a.fresh[:0], n)[:n]
	a.nfresh = 0
	var cnt [wShards]int32
	for i := range states {
		st := &states[i]
		var k uint8
		if st.Ref != 0 && st.Ref-1 <= math.MaxUint32 {
			a.hs[i] = 0
			k = uint8((st.Ref-1)&wShardMask) | viaRef
		} else {
			h := w.index.hash(st.Account)
			a.hs[i] = h
			k = uint8(h & wShardMask)
		}
		a.shard[i] = k
		a.fresh[i] = noSlot
		cnt[k&wShardMask]++
	}
	a.starts[0] = 0
	for k := range wShards {
		a.starts[k+1] = a.starts[k] + cnt[k]
	}
	pos := a.starts
	for i := range states {
		k := a.shard[i] & wShardMask
		a.byS[pos[k]] = int32(i)
		pos[k]++
	}
	w.groupKeys(b, a)
	start := int(w.rot.Add(1))
	for j := range wShards {
		k := (start + j) & wShardMask
		grp := a.byS[a.starts[k]:a.starts[k+1]]
		ins := a.ins[a.istarts[k]:a.istarts[k+1]]
		res := a.res[a.rstarts[k]:a.rstarts[k+1]]
		if len(grp) == 0 && len(ins) == 0 && len(res) == 0 {
			continue
		}
		sh := &w.shards[k]
		sh.mu.Lock()
		if len(grp) > 0 {
			w.prefetch(k, states, grp, a)
			for _, i := range grp {
				if a.shard[i] == 0xff {
					continue // stale Ref, hash in another shard: see left
				}
				w.put(sh, k, &states[i], i, a)
			}
		}
		for _, i := range ins {
			w.putIntent(sh, k, &b.Intents[i], a.seq+uint64(i), a.kh[i], a.kacct[i], hint(b.IntentStates, i), states, a)
		}
		for _, i := range res {
			r := len(b.Intents) + int(i)
			w.resolveIntent(sh, k, b.Resolved[i], a.kh[r], a.kacct[r], hint(b.ResolvedStates, i), states, a)
		}
		sh.publish()
		sh.mu.Unlock()
	}
	// States whose stale Ref sent them to another shard are written last,
	// in batch order; one that a later state of the batch names again is
	// skipped, so that the last state of an account wins as it does
	// everywhere else (a rare path: the check is linear).
	slices.Sort(a.left)
	skipped := false
	for _, i := range a.left {
		if laterInBatch(states, i) {
			skipped = true
			continue
		}
		k := int(a.hs[i] & wShardMask)
		a.shard[i] = uint8(k)
		sh := &w.shards[k]
		sh.mu.Lock()
		w.put(sh, k, &states[i], i, a)
		sh.publish()
		sh.mu.Unlock()
	}
	if skipped && a.nfresh > 0 {
		firstOccurrence(states, a.fresh)
	}
	if a.nfresh > 0 { // new slots join the scan order in batch order
		w.omu.Lock()
		for _, g := range a.fresh {
			if g != noSlot {
				w.order.add(g)
			}
		}
		w.omu.Unlock()
	}
}

func validateBatch(b *store.Batch) error {
	if err := b.Validate(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	for i := range b.States {
		st := &b.States[i]
		switch {
		case len(st.Account) > maxIDLen:
			return invalid("state %d: account id longer than %d bytes", i, maxIDLen)
		case len(st.Path) > math.MaxUint16:
			return invalid("state %d (%s): path too long", i, st.Account)
		}
	}
	return nil
}

// prefetch checks the Refs of shard k's states of a batch (a state whose
// Ref names its slot needs no index look-up; viaRef stays set), hashes
// the ids of the others, and touches the first probe entry of every hash,
// one state after another, so that the processor overlaps the cache misses
// of independent look-ups (an entry batch is all misses in a big table)
// instead of waiting for each in turn inside put. A state whose stale Ref
// sends it to another shard is marked 0xff and queued in a.left. The
// caller holds shard k's lock.
func (w *wfState) prefetch(k int, states []store.AccountState, grp []int32, a *applyScratch) {
	var sink uint64
	for _, i := range grp {
		st := &states[i]
		if a.shard[i]&viaRef != 0 {
			// A tombstone's slot is no account's: its id is a hash.
			if w.valid(st.Ref-1) && w.at(uint32(st.Ref-1)).status != uint8(store.StatusForgotten) && w.hasID(uint32(st.Ref-1), st.Account) {
				a.hs[i] = 0
				continue
			}
			h := w.index.hash(st.Account)
			a.hs[i] = h
			a.shard[i] = uint8(h & wShardMask)
			if int(h&wShardMask) != k {
				a.shard[i] = 0xff
				a.left = append(a.left, i)
				continue
			}
		}
		si, tag := split(a.hs[i])
		if s := &w.index.shards[si]; s.n > 0 {
			sink += *s.at(tag & s.mask)
		}
	}
	a.sink += sink // keeps the touches above
}

// put saves state number i of a batch into shard k (the shard of its
// Ref's slot, when a.shard[i] has viaRef: prefetch checked it; or of its
// id's hash a.hs[i]). The caller holds the shard's lock.
func (w *wfState) put(sh *wshard, k int, st *store.AccountState, i int32, a *applyScratch) {
	id := st.Account
	var g uint32
	found := false
	h := a.hs[i]
	if a.shard[i]&viaRef != 0 {
		g, found = uint32(st.Ref-1), true
	}
	if !found {
		var pos uint32
		g, found, pos = w.index.find(h, id, w)
		if !found {
			if t, hid, ok := w.tomb(sh, id); ok {
				delete(sh.tombs, hid)
				g = t
			} else {
				g = sh.add(k)
				a.fresh[i] = g
				a.nfresh++
			}
			w.setID(g, id)
			w.index.insertAt(h, g, pos)
		}
	}
	sl := sh.slots.at(g >> wShardBits)
	sh.count(sl.node, sl.status, -1)

	sc := a.sc[a.off[i]:]
	tm := a.tm[a.toff[i]:]
	sl.status = uint8(st.Status)
	sl.node = sc[0]
	sl.entry = st.Entry
	sl.entered = tm[0]
	sl.wake = tm[1]
	sl.failures = st.Failures
	if sl.reason == reasonSide {
		delete(sh.reasonSide, g)
	}
	r := a.rsn[i]
	if r == reasonSide {
		if sh.reasonSide == nil {
			sh.reasonSide = make(map[uint32]string)
		}
		sh.reasonSide[g] = st.Reason
	}
	sl.reason = r
	n := len(st.Path)
	var ov []step
	if int(sl.pathLen) > inlineSteps {
		ov = sh.overflow[g][:0]
	}
	for k := range n {
		p := step{at: tm[2+k], node: sc[1+2*k], out: sc[2+2*k]}
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
		if sh.overflow == nil {
			sh.overflow = make(map[uint32][]step)
		}
		sh.overflow[g] = ov
	case int(sl.pathLen) > inlineSteps:
		delete(sh.overflow, g)
	}
	sl.pathLen = uint16(n)
	sh.count(sl.node, sl.status, +1)
	st.Ref = uint64(g) + 1
}

// tomb returns the tombstone slot of an account id and its hashed id; sh
// is the shard of the id's hash.
func (w *wfState) tomb(sh *wshard, id string) (uint32, string, bool) {
	if len(sh.tombs) == 0 {
		return 0, "", false
	}
	hid := store.HashID(id)
	i, ok := sh.tombs[hid]
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
			shard   uint8
			local   uint32 // attached: the local slot; noSlot: in the shard's map
		}
		w := s.rlockWF(workflowID)
		if w == nil {
			return
		}
		n := 0
		for k := range w.shards {
			sh := &w.shards[k]
			n += len(sh.intents)
			for _, c := range sh.att.live {
				n += int(c)
			}
		}
		refs := make([]ref, 0, n)
		for k := range w.shards {
			sh := &w.shards[k]
			for key, r := range sh.intents {
				refs = append(refs, ref{r.created, r.seq, key, uint8(k), noSlot})
			}
			for c, recs := range sh.att.chunks {
				for l := range recs {
					if r := &recs[l]; r.key != "" {
						refs = append(refs, ref{r.created, r.seq, r.key, uint8(k), uint32(c)<<chunkBits | uint32(l)})
					}
				}
			}
		}
		w.mu.Unlock()
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
				sh := &w.shards[rf.shard]
				// An attached intent may have moved to the map since
				// (putIntent): it keeps its seq there.
				if rf.local != noSlot {
					if r := sh.att.get(rf.local); r != nil && r.key == rf.key && r.seq == rf.seq {
						buf = append(buf, r.intent())
						continue
					}
				}
				if r, ok := sh.intents[rf.key]; ok && r.seq == rf.seq {
					buf = append(buf, r.intent(rf.key))
				}
			}
			w.mu.Unlock()
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
		w.mu.Unlock()
		w = s.lockWF(workflowID)
		err := w.forget(accountID)
		w.mu.Unlock()
		if err != nil {
			return err
		}
	}
	s.forgetEvents(accountID)
	return s.ForgetPurchased(ctx, workflowID, accountID, "")
}

func (w *wfState) forget(id string) error {
	h := w.index.hash(id)
	if i, ok := w.index.lookup(h, id, w); ok {
		sh := w.sh(i)
		sl := w.at(i)
		hid := store.HashID(id)
		// The hashed id takes the id's place when it fits, and otherwise
		// needs room in the shard's arena (checked before any change).
		inPlace := len(hid) <= int(sl.idLen)
		if !inPlace && len(sh.ids.chunks) >= maxArenaChunks {
			return invalid("workflow's shard has no room left for the tombstone of %q", id)
		}
		sh.count(sl.node, sl.status, -1)
		w.index.remove(h, i)
		if r := sh.att.get(i >> wShardBits); r != nil && r.key != "" {
			sh.att.remove(i>>wShardBits, sh.slots.n)
		}
		if sl.reason == reasonSide {
			delete(sh.reasonSide, i)
		}
		if int(sl.pathLen) > inlineSteps {
			delete(sh.overflow, i)
		}
		old := w.idBytes(i)
		clear(old) // no copy of the id stays behind
		ref := sl.idRef
		*sl = slot{status: uint8(store.StatusForgotten), entry: sl.entry}
		if inPlace {
			copy(old, hid)
			sl.idRef, sl.idLen = ref, uint16(len(hid))
		} else {
			w.setID(i, hid)
			sh.publish()
		}
		if sh.tombs == nil {
			sh.tombs = make(map[string]uint32)
		}
		sh.tombs[hid] = i
	}
	for k := range w.shards {
		m := w.shards[k].intents
		for key, r := range m {
			if r.account == id {
				delete(m, key)
			}
		}
	}
	for _, l := range w.audit {
		l.forget(id)
	}
	for _, r := range w.runs {
		r.Errors = slices.DeleteFunc(r.Errors, func(e store.RunError) bool { return e.Account == id })
	}
	return nil
}

// firstOccurrence moves each new slot in fresh (by batch index) to the
// first state of the batch naming its account, so that a new account takes
// its place in the scan order at its first occurrence even when that copy,
// sent elsewhere by a stale Ref, was skipped for a later one (a rare path:
// quadratic in the batch).
func firstOccurrence(states []store.AccountState, fresh []uint32) {
	for i := range states {
		if fresh[i] != noSlot {
			continue
		}
		for j := i + 1; j < len(states); j++ {
			if fresh[j] != noSlot && states[j].Account == states[i].Account {
				fresh[i], fresh[j] = fresh[j], noSlot
				break
			}
		}
	}
}

// laterInBatch reports whether a state after states[i] names its account.
func laterInBatch(states []store.AccountState, i int32) bool {
	for j := int(i) + 1; j < len(states); j++ {
		if states[j].Account == states[i].Account {
			return true
		}
	}
	return false
}
