package sqlite

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

var errCorrupt = errors.New("sqlite: malformed record")

// A path is a BLOB of varints, per step: node<<1 | (At is zero), out, and
// unless At is zero the zigzag difference in nanoseconds between At and
// the state's EnteredAt (0 when that is zero). Node and out are name ids
// of the workflow. Steps of one run share its logical time, so most
// differences are 0 and a step takes three bytes.

func appendPath(dst []byte, path []store.Step, base int64, id func(string) int64) []byte {
	for i := range path {
		p := &path[i]
		zero := p.At.IsZero()
		v := uint64(id(p.Node)) << 1
		if zero {
			v |= 1
		}
		dst = binary.AppendUvarint(dst, v)
		dst = binary.AppendUvarint(dst, uint64(id(p.Out)))
		if !zero {
			dst = binary.AppendVarint(dst, int64(uint64(p.At.UnixNano())-uint64(base)))
		}
	}
	return dst
}

// decodePath decodes a path blob; names maps ids to names.
func decodePath(b []byte, base int64, names []string) ([]store.Step, error) {
	if len(b) == 0 {
		return nil, nil
	}
	n := 0
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	out := make([]store.Step, 0, n/2)
	for len(b) > 0 {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errCorrupt
		}
		b = b[k:]
		o, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errCorrupt
		}
		b = b[k:]
		node := v >> 1
		if node >= uint64(len(names)) || o >= uint64(len(names)) {
			return nil, errCorrupt
		}
		st := store.Step{Node: names[node], Out: names[o]}
		if v&1 == 0 {
			d, k := binary.Varint(b)
			if k <= 0 {
				return nil, errCorrupt
			}
			b = b[k:]
			st.At = time.Unix(0, int64(uint64(base)+uint64(d))).UTC()
		}
		out = append(out, st)
	}
	return out, nil
}

// maxPathName is the largest name id a path blob may hold; decoders use it
// to know which names to load.
func maxPathName(b []byte) int64 {
	var m uint64
	for i := 0; len(b) > 0; i++ {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return 0
		}
		b = b[k:]
		o, k := binary.Uvarint(b)
		if k <= 0 {
			return 0
		}
		b = b[k:]
		m = max(m, v>>1, o)
		if v&1 == 0 {
			_, k := binary.Varint(b)
			if k <= 0 {
				return 0
			}
			b = b[k:]
		}
	}
	return int64(m)
}

// Items are a BLOB: a uvarint count, then per item a flags byte (status in
// bits 0-1; bit 2: has a contact; bit 3: has an error; bits 4-5: the key is
// given in full (0), is the intent's key (1), or is the intent's key + "/"
// + what follows (2)), the key's remainder if any, the error, and the
// contact as a count of fields followed by each field. Strings are a uvarint
// length and the bytes.

const (
	itemContact = 1 << 2
	itemErr     = 1 << 3
	keyFull     = 0 << 4
	keySame     = 1 << 4
	keySuffix   = 2 << 4
	keyMask     = 3 << 4
)

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, errCorrupt
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

func contactFields(c *audience.Contact) [10]*string {
	return [10]*string{&c.ID, &c.AccountID, &c.FirstName, &c.LastName, &c.Email, &c.Title, &c.JobLevel, &c.JobFunction, &c.Country, &c.Phone}
}

func appendItems(dst []byte, key string, items []store.Item) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(items)))
	for i := range items {
		it := &items[i]
		f := byte(it.Status & 3)
		if it.Contact != nil {
			f |= itemContact
		}
		if it.Err != "" {
			f |= itemErr
		}
		rest := it.Key
		switch {
		case it.Key == key:
			f |= keySame
			rest = ""
		case len(it.Key) > len(key) && it.Key[len(key)] == '/' && it.Key[:len(key)] == key:
			f |= keySuffix
			rest = it.Key[len(key)+1:]
		}
		dst = append(dst, f)
		if f&keyMask != keySame {
			dst = appendString(dst, rest)
		}
		if it.Err != "" {
			dst = appendString(dst, it.Err)
		}
		if it.Contact != nil {
			fs := contactFields(it.Contact)
			dst = binary.AppendUvarint(dst, uint64(len(fs)))
			for _, p := range fs {
				dst = appendString(dst, *p)
			}
		}
	}
	return dst
}

func decodeItems(b []byte, key string) ([]store.Item, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	b = b[k:]
	if n == 0 {
		return nil, nil
	}
	out := make([]store.Item, n)
	var err error
	for i := range out {
		if len(b) == 0 {
			return nil, errCorrupt
		}
		f := b[0]
		b = b[1:]
		it := &out[i]
		it.Status = store.ItemStatus(f & 3)
		switch f & keyMask {
		case keySame:
			it.Key = key
		case keySuffix, keyFull:
			var rest string
			if rest, b, err = readString(b); err != nil {
				return nil, err
			}
			it.Key = rest
			if f&keyMask == keySuffix {
				it.Key = key + "/" + rest
			}
		default:
			return nil, errCorrupt
		}
		if f&itemErr != 0 {
			if it.Err, b, err = readString(b); err != nil {
				return nil, err
			}
		}
		if f&itemContact != 0 {
			c := new(audience.Contact)
			nf, k := binary.Uvarint(b)
			if k <= 0 {
				return nil, errCorrupt
			}
			b = b[k:]
			fs := contactFields(c)
			for j := uint64(0); j < nf; j++ {
				var v string
				if v, b, err = readString(b); err != nil {
					return nil, err
				}
				if j < uint64(len(fs)) {
					*fs[j] = v
				}
			}
			it.Contact = c
		}
	}
	return out, nil
}

