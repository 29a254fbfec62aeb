package memstore

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/playgraph/playgraph/store"
)

// Compile-time checks: Store implements every concern.
var (
	_ store.Store           = (*Store)(nil)
	_ store.WorkflowStore   = (*Store)(nil)
	_ store.StateStore      = (*Store)(nil)
	_ store.IntentStore     = (*Store)(nil)
	_ store.RunStore        = (*Store)(nil)
	_ store.EngagementStore = (*Store)(nil)
	_ store.EventEraser     = (*Store)(nil)
	_ store.InboxStore      = (*Store)(nil)
	_ store.LeaseStore      = (*Store)(nil)
	_ store.Eraser          = (*Store)(nil)
)

// Store is the in-memory [store.Store]. Its zero value is not usable; call
// [New]. A Store is safe for concurrent use.
type Store struct {
	mu  sync.RWMutex
	wfs map[string]*wfState // account state, intents, runs and audit by workflow

	wmu       sync.RWMutex
	workflows map[string]*store.Workflow
	versions  map[string]map[int]*store.Version

	rmu   sync.RWMutex
	runWF map[string]string // run id → workflow id

	lmu    sync.Mutex
	leases map[string]*leaseRec

	engagement    [engagementShards]engagementShard
	eventAccounts atomic.Int64 // accounts with at least one event

	imu   sync.RWMutex
	inbox map[string]*userInbox
	noteN uint64

	bought purchased
}

// New returns an empty Store.
func New() *Store {
	s := &Store{
		wfs:       make(map[string]*wfState),
		workflows: make(map[string]*store.Workflow),
		versions:  make(map[string]map[int]*store.Version),
		runWF:     make(map[string]string),
		leases:    make(map[string]*leaseRec),
		inbox:     make(map[string]*userInbox),
	}
	for i := range s.engagement {
		s.engagement[i].m = make(map[string][]eventRec)
	}
	return s
}

// wf returns the state of a workflow, or nil when there is none.
func (s *Store) wf(id string) *wfState {
	s.mu.RLock()
	w := s.wfs[id]
	s.mu.RUnlock()
	return w
}

// lockWF returns the workflow's state, created if need be, write-locked.
func (s *Store) lockWF(id string) *wfState {
	for {
		w := s.wf(id)
		if w == nil {
			s.mu.Lock()
			if w = s.wfs[id]; w == nil {
				w = newWFState()
				s.wfs[id] = w
			}
			s.mu.Unlock()
		}
		w.mu.Lock()
		if !w.deleted {
			return w
		}
		w.mu.Unlock() // deleted meanwhile: start over with a fresh state
	}
}

// rlockWF returns the workflow's state locked for reading, or nil when
// there is none. Readers take the workflow's lock in write mode: Apply
// holds it in read mode while it writes shard by shard (see wfState), so
// that a reader never sees half a batch. Release with w.mu.Unlock.
func (s *Store) rlockWF(id string) *wfState {
	w := s.wf(id)
	if w == nil {
		return nil
	}
	w.mu.Lock()
	if w.deleted {
		w.mu.Unlock()
		return nil
	}
	return w
}

// applyLockWF returns the workflow's state, created if need be, locked in
// read mode for Apply (see wfState). Release with w.mu.RUnlock.
func (s *Store) applyLockWF(id string) *wfState {
	for {
		w := s.wf(id)
		if w == nil {
			s.mu.Lock()
			if w = s.wfs[id]; w == nil {
				w = newWFState()
				s.wfs[id] = w
			}
			s.mu.Unlock()
		}
		w.mu.RLock()
		if !w.deleted {
			return w
		}
		w.mu.RUnlock() // deleted meanwhile: start over with a fresh state
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("memstore: %w: "+format, append([]any{store.ErrInvalid}, args...)...)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("memstore: %w: "+format, append([]any{store.ErrNotFound}, args...)...)
}

// Times are kept as Unix nanoseconds (package nanos), so a time
// round-trips as an instant: what comes back is in UTC and carries no
// monotonic reading; the zero time comes back as the zero time.

// utc normalises a time kept as a time.Time: UTC, no monotonic reading.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
