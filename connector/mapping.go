package connector

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playgraph/playgraph/audience"
)

// ObjectKind is the kind of target object a profile writes.
type ObjectKind uint8

// Object kinds.
const (
	KindLead    ObjectKind = iota + 1 // a lead (requires email, last name, company)
	KindContact                       // a contact (requires email)
	KindAccount                       // an account (no required fields)
)

var kindNames = [...]string{"", "lead", "contact", "account"}

// String returns "lead", "contact" or "account".
func (k ObjectKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ObjectKind(%d)", uint8(k))
}

// Valid reports whether k is a known kind.
func (k ObjectKind) Valid() bool { return k >= KindLead && k <= KindAccount }

// People reports whether records of kind k are people (lead, contact): they
// are built from a contact, one per contact.
func (k ObjectKind) People() bool { return k == KindLead || k == KindContact }

// ParseObjectKind parses "lead", "contact" or "account".
func ParseObjectKind(s string) (ObjectKind, error) {
	for i := 1; i < len(kindNames); i++ {
		if kindNames[i] == s {
			return ObjectKind(i), nil
		}
	}
	return 0, fmt.Errorf("%w: object kind %q", ErrInvalidProfile, s)
}

// Requirement is a target field a kind of object cannot be written
// without. See [ObjectKind.Required] and [MappingProfile].
type Requirement string

// Requirements.
const (
	ReqEmail    Requirement = "email"
	ReqLastName Requirement = "last_name"
	ReqCompany  Requirement = "company"
)

// Required lists the target fields a record of kind k must have: lead:
// email, last name, company; contact: email; account: none.
func (k ObjectKind) Required() []Requirement {
	switch k {
	case KindLead:
		return []Requirement{ReqEmail, ReqLastName, ReqCompany}
	case KindContact:
		return []Requirement{ReqEmail}
	}
	return nil
}

// Environment is the target environment a profile is for.
type Environment uint8

// Environments.
const (
	Production Environment = iota + 1
	Sandbox
)

// String returns "production" or "sandbox".
func (e Environment) String() string {
	switch e {
	case Production:
		return "production"
	case Sandbox:
		return "sandbox"
	}
	return fmt.Sprintf("Environment(%d)", uint8(e))
}

// CheckEnvironment is the check a connector for environment env makes on a
// profile: an error wrapping ErrEnvironment when p is for the other one. A
// connector with a zero env accepts both.
func CheckEnvironment(env Environment, p *MappingProfile) error {
	if p == nil {
		return fmt.Errorf("%w: no mapping profile", ErrInvalidProfile)
	}
	if env != 0 && p.Environment != env {
		return fmt.Errorf("%w: profile %q is for %s, connector writes to %s", ErrEnvironment, p.Name, p.Environment, env)
	}
	return nil
}

// FieldMapping maps one of our fields (a catalogue name: "name",
// "contact.email", "crm.owner") to a target field ("Company", "Email").
type FieldMapping struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Constant sets a target field to a fixed value on every record
// ("LeadSource" = "playgraph").
type Constant struct {
	To    string `json:"to"`
	Value string `json:"value"`
}

// MappingProfile maps our fields to a target object's fields, for one
// object kind and one environment.
//
// Required target fields: a kind's requirements ([ObjectKind.Required])
// are satisfied by a mapped or constant target field whose name, ignoring
// case, spaces, '_' and '-', is the requirement's ("Email", "LastName",
// "last_name", "Company"), or by the target field Satisfy names for it
// (Satisfy[ReqCompany] = "Account_Name__c"). Applying the profile then
// refuses a record whose required value is empty ([ErrMissingValue]).
//
// Target fields appear in records in the order of Fields, then Constants.
type MappingProfile struct {
	Name        string                 `json:"name"`
	Kind        ObjectKind             `json:"kind"`
	Environment Environment            `json:"environment"`
	Fields      []FieldMapping         `json:"fields"`
	Constants   []Constant             `json:"constants,omitempty"`
	Satisfy     map[Requirement]string `json:"satisfy,omitempty"`
}

// Targets returns the target field names in record order.
func (p *MappingProfile) Targets() []string {
	out := make([]string, 0, len(p.Fields)+len(p.Constants))
	for _, f := range p.Fields {
		out = append(out, f.To)
	}
	for _, c := range p.Constants {
		out = append(out, c.To)
	}
	return out
}

