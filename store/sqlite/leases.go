package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// Leases live in table leases, one row per name; every grant, renewal and
// release is one write transaction (BEGIN IMMEDIATE), so that the check
// and the write are atomic across every process sharing the file, and
// Apply checks a batch's fence inside its own transaction.

type leaseRow struct {
	holder      string
	token, last int64
	expires     int64
	found       bool
}

func getLease(ctx context.Context, t wtx, name string) (leaseRow, error) {
	var l leaseRow
	err := t.row(ctx, q(`SELECT holder, token, expires, last FROM leases WHERE name = ?`), name).Scan(&l.holder, &l.token, &l.expires, &l.last)
	if err == sql.ErrNoRows {
		return l, nil
	}
	l.found = err == nil
	return l, err
}

func putLease(ctx context.Context, t wtx, name string, l leaseRow) error {
	_, err := t.exec(ctx, q(`INSERT INTO leases (name, holder, token, expires, last) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires = excluded.expires, last = excluded.last`),
		name, l.holder, l.token, l.expires, l.last)
	return err
}

// AcquireLease implements [store.LeaseStore]. Expiry is judged by now, never
// by the wall clock: a lease is live while now is before its Expires.
// Tokens are per name and strictly increase across grants, whichever
// process grants them.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (store.Lease, error) {
	if err := s.live(ctx); err != nil {
		return store.Lease{}, err
	}
	if name == "" || holder == "" {
		return store.Lease{}, invalid("lease: empty name or holder")
	}
	if ttl <= 0 {
		return store.Lease{}, invalid("lease %q: ttl %v not positive", name, ttl)
	}
	exp := now.Add(ttl)
	if !store.TimeInRange(now) || !store.TimeInRange(exp) || now.IsZero() {
		return store.Lease{}, invalid("lease %q: time out of range", name)
	}
	var out store.Lease
	err := s.write(ctx, func(t wtx) error {
		l, err := getLease(ctx, t, name)
		if err != nil {
			return err
		}
		live := l.holder != "" && now.UnixNano() < l.expires
		switch {
		case live && l.holder != holder:
			return fmt.Errorf("sqlite: %w: lease %q held by %q until %v", store.ErrLeaseHeld, name, l.holder, nanos.Time(l.expires))
		case live: // own live lease: keep the token, extend
		default:
			l.last++
			l.token, l.holder = l.last, holder
		}
		l.expires = exp.UnixNano()
		if err := putLease(ctx, t, name, l); err != nil {
			return err
		}
		out = store.Lease{Name: name, Holder: holder, Token: uint64(l.token), Expires: nanos.Time(l.expires)}
		return nil
	})
	if err != nil {
		return store.Lease{}, wrap("acquire lease", err)
	}
	return out, nil
}

// RenewLease implements [store.LeaseStore]. A lease that expired but was not
// granted again since is still current and can be renewed.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, now time.Time, ttl time.Duration) (store.Lease, error) {
	if err := s.live(ctx); err != nil {
		return store.Lease{}, err
	}
	if ttl <= 0 {
		return store.Lease{}, invalid("lease %q: ttl %v not positive", l.Name, ttl)
	}
	exp := now.Add(ttl)
	if !store.TimeInRange(now) || !store.TimeInRange(exp) {
		return store.Lease{}, invalid("lease %q: time out of range", l.Name)
	}
	var out store.Lease
	err := s.write(ctx, func(t wtx) error {
		r, err := getLease(ctx, t, l.Name)
		if err != nil {
			return err
		}
		if r.holder == "" || uint64(r.token) != l.Token || r.holder != l.Holder {
			var cur uint64
			if r.holder != "" {
				cur = uint64(r.token)
			}
			return fencedError(l.Name, l.Token, cur)
		}
		r.expires = exp.UnixNano()
		if err := putLease(ctx, t, l.Name, r); err != nil {
			return err
		}
		out = store.Lease{Name: l.Name, Holder: r.holder, Token: uint64(r.token), Expires: nanos.Time(r.expires)}
		return nil
	})
	if err != nil {
		return store.Lease{}, wrap("renew lease", err)
	}
	return out, nil
}

// ReleaseLease implements [store.LeaseStore]. After release, a batch fenced
// with the released token is refused.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	err := s.write(ctx, func(t wtx) error {
		_, err := t.exec(ctx, q(`UPDATE leases SET holder = '', token = 0, expires = 0 WHERE name = ? AND holder <> '' AND token = ?`),
			l.Name, int64(l.Token))
		return err
	})
	if err != nil {
		return wrap("release lease", err)
	}
	return nil
}