// An account's state (beside its status and node, which are columns for
// Counts and ScanStates) is a BLOB: uvarint Entry, uvarint Failures, a
// flags byte (1: EnteredAt set, 2: WakeAt set, 4: Reason set), EnteredAt
// as 8 bytes of little-endian Unix nanoseconds, WakeAt as a varint
// difference from EnteredAt (or from 0), Reason as a string, and the path
// (appendPath) to the end. A waiting account with a four-step path takes
// about 45 bytes.

const (
	stEntered = 1
	stWake    = 2
	stReason  = 4
)

func appendState(dst []byte, st *store.AccountState, id func(string) int64) []byte {
	dst = binary.AppendUvarint(dst, uint64(st.Entry))
	dst = binary.AppendUvarint(dst, uint64(st.Failures))
	var f byte
	var base int64
	if !st.EnteredAt.IsZero() {
		f |= stEntered
		base = st.EnteredAt.UnixNano()
	}
	if !st.WakeAt.IsZero() {
		f |= stWake
	}
	if st.Reason != "" {
		f |= stReason
	}
	dst = append(dst, f)
	if f&stEntered != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(base))
	}
	if f&stWake != 0 {
		dst = binary.AppendVarint(dst, int64(uint64(st.WakeAt.UnixNano())-uint64(base)))
	}
	if f&stReason != 0 {
		dst = appendString(dst, st.Reason)
	}
	return appendPath(dst, st.Path, base, id)
}

// stateHead is a decoded state blob but for its path.
type stateHead struct {
	entry, failures uint64
	entered, wake   time.Time
	reason          string
	base            int64
	path            []byte
}

func decodeStateHead(b []byte) (stateHead, error) {
	var h stateHead
	var k int
	if h.entry, k = binary.Uvarint(b); k <= 0 {
		return h, errCorrupt
	}
	b = b[k:]
	if h.failures, k = binary.Uvarint(b); k <= 0 || len(b) <= k {
		return h, errCorrupt
	}
	f := b[k]
	b = b[k+1:]
	if f&stEntered != 0 {
		if len(b) < 8 {
			return h, errCorrupt
		}
		h.base = int64(binary.LittleEndian.Uint64(b))
		h.entered = time.Unix(0, h.base).UTC()
		b = b[8:]
	}
	if f&stWake != 0 {
		d, k := binary.Varint(b)
		if k <= 0 {
			return h, errCorrupt
		}
		h.wake = time.Unix(0, int64(uint64(h.base)+uint64(d))).UTC()
		b = b[k:]
	}
	if f&stReason != 0 {
		var err error
		if h.reason, b, err = readString(b); err != nil {
			return h, err
		}
	}
	h.path = b
	return h, nil
}

// An audit row (beside its id and account) is a BLOB: uvarint node,
// uvarint event, a flags byte (1: At set), At as 8 bytes of little-endian
// Unix nanoseconds, and the detail's bytes to the end.

func appendAuditRow(dst []byte, r *store.AuditRow, names map[string]int64) []byte {
	dst = binary.AppendUvarint(dst, uint64(names[r.Node]))
	dst = binary.AppendUvarint(dst, uint64(names[r.Event]))
	if r.At.IsZero() {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.At.UnixNano()))
	}
	return append(dst, r.Detail...)
}

func decodeAuditRow(b []byte, r *store.AuditRow) (node, event uint64, err error) {
	var k int
	if node, k = binary.Uvarint(b); k <= 0 {
		return 0, 0, errCorrupt
	}
	b = b[k:]
	if event, k = binary.Uvarint(b); k <= 0 || len(b) <= k {
		return 0, 0, errCorrupt
	}
	f := b[k]
	b = b[k+1:]
	if f&1 != 0 {
		if len(b) < 8 {
			return 0, 0, errCorrupt
		}
		r.At = time.Unix(0, int64(binary.LittleEndian.Uint64(b))).UTC()
		b = b[8:]
	}
	r.Detail = string(b)
	return node, event, nil
}

// An intent (beside its key, account and creation time) is a BLOB: uvarint
// node, uvarint Entry, uvarint Attempts and the items (appendItems).

func appendIntent(dst []byte, in *store.Intent, names map[string]int64) []byte {
	dst = binary.AppendUvarint(dst, uint64(names[in.Node]))
	dst = binary.AppendUvarint(dst, uint64(in.Entry))
	dst = binary.AppendUvarint(dst, uint64(in.Attempts))
	return appendItems(dst, in.Key, in.Items)
}

func decodeIntentHead(b []byte) (node, entry, attempts uint64, items []byte, err error) {
	var k int
	if node, k = binary.Uvarint(b); k <= 0 {
		return 0, 0, 0, nil, errCorrupt
	}
	b = b[k:]
	if entry, k = binary.Uvarint(b); k <= 0 {
		return 0, 0, 0, nil, errCorrupt
	}
	b = b[k:]
	if attempts, k = binary.Uvarint(b); k <= 0 {
		return 0, 0, 0, nil, errCorrupt
	}
	return node, entry, attempts, b[k:], nil
}
