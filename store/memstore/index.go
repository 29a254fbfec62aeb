package memstore

import (
	"hash/maphash"
	"math"
)

// The id index maps account ids to slot numbers. It is sharded into
// indexShards open-addressing tables of uint64 entries: the high 32 bits hold
// a tag (the hash's high half), the low 32 bits the slot number + 1 (0 marks
// an empty entry). Keys are not stored: a candidate is confirmed by comparing
// the id kept in the slot itself, which keeps the index at a few bytes per
// account instead of a string header plus map overhead.
const (
	indexShardBits = 8
	indexShards    = 1 << indexShardBits
	indexMinSize   = 16
)

// Each index shard belongs to one state shard (see wShards).
var _ [indexShardBits - wShardBits]struct{}

type idIndex struct {
	seed   maphash.Seed
	shards [indexShards]idShard
}

// idShard is one open-addressing table. Its entries live in chunks of at
// most idxChunk entries (16 KiB), so that growing a big table allocates
// small objects, which the runtime serves from spans it keeps, rather than
// one large object per table, which comes from (and goes back to) the page
// heap: at 5M accounts a table is 256 KiB, and large allocations cost page
// faults and synchronous scavenging while the heap grows.
type idShard struct {
	chunks [][]uint64 // size entries in all (a power of two), or none
	mask   uint32     // size - 1
	n      int
}

const (
	idxChunkBits = 11
	idxChunk     = 1 << idxChunkBits
	idxChunkMask = idxChunk - 1
)

// size is the table's number of entries (0 before the first insert).
func (s *idShard) size() int {
	if s.chunks == nil {
		return 0
	}
	return int(s.mask) + 1
}

// at returns entry i (i <= mask).
func (s *idShard) at(i uint32) *uint64 { return &s.chunks[i>>idxChunkBits][i&idxChunkMask] }

func newIDIndex() *idIndex { return &idIndex{seed: maphash.MakeSeed()} }

func (x *idIndex) hash(id string) uint64 { return maphash.String(x.seed, id) }

// split returns the shard of a hash and the tag stored in its entry; a tag's
// low bits pick the entry's home position.
func split(h uint64) (shard int, tag uint32) {
	return int(h & (indexShards - 1)), uint32(h >> 32)
}

// lookup returns the slot of id, if indexed, confirming candidates against
// the ids kept in the workflow's arena.
func (x *idIndex) lookup(h uint64, id string, w *wfState) (uint32, bool) {
	si, tag := split(h)
	s := &x.shards[si]
	if s.n == 0 {
		return 0, false
	}
	slot, found, _ := s.probe(tag, id, w)
	return slot, found
}

// find returns the slot of id (hash h) if indexed; otherwise it returns the
// empty entry where insertAt may put it, found by the same probe, or
// noSlot when the table must grow first (or has no entries).
func (x *idIndex) find(h uint64, id string, w *wfState) (slot uint32, found bool, pos uint32) {
	si, tag := split(h)
	s := &x.shards[si]
	if s.n == 0 {
		return 0, false, noSlot
	}
	slot, found, pos = s.probe(tag, id, w)
	if !found && (s.n+1)*4 > s.size()*3 {
		pos = noSlot // insert grows the table first
	}
	return slot, found, pos
}

// probe walks the run of entries from tag's home entry (the table has
// entries): it returns the slot of id when indexed, and otherwise the
// empty entry that ends the run.
func (s *idShard) probe(tag uint32, id string, w *wfState) (slot uint32, found bool, pos uint32) {
	mask := s.mask
	for i := tag & mask; ; i = (i + 1) & mask {
		e := *s.at(i)
		if e == 0 {
			return 0, false, i
		}
		if uint32(e>>32) == tag {
			if g := uint32(e) - 1; w.hasID(g, id) {
				return g, true, noSlot
			}
		}
	}
}

