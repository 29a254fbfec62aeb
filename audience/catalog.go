package audience

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
)

// Type is the type of a catalogue field.
type Type uint8

// Field types.
const (
	TypeInvalid Type = iota
	TypeString
	TypeInt
	TypeFloat
	TypeBool
	TypeTime
	TypeStrings // a list of strings
	TypeStage   // a BuyingStage
	TypeFit     // a ProfileFit
)

var typeNames = [...]string{"invalid", "string", "int", "float", "bool", "time", "strings", "stage", "fit"}

// String returns the type's name as used in attribute declarations and JSON.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// ParseType parses a type name ("string", "int", "float", "bool", "time",
// "strings").
func ParseType(s string) (Type, error) {
	for i := 1; i < len(typeNames); i++ {
		if typeNames[i] == s {
			return Type(i), nil
		}
	}
	return TypeInvalid, fmt.Errorf("%w: type %q", ErrInvalidAttribute, s)
}

// Numeric reports whether values of the type compare as numbers.
func (t Type) Numeric() bool { return t == TypeInt || t == TypeFloat }

// Origin says where a field's data comes from.
type Origin uint8

// Field origins.
const (
	Origin6sense Origin = iota + 1
	OriginCRM
	OriginMAP
	OriginCustom
)

var originNames = [...]string{"", "6sense", "crm", "map", "custom"}

// String returns the origin's name.
func (o Origin) String() string {
	if int(o) < len(originNames) {
		return originNames[o]
	}
	return fmt.Sprintf("Origin(%d)", uint8(o))
}

// Subject says whether a field belongs to the account or to a contact.
type Subject uint8

// Field subjects.
const (
	SubjectAccount Subject = iota + 1
	SubjectContact
)

// String returns "account" or "contact".
func (s Subject) String() string {
	switch s {
	case SubjectAccount:
		return "account"
	case SubjectContact:
		return "contact"
	}
	return fmt.Sprintf("Subject(%d)", uint8(s))
}

// Field describes one field of the catalogue: its name (snake_case, with a
// crm., map., custom. or contact. prefix where it has one), type, origin and
// whether it is behavioural (changes with what the account does, so a
// segment filtering on it gains and loses members day to day).
//
// A Field is a small value; its accessors are safe for concurrent use.
type Field struct {
	Name        string
	Type        Type
	Origin      Origin
	Subject     Subject
	Behavioral  bool
	Description string

	acc  func(*Account) any // generic account accessor (nil for contact fields)
	con  func(*Contact) any // generic contact accessor
	attr attrRef            // for declared attributes
	str  func(*Account) string
	num  func(*Account) int64
	flt  func(*Account) float64
	strs func(*Account) []string
	tim  func(*Account) time.Time
	cstr func(*Contact) string
}

type attrRef struct {
	origin Origin
	key    string
}

// Attribute declares a CRM, MAP or custom attribute: the key in the account's
// CRM, MAP or Custom map and its type. Its catalogue name is the origin's
// prefix and the key: crm.<key>, map.<key>, custom.<key>.
type Attribute struct {
	Origin      Origin
	Key         string
	Type        Type
	Behavioral  bool
	Description string
}

// Catalog is the field catalogue: every field filters and mapping profiles
// may name. A Catalog is immutable once made and safe for concurrent use.
type Catalog struct {
	byName map[string]Field
	order  []string
}