// foldName folds a field name for requirement matching: lower case, no
// spaces, '_' or '-'.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == ' ' || r == '_' || r == '-' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// requirementTargets returns, per requirement of p.Kind, the index in
// Targets() of the field that satisfies it (-1 if none).
func (p *MappingProfile) requirementTargets() map[Requirement]int {
	reqs := p.Kind.Required()
	out := make(map[Requirement]int, len(reqs))
	targets := p.Targets()
	for _, r := range reqs {
		out[r] = -1
		want, named := p.Satisfy[r]
		for i, t := range targets {
			if (named && t == want) || (!named && foldName(t) == foldName(string(r))) {
				out[r] = i
				break
			}
		}
	}
	return out
}

// Validate checks p against the catalogue and returns a *ValidationError
// (wrapping ErrInvalidProfile) listing every problem: a missing name, an
// invalid kind or environment, fields the catalogue does not hold
// (ErrUnknownField), contact fields in an account profile, empty or
// duplicate target fields, and unmapped required fields (ErrRequiredField).
func (p *MappingProfile) Validate(cat *audience.Catalog) error {
	_, err := p.compile(cat)
	return err
}

// Compile validates p and returns a Mapper that applies it fast. The
// error is Validate's.
func (p *MappingProfile) Compile(cat *audience.Catalog) (*Mapper, error) {
	return p.compile(cat)
}

func (p *MappingProfile) compile(cat *audience.Catalog) (*Mapper, error) {
	if p == nil {
		return nil, &ValidationError{Kind: "mapping profile", Problems: []Problem{{Err: fmt.Errorf("%w: nil profile", ErrInvalidProfile)}}, sentinel: ErrInvalidProfile}
	}
	if cat == nil {
		cat = defaultCatalog()
	}
	var probs []Problem
	bad := func(field string, err error) { probs = append(probs, Problem{Field: field, Err: err}) }
	if p.Name == "" {
		bad("", fmt.Errorf("%w: no name", ErrInvalidProfile))
	}
	if !p.Kind.Valid() {
		bad("", fmt.Errorf("%w: invalid object kind %d (want lead, contact or account)", ErrInvalidProfile, p.Kind))
	}
	if p.Environment != Production && p.Environment != Sandbox {
		bad("", fmt.Errorf("%w: invalid environment %d (want production or sandbox)", ErrInvalidProfile, p.Environment))
	}
	if len(p.Fields)+len(p.Constants) == 0 {
		bad("", fmt.Errorf("%w: maps no fields", ErrInvalidProfile))
	}
	m := &Mapper{profile: p, kind: p.Kind, targets: p.Targets()}
	seen := make(map[string]bool, len(m.targets))
	checkTarget := func(to string) {
		switch {
		case strings.TrimSpace(to) == "":
			bad(to, fmt.Errorf("%w: empty target field", ErrInvalidProfile))
		case seen[to]:
			bad(to, fmt.Errorf("%w: target field mapped twice", ErrInvalidProfile))
		}
		seen[to] = true
	}
	for _, fm := range p.Fields {
		checkTarget(fm.To)
		f, err := cat.Lookup(fm.From)
		if err != nil {
			bad(fm.From, fmt.Errorf("%w: %w", ErrUnknownField, err))
			m.getters = append(m.getters, nil)
			continue
		}
		if f.Subject == audience.SubjectContact && p.Kind == KindAccount {
			bad(fm.From, fmt.Errorf("%w: contact field in an account profile", ErrInvalidProfile))
		}
		m.getters = append(m.getters, getterFor(f))
	}
	for _, c := range p.Constants {
		checkTarget(c.To)
		m.consts = append(m.consts, any(c.Value)) // boxed once, not per record
	}
	for r := range p.Satisfy {
		if !slices.Contains(p.Kind.Required(), r) {
			bad(string(r), fmt.Errorf("%w: %s is not a requirement of a %s", ErrInvalidProfile, r, p.Kind))
		}
	}
	reqs := p.requirementTargets()
	for _, r := range p.Kind.Required() {
		i := reqs[r]
		if i < 0 {
			hint := ""
			if t, ok := p.Satisfy[r]; ok {
				hint = fmt.Sprintf(" (Satisfy names %q, which is not mapped)", t)
			}
			bad(string(r), fmt.Errorf("%w: a %s needs %s%s", ErrRequiredField, p.Kind, r, hint))
			continue
		}
		m.required = append(m.required, reqIndex{req: r, idx: i})
	}
	if len(probs) > 0 {
		return nil, &ValidationError{Kind: "mapping profile", Name: p.Name, Problems: probs, sentinel: ErrInvalidProfile}
	}
	return m, nil
}

