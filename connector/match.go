package connector

import (
	"fmt"
	"strings"
	"sync"

	"github.com/playgraph/playgraph/audience"
)

// MatchType is how one of our values is compared with one of theirs.
type MatchType uint8

// Match types.
const (
	// MatchStrict: equal ignoring surrounding space and letter case.
	MatchStrict MatchType = iota + 1
	// MatchCompanyName: equal after NormalizeCompany (case, punctuation,
	// legal suffixes).
	MatchCompanyName
	// MatchDomain ("domain and subdomain"): the same host after
	// NormalizeDomain: "www.acme.com" is "acme.com", "shop.acme.com" is not.
	MatchDomain
	// MatchDomainOnly: the same registrable domain: "shop.acme.co.uk" is
	// "acme.co.uk".
	MatchDomainOnly
)

var matchTypeNames = [...]string{"", "strict", "company_name", "domain_and_subdomain", "domain_only"}

// String returns "strict", "company_name", "domain_and_subdomain" or
// "domain_only".
func (t MatchType) String() string {
	if t > 0 && int(t) < len(matchTypeNames) {
		return matchTypeNames[t]
	}
	return fmt.Sprintf("MatchType(%d)", uint8(t))
}

// ParseMatchType parses a name as String returns it.
func ParseMatchType(s string) (MatchType, error) {
	for i := 1; i < len(matchTypeNames); i++ {
		if matchTypeNames[i] == s {
			return MatchType(i), nil
		}
	}
	return 0, fmt.Errorf("%w: match type %q", ErrInvalidRules, s)
}

// Normalize returns the form of s this match type compares.
func (t MatchType) Normalize(s string) string { return string(t.appendNorm(nil, s)) }

// appendNorm appends the normalised form of s to dst.
func (t MatchType) appendNorm(dst []byte, s string) []byte {
	switch t {
	case MatchStrict:
		return appendLower(dst, strings.TrimSpace(s))
	case MatchCompanyName:
		return appendCompany(dst, s)
	case MatchDomain:
		return appendLower(dst, hostOf(s))
	case MatchDomainOnly:
		return appendRegistrable(dst, s)
	}
	return append(dst, s...)
}

// MatchField compares one of our fields (a catalogue name) with one of
// theirs (a target field name).
type MatchField struct {
	Ours   string    `json:"ours"`
	Theirs string    `json:"theirs"`
	Type   MatchType `json:"type"`
}

// MatchBlock is a set of fields that must all match (AND).
type MatchBlock struct {
	Fields []MatchField `json:"fields"`
}

// MatchRules decide whether an account or contact already exists in a
// target: a record matches when every field of some block matches (blocks
// OR, fields within a block AND). A field whose value is empty on either
// side never matches. Rules with no blocks use the default logic for their
// kind (see DefaultMatchRules).
type MatchRules struct {
	Name   string       `json:"name"`
	Kind   ObjectKind   `json:"kind"`
	Blocks []MatchBlock `json:"blocks,omitempty"`
}

// Conventional target field names the default rules compare with.
const (
	TargetName    = "Name"
	TargetDomain  = "Domain"
	TargetCountry = "Country"
	TargetEmail   = "Email"
)

// DefaultMatchRules returns the default logic for kind:
//
//   - accounts: the same registrable domain (domain → Domain, domain only),
//     or the same normalised company name and country (name → Name,
//     company name; country → Country, strict);
//   - leads and contacts: the same email (contact.email → Email, strict).
//
// Use DefaultMatchRulesFor to compare with the target fields a mapping
// profile writes instead of the conventional names.
func DefaultMatchRules(kind ObjectKind) MatchRules {
	r := MatchRules{Name: "default", Kind: kind}
	if kind.People() {
		r.Blocks = []MatchBlock{{Fields: []MatchField{{Ours: "contact.email", Theirs: TargetEmail, Type: MatchStrict}}}}
		return r
	}
	r.Blocks = []MatchBlock{
		{Fields: []MatchField{{Ours: "domain", Theirs: TargetDomain, Type: MatchDomainOnly}}},
		{Fields: []MatchField{
			{Ours: "name", Theirs: TargetName, Type: MatchCompanyName},
			{Ours: "country", Theirs: TargetCountry, Type: MatchStrict},
		}},
	}
	return r
}