// insertAt adds id (hash h) at slot, into the empty entry pos that find
// returned for it, or by probing when pos is noSlot. The caller has checked
// it is absent and changed the table in between only through the id's
// slot (never the index).
func (x *idIndex) insertAt(h uint64, slot, pos uint32) {
	if pos == noSlot {
		x.insert(h, slot)
		return
	}
	si, tag := split(h)
	s := &x.shards[si]
	*s.at(pos) = uint64(tag)<<32 | uint64(slot+1)
	s.n++
}

// insert adds id (hash h) at slot; the caller has checked it is absent.
func (x *idIndex) insert(h uint64, slot uint32) {
	si, tag := split(h)
	s := &x.shards[si]
	if (s.n+1)*4 > s.size()*3 {
		s.grow()
	}
	s.put(uint64(tag)<<32 | uint64(slot+1))
	s.n++
}

func (s *idShard) put(e uint64) {
	mask := s.mask
	i := uint32(e>>32) & mask
	for *s.at(i) != 0 {
		i = (i + 1) & mask
	}
	*s.at(i) = e
}

func (s *idShard) grow() {
	old := s.chunks
	size := max(2*s.size(), indexMinSize)
	s.chunks = make([][]uint64, (size+idxChunk-1)/idxChunk)
	for c := range s.chunks {
		s.chunks[c] = make([]uint64, min(size, idxChunk))
	}
	s.mask = uint32(size - 1)
	for _, ch := range old {
		for _, e := range ch {
			if e != 0 {
				s.put(e)
			}
		}
	}
}

// remove deletes the entry for slot (hash h), shifting later entries of its
// probe run back so that no tombstones are needed.
func (x *idIndex) remove(h uint64, slot uint32) {
	si, tag := split(h)
	s := &x.shards[si]
	if s.n == 0 {
		return
	}
	mask := s.mask
	want := uint64(tag)<<32 | uint64(slot+1)
	i := tag & mask
	for {
		e := *s.at(i)
		if e == 0 {
			return
		}
		if e == want {
			break
		}
		i = (i + 1) & mask
	}
	*s.at(i) = 0
	s.n--
	for j := (i + 1) & mask; *s.at(j) != 0; j = (j + 1) & mask {
		home := uint32(*s.at(j)>>32) & mask
		// Move entry j into the hole at i unless its home lies cyclically
		// in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			*s.at(i) = *s.at(j)
			*s.at(j) = 0
			i = j
		}
	}
}

// lookupMany looks up many ids at once, setting found[k] to the slot of
// ids[k] or noSlot. It first touches each id's first probe entry, then the
// candidate slots, then their arena bytes, each pass over every id, so
// that the processor overlaps the cache misses of independent look-ups
// instead of waiting for each in turn; the final pass finds everything in
// cache.
func (w *wfState) lookupMany(ids []string, found []uint32) {
	x := w.index
	var sink uint64
	hs := make([]uint64, len(ids))
	for k, id := range ids {
		h := x.hash(id)
		hs[k] = h
		found[k] = noSlot
		si, tag := split(h)
		if s := &x.shards[si]; s.n > 0 {
			e := *s.at(tag & s.mask)
			if uint32(e>>32) == tag {
				found[k] = uint32(e) - 1
			}
		}
	}
	for k, i := range found {
		if i != noSlot {
			if !w.valid(uint64(i)) { // a stale tag match: let lookup decide
				found[k] = noSlot
				continue
			}
			sink += uint64(w.at(i).idRef)
		}
	}
	for _, i := range found {
		if i != noSlot {
			sh := w.sh(i)
			sl := sh.slots.at(i >> wShardBits)
			if sl.idLen > 0 {
				sink += uint64(sh.ids.bytes(sl.idRef, 1)[0])
			}
		}
	}
	if sink == math.MaxUint64 { // never true; keeps the touches above
		clear(found)
	}
	for k, id := range ids {
		if i, ok := x.lookup(hs[k], id, w); ok {
			found[k] = i
		} else {
			found[k] = noSlot
		}
	}
}
