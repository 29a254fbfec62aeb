package memstore

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// inlineSteps is how many path steps a slot holds without an overflow
// allocation.
const inlineSteps = 4

// step is one compact path step: interned node and output path names and
// the interned entry time.
type step struct {
	at        uint32
	node, out uint16
}

// slot is one account's dense state: 64 bytes on 64-bit platforms, and no
// pointers, so that the garbage collector never scans the slot arrays. The
// account id (HashID(id) once forgotten) lives in the workflow's arena;
// times are indexes into the workflow's table of distinct times (every
// time the engine writes is a run's logical now, or a timer's wake time
// computed from one, so a workflow has few of them).
type slot struct {
	path           [inlineSteps]step
	entered, wake  uint32 // times table indexes
	idRef          uint32 // arena position of the id
	entry          uint32
	reason         uint32 // reasons table index; reasonSide: in wfState.reasonSide
	node, failures uint16
	pathLen        uint16
	idLen          uint16
	status         uint8
}

// maxIDLen is the longest account id a slot can hold.
const maxIDLen = math.MaxUint16

const (
	arenaBits = 16 // offsets < 64 KiB: room for the longest id (maxIDLen) in a chunk of its own
	arenaSize = 1 << arenaBits
	arenaMask = arenaSize - 1
	// arenaGrow is the biggest chunk the arena allocates (ids longer than
	// that get a chunk of their own size, up to maxIDLen < arenaSize).
	arenaGrow = 1 << 14
)

// arena holds account ids back to back in pointer-free chunks of at most
// arenaSize bytes; a position is chunk<<arenaBits | offset. Chunks are
// never copied: each new one is twice the size of the last (from 256 bytes
// up to arenaGrow; an id longer than that gets a chunk of its own size), so
// that small workflows stay small and a big one never copies its ids to
// grow. An id that does not fit the room left in a chunk starts the next
// one; the room is wasted.
type arena struct {
	chunks [][]byte
}

func (a *arena) add(id string) uint32 {
	c := len(a.chunks) - 1
	if c < 0 || len(a.chunks[c])+len(id) > cap(a.chunks[c]) {
		size := 256
		if c >= 0 {
			size = min(arenaGrow, 2*cap(a.chunks[c]))
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, len(id))))
		c++
	}
	ch := a.chunks[c]
	pos := uint32(c)<<arenaBits | uint32(len(ch))
	a.chunks[c] = append(ch, id...)
	return pos
}

func (a *arena) bytes(pos uint32, n uint16) []byte {
	off := pos & arenaMask
	return a.chunks[pos>>arenaBits][off : off+uint32(n)]
}

const (
	chunkBits = 8
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// slotTable is a chunked array of slots: the first chunk grows by appending
// (so that small workflows stay small); later chunks are allocated whole and
// never move.
type slotTable struct {
	chunks [][]slot
	n      uint32
}

func (t *slotTable) at(i uint32) *slot { return &t.chunks[i>>chunkBits][i&chunkMask] }

func (t *slotTable) add() uint32 {
	i := t.n
	c := int(i >> chunkBits)
	switch {
	case c == 0 && len(t.chunks) == 0:
		t.chunks = append(t.chunks, make([]slot, 1, 16))
	case c == 0:
		t.chunks[0] = append(t.chunks[0], slot{})
	case c == len(t.chunks):
		t.chunks = append(t.chunks, make([]slot, chunkSize))
	}
	t.n++
	return i
}

// names interns a workflow's node ids and output path names as uint16;
// index 0 is "". A small direct-mapped cache keyed by the string's data
// pointer and length skips the map for the strings a caller passes again
// and again (the node ids of its graph): the same pointer and length is the
// same string, since strings are immutable and the cached pointer keeps the
// bytes alive.
type names struct {
	list  []string
	ids   map[string]uint16
	cache [256]nameCache
}

type nameCache struct {
	p   *byte
	n   int
	idx uint16
}

func (n *names) get(s string) (uint16, bool) {
	if s == "" {
		return 0, true
	}
	p := unsafe.StringData(s)
	c := &n.cache[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(s)))&uintptr(len(n.cache)-1)]
	if c.p == p && c.n == len(s) {
		return c.idx, true
	}
	if i, ok := n.ids[s]; ok {
		*c = nameCache{p, len(s), i}
		return i, true
	}
	if len(n.list) > math.MaxUint16 {
		return 0, false
	}
	i := uint16(len(n.list))
	n.list = append(n.list, s)
	n.ids[s] = i
	return i, true
}