// DefaultMatchRulesFor returns DefaultMatchRules(p.Kind) with each of
// their fields replaced by the target field p maps our field to, where it
// maps it.
func DefaultMatchRulesFor(p *MappingProfile) MatchRules {
	r := DefaultMatchRules(p.Kind)
	for bi := range r.Blocks {
		for fi := range r.Blocks[bi].Fields {
			f := &r.Blocks[bi].Fields[fi]
			for _, fm := range p.Fields {
				if fm.From == f.Ours {
					f.Theirs = fm.To
					break
				}
			}
		}
	}
	return r
}

func (r MatchRules) effective() MatchRules {
	if len(r.Blocks) > 0 {
		return r
	}
	d := DefaultMatchRules(r.Kind)
	if r.Name != "" {
		d.Name = r.Name
	}
	return d
}

// Validate checks r against the catalogue and returns a *ValidationError
// (wrapping ErrInvalidRules) listing every problem: an invalid kind, empty
// blocks, unknown fields (ErrUnknownField), contact fields in account
// rules, empty target fields, invalid match types.
func (r MatchRules) Validate(cat *audience.Catalog) error {
	_, err := r.compile(cat)
	return err
}

type compiledField struct {
	ours   func(a *audience.Account, c *audience.Contact) string
	theirs string
	typ    MatchType
}

type compiledBlock []compiledField

func (r MatchRules) compile(cat *audience.Catalog) ([]compiledBlock, error) {
	if cat == nil {
		cat = defaultCatalog()
	}
	var probs []Problem
	bad := func(field string, err error) { probs = append(probs, Problem{Field: field, Err: err}) }
	if !r.Kind.Valid() {
		bad("", fmt.Errorf("%w: invalid object kind %d", ErrInvalidRules, r.Kind))
	}
	eff := r.effective()
	var out []compiledBlock
	for bi, b := range eff.Blocks {
		if len(b.Fields) == 0 {
			bad("", fmt.Errorf("%w: block %d has no fields", ErrInvalidRules, bi+1))
			continue
		}
		var cb compiledBlock
		for _, mf := range b.Fields {
			if mf.Type < MatchStrict || mf.Type > MatchDomainOnly {
				bad(mf.Ours, fmt.Errorf("%w: block %d: invalid match type %d", ErrInvalidRules, bi+1, mf.Type))
			}
			if strings.TrimSpace(mf.Theirs) == "" {
				bad(mf.Ours, fmt.Errorf("%w: block %d: no target field", ErrInvalidRules, bi+1))
			}
			f, err := cat.Lookup(mf.Ours)
			if err != nil {
				bad(mf.Ours, fmt.Errorf("%w: %w", ErrUnknownField, err))
				continue
			}
			if f.Subject == audience.SubjectContact && r.Kind == KindAccount {
				bad(mf.Ours, fmt.Errorf("%w: block %d: contact field in account rules", ErrInvalidRules, bi+1))
			}
			cb = append(cb, compiledField{ours: textGetter(f), theirs: mf.Theirs, typ: mf.Type})
		}
		out = append(out, cb)
	}
	if len(probs) > 0 {
		return nil, &ValidationError{Kind: "match rules", Name: r.Name, Problems: probs, sentinel: ErrInvalidRules}
	}
	return out, nil
}

func textGetter(f audience.Field) func(*audience.Account, *audience.Contact) string {
	if g := f.ContactStringGetter(); g != nil {
		return func(_ *audience.Account, c *audience.Contact) string {
			if c == nil {
				return ""
			}
			return g(c)
		}
	}
	if g := f.StringGetter(); g != nil {
		return func(a *audience.Account, _ *audience.Contact) string {
			if a == nil {
				return ""
			}
			s, _ := g(a)
			return s
		}
	}
	return func(a *audience.Account, c *audience.Contact) string {
		if a == nil && f.Subject == audience.SubjectAccount {
			return ""
		}
		v, _ := f.Value(a, c)
		return FormatValue(v)
	}
}

