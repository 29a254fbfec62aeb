package csv

import "errors"

// Sentinel errors of package csv.
var (
	// ErrHeaderMismatch: the file's columns are not the mapping profile's
	// target fields followed by the key column, or a second profile with
	// other fields writes to the same file.
	ErrHeaderMismatch = errors.New("csv: header does not match the mapping profile")
	// ErrNoKeyColumn: an existing file without the key column (not written
	// by this package); the connector will not append to it.
	ErrNoKeyColumn = errors.New("csv: existing file has no " + KeyColumn + " column")
	// ErrConfig: an invalid Config.
	ErrConfig = errors.New("csv: invalid config")
)
