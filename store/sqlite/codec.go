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
