package memstore

import (
	"math"
	"unsafe"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// attRec is a pending intent kept beside its account's slot: the intent of
// an [store.ActionKey] whose account has a slot in the workflow, is the
// intent's own Account, and has no other intent kept there. Its account is
// the key's (store.ActionKeyAccount). One cache line, in a chunk that
// mirrors the slot chunk of its account, so that recording and resolving
// the intents of a batch writes only lines of the batch's own accounts:
// two Applies running on two cores (two chunks of a run) never write the
// same line for their intents, as they did in a shared keyed map.
type attRec struct {
	key, node string
	ext       *attExt // nil: one item, the account itself under key, pending, no error
	created   int64   // Unix nanoseconds (nanos.Of)
	seq       uint64
	attempts  uint32
	entry     uint32
}

var (
	_ [64 - unsafe.Sizeof(attRec{})]struct{}
	_ [unsafe.Sizeof(attRec{}) - 64]struct{}
)

// attExt holds what an attached intent has beyond the common case.
type attExt struct {
	items     []store.Item // deep copy; nil when single
	oneErr    string
	oneStatus store.ItemStatus
	single    bool
}

// newAttRec copies in into an attached record with insertion sequence
// seq; ok is false when in cannot be attached (too many attempts).
func newAttRec(in *store.Intent, seq uint64) (attRec, bool) {
	if in.Attempts > math.MaxUint32 {
		return attRec{}, false
	}
	r := attRec{
		key: in.Key, node: in.Node, created: nanos.Of(in.Created), seq: seq,
		attempts: uint32(in.Attempts), entry: in.Entry,
	}
	if len(in.Items) == 1 && in.Items[0].Contact == nil && in.Items[0].Key == in.Key {
		if it := &in.Items[0]; it.Status != store.ItemPending || it.Err != "" {
			r.ext = &attExt{single: true, oneStatus: it.Status, oneErr: it.Err}
		}
		return r, true
	}
	x := &attExt{}
	if in.Items != nil {
		x.items = copyIntent(in).Items
	}
	r.ext = x
	return r, true
}

// intent returns a deep copy of the record as an intent.
func (r *attRec) intent() store.Intent {
	acct, _ := store.ActionKeyAccount(r.key)
	in := store.Intent{
		Key: r.key, Node: r.node, Account: acct, Entry: r.entry,
		Attempts: int(r.attempts), Created: nanos.Time(r.created),
	}
	switch x := r.ext; {
	case x == nil:
		in.Items = []store.Item{{Key: r.key, Status: store.ItemPending}}
	case x.single:
		in.Items = []store.Item{{Key: r.key, Status: x.oneStatus, Err: x.oneErr}}
	case x.items != nil:
		in.Items = x.items
		in = copyIntent(&in)
	}
	return in
}

// attTable holds a shard's attached intents by local slot number, in
// chunks that mirror the slot table's. A chunk exists while one of its
// slots has a pending intent; an emptied chunk is let go (kept as the one
// spare, for reuse), except that the one mirroring the shard's newest slot
// chunk, where new accounts' intents arrive, is kept until another chunk
// is used: a shard holds at most that one empty chunk and the spare.
type attTable struct {
	chunks [][]attRec
	live   []uint16 // pending intents per chunk
	spare  []attRec
	kept   int // 1 + the chunk kept although empty, or 0
}

// get returns local slot l's record (key "" when none), or nil.
func (t *attTable) get(l uint32) *attRec {
	c := l >> chunkBits
	if int(c) >= len(t.chunks) || t.chunks[c] == nil {
		return nil
	}
	return &t.chunks[c][l&chunkMask]
}

// add returns local slot l's empty record, counted as pending: the caller
// fills it in.
func (t *attTable) add(l uint32) *attRec {
	c := int(l >> chunkBits)
	if t.kept != 0 && t.kept-1 != c {
		t.letGo(t.kept - 1)
	}
	t.kept = 0
	if c >= len(t.chunks) {
		t.chunks = append(t.chunks, make([][]attRec, c+1-len(t.chunks))...)
		t.live = append(t.live, make([]uint16, c+1-len(t.live))...)
	}
	if t.chunks[c] == nil {
		if t.spare != nil {
			t.chunks[c], t.spare = t.spare, nil
		} else {
			t.chunks[c] = make([]attRec, chunkSize)
		}
	}
	t.live[c]++
	return &t.chunks[c][l&chunkMask]
}

// remove empties local slot l's record, which holds an intent; size is the
// shard's slot count.
func (t *attTable) remove(l, size uint32) {
	c := int(l >> chunkBits)
	t.chunks[c][l&chunkMask] = attRec{}
	if t.live[c]--; t.live[c] > 0 {
		return
	}
	if c != int((size-1)>>chunkBits) {
		t.letGo(c)
		return
	}
	if t.kept != 0 && t.kept-1 != c {
		t.letGo(t.kept - 1)
	}
	t.kept = c + 1
}

// letGo drops empty chunk c, keeping it as the spare.
func (t *attTable) letGo(c int) {
	t.spare, t.chunks[c] = t.chunks[c], nil
	if t.kept == c+1 {
		t.kept = 0
	}
}

// putIntent writes intent in (new ones take sequence number seq) into
// shard k, whose lock the caller holds, after the batch's states of the
// shard were saved. h and n are the key's hash and account id length
// (groupKeys), j the batch's hint for it. An intent keyed by an ActionKey
// whose account has a slot is kept beside it when the slot keeps no other
// intent; every other intent goes to the shard's map. A key is in one
// place at a time: the map is looked at first, and an intent that can no
// longer be attached moves to the map, keeping its place in the order.
func (w *wfState) putIntent(sh *wshard, k int, in *store.Intent, seq uint64, h uint64, n, j int32, states []store.AccountState, a *applyScratch) {
	if len(sh.intents) > 0 {
		if r, ok := sh.intents[in.Key]; ok {
			sh.intents[in.Key] = newIntentRec(in, r.seq)
			return
		}
	}
	if n >= 0 {
		acct := in.Key[len(in.Key)-int(n):]
		mine := in.Account == acct
		l, ok := hinted(k, j, states, a)
		// The hinted slot is the account's when the hinted state names
		// it: the intent's own account string (no compare), or equal.
		if ok && !(mine && sameString(states[j].Account, in.Account)) && states[j].Account != acct {
			ok = false
		}
		if !ok {
			l, ok = w.lookupSlot(acct, h)
		}
		if ok {
			r := sh.att.get(l)
			switch {
			case r != nil && r.key == in.Key:
				seq = r.seq
				if mine {
					if nr, ok := newAttRec(in, seq); ok {
						*r = nr
						return
					}
				}
				sh.att.remove(l, sh.slots.n)
			case (r == nil || r.key == "") && mine:
				if nr, ok := newAttRec(in, seq); ok {
					*sh.att.add(l) = nr
					return
				}
			}
		}
	}
	if sh.intents == nil {
		sh.intents = make(map[string]intentRec)
	}
	sh.intents[in.Key] = newIntentRec(in, seq)
}

// resolveIntent removes the intent of key from shard k (see putIntent).
// An attached intent is found at its hinted slot without comparing
// accounts: a key kept beside a slot is kept beside its account's only.
func (w *wfState) resolveIntent(sh *wshard, k int, key string, h uint64, n, j int32, states []store.AccountState, a *applyScratch) {
	if len(sh.intents) > 0 {
		if _, ok := sh.intents[key]; ok {
			delete(sh.intents, key)
			return
		}
	}
	if n < 0 {
		return
	}
	l, ok := hinted(k, j, states, a)
	if r := sh.att.get(l); ok && r != nil && r.key == key {
		sh.att.remove(l, sh.slots.n)
		return
	}
	if l, ok := w.lookupSlot(key[len(key)-int(n):], h); ok {
		if r := sh.att.get(l); r != nil && r.key == key {
			sh.att.remove(l, sh.slots.n)
		}
	}
}

// hinted returns the local slot of the batch's state j (a hint; -1: none)
// when this Apply saved it in shard k.
func hinted(k int, j int32, states []store.AccountState, a *applyScratch) (uint32, bool) {
	if j < 0 {
		return 0, false
	}
	if s := a.shard[j]; s == 0xff || int(s&wShardMask) != k || states[j].Ref == 0 {
		return 0, false
	}
	return uint32(states[j].Ref-1) >> wShardBits, true
}

// lookupSlot returns the local slot of account acct (index hash h) from
// the id index; the caller holds the lock of its shard.
func (w *wfState) lookupSlot(acct string, h uint64) (uint32, bool) {
	g, ok := w.index.lookup(h, acct, w)
	return g >> wShardBits, ok
}

// sameString reports whether a and b are the very same string (bytes and
// length) or both empty, which implies they are equal.
func sameString(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || unsafe.StringData(a) == unsafe.StringData(b))
}

// hint returns entry i of a batch's optional state hints, or -1.
func hint(h []int32, i int32) int32 {
	if h == nil {
		return -1
	}
	return h[i]
}

// keyHash returns the index hash of the account an ActionKey names and
// the length of its id, or the hash of the key itself and -1 when it names
// none (see groupKeys).
func (w *wfState) keyHash(key string) (uint64, int32) {
	if acct, ok := store.ActionKeyAccount(key); ok {
		return w.index.hash(acct), int32(len(acct))
	}
	return w.index.hash(key), -1
}
