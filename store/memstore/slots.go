package memstore

import (
	"math"
	"sync"

	"github.com/playgraph/playgraph/store"
)

// inlineSteps is how many path steps a slot holds without an overflow
// allocation.
const inlineSteps = 4

// step is one compact path step: interned node and output path names and
// the entry time in Unix nanoseconds.
type step struct {
	at        int64
	node, out uint16
}

// slot is one account's dense state (112 bytes on 64-bit platforms).
type slot struct {
	id             string // account id; HashID(id) once forgotten
	entered, wake  int64
	path           [inlineSteps]step
	entry          uint32
	reason         uint32 // reasons table index; reasonSide: in wfState.reasonSide
	node, failures uint16
	pathLen        uint16
	status         uint8
}

const (
	chunkBits = 12
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
// index 0 is "".
type names struct {
	list []string
	ids  map[string]uint16
}

func (n *names) get(s string) (uint16, bool) {
	if s == "" {
		return 0, true
	}
	if i, ok := n.ids[s]; ok {
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

// intentRec is a pending intent, deep-copied, with its insertion sequence.
type intentRec struct {
	in      store.Intent
	seq     uint64
	created int64
}

// wfState is everything kept per workflow id besides its record and
// versions: account state, pending intents, runs and audit logs.
type wfState struct {
	mu      sync.RWMutex
	deleted bool

	index      *idIndex
	slots      slotTable
	names      names
	reasons    reasons
	reasonSide map[uint32]string // slot → reason, when not interned
	overflow   map[uint32][]step // slot → path steps beyond inlineSteps
	tombs      map[string]uint32 // HashID(account) → slot of a tombstone
	counts     []store.NodeCounts

	intents   map[string]*intentRec
	intentSeq uint64

	runs  map[string]*store.Run
	audit map[string]*auditLog

	// scratch for Apply: interned names of each state's node and path.
	scratch []uint16
}

func newWFState() *wfState {
	return &wfState{
		index:   newIDIndex(),
		names:   names{list: []string{""}, ids: make(map[string]uint16)},
		reasons: reasons{list: []string{""}, ids: make(map[string]uint32)},
		intents: make(map[string]*intentRec),
		runs:    make(map[string]*store.Run),
		audit:   make(map[string]*auditLog),
	}
}

func (w *wfState) count(node uint16, st uint8, d int) {
	if int(node) >= len(w.counts) {
		w.counts = append(w.counts, make([]store.NodeCounts, int(node)+1-len(w.counts))...)
	}
	c := &w.counts[node]
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
		return w.reasonSide[i]
	}
	return w.reasons.list[sl.reason]
}

// decode fills st from slot i, using steps as the path's backing array.
func (w *wfState) decode(i uint32, st *store.AccountState, steps []store.Step) {
	sl := w.slots.at(i)
	st.Ref = uint64(i) + 1
	st.Account = sl.id
	st.Status = store.Status(sl.status)
	st.Node = w.names.list[sl.node]
	st.Entry = sl.entry
	st.EnteredAt = decTime(sl.entered)
	st.WakeAt = decTime(sl.wake)
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
			p = w.overflow[i][k-inlineSteps]
		}
		steps[k] = store.Step{Node: w.names.list[p.node], At: decTime(p.at), Out: w.names.list[p.out]}
	}
	st.Path = steps
}