var builtins = []Field{
	{Name: "id", Type: TypeString, str: func(a *Account) string { return a.ID }, Description: "account id"},
	{Name: "name", Type: TypeString, str: func(a *Account) string { return a.Name }, Description: "company name"},
	{Name: "domain", Type: TypeString, str: func(a *Account) string { return a.Domain }, Description: "web domain"},
	{Name: "country", Type: TypeString, str: func(a *Account) string { return a.Country }, Description: "country (ISO code or name, as the source gives it)"},
	{Name: "region", Type: TypeString, str: func(a *Account) string { return a.Region }, Description: "region"},
	{Name: "industry", Type: TypeString, str: func(a *Account) string { return a.Industry }, Description: "industry"},
	{Name: "employees", Type: TypeInt, num: func(a *Account) int64 { return a.Employees }, Description: "head count"},
	{Name: "revenue", Type: TypeFloat, flt: func(a *Account) float64 { return a.Revenue }, Description: "yearly revenue, USD"},
	{Name: "buying_stage", Type: TypeStage, Behavioral: true, num: func(a *Account) int64 { return int64(a.BuyingStage) }, Description: "predicted buying stage"},
	{Name: "intent_score", Type: TypeInt, Behavioral: true, num: func(a *Account) int64 { return a.IntentScore }, Description: "intent score 0-100"},
	{Name: "profile_fit", Type: TypeFit, num: func(a *Account) int64 { return int64(a.ProfileFit) }, Description: "profile fit"},
	{Name: "keywords", Type: TypeStrings, Behavioral: true, strs: func(a *Account) []string { return a.Keywords }, Description: "researched intent keywords"},
	{Name: "researched_competitors", Type: TypeStrings, Behavioral: true, strs: func(a *Account) []string { return a.ResearchedCompetitors }, Description: "researched competitors"},
	{Name: "last_visit", Type: TypeTime, Behavioral: true, tim: func(a *Account) time.Time { return a.LastVisit }, Description: "last web visit"},
	{Name: "created_at", Type: TypeTime, tim: func(a *Account) time.Time { return a.CreatedAt }, Description: "when the account appeared"},

	{Name: "contact.id", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.ID }, Description: "contact id"},
	{Name: "contact.first_name", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.FirstName }, Description: "first name"},
	{Name: "contact.last_name", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.LastName }, Description: "last name"},
	{Name: "contact.name", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.Name() }, Description: "full name"},
	{Name: "contact.email", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.Email }, Description: "email address"},
	{Name: "contact.title", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.Title }, Description: "job title"},
	{Name: "contact.job_level", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.JobLevel }, Description: "job level (C-Level, VP, Director, Manager, Staff)"},
	{Name: "contact.job_function", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.JobFunction }, Description: "job function"},
	{Name: "contact.country", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.Country }, Description: "country"},
	{Name: "contact.phone", Subject: SubjectContact, Type: TypeString, cstr: func(c *Contact) string { return c.Phone }, Description: "phone number"},
}

func init() {
	for i := range builtins {
		f := &builtins[i]
		f.Origin = Origin6sense
		if f.Subject == 0 {
			f.Subject = SubjectAccount
		}
		f.fillGeneric()
	}
	// The default catalogue copies builtins, so it is built only once they
	// are complete: package-level variables are initialised before init
	// runs.
	defaultCatalog = mustCatalog()
}

func (f *Field) fillGeneric() {
	switch {
	case f.cstr != nil:
		g := f.cstr
		f.con = func(c *Contact) any { return g(c) }
	case f.str != nil:
		g := f.str
		f.acc = func(a *Account) any { return g(a) }
	case f.Type == TypeStage:
		f.acc = func(a *Account) any { return a.BuyingStage }
	case f.Type == TypeFit:
		f.acc = func(a *Account) any { return a.ProfileFit }
	case f.num != nil:
		g := f.num
		f.acc = func(a *Account) any { return g(a) }
	case f.flt != nil:
		g := f.flt
		f.acc = func(a *Account) any { return g(a) }
	case f.strs != nil:
		g := f.strs
		f.acc = func(a *Account) any { return g(a) }
	case f.tim != nil:
		g := f.tim
		f.acc = func(a *Account) any { return g(a) }
	}
}

var defaultCatalog *Catalog // set by init

func mustCatalog() *Catalog {
	c, err := NewCatalog()
	if err != nil {
		panic(err) // built-ins are fixed; a failure is a programming error caught by tests
	}
	return c
}

// DefaultCatalog returns the catalogue of built-in fields, with no declared
// attributes. It is shared and immutable.
func DefaultCatalog() *Catalog { return defaultCatalog }

