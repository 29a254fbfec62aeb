package playgraph

import (
	"errors"
	"fmt"
)

// Sentinel errors of package playgraph; test with errors.Is.
var (
	// ErrForbidden: the actor's role does not allow the call. Nothing changed.
	ErrForbidden = errors.New("playgraph: forbidden")
	// ErrNotFound: no such workflow, version, run or account.
	ErrNotFound = errors.New("playgraph: not found")
	// ErrNotPublished: the workflow has no published version to run.
	ErrNotPublished = errors.New("playgraph: workflow not published")
	// ErrInvalid: a malformed argument (empty id, unknown time zone…).
	ErrInvalid = errors.New("playgraph: invalid argument")
	// ErrValidation: publishing found problems; see *PublishError.
	ErrValidation = errors.New("playgraph: validation failed")
	// ErrRunInProgress: another run of the workflow holds its lease.
	ErrRunInProgress = errors.New("playgraph: a run of this workflow is in progress")
	// ErrState: the call is not allowed in the workflow's lifecycle state
	// (editing an archived workflow, deleting a published one…).
	ErrState = errors.New("playgraph: not allowed in this state")
	// ErrSegment: the workflow's segment cannot be resolved or read.
	ErrSegment = errors.New("playgraph: segment unavailable")
	// ErrPanic: code the engine called on one of its own goroutines (a
	// connector, segment source, store or observer) panicked; see
	// *PanicError. The run failed like on any other error: what it had
	// recorded stays, and the next run goes on from there.
	ErrPanic = errors.New("playgraph: panic in a callback")
)

// PanicError is a panic the engine recovered on one of its goroutines,
// where the host could not recover it, turned into the run's error. It
// wraps ErrPanic.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error implements error.
func (e *PanicError) Error() string { return fmt.Sprintf("%v: %v", ErrPanic, e.Value) }

// Unwrap returns ErrPanic.
func (e *PanicError) Unwrap() error { return ErrPanic }