type reqIndex struct {
	req Requirement
	idx int
}

// getter reads one field of (account, contact).
type getter func(a *audience.Account, c *audience.Contact) (any, bool)

func getterFor(f audience.Field) getter {
	if g := f.ContactStringGetter(); g != nil {
		return func(_ *audience.Account, c *audience.Contact) (any, bool) {
			if c == nil {
				return nil, false
			}
			return g(c), true
		}
	}
	if g := f.StringGetter(); g != nil {
		return func(a *audience.Account, _ *audience.Contact) (any, bool) {
			if a == nil {
				return nil, false
			}
			return g(a)
		}
	}
	return func(a *audience.Account, c *audience.Contact) (any, bool) {
		if a == nil && f.Subject == audience.SubjectAccount {
			return nil, false
		}
		return f.Value(a, c)
	}
}

// Mapper is a compiled MappingProfile. It is immutable and safe for
// concurrent use.
type Mapper struct {
	profile  *MappingProfile
	kind     ObjectKind
	targets  []string
	getters  []getter
	consts   []any
	required []reqIndex
}

// Profile returns the profile the mapper was compiled from.
func (m *Mapper) Profile() *MappingProfile { return m.profile }

// Targets returns the target field names in record order (shared: do not
// modify).
func (m *Mapper) Targets() []string { return m.targets }

// Apply maps one account (and, for lead and contact profiles, one of its
// contacts) to a target record. Absent values are nil. The error wraps
// ErrMissingValue when a people profile gets no contact or a required
// value is empty; it concerns this record only.
func (m *Mapper) Apply(a *audience.Account, c *audience.Contact) (Record, error) {
	if m.kind.People() && c == nil {
		return Record{}, fmt.Errorf("%w: a %s record needs a contact", ErrMissingValue, m.kind)
	}
	vals := make([]any, len(m.targets))
	for i, g := range m.getters {
		if v, ok := g(a, c); ok {
			vals[i] = v
		}
	}
	copy(vals[len(m.getters):], m.consts)
	for _, r := range m.required {
		if isEmpty(vals[r.idx]) {
			return Record{}, fmt.Errorf("%w: %s (%s) is empty%s", ErrMissingValue, m.targets[r.idx], r.req, describe(a, c))
		}
	}
	return Record{Kind: m.kind, Fields: m.targets, Values: vals}, nil
}

func describe(a *audience.Account, c *audience.Contact) string {
	switch {
	case c != nil && c.ID != "":
		return " for contact " + c.ID
	case a != nil:
		return " for account " + a.ID
	}
	return ""
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// Record is one target object: field names and values in the same order.
// Records a Mapper makes share their Fields slice with it: treat Fields as
// read-only.
type Record struct {
	// ID is the target's id; empty for a record not written yet.
	ID     string
	Kind   ObjectKind
	Fields []string
	// Values[i] is Fields[i]'s value: string, int64, float64, bool,
	// time.Time, []string, audience.BuyingStage or audience.ProfileFit, or
	// nil when absent.
	Values []any
}

// NewRecord builds a record from a map (fields sorted by name), as a
// RecordFinder or a test would.
func NewRecord(id string, kind ObjectKind, fields map[string]any) Record {
	r := Record{ID: id, Kind: kind, Fields: make([]string, 0, len(fields))}
	for k := range fields {
		r.Fields = append(r.Fields, k)
	}
	slices.Sort(r.Fields)
	r.Values = make([]any, len(r.Fields))
	for i, k := range r.Fields {
		r.Values[i] = fields[k]
	}
	return r
}

// Get returns a field's value; ok is false when the record has no such
// field.
func (r Record) Get(field string) (v any, ok bool) {
	for i, f := range r.Fields {
		if f == field {
			if i < len(r.Values) {
				return r.Values[i], true
			}
			return nil, true
		}
	}
	return nil, false
}

// Text returns a field's value as text (see FormatValue), "" if absent.
func (r Record) Text(field string) string {
	v, _ := r.Get(field)
	return FormatValue(v)
}

// FormatValue renders a record value as text: strings as they are,
// numbers in Go syntax, times in RFC 3339, string lists joined by ";",
// stages and fits by name, nil as "".
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.Format(time.RFC3339)
	case []string:
		return strings.Join(x, ";")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
