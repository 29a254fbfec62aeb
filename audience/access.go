package audience

import "time"

// Value returns the field's value for an account (and, for contact fields,
// the contact). ok is false when the value is absent: an undeclared or
// missing attribute, a contact field with a nil contact, or an attribute of
// the wrong type. Built-in fields are always present (possibly zero).
//
// Value boxes; hot paths use the typed getters instead.
func (f Field) Value(a *Account, c *Contact) (v any, ok bool) {
	switch {
	case f.con != nil:
		if c == nil {
			return nil, false
		}
		return f.con(c), true
	case f.acc != nil:
		if a == nil {
			return nil, false
		}
		v := f.acc(a)
		return v, v != nil
	}
	return nil, false
}

// IsAttribute reports whether the field is a declared CRM, MAP or custom attribute.
func (f Field) IsAttribute() bool { return f.attr.key != "" }

// StringGetter returns a fast accessor for an account string field, or nil
// if the field is not an account field of TypeString. ok is false when the
// value is absent.
func (f Field) StringGetter() func(*Account) (string, bool) {
	if f.Subject != SubjectAccount || f.Type != TypeString {
		return nil
	}
	if g := f.str; g != nil {
		return func(a *Account) (string, bool) { return g(a), true }
	}
	acc := f.acc
	return func(a *Account) (string, bool) { s, ok := acc(a).(string); return s, ok }
}

// IntGetter returns a fast accessor for an account field of TypeInt,
// TypeStage or TypeFit (stages and fits as their ordinal), or nil.
func (f Field) IntGetter() func(*Account) (int64, bool) {
	if f.Subject != SubjectAccount {
		return nil
	}
	switch f.Type {
	case TypeInt, TypeStage, TypeFit:
	default:
		return nil
	}
	if g := f.num; g != nil {
		return func(a *Account) (int64, bool) { return g(a), true }
	}
	acc := f.acc
	return func(a *Account) (int64, bool) { n, ok := acc(a).(int64); return n, ok }
}

// FloatGetter returns a fast accessor for an account numeric field (TypeInt
// or TypeFloat) as float64, or nil.
func (f Field) FloatGetter() func(*Account) (float64, bool) {
	if f.Subject != SubjectAccount {
		return nil
	}
	switch {
	case f.flt != nil:
		g := f.flt
		return func(a *Account) (float64, bool) { return g(a), true }
	case f.num != nil && f.Type == TypeInt:
		g := f.num
		return func(a *Account) (float64, bool) { return float64(g(a)), true }
	case f.Type == TypeFloat || f.Type == TypeInt:
		acc := f.acc
		return func(a *Account) (float64, bool) {
			switch n := acc(a).(type) {
			case float64:
				return n, true
			case int64:
				return float64(n), true
			}
			return 0, false
		}
	}
	return nil
}

// BoolGetter returns a fast accessor for an account field of TypeBool, or nil.
func (f Field) BoolGetter() func(*Account) (bool, bool) {
	if f.Subject != SubjectAccount || f.Type != TypeBool {
		return nil
	}
	acc := f.acc
	return func(a *Account) (bool, bool) { b, ok := acc(a).(bool); return b, ok }
}

// TimeGetter returns a fast accessor for an account field of TypeTime, or
// nil. A zero time counts as absent.
func (f Field) TimeGetter() func(*Account) (time.Time, bool) {
	if f.Subject != SubjectAccount || f.Type != TypeTime {
		return nil
	}
	if g := f.tim; g != nil {
		return func(a *Account) (time.Time, bool) { t := g(a); return t, !t.IsZero() }
	}
	acc := f.acc
	return func(a *Account) (time.Time, bool) { t, ok := acc(a).(time.Time); return t, ok && !t.IsZero() }
}

// StringsGetter returns a fast accessor for an account field of TypeStrings, or nil.
func (f Field) StringsGetter() func(*Account) ([]string, bool) {
	if f.Subject != SubjectAccount || f.Type != TypeStrings {
		return nil
	}
	if g := f.strs; g != nil {
		return func(a *Account) ([]string, bool) { return g(a), true }
	}
	acc := f.acc
	return func(a *Account) ([]string, bool) { s, ok := acc(a).([]string); return s, ok }
}

// ContactStringGetter returns a fast accessor for a contact string field, or nil.
func (f Field) ContactStringGetter() func(*Contact) string {
	if f.Subject != SubjectContact {
		return nil
	}
	return f.cstr
}