// Reasons are interned up to maxReasons distinct strings (exit reasons repeat
// a lot); beyond that, a slot's reason is kept in a side map.
const (
	maxReasons = 4096
	reasonSide = math.MaxUint32
)

type reasons struct {
	list []string
	ids  map[string]uint32
}

func (r *reasons) get(s string) (uint32, bool) {
	if s == "" {
		return 0, true
	}
	if i, ok := r.ids[s]; ok {
		return i, true
	}
	if len(r.list) > maxReasons {
		return 0, false
	}
	i := uint32(len(r.list))
	r.list = append(r.list, s)
	r.ids[s] = i
	return i, true
}

// times interns the times of a workflow's states as uint32 indexes into
// list (Unix nanoseconds); index 0 is the zero time. A small direct-mapped
// cache keyed by the value skips the map for the few times a run writes
// again and again.
type times struct {
	list  []int64
	ids   map[int64]uint32
	cache [64]timeCache
}

type timeCache struct {
	v   int64
	idx uint32 // 0: empty (the zero time never reaches the cache)
}

func (tt *times) get(t time.Time) (uint32, bool) {
	if t.IsZero() {
		return 0, true
	}
	v := t.UnixNano()
	c := &tt.cache[uint64(v^v>>29^v>>41)%uint64(len(tt.cache))]
	if c.idx != 0 && c.v == v {
		return c.idx, true
	}
	if i, ok := tt.ids[v]; ok {
		*c = timeCache{v, i}
		return i, true
	}
	if uint64(len(tt.list)) >= math.MaxUint32 {
		return 0, false
	}
	i := uint32(len(tt.list))
	tt.list = append(tt.list, v)
	tt.ids[v] = i
	*c = timeCache{v, i}
	return i, true
}

// time returns the time of index i.
func (tt *times) time(i uint32) time.Time {
	if i == 0 {
		return time.Time{}
	}
	return time.Unix(0, tt.list[i]).UTC()
}

// intentRec is a pending intent, stored by value in its shard's intent
// map (the key is the intent's Key; the shard is the key's hash's). It is small enough (at most 128
// bytes) for the map to keep it inline, so recording and resolving an
// intent allocates nothing: a resolved intent's map slot is reused by the
// next one. A single-item intent whose item is the account itself under
// the intent's own key (an account-level action, the common case) keeps
// only that item's status and error; any other intent keeps a deep copy of
// its items.
type intentRec struct {
	node, account string
	items         []store.Item // nil when single
	oneErr        string
	attempts      int
	created       int64 // Unix nanoseconds (nanos.Of)
	seq           uint64
	entry         uint32
	oneStatus     store.ItemStatus
	single        bool
}

var _ [128 - unsafe.Sizeof(intentRec{})]struct{} // stays inline in a map

// newIntentRec copies in into a record with insertion sequence seq.
func newIntentRec(in *store.Intent, seq uint64) intentRec {
	r := intentRec{
		node: in.Node, account: in.Account, attempts: in.Attempts,
		created: nanos.Of(in.Created), seq: seq, entry: in.Entry,
	}
	if len(in.Items) == 1 && in.Items[0].Contact == nil && in.Items[0].Key == in.Key {
		r.single, r.oneStatus, r.oneErr = true, in.Items[0].Status, in.Items[0].Err
		return r
	}
	if in.Items != nil {
		cp := copyIntent(in)
		r.items = cp.Items
	}
	return r
}

// intent returns a deep copy of the record as the intent of key.
func (r *intentRec) intent(key string) store.Intent {
	in := store.Intent{
		Key: key, Node: r.node, Account: r.account, Entry: r.entry,
		Attempts: r.attempts, Created: nanos.Time(r.created),
	}
	if r.single {
		in.Items = []store.Item{{Key: key, Status: r.oneStatus, Err: r.oneErr}}
		return in
	}
	if r.items != nil {
		in.Items = r.items
		in = copyIntent(&in)
	}
	return in
}

// Account state is split into wShards shards by the id's hash (the low
// bits of the index hash, so that each index shard belongs to one state
// shard). Each shard has its own lock, slots and id arena, so that two
// Apply calls (two chunks of a run) write their states in parallel. A
// slot's number is global: local<<wShardBits | shard.
const (
	wShardBits = 4
	wShards    = 1 << wShardBits
	wShardMask = wShards - 1
)

