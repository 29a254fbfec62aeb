package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph/store"
)

// TestLeases tests a [store.LeaseStore]: grants, expiry judged by the now
// passed in (never the wall clock), strictly increasing tokens per name,
// re-acquiring one's own lease, renewal and release of superseded leases,
// independence of names, and one winner among concurrent acquirers.
// newStore must return an empty store.
func TestLeases(t *testing.T, newStore func() store.LeaseStore) {
	t.Run("GrantExpireFence", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		l1, err := s.AcquireLease(ctx, "wf", "e1", at(0), time.Minute)
		must(t, err)
		if l1.Token == 0 || l1.Name != "wf" || l1.Holder != "e1" || !eqTime(l1.Expires, at(time.Minute)) {
			t.Fatalf("lease %+v", l1)
		}
		_, err = s.AcquireLease(ctx, "wf", "e2", at(30*time.Second), time.Minute)
		wantErr(t, err, store.ErrLeaseHeld, "acquiring a live lease held by another")
		// Re-acquiring one's own live lease keeps the token and extends it.
		again, err := s.AcquireLease(ctx, "wf", "e1", at(40*time.Second), time.Minute)
		must(t, err)
		if again.Token != l1.Token || !eqTime(again.Expires, at(100*time.Second)) {
			t.Fatalf("re-acquired %+v, want token %d expiring %v", again, l1.Token, at(100*time.Second))
		}
		_, err = s.AcquireLease(ctx, "wf", "e2", at(99*time.Second), time.Minute)
		wantErr(t, err, store.ErrLeaseHeld, "acquiring before the extended expiry")
		// Expired: e2 gets a greater token.
		l2, err := s.AcquireLease(ctx, "wf", "e2", at(100*time.Second), time.Minute)
		must(t, err)
		if l2.Token <= l1.Token {
			t.Fatalf("token %d after %d", l2.Token, l1.Token)
		}
		_, err = s.RenewLease(ctx, again, at(101*time.Second), time.Minute)
		wantErr(t, err, store.ErrFenced, "renewing a superseded lease")
		must(t, s.ReleaseLease(ctx, again)) // superseded: a no-op
		_, err = s.AcquireLease(ctx, "wf", "e3", at(101*time.Second), time.Minute)
		wantErr(t, err, store.ErrLeaseHeld, "acquiring after a superseded release")
		r2, err := s.RenewLease(ctx, l2, at(150*time.Second), time.Minute)
		must(t, err)
		if r2.Token != l2.Token || !eqTime(r2.Expires, at(210*time.Second)) {
			t.Fatalf("renewed %+v", r2)
		}
		_, err = s.AcquireLease(ctx, "wf", "e3", at(200*time.Second), time.Minute)
		wantErr(t, err, store.ErrLeaseHeld, "acquiring a renewed lease")
		// Released: anyone may take it at once, with a greater token.
		must(t, s.ReleaseLease(ctx, r2))
		l3, err := s.AcquireLease(ctx, "wf", "e3", at(200*time.Second), time.Minute)
		must(t, err)
		if l3.Token <= l2.Token {
			t.Fatalf("token %d after %d", l3.Token, l2.Token)
		}
		_, err = s.RenewLease(ctx, r2, at(201*time.Second), time.Minute)
		wantErr(t, err, store.ErrFenced, "renewing a released lease")
	})
	t.Run("OwnExpiredLeaseGetsNewToken", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		l1, err := s.AcquireLease(ctx, "wf", "e1", at(0), time.Minute)
		must(t, err)
		l2, err := s.AcquireLease(ctx, "wf", "e1", at(time.Hour), time.Minute)
		must(t, err)
		if l2.Token <= l1.Token {
			t.Fatalf("a grant after expiry kept token %d (was %d)", l2.Token, l1.Token)
		}
	})
	t.Run("NoWallClock", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		// Far in the future: live by the now passed in, whatever the wall
		// clock says.
		future := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
		_, err := s.AcquireLease(ctx, "wf", "e1", future, time.Minute)
		must(t, err)
		_, err = s.AcquireLease(ctx, "wf", "e2", future.Add(59*time.Second), time.Minute)
		wantErr(t, err, store.ErrLeaseHeld, "acquiring a lease live at the given now")
	})
	t.Run("NamesIndependent", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		a, err := s.AcquireLease(ctx, "wf-a", "e1", at(0), time.Minute)
		must(t, err)
		b, err := s.AcquireLease(ctx, "wf-b", "e2", at(0), time.Minute)
		must(t, err)
		must(t, s.ReleaseLease(ctx, b))
		_, err = s.AcquireLease(ctx, "wf-a", "e2", at(time.Second), time.Minute)
		wantErr(t, err, store.ErrLeaseHeld, "releasing another name's lease freed this one")
		if _, err := s.RenewLease(ctx, a, at(time.Second), time.Minute); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("TokensIncreaseAcrossManyGrants", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		var last uint64
		for i := range 20 {
			l, err := s.AcquireLease(ctx, "wf", []string{"e1", "e2"}[i%2], at(time.Duration(i)*time.Hour), time.Minute)
			must(t, err)
			if l.Token <= last {
				t.Fatalf("grant %d: token %d after %d", i, l.Token, last)
			}
			last = l.Token
			if i%3 == 0 {
				must(t, s.ReleaseLease(ctx, l))
			}
		}
	})
	t.Run("ConcurrentAcquireOneWinner", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, held := 0, 0
		for i := range n {
			wg.Go(func() {
				_, err := s.AcquireLease(ctx, "wf", string(rune('a'+i)), at(0), time.Minute)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errorIs(err, store.ErrLeaseHeld):
					held++
				}
			})
		}
		wg.Wait()
		if won != 1 || held != n-1 {
			t.Fatalf("%d acquired, %d refused with ErrLeaseHeld, of %d", won, held, n)
		}
	})
}
