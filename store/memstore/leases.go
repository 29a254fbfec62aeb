package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/playgraph/playgraph/store"
)

// leaseRec is the state of one lease name. last is the highest token ever
// granted for the name and survives release and expiry.
type leaseRec struct {
	holder  string // "" when released
	token   uint64
	expires time.Time
	last    uint64
}

// currentToken is the token of the named lease's current grant (0 when
// none: never granted, or released).
func (s *Store) currentToken(name string) uint64 {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if l := s.leases[name]; l != nil && l.holder != "" {
		return l.token
	}
	return 0
}

func fencedError(name string, have, cur uint64) error {
	return fmt.Errorf("memstore: %w: lease %q: token %d, current %d", store.ErrFenced, name, have, cur)
}

// AcquireLease implements [store.LeaseStore]. Expiry is judged by now, never
// by the wall clock: a lease is live while now is before its Expires.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return store.Lease{}, err
	}
	if name == "" || holder == "" {
		return store.Lease{}, invalid("lease: empty name or holder")
	}
	if ttl <= 0 {
		return store.Lease{}, invalid("lease %q: ttl %v not positive", name, ttl)
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	l := s.leases[name]
	if l == nil {
		l = &leaseRec{}
		s.leases[name] = l
	}
	live := l.holder != "" && now.Before(l.expires)
	switch {
	case live && l.holder != holder:
		return store.Lease{}, fmt.Errorf("memstore: %w: lease %q held by %q until %v", store.ErrLeaseHeld, name, l.holder, l.expires)
	case live: // own live lease: keep the token, extend
	default:
		l.last++
		l.token, l.holder = l.last, holder
	}
	l.expires = utc(now.Add(ttl))
	return store.Lease{Name: name, Holder: holder, Token: l.token, Expires: l.expires}, nil
}

// RenewLease implements [store.LeaseStore]. A lease that expired but was not
// granted again since is still current and can be renewed.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, now time.Time, ttl time.Duration) (store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return store.Lease{}, err
	}
	if ttl <= 0 {
		return store.Lease{}, invalid("lease %q: ttl %v not positive", l.Name, ttl)
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	r := s.leases[l.Name]
	if r == nil || r.holder == "" || r.token != l.Token || r.holder != l.Holder {
		var cur uint64
		if r != nil && r.holder != "" {
			cur = r.token
		}
		return store.Lease{}, fencedError(l.Name, l.Token, cur)
	}
	r.expires = utc(now.Add(ttl))
	return store.Lease{Name: l.Name, Holder: r.holder, Token: r.token, Expires: r.expires}, nil
}

// ReleaseLease implements [store.LeaseStore]. After release, a batch fenced
// with the released token is refused.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if r := s.leases[l.Name]; r != nil && r.holder != "" && r.token == l.Token {
		r.holder, r.token, r.expires = "", 0, time.Time{}
	}
	return nil
}
