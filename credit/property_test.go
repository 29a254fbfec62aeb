package credit_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store/memstore"
)

// modelRes is the model's view of a reservation.
type modelRes struct {
	credits, contacts int64
	state             credit.State
	spent, bought     int64
}

// creditModel is a reference ledger of one pool and one application.
type creditModel struct {
	total, allocated, reserved, spent, expired int64
	contacts                                   int64 // this month's, held or bought
	expiredPool                                bool
	res                                        map[string]*modelRes
}

func (m *creditModel) available() int64 { return m.allocated - m.reserved - m.spent - m.expired }

// TestLedgerProperty runs random sequences of allocate, reserve, commit,
// release and expire through a Ledger and a reference model: the balance
// always equals the model's, is never negative, loses or creates no credit,
// and the history always sums to it; every error is the one expected.
func TestLedgerProperty(t *testing.T) {
	const lim = 40 // contacts a month for the organisation
	pool := credit.Pool{ID: "p", Start: t0, End: t0.Add(30 * 24 * time.Hour), Total: 200}
	rapid.Check(t, func(rt *rapid.T) {
		ctx := t.Context()
		l := credit.NewLedger(memstore.New(), credit.Options{Limits: credit.Limits{Organisation: lim}})
		if err := l.CreatePool(ctx, true, pool); err != nil {
			rt.Fatal(err)
		}
		m := &creditModel{total: pool.Total, res: map[string]*modelRes{}}
		key := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "g", "h"})
		at := t0.Add(time.Hour)
		want := func(err, target error, what string) {
			rt.Helper()
			if target == nil && err != nil || target != nil && !errors.Is(err, target) {
				rt.Fatalf("%s: got %v, want %v", what, err, target)
			}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"allocate": func(rt *rapid.T) {
				n := rapid.Int64Range(0, 250).Draw(rt, "amount")
				_, err := l.Allocate(ctx, true, credit.AllocateRequest{Pool: "p", App: aud, Amount: n, At: at})
				var target error
				switch {
				case m.expiredPool:
					target = credit.ErrPeriodEnded
				case n > m.total:
					target = credit.ErrOverAllocated
				case n < m.allocated-m.available():
					target = credit.ErrInsufficientCredits
				default:
					m.allocated = n
				}
				want(err, target, fmt.Sprintf("allocate %d", n))
			},
			"reserve": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				c := rapid.Int64Range(0, 60).Draw(rt, "credits")
				n := rapid.Int64Range(0, 8).Draw(rt, "contacts")
				r, err := l.Reserve(ctx, credit.ReserveRequest{App: aud, Key: k, Credits: c, Contacts: n, User: "u", UserType: "rep", At: at})
				what := fmt.Sprintf("reserve %s %d/%d", k, c, n)
				if old := m.res[k]; old != nil && old.state != credit.Released {
					if old.credits != c || old.contacts != n {
						want(err, credit.ErrConflict, what)
						return
					}
					want(err, nil, what)
					if r.State != old.state || r.Spent != old.spent {
						rt.Fatalf("%s: returned %+v, want %+v", what, r, old)
					}
					return
				}
				overLimit, short := n > 0 && m.contacts+n > lim, c > m.available()
				switch {
				case overLimit && short:
					if !errors.Is(err, credit.ErrMonthlyLimit) && !errors.Is(err, credit.ErrInsufficientCredits) {
						rt.Fatalf("%s: got %v", what, err)
					}
				case overLimit:
					want(err, credit.ErrMonthlyLimit, what)
				case short:
					want(err, credit.ErrInsufficientCredits, what)
					var ie *credit.InsufficientError
					if !errors.As(err, &ie) || ie.Requested != c || ie.Available != m.available() {
						rt.Fatalf("%s: %v", what, err)
					}
				default:
					want(err, nil, what)
					m.res[k] = &modelRes{credits: c, contacts: n, state: credit.Held}
					m.reserved += c
					m.contacts += n
				}
			},
			"commit": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				c := rapid.Int64Range(0, 60).Draw(rt, "spent")
				n := rapid.Int64Range(0, 8).Draw(rt, "bought")
				_, err := l.Commit(ctx, credit.CommitRequest{Key: k, Credits: c, Contacts: n, At: at})
				what := fmt.Sprintf("commit %s %d/%d", k, c, n)
				r := m.res[k]
				switch {
				case r == nil:
					want(err, credit.ErrNotFound, what)
				case r.state == credit.Committed:
					want(err, nil, what)
				case r.state == credit.Released:
					want(err, credit.ErrConflict, what)
				case c > r.credits || n > r.contacts:
					want(err, credit.ErrInvalid, what)
				default:
					want(err, nil, what)
					r.state, r.spent, r.bought = credit.Committed, c, n
					m.reserved -= r.credits
					m.spent += c
					m.contacts -= r.contacts - n
					if m.expiredPool {
						m.expired += r.credits - c
					}
				}
			},
			"release": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				_, err := l.Release(ctx, k, at)
				r := m.res[k]
				switch {
				case r == nil:
					want(err, credit.ErrNotFound, "release "+k)
				default:
					want(err, nil, "release "+k)
					if r.state == credit.Held {
						r.state = credit.Released
						m.reserved -= r.credits
						m.contacts -= r.contacts
						if m.expiredPool {
							m.expired += r.credits
						}
					}
				}
			},
			"expire": func(rt *rapid.T) {
				if rapid.IntRange(0, 9).Draw(rt, "rarely") != 0 {
					return
				}
				_, err := l.Expire(ctx, pool.End)
				want(err, nil, "expire")
				if !m.expiredPool {
					m.expiredPool = true
					m.expired += m.available()
				}
			},
			"": func(rt *rapid.T) {
				b, err := l.Balances(ctx, "p")
				if err != nil {
					rt.Fatal(err)
				}
				got := credit.Balance{Pool: "p", App: aud}
				if len(b) > 0 {
					got = b[0]
				}
				wantB := credit.Balance{Pool: "p", App: aud, Allocated: m.allocated, Reserved: m.reserved,
					Spent: m.spent, Expired: m.expired, Available: m.available()}
				if got != wantB {
					rt.Fatalf("balance %+v, model %+v", got, wantB)
				}
				if got.Available < 0 || got.Spent+got.Available+got.Reserved+got.Expired != got.Allocated {
					rt.Fatalf("balance %+v lost or created credits", got)
				}
				h, err := l.History(ctx, credit.HistoryQuery{Pool: "p", App: aud})
				if err != nil {
					rt.Fatal(err)
				}
				if s := credit.Sum(h); len(h) > 0 && s != got {
					rt.Fatalf("history sums to %+v, balance %+v", s, got)
				}
				u, err := l.Usage(ctx, at)
				if err != nil {
					rt.Fatal(err)
				}
				if u.Organisation != m.contacts || u.Organisation > lim {
					rt.Fatalf("usage %+v, model %d", u, m.contacts)
				}
			},
		})
	})
}
