package fake

import "errors"

// Sentinel errors of package fake.
var (
	// ErrScripted is the cause of every failure scripted with Fail,
	// FailKey or FailCalls (unless FailCalls was given its own error).
	ErrScripted = errors.New("fake: scripted failure")
)
