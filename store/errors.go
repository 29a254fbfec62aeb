package store

import "errors"

// Sentinel errors of package store; implementations wrap them.
var (
	// ErrNotFound: no such workflow, version or run.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: an optimistic-concurrency check or a write-once rule failed.
	ErrConflict = errors.New("store: conflict")
	// ErrLeaseHeld: another holder has the lease.
	ErrLeaseHeld = errors.New("store: lease held by another holder")
	// ErrFenced: a write or renewal carried a superseded lease token.
	ErrFenced = errors.New("store: fenced: lease token superseded")
	// ErrInvalid: a malformed argument (empty id, bad batch).
	ErrInvalid = errors.New("store: invalid argument")
)
