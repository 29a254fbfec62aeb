package audience

import "errors"

// Sentinel errors of package audience. Errors returned by this package wrap
// one of these; test with errors.Is.
var (
	// ErrUnknownField: a field name not in the catalogue.
	ErrUnknownField = errors.New("audience: unknown field")
	// ErrUndeclaredAttribute: a crm., map. or custom. attribute that was not
	// declared in the catalogue.
	ErrUndeclaredAttribute = errors.New("audience: undeclared attribute")
	// ErrDuplicateField: an attribute declared twice.
	ErrDuplicateField = errors.New("audience: duplicate field")
	// ErrInvalidAttribute: an attribute declaration with a bad name, origin or type.
	ErrInvalidAttribute = errors.New("audience: invalid attribute declaration")
	// ErrInvalidValue: a value that cannot be parsed for its type.
	ErrInvalidValue = errors.New("audience: invalid value")
	// ErrNotFound: an account or segment that does not exist.
	ErrNotFound = errors.New("audience: not found")
	// ErrInvalidAccount: an account that cannot be stored (no id).
	ErrInvalidAccount = errors.New("audience: invalid account")
)