// wshard is one shard of a workflow's account state. Its fields are
// guarded by mu while Apply holds the workflow's lock in read mode, and by
// the workflow's lock alone when it is held in write mode.
type wshard struct {
	mu         sync.Mutex
	slots      slotTable
	ids        arena
	reasonSide map[uint32]string    // global slot → reason, when not interned
	overflow   map[uint32][]step    // global slot → path steps beyond inlineSteps
	tombs      map[string]uint32    // HashID(account) → global slot of a tombstone
	intents    map[string]intentRec // pending intents of this shard not kept in att (see putIntent)
	att        attTable             // pending intents kept beside their account's slot
	counts     []store.NodeCounts
	used       atomic.Uint64 // slots.n << 32 | len(ids.chunks), for room
	_          [64]byte      // keeps neighbouring shards' locks off one cache line
}

// order lists global slot numbers in first-insertion order (ScanStates'
// order), in pointer-free chunks.
type order struct {
	chunks [][]uint32
	n      uint32
}

func (o *order) at(k uint32) uint32 { return o.chunks[k>>chunkBits][k&chunkMask] }

func (o *order) add(i uint32) {
	c := int(o.n >> chunkBits)
	switch {
	case c == 0 && len(o.chunks) == 0:
		o.chunks = append(o.chunks, make([]uint32, 0, 16))
	case c == len(o.chunks):
		o.chunks = append(o.chunks, make([]uint32, 0, chunkSize))
	}
	o.chunks[c] = append(o.chunks[c], i)
	o.n++
}

// wfState is everything kept per workflow id besides its record and
// versions: account state, pending intents, runs and audit logs.
//
// Locking: mu held in write mode excludes everything (readers of account
// state, runs and audit take it so, and so do Forget, PutRun, PruneRuns).
// Apply holds it in read mode, so that Applies run in parallel while no
// reader sees half a batch; under it, meta guards names, reasons, times,
// runs and audit, each shard's mu guards that shard (its slots, ids, side
// maps, counts and intents, and the index shards that belong to it), and
// omu guards the insertion order.
type wfState struct {
	mu      sync.RWMutex
	deleted bool

	meta    sync.Mutex
	index   *idIndex
	names   names
	reasons reasons
	times   times

	intentSeq atomic.Uint64 // the last insertion sequence number handed out
	gen       uint64        // unique per wfState: applyScratch caches are per generation

	runs  map[string]*store.Run
	audit map[string]*auditLog

	omu   sync.Mutex
	order order

	rot atomic.Uint32 // where the next Apply starts its walk over shards

	capMu    sync.Mutex
	reserved uint64 // accounts that Applies in progress may still add (see reserve)
	shards   [wShards]wshard
}

// wfGen numbers wfStates.
var wfGen atomic.Uint64

func newWFState() *wfState {
	return &wfState{
		gen:     wfGen.Add(1),
		index:   newIDIndex(),
		names:   names{list: []string{""}, ids: make(map[string]uint16)},
		reasons: reasons{list: []string{""}, ids: make(map[string]uint32)},
		times:   times{list: []int64{0}, ids: make(map[int64]uint32)},
		runs:    make(map[string]*store.Run),
		audit:   make(map[string]*auditLog),
	}
}

// sh returns the shard of global slot i.
func (w *wfState) sh(i uint32) *wshard { return &w.shards[i&wShardMask] }

// at returns global slot i.
func (w *wfState) at(i uint32) *slot { return w.shards[i&wShardMask].slots.at(i >> wShardBits) }

// valid reports whether global slot i exists.
func (w *wfState) valid(i uint64) bool {
	return i <= math.MaxUint32 && uint32(i)>>wShardBits < w.shards[i&wShardMask].slots.n
}

// add allocates a slot in shard k and returns its global number. The
// caller publishes the shard's new size before its reservation ends.
func (sh *wshard) add(k int) uint32 {
	return sh.slots.add()<<wShardBits | uint32(k)
}

// publish records the shard's size for reserve. Writers call it once per
// shard they grew, holding the shard's lock and, in Apply, before their
// reservation ends: until then the reservation covers the growth, so that
// one atomic store per shard and batch replaces one per new account (whose
// cache line the other cores' reserve calls would keep pulling away).
func (sh *wshard) publish() {
	if u := uint64(sh.slots.n)<<32 | uint64(len(sh.ids.chunks)); sh.used.Load() != u {
		sh.used.Store(u)
	}
}