// MatchIndex is an in-memory index of known target records under a set of
// match rules: one hash map per block, keyed by the block's normalised
// values, so a look-up costs one map probe per block, whatever the number
// of records. Feed it the records a RecordFinder returns (Add) and the
// records written during a run (Remember); ask it before creating an
// account or saving a contact (Match). It is safe for concurrent use.
type MatchIndex struct {
	rules  MatchRules
	blocks []compiledBlock
	mu     sync.RWMutex
	maps   []map[string]string
	n      int
}

// NewMatchIndex returns an empty index for rules r; the error is
// r.Validate's.
func NewMatchIndex(r MatchRules, cat *audience.Catalog) (*MatchIndex, error) {
	blocks, err := r.compile(cat)
	if err != nil {
		return nil, err
	}
	idx := &MatchIndex{rules: r.effective(), blocks: blocks, maps: make([]map[string]string, len(blocks))}
	for i := range idx.maps {
		idx.maps[i] = make(map[string]string)
	}
	return idx, nil
}

// Rules returns the rules the index applies (the default logic spelled out
// when the rules had no blocks).
func (x *MatchIndex) Rules() MatchRules { return x.rules }

// Len returns how many records were added or remembered.
func (x *MatchIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// key appends a block's key to buf: the fields' normalised values joined
// by NUL bytes; ok is false when a value normalises to empty.
func (b compiledBlock) key(buf []byte, val func(f *compiledField) string) ([]byte, bool) {
	for i := range b {
		if i > 0 {
			buf = append(buf, 0)
		}
		n := len(buf)
		buf = b[i].typ.appendNorm(buf, val(&b[i]))
		if len(buf) == n {
			return buf, false
		}
	}
	return buf, true
}

// Add indexes target records under their fields (their side of each
// block). A record already matching a block keeps the first id indexed.
// Records of another kind than the rules' are ignored when their Kind is
// set.
func (x *MatchIndex) Add(recs ...Record) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var buf []byte
	for _, rec := range recs {
		if rec.Kind != 0 && rec.Kind != x.rules.Kind {
			continue
		}
		for bi, b := range x.blocks {
			var ok bool
			if buf, ok = b.key(buf[:0], func(f *compiledField) string { return rec.Text(f.theirs) }); ok {
				if _, dup := x.maps[bi][string(buf)]; !dup {
					x.maps[bi][string(buf)] = rec.ID
				}
			}
		}
		x.n++
	}
}

// Remember indexes an account (and contact) of ours under the target id it
// was written as, so a later look-up in the same run matches it.
func (x *MatchIndex) Remember(id string, a *audience.Account, c *audience.Contact) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var buf []byte
	for bi, b := range x.blocks {
		var ok bool
		if buf, ok = b.key(buf[:0], func(f *compiledField) string { return f.ours(a, c) }); ok {
			if _, dup := x.maps[bi][string(buf)]; !dup {
				x.maps[bi][string(buf)] = id
			}
		}
	}
	x.n++
}

// Match reports whether the account (and, for people rules, the contact)
// matches a known record, and that record's id (which may be empty when
// the target gave none). Blocks are tried in order; the first that
// matches decides.
func (x *MatchIndex) Match(a *audience.Account, c *audience.Contact) (id string, ok bool) {
	var arr [256]byte
	x.mu.RLock()
	defer x.mu.RUnlock()
	for bi, b := range x.blocks {
		k, ok := b.key(arr[:0], func(f *compiledField) string { return f.ours(a, c) })
		if !ok {
			continue
		}
		if id, hit := x.maps[bi][string(k)]; hit {
			return id, true
		}
	}
	return "", false
}

// NewFindQuery collects the distinct non-empty domains and names of the
// accounts and emails of the contacts, to ask a RecordFinder for the
// records a batch may match.
func NewFindQuery(kind ObjectKind, accounts []*audience.Account, contacts []*audience.Contact) FindQuery {
	q := FindQuery{Kind: kind}
	seen := make(map[string]bool)
	add := func(list *[]string, tag, v string) {
		if v == "" || seen[tag+v] {
			return
		}
		seen[tag+v] = true
		*list = append(*list, v)
	}
	for _, a := range accounts {
		if a != nil {
			add(&q.Domains, "d", a.Domain)
			add(&q.Names, "n", a.Name)
		}
	}
	for _, c := range contacts {
		if c != nil {
			add(&q.Emails, "e", c.Email)
		}
	}
	return q
}