// NewCatalog returns a catalogue of the built-in fields plus the declared
// attributes. It reports every bad declaration at once.
func NewCatalog(attrs ...Attribute) (*Catalog, error) {
	c := &Catalog{byName: make(map[string]Field, len(builtins)+len(attrs))}
	for _, f := range builtins {
		c.byName[f.Name] = f
		c.order = append(c.order, f.Name)
	}
	var errs []error
	for _, at := range attrs {
		f, err := attributeField(at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := c.byName[f.Name]; dup {
			errs = append(errs, fmt.Errorf("%w: %s", ErrDuplicateField, f.Name))
			continue
		}
		c.byName[f.Name] = f
		c.order = append(c.order, f.Name)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return c, nil
}

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return &multiError{errs: errs, msg: strings.Join(msgs, "; ")}
}

type multiError struct {
	errs []error
	msg  string
}

func (m *multiError) Error() string   { return m.msg }
func (m *multiError) Unwrap() []error { return m.errs }

// Prefix returns the catalogue-name prefix of attributes of origin o
// ("crm.", "map.", "custom."), or "" for built-in origins.
func (o Origin) Prefix() string {
	switch o {
	case OriginCRM:
		return "crm."
	case OriginMAP:
		return "map."
	case OriginCustom:
		return "custom."
	}
	return ""
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func attributeField(at Attribute) (Field, error) {
	prefix := at.Origin.Prefix()
	if prefix == "" {
		return Field{}, fmt.Errorf("%w: %q: origin must be crm, map or custom", ErrInvalidAttribute, at.Key)
	}
	if !validKey(at.Key) {
		return Field{}, fmt.Errorf("%w: %q: key must be snake_case ([a-z_][a-z0-9_]*, at most 64 bytes)", ErrInvalidAttribute, at.Key)
	}
	switch at.Type {
	case TypeString, TypeInt, TypeFloat, TypeBool, TypeTime, TypeStrings:
	default:
		return Field{}, fmt.Errorf("%w: %s%s: type %s not allowed for attributes", ErrInvalidAttribute, prefix, at.Key, at.Type)
	}
	f := Field{
		Name: prefix + at.Key, Type: at.Type, Origin: at.Origin, Subject: SubjectAccount,
		Behavioral: at.Behavioral, Description: at.Description,
		attr: attrRef{origin: at.Origin, key: at.Key},
	}
	key, origin := at.Key, at.Origin
	raw := func(a *Account) (any, bool) {
		var m map[string]any
		switch origin {
		case OriginCRM:
			m = a.CRM
		case OriginMAP:
			m = a.MAP
		default:
			m = a.Custom
		}
		v, ok := m[key]
		return v, ok
	}
	f.acc = func(a *Account) any {
		v, ok := raw(a)
		if !ok {
			return nil
		}
		if cv, ok := convert(v, at.Type); ok {
			return cv
		}
		return nil
	}
	return f, nil
}

// convert coerces an attribute value to the declared type; ok is false if it
// cannot.
func convert(v any, t Type) (any, bool) {
	switch t {
	case TypeString:
		s, ok := v.(string)
		return s, ok
	case TypeInt:
		switch n := v.(type) {
		case int64:
			return n, true
		case int:
			return int64(n), true
		case int32:
			return int64(n), true
		}
	case TypeFloat:
		switch n := v.(type) {
		case float64:
			return n, true
		case float32:
			return float64(n), true
		case int64:
			return float64(n), true
		case int:
			return float64(n), true
		}
	case TypeBool:
		b, ok := v.(bool)
		return b, ok
	case TypeTime:
		tm, ok := v.(time.Time)
		return tm, ok
	case TypeStrings:
		s, ok := v.([]string)
		return s, ok
	}
	return nil, false
}

// Lookup returns the field with the given catalogue name. For an unknown name
// the error wraps ErrUnknownField, or ErrUndeclaredAttribute when the name has
// a crm., map. or custom. prefix.
func (c *Catalog) Lookup(name string) (Field, error) {
	if f, ok := c.byName[name]; ok {
		return f, nil
	}
	for _, p := range []string{"crm.", "map.", "custom."} {
		if strings.HasPrefix(name, p) {
			return Field{}, fmt.Errorf("%w: %q (declare it in the catalogue first)", ErrUndeclaredAttribute, name)
		}
	}
	return Field{}, fmt.Errorf("%w: %q", ErrUnknownField, name)
}

// Has reports whether the catalogue holds the named field.
func (c *Catalog) Has(name string) bool {
	_, ok := c.byName[name]
	return ok
}

// Fields iterates over the catalogue's fields: built-ins first, then declared
// attributes in declaration order.
func (c *Catalog) Fields() iter.Seq[Field] {
	return func(yield func(Field) bool) {
		for _, n := range c.order {
			if !yield(c.byName[n]) {
				return
			}
		}
	}
}

// Names returns the names of all fields, sorted.
func (c *Catalog) Names() []string {
	out := slices.Clone(c.order)
	slices.Sort(out)
	return out
}

// CheckAccount reports attributes of a whose values do not have their
// declared type. Attributes the catalogue does not declare are ignored (they
// cannot be read by filters or profiles).
func (c *Catalog) CheckAccount(a *Account) error {
	var errs []error
	for _, n := range c.order {
		f := c.byName[n]
		if f.attr.key == "" {
			continue
		}
		var m map[string]any
		switch f.attr.origin {
		case OriginCRM:
			m = a.CRM
		case OriginMAP:
			m = a.MAP
		default:
			m = a.Custom
		}
		v, ok := m[f.attr.key]
		if !ok || v == nil {
			continue
		}
		if _, ok := convert(v, f.Type); !ok {
			errs = append(errs, fmt.Errorf("%w: account %s: %s is %T, declared %s", ErrInvalidValue, a.ID, f.Name, v, f.Type))
		}
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	return nil
}