// Capacity: a shard holds fewer than maxShardSlots slots (a global slot
// number + 1 must fit 32 bits) and at most maxArenaChunks id chunks (a
// chunk number must fit the arena position's high bits).
const (
	maxShardSlots  = 1<<(32-wShardBits) - 1
	maxArenaChunks = 1 << (32 - arenaBits)
)

// reserve reports whether every shard can take n more accounts (n new
// slots, and n new id chunks at worst) on top of what it holds and what
// Applies in progress have reserved, and if so reserves them; the caller
// gives them back with unreserve once its writes are done. Apply calls it
// before writing anything, so that a workflow at its capacity refuses a
// batch instead of wrapping slot numbers or id positions, even when
// several Applies reach the limit together.
func (w *wfState) reserve(n int) bool {
	w.capMu.Lock()
	defer w.capMu.Unlock()
	for k := range w.shards {
		u := w.shards[k].used.Load()
		r := int(w.reserved)
		if int(u>>32)+r+n >= maxShardSlots || int(uint32(u))+r+n > maxArenaChunks {
			return false
		}
	}
	w.reserved += uint64(n)
	return true
}

func (w *wfState) unreserve(n int) {
	w.capMu.Lock()
	w.reserved -= uint64(n)
	w.capMu.Unlock()
}

func (sh *wshard) count(node uint16, st uint8, d int) {
	if int(node) >= len(sh.counts) {
		sh.counts = append(sh.counts, make([]store.NodeCounts, int(node)+1-len(sh.counts))...)
	}
	c := &sh.counts[node]
	switch store.Status(st) {
	case store.StatusActive:
		c.Active += d
	case store.StatusWaiting:
		c.Waiting += d
	case store.StatusFailed:
		c.Failed += d
	case store.StatusBlocked:
		c.Blocked += d
	case store.StatusExited:
		c.Exited += d
	}
}

func (w *wfState) reason(i uint32, sl *slot) string {
	if sl.reason == reasonSide {
		return w.sh(i).reasonSide[i]
	}
	return w.reasons.list[sl.reason]
}

// idBytes returns the id bytes of global slot i.
func (w *wfState) idBytes(i uint32) []byte {
	sh := w.sh(i)
	sl := sh.slots.at(i >> wShardBits)
	return sh.ids.bytes(sl.idRef, sl.idLen)
}

// hasID reports whether slot i holds account id.
func (w *wfState) hasID(i uint32, id string) bool {
	sh := w.sh(i)
	sl := sh.slots.at(i >> wShardBits)
	return int(sl.idLen) == len(id) && string(sh.ids.bytes(sl.idRef, sl.idLen)) == id
}

// setID stores id as slot i's account id. The caller publishes the
// shard's size (see wshard.publish).
func (w *wfState) setID(i uint32, id string) {
	sh := w.sh(i)
	sl := sh.slots.at(i >> wShardBits)
	sl.idRef, sl.idLen = sh.ids.add(id), uint16(len(id))
}

// decode fills st from slot i, using steps as the path's backing array.
// account is the slot's id when the caller knows it, or "".
func (w *wfState) decode(i uint32, st *store.AccountState, steps []store.Step, account string) {
	sl := w.at(i)
	st.Ref = uint64(i) + 1
	if account == "" {
		account = string(w.idBytes(i))
	}
	st.Account = account
	st.Status = store.Status(sl.status)
	st.Node = w.names.list[sl.node]
	st.Entry = sl.entry
	st.EnteredAt = w.times.time(sl.entered)
	st.WakeAt = w.times.time(sl.wake)
	st.Failures = sl.failures
	st.Reason = ""
	if sl.reason != 0 {
		st.Reason = w.reason(i, sl)
	}
	st.Path = nil
	if sl.pathLen == 0 {
		return
	}
	n := int(sl.pathLen)
	steps = steps[:n:n]
	for k := range n {
		var p step
		if k < inlineSteps {
			p = sl.path[k]
		} else {
			p = w.sh(i).overflow[i][k-inlineSteps]
		}
		steps[k] = store.Step{Node: w.names.list[p.node], At: w.times.time(p.at), Out: w.names.list[p.out]}
	}
	st.Path = steps
}
