package audience

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"
)

// Source serves one segment's data: it lists the members as a stream and
// looks accounts and their known contacts up by id. The engine reads a
// Source afresh on every run, so decisions see today's data.
//
// Implementations must be safe for concurrent use.
type Source interface {
	// Members streams the segment's current members, each once. The
	// sequence stops at the first error, which it yields with a nil
	// account; it must honour ctx. Accounts yielded must not be modified
	// afterwards. The engine does not look for repeats (that would cost a
	// set of every member's id per run): an account yielded twice is
	// processed twice in that run, counted twice in its report, and its
	// actions are sent twice under the same idempotency keys, which a
	// receiver that dedupes on them sees once.
	Members(ctx context.Context) iter.Seq2[*Account, error]
	// Lookup returns the accounts with the given ids, in the order asked:
	// out[i] is ids[i]'s account, or nil if the source does not know it.
	// Accounts that left the segment are still returned.
	Lookup(ctx context.Context, ids []string) ([]*Account, error)
	// Contacts returns the known contacts of each account asked for, keyed
	// by account id; accounts with none may be absent from the map.
	Contacts(ctx context.Context, accountIDs []string) (map[string][]Contact, error)
}

// MemorySource is an in-memory Source. Accounts are listed in the order they
// were first added. Its methods are safe for concurrent use; Members iterates
// over a snapshot taken when iteration starts.
//
// The zero value is an empty source ready to use.
type MemorySource struct {
	mu       sync.RWMutex
	order    []string            // member ids in insertion order (may hold removed ids)
	members  map[string]bool     // current membership
	listed   map[string]bool     // ids present in order
	accounts map[string]*Account // every account ever added (members or not)
	contacts map[string][]Contact
	dirty    int // removed ids still in order
}

var _ Source = (*MemorySource)(nil)

// NewMemorySource returns a source whose members are accts.
func NewMemorySource(accts ...*Account) *MemorySource {
	s := &MemorySource{}
	if err := s.Add(accts...); err != nil {
		// Add only fails on nil or id-less accounts; report loudly in the
		// constructor rather than silently dropping them.
		panic(err)
	}
	return s
}

func (s *MemorySource) init() {
	if s.members == nil {
		s.members = make(map[string]bool)
		s.listed = make(map[string]bool)
		s.accounts = make(map[string]*Account)
		s.contacts = make(map[string][]Contact)
	}
}

// Add makes accts members, replacing stored data for ids already known.
// An account without an id is an error wrapping ErrInvalidAccount and
// nothing is added.
func (s *MemorySource) Add(accts ...*Account) error {
	for i, a := range accts {
		if a == nil || a.ID == "" {
			return fmt.Errorf("%w: account %d has no id", ErrInvalidAccount, i)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	for _, a := range accts {
		if !s.members[a.ID] {
			if !s.listed[a.ID] {
				s.order = append(s.order, a.ID)
				s.listed[a.ID] = true
			} else {
				s.dirty--
			}
			s.members[a.ID] = true
		}
		s.accounts[a.ID] = a
	}
	return nil
}

// Remove takes ids out of the segment. Their data stay available to Lookup
// and Contacts, as a real source keeps accounts that left a segment.
func (s *MemorySource) Remove(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	for _, id := range ids {
		if s.members[id] {
			delete(s.members, id)
			s.dirty++
		}
	}
	if s.dirty > len(s.order)/2 {
		s.order = slices.DeleteFunc(s.order, func(id string) bool {
			if !s.members[id] {
				delete(s.listed, id)
				return true
			}
			return false
		})
		s.dirty = 0
	}
}

// Update replaces the stored data of a known account (member or not)
// without changing membership. It returns an error wrapping ErrNotFound for
// an unknown id.
func (s *MemorySource) Update(a *Account) error {
	if a == nil || a.ID == "" {
		return fmt.Errorf("%w: no id", ErrInvalidAccount)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if _, ok := s.accounts[a.ID]; !ok {
		return fmt.Errorf("%w: account %q", ErrNotFound, a.ID)
	}
	s.accounts[a.ID] = a
	return nil
}

// SetContacts sets the known contacts of an account.
func (s *MemorySource) SetContacts(accountID string, contacts ...Contact) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	cs := slices.Clone(contacts)
	for i := range cs {
		cs[i].AccountID = accountID
	}
	s.contacts[accountID] = cs
}

// Len returns the number of current members.
func (s *MemorySource) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.members)
}

// Contains reports whether id is a current member.
func (s *MemorySource) Contains(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.members[id]
}

// Members implements Source.
func (s *MemorySource) Members(ctx context.Context) iter.Seq2[*Account, error] {
	return func(yield func(*Account, error) bool) {
		s.mu.RLock()
		snap := make([]*Account, 0, len(s.members))
		for _, id := range s.order {
			if s.members[id] {
				snap = append(snap, s.accounts[id])
			}
		}
		s.mu.RUnlock()
		for i, a := range snap {
			if i&1023 == 0 {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
			}
			if !yield(a, nil) {
				return
			}
		}
	}
}

// Lookup implements Source.
func (s *MemorySource) Lookup(ctx context.Context, ids []string) ([]*Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Account, len(ids))
	for i, id := range ids {
		out[i] = s.accounts[id]
	}
	return out, nil
}

// Contacts implements Source.
func (s *MemorySource) Contacts(ctx context.Context, accountIDs []string) (map[string][]Contact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]Contact, len(accountIDs))
	for _, id := range accountIDs {
		if cs, ok := s.contacts[id]; ok {
			out[id] = slices.Clone(cs)
		}
	}
	return out, nil
}
