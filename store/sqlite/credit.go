package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// The credit ledger lives in the credit_* tables (schema version 4). Every
// method is one transaction: the writes are write transactions begun with
// BEGIN IMMEDIATE, which take the file's write lock before reading
// anything, so that what a method checks (a balance, a month's usage, a
// reservation's state) cannot change before it writes, whichever process
// shares the file. Reserve reads the reservation by key, the pool covering
// r.At, the month's usage and the allocation row, then updates the
// allocation, the usage and the reservation and appends the history entry,
// and commits them at once. The allocation rows also carry a CHECK
// (available >= 0 and available = allocated − reserved − spent − expired),
// so the file itself refuses an overspent row.

// Kinds and states as stored.
var (
	kindCodes  = map[credit.Kind]int64{credit.KindAllocate: 1, credit.KindReserve: 2, credit.KindCommit: 3, credit.KindRelease: 4, credit.KindExpire: 5}
	kindNames  = map[int64]credit.Kind{1: credit.KindAllocate, 2: credit.KindReserve, 3: credit.KindCommit, 4: credit.KindRelease, 5: credit.KindExpire}
	stateCodes = map[credit.State]int64{credit.Held: 1, credit.Committed: 2, credit.Released: 3}
	stateNames = map[int64]credit.State{1: credit.Held, 2: credit.Committed, 3: credit.Released}
)

// creditWrap passes the ledger's own errors and a context's through and
// prefixes others.
func creditWrap(what string, err error) error {
	var ie *credit.InsufficientError
	var me *credit.MonthlyLimitError
	if errors.As(err, &ie) || errors.As(err, &me) {
		return err
	}
	for _, s := range []error{credit.ErrNotFound, credit.ErrConflict, credit.ErrInvalid, credit.ErrOverAllocated,
		credit.ErrPeriodEnded, credit.ErrNoPool, ErrClosed, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("sqlite: credit: %s: %w", what, err)
}

func creditInvalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", credit.ErrInvalid, fmt.Sprintf(format, args...))
}

// cmpNanos is t as a comparable column value: the zero time first, times
// beyond what nanoseconds hold clamped to the ends.
func cmpNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return nanos.Zero
	case store.TimeInRange(t):
		return t.UnixNano()
	case t.Unix() < 0:
		return nanos.Zero + 1
	}
	return math.MaxInt64
}

func creditMonth(t time.Time) int64 {
	u := t.UTC()
	return int64(u.Year())*12 + int64(u.Month()) - 1
}

type poolRow struct {
	pk         int64
	id         string
	start, end int64
	total      int64
	expired    bool
	found      bool
}

const poolCols = `pk, id, starts, ends, total, expired`

func scanPool(sc interface{ Scan(...any) error }) (poolRow, error) {
	var p poolRow
	err := sc.Scan(&p.pk, &p.id, &p.start, &p.end, &p.total, &p.expired)
	if err == sql.ErrNoRows {
		return p, nil
	}
	p.found = err == nil
	return p, err
}

func (p poolRow) pool() credit.Pool {
	return credit.Pool{ID: p.id, Start: nanos.Time(p.start), End: nanos.Time(p.end), Total: p.total}
}

func poolByID(ctx context.Context, t runner, id string) (poolRow, error) {
	return scanPool(t.row(ctx, q(`SELECT `+poolCols+` FROM credit_pools WHERE id = ?`), id))
}

// poolAt reads the pool whose period contains at (periods never overlap).
func poolAt(ctx context.Context, t runner, at time.Time) (poolRow, error) {
	n := cmpNanos(at)
	return scanPool(t.row(ctx, q(`SELECT `+poolCols+` FROM credit_pools WHERE starts <= ? AND ends > ? ORDER BY starts DESC LIMIT 1`), n, n))
}

type balRow struct {
	allocated, reserved, spent, expired, available int64
	found                                          bool
}

func (b balRow) balance(pool string, app credit.App) credit.Balance {
	return credit.Balance{Pool: pool, App: app, Allocated: b.allocated, Reserved: b.reserved, Spent: b.spent,
		Expired: b.expired, Available: b.available}
}

func getBal(ctx context.Context, t runner, pool int64, app credit.App) (balRow, error) {
	var b balRow
	err := t.row(ctx, q(`SELECT allocated, reserved, spent, expired, available FROM credit_balances WHERE pool = ? AND app = ?`),
		pool, string(app)).Scan(&b.allocated, &b.reserved, &b.spent, &b.expired, &b.available)
	if err == sql.ErrNoRows {
		return b, nil
	}
	b.found = err == nil
	return b, err
}

func putBal(ctx context.Context, t wtx, pool int64, app credit.App, b balRow) error {
	_, err := t.exec(ctx, q(`INSERT INTO credit_balances (pool, app, allocated, reserved, spent, expired, available) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (pool, app) DO UPDATE SET allocated = excluded.allocated, reserved = excluded.reserved, spent = excluded.spent,
		expired = excluded.expired, available = excluded.available`),
		pool, string(app), b.allocated, b.reserved, b.spent, b.expired, b.available)
	return err
}

// addEntry appends a history entry and returns it as History would.
func addEntry(ctx context.Context, t wtx, p poolRow, e credit.Entry) (credit.Entry, error) {
	at := nanos.Of(e.At)
	res, err := t.exec(ctx, q(`INSERT INTO credit_entries (pool, app, kind, key, amount, user, at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		p.pk, string(e.App), kindCodes[e.Kind], e.Key, e.Amount, e.User, at)
	if err != nil {
		return e, err
	}
	if e.Seq, err = res.LastInsertId(); err != nil {
		return e, err
	}
	e.Pool, e.At = p.id, nanos.Time(at)
	return e, nil
}

// count adds n contacts (n may be negative) to the month of at.
func count(ctx context.Context, t wtx, at int64, userType string, n int64) error {
	if n == 0 {
		return nil
	}
	_, err := t.exec(ctx, q(`INSERT INTO credit_usage (month, user_type, contacts) VALUES (?, ?, ?)
		ON CONFLICT (month, user_type) DO UPDATE SET contacts = contacts + excluded.contacts`),
		creditMonth(nanos.Time(at)), userType, n)
	return err
}

type resRow struct {
	key, poolID, app, user, userType string
	pool                             int64
	credits, contacts, at, state     int64
	spent, bought, settled           int64
}

func (r *resRow) reservation() credit.Reservation {
	return credit.Reservation{Key: r.key, Pool: r.poolID, App: credit.App(r.app), User: r.user, UserType: r.userType,
		Credits: r.credits, Contacts: r.contacts, At: nanos.Time(r.at), State: stateNames[r.state],
		Spent: r.spent, Bought: r.bought, Settled: nanos.Time(r.settled)}
}

func getRes(ctx context.Context, t runner, key string) (resRow, bool, error) {
	r := resRow{key: key}
	err := t.row(ctx, q(`SELECT r.pool, p.id, r.app, r.user, r.user_type, r.credits, r.contacts, r.at, r.state, r.spent, r.bought, r.settled
		FROM credit_reservations r JOIN credit_pools p ON p.pk = r.pool WHERE r.key = ?`), key).Scan(
		&r.pool, &r.poolID, &r.app, &r.user, &r.userType, &r.credits, &r.contacts, &r.at, &r.state, &r.spent, &r.bought, &r.settled)
	if err == sql.ErrNoRows {
		return r, false, nil
	}
	return r, err == nil, err
}

func putRes(ctx context.Context, t wtx, r *resRow) error {
	_, err := t.exec(ctx, q(`INSERT INTO credit_reservations (key, pool, app, user, user_type, credits, contacts, at, state, spent, bought, settled)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET pool = excluded.pool, app = excluded.app, user = excluded.user, user_type = excluded.user_type,
		credits = excluded.credits, contacts = excluded.contacts, at = excluded.at, state = excluded.state, spent = excluded.spent,
		bought = excluded.bought, settled = excluded.settled`),
		r.key, r.pool, r.app, r.user, r.userType, r.credits, r.contacts, r.at, r.state, r.spent, r.bought, r.settled)
	return err
}

// CreatePool implements [credit.Store].
func (s *Store) CreatePool(ctx context.Context, p credit.Pool) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !store.TimeInRange(p.Start) || !store.TimeInRange(p.End) {
		return creditInvalid("pool %s: time out of range", p.ID)
	}
	err := s.write(ctx, func(t wtx) error {
		if o, err := poolByID(ctx, t, p.ID); err != nil || o.found {
			if err == nil {
				err = fmt.Errorf("%w: pool %s exists", credit.ErrConflict, p.ID)
			}
			return err
		}
		o, err := scanPool(t.row(ctx, q(`SELECT `+poolCols+` FROM credit_pools WHERE starts < ? AND ends > ? LIMIT 1`),
			nanos.Of(p.End), nanos.Of(p.Start)))
		if err != nil {
			return err
		}
		if o.found {
			return fmt.Errorf("%w: pool %s overlaps pool %s", credit.ErrConflict, p.ID, o.id)
		}
		_, err = t.exec(ctx, q(`INSERT INTO credit_pools (id, starts, ends, total) VALUES (?, ?, ?, ?)`),
			p.ID, nanos.Of(p.Start), nanos.Of(p.End), p.Total)
		return err
	})
	if err != nil {
		return creditWrap("create pool", err)
	}
	return nil
}

// SetPoolTotal implements [credit.Store].
func (s *Store) SetPoolTotal(ctx context.Context, pool string, total int64) (credit.Pool, error) {
	if total < 0 {
		return credit.Pool{}, creditInvalid("negative total %d", total)
	}
	var out credit.Pool
	err := s.write(ctx, func(t wtx) error {
		p, err := poolByID(ctx, t, pool)
		if err != nil {
			return err
		}
		if !p.found {
			return fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
		}
		var sum int64
		if err := t.row(ctx, q(`SELECT coalesce(sum(allocated), 0) FROM credit_balances WHERE pool = ?`), p.pk).Scan(&sum); err != nil {
			return err
		}
		if total < sum {
			return fmt.Errorf("%w: pool %s: total %d below its allocations %d", credit.ErrOverAllocated, pool, total, sum)
		}
		if _, err := t.exec(ctx, q(`UPDATE credit_pools SET total = ? WHERE pk = ?`), total, p.pk); err != nil {
			return err
		}
		p.total = total
		out = p.pool()
		return nil
	})
	if err != nil {
		return credit.Pool{}, creditWrap("set pool total", err)
	}
	return out, nil
}

// Pools implements [credit.Store].
func (s *Store) Pools(ctx context.Context) ([]credit.Pool, error) {
	out := []credit.Pool{}
	err := s.read(ctx, func(t rtx) error {
		rows, err := t.query(ctx, q(`SELECT `+poolCols+` FROM credit_pools ORDER BY starts`))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPool(rows)
			if err != nil {
				return err
			}
			out = append(out, p.pool())
		}
		return rows.Err()
	})
	if err != nil {
		return nil, creditWrap("pools", err)
	}
	return out, nil
}

// PoolAt implements [credit.Store].
func (s *Store) PoolAt(ctx context.Context, at time.Time) (credit.Pool, error) {
	var p poolRow
	err := s.read(ctx, func(t rtx) error {
		var err error
		p, err = poolAt(ctx, t, at)
		return err
	})
	if err != nil {
		return credit.Pool{}, creditWrap("pool at", err)
	}
	if !p.found {
		return credit.Pool{}, fmt.Errorf("%w: at %v", credit.ErrNoPool, at)
	}
	return p.pool(), nil
}

// Allocate implements [credit.Store].
func (s *Store) Allocate(ctx context.Context, r credit.AllocateRequest) (credit.Balance, error) {
	if err := r.Validate(); err != nil {
		return credit.Balance{}, err
	}
	if !store.TimeInRange(r.At) {
		return credit.Balance{}, creditInvalid("allocate: time out of range")
	}
	var out credit.Balance
	err := s.write(ctx, func(t wtx) error {
		p, err := poolByID(ctx, t, r.Pool)
		if err != nil {
			return err
		}
		if !p.found {
			return fmt.Errorf("%w: pool %s", credit.ErrNotFound, r.Pool)
		}
		if p.expired || nanos.Of(r.At) >= p.end {
			return fmt.Errorf("%w: pool %s ended at %v", credit.ErrPeriodEnded, p.id, nanos.Time(p.end))
		}
		var others int64
		if err := t.row(ctx, q(`SELECT coalesce(sum(allocated), 0) FROM credit_balances WHERE pool = ? AND app <> ?`),
			p.pk, string(r.App)).Scan(&others); err != nil {
			return err
		}
		if r.Amount > p.total-others { // others <= total: no overflow, whatever r.Amount
			return fmt.Errorf("%w: pool %s: %d for %s with %d allocated elsewhere, total %d",
				credit.ErrOverAllocated, p.id, r.Amount, r.App, others, p.total)
		}
		b, err := getBal(ctx, t, p.pk, r.App)
		if err != nil {
			return err
		}
		delta := r.Amount - b.allocated
		if delta < 0 && -delta > b.available {
			return &credit.InsufficientError{Pool: p.id, App: r.App, Requested: -delta, Available: b.available}
		}
		if delta != 0 {
			b.allocated += delta
			b.available += delta
			if err := putBal(ctx, t, p.pk, r.App, b); err != nil {
				return err
			}
			if _, err := addEntry(ctx, t, p, credit.Entry{At: r.At, Kind: credit.KindAllocate, App: r.App, Amount: delta, User: r.User}); err != nil {
				return err
			}
		}
		out = b.balance(p.id, r.App)
		return nil
	})
	if err != nil {
		return credit.Balance{}, creditWrap("allocate", err)
	}
	return out, nil
}

// Balance implements [credit.Store].
func (s *Store) Balance(ctx context.Context, pool string, app credit.App) (credit.Balance, error) {
	var out credit.Balance
	err := s.read(ctx, func(t rtx) error {
		p, err := poolByID(ctx, t, pool)
		if err != nil {
			return err
		}
		if !p.found {
			return fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
		}
		b, err := getBal(ctx, t, p.pk, app)
		out = b.balance(pool, app)
		return err
	})
	if err != nil {
		return credit.Balance{}, creditWrap("balance", err)
	}
	return out, nil
}

// Balances implements [credit.Store].
func (s *Store) Balances(ctx context.Context, pool string) ([]credit.Balance, error) {
	out := []credit.Balance{}
	err := s.read(ctx, func(t rtx) error {
		p, err := poolByID(ctx, t, pool)
		if err != nil {
			return err
		}
		if !p.found {
			return fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
		}
		rows, err := t.query(ctx, q(`SELECT app, allocated, reserved, spent, expired, available FROM credit_balances WHERE pool = ? ORDER BY app`), p.pk)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b balRow
			var app string
			if err := rows.Scan(&app, &b.allocated, &b.reserved, &b.spent, &b.expired, &b.available); err != nil {
				return err
			}
			out = append(out, b.balance(pool, credit.App(app)))
		}
		return rows.Err()
	})
	if err != nil {
		return nil, creditWrap("balances", err)
	}
	return out, nil
}

// Reserve implements [credit.Store] in one write transaction: the check of
// the balance and the limits and the hold are atomic across every process
// sharing the file.
func (s *Store) Reserve(ctx context.Context, r credit.ReserveRequest, lim credit.Limits) (credit.Reservation, error) {
	if err := r.Validate(); err != nil {
		return credit.Reservation{}, err
	}
	if !store.TimeInRange(r.At) {
		return credit.Reservation{}, creditInvalid("reserve %s: time out of range", r.Key)
	}
	var out credit.Reservation
	err := s.write(ctx, func(t wtx) error {
		old, ok, err := getRes(ctx, t, r.Key)
		if err != nil {
			return err
		}
		if ok && stateNames[old.state] != credit.Released {
			if credit.App(old.app) != r.App || old.credits != r.Credits || old.contacts != r.Contacts {
				return fmt.Errorf("%w: key %s reserved %d credits and %d contacts for %s, now %d and %d for %s",
					credit.ErrConflict, r.Key, old.credits, old.contacts, old.app, r.Credits, r.Contacts, r.App)
			}
			out = old.reservation()
			return nil
		}
		p, err := poolAt(ctx, t, r.At)
		if err != nil {
			return err
		}
		if !p.found {
			return &credit.InsufficientError{App: r.App, Requested: r.Credits}
		}
		at := nanos.Of(r.At)
		if r.Contacts > 0 {
			month := creditMonth(r.At)
			var typ, org int64
			if err := t.row(ctx, q(`SELECT coalesce(sum(contacts) FILTER (WHERE user_type = ?), 0), coalesce(sum(contacts), 0)
				FROM credit_usage WHERE month = ?`), r.UserType, month).Scan(&typ, &org); err != nil {
				return err
			}
			if n := lim.PerUserType[r.UserType]; n > 0 && r.Contacts > n-typ {
				return &credit.MonthlyLimitError{Month: credit.MonthOf(r.At), UserType: r.UserType, Limit: n, Used: typ, Requested: r.Contacts}
			}
			if n := lim.Organisation; n > 0 && r.Contacts > n-org {
				return &credit.MonthlyLimitError{Month: credit.MonthOf(r.At), Limit: n, Used: org, Requested: r.Contacts}
			}
		}
		b, err := getBal(ctx, t, p.pk, r.App)
		if err != nil {
			return err
		}
		if r.Credits > b.available {
			return &credit.InsufficientError{Pool: p.id, App: r.App, Requested: r.Credits, Available: b.available}
		}
		b.available -= r.Credits
		b.reserved += r.Credits
		if err := putBal(ctx, t, p.pk, r.App, b); err != nil {
			return err
		}
		if err := count(ctx, t, at, r.UserType, r.Contacts); err != nil {
			return err
		}
		if _, err := addEntry(ctx, t, p, credit.Entry{At: r.At, Kind: credit.KindReserve, App: r.App, Key: r.Key, Amount: r.Credits, User: r.User}); err != nil {
			return err
		}
		res := resRow{key: r.Key, pool: p.pk, poolID: p.id, app: string(r.App), user: r.User, userType: r.UserType,
			credits: r.Credits, contacts: r.Contacts, at: at, state: stateCodes[credit.Held], settled: nanos.Zero}
		if err := putRes(ctx, t, &res); err != nil {
			return err
		}
		out = res.reservation()
		return nil
	})
	if err != nil {
		return credit.Reservation{}, creditWrap("reserve", err)
	}
	return out, nil
}

// settle returns the rest of res's held credits to its allocation
// (expiring them at once if the pool has expired), stops counting
// unbought contacts and stores res, whose state is already set.
func settle(ctx context.Context, t wtx, res *resRow, spent, bought int64, at time.Time) error {
	p, err := scanPool(t.row(ctx, q(`SELECT `+poolCols+` FROM credit_pools WHERE pk = ?`), res.pool))
	if err != nil {
		return err
	}
	if !p.found {
		return fmt.Errorf("reservation %s: its pool is missing", res.key)
	}
	app := credit.App(res.app)
	b, err := getBal(ctx, t, p.pk, app)
	if err != nil {
		return err
	}
	b.reserved -= res.credits
	if stateNames[res.state] == credit.Committed {
		b.spent += spent
		if _, err := addEntry(ctx, t, p, credit.Entry{At: at, Kind: credit.KindCommit, App: app, Key: res.key, Amount: spent, User: res.user}); err != nil {
			return err
		}
	}
	if rest := res.credits - spent; rest > 0 {
		b.available += rest
		if _, err := addEntry(ctx, t, p, credit.Entry{At: at, Kind: credit.KindRelease, App: app, Key: res.key, Amount: rest, User: res.user}); err != nil {
			return err
		}
		if p.expired {
			b.available -= rest
			b.expired += rest
			if _, err := addEntry(ctx, t, p, credit.Entry{At: at, Kind: credit.KindExpire, App: app, Key: res.key, Amount: rest, User: res.user}); err != nil {
				return err
			}
		}
	}
	if err := putBal(ctx, t, p.pk, app, b); err != nil {
		return err
	}
	if err := count(ctx, t, res.at, res.userType, bought-res.contacts); err != nil {
		return err
	}
	res.spent, res.bought, res.settled = spent, bought, nanos.Of(at)
	return putRes(ctx, t, res)
}

// Commit implements [credit.Store], in one write transaction.
func (s *Store) Commit(ctx context.Context, r credit.CommitRequest) (credit.Reservation, error) {
	if err := r.Validate(); err != nil {
		return credit.Reservation{}, err
	}
	if !store.TimeInRange(r.At) {
		return credit.Reservation{}, creditInvalid("commit %s: time out of range", r.Key)
	}
	var out credit.Reservation
	err := s.write(ctx, func(t wtx) error {
		res, ok, err := getRes(ctx, t, r.Key)
		if err != nil {
			return err
		}
		switch state := stateNames[res.state]; {
		case !ok:
			return fmt.Errorf("%w: reservation %s", credit.ErrNotFound, r.Key)
		case state == credit.Committed:
			out = res.reservation()
			return nil
		case state == credit.Released:
			return fmt.Errorf("%w: reservation %s was released", credit.ErrConflict, r.Key)
		case r.Credits > res.credits || r.Contacts > res.contacts:
			return fmt.Errorf("%w: reservation %s: spent %d credits and %d contacts of %d and %d reserved",
				credit.ErrInvalid, r.Key, r.Credits, r.Contacts, res.credits, res.contacts)
		}
		res.state = stateCodes[credit.Committed]
		if err := settle(ctx, t, &res, r.Credits, r.Contacts, r.At); err != nil {
			return err
		}
		out = res.reservation()
		return nil
	})
	if err != nil {
		return credit.Reservation{}, creditWrap("commit", err)
	}
	return out, nil
}

// Release implements [credit.Store], in one write transaction.
func (s *Store) Release(ctx context.Context, r credit.ReleaseRequest) (credit.Reservation, error) {
	if r.Key == "" {
		return credit.Reservation{}, creditInvalid("empty key")
	}
	if !store.TimeInRange(r.At) {
		return credit.Reservation{}, creditInvalid("release %s: time out of range", r.Key)
	}
	var out credit.Reservation
	err := s.write(ctx, func(t wtx) error {
		res, ok, err := getRes(ctx, t, r.Key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: reservation %s", credit.ErrNotFound, r.Key)
		}
		if stateNames[res.state] == credit.Held {
			res.state = stateCodes[credit.Released]
			if err := settle(ctx, t, &res, 0, 0, r.At); err != nil {
				return err
			}
		}
		out = res.reservation()
		return nil
	})
	if err != nil {
		return credit.Reservation{}, creditWrap("release", err)
	}
	return out, nil
}

// Reservation implements [credit.Store].
func (s *Store) Reservation(ctx context.Context, key string) (credit.Reservation, error) {
	var out credit.Reservation
	err := s.read(ctx, func(t rtx) error {
		res, ok, err := getRes(ctx, t, key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: reservation %s", credit.ErrNotFound, key)
		}
		out = res.reservation()
		return nil
	})
	if err != nil {
		return credit.Reservation{}, creditWrap("reservation", err)
	}
	return out, nil
}

// History implements [credit.Store].
func (s *Store) History(ctx context.Context, hq credit.HistoryQuery) ([]credit.Entry, error) {
	out := []credit.Entry{}
	err := s.read(ctx, func(t rtx) error {
		p, err := poolByID(ctx, t, hq.Pool)
		if err != nil {
			return err
		}
		if !p.found {
			return fmt.Errorf("%w: pool %s", credit.ErrNotFound, hq.Pool)
		}
		limit := int64(-1)
		if hq.Limit > 0 {
			limit = int64(hq.Limit)
		}
		const cols = `SELECT seq, app, kind, key, amount, user, at FROM credit_entries `
		var rows *sql.Rows
		if hq.App == "" {
			rows, err = t.query(ctx, q(cols+`WHERE pool = ? AND seq > ? ORDER BY seq LIMIT ?`), p.pk, hq.After, limit)
		} else {
			rows, err = t.query(ctx, q(cols+`WHERE pool = ? AND app = ? AND seq > ? ORDER BY seq LIMIT ?`), p.pk, string(hq.App), hq.After, limit)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e := credit.Entry{Pool: p.id}
			var app string
			var kind, at int64
			if err := rows.Scan(&e.Seq, &app, &kind, &e.Key, &e.Amount, &e.User, &at); err != nil {
				return err
			}
			e.App, e.Kind, e.At = credit.App(app), kindNames[kind], nanos.Time(at)
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, creditWrap("history", err)
	}
	return out, nil
}

// Usage implements [credit.Store].
func (s *Store) Usage(ctx context.Context, month time.Time) (credit.Usage, error) {
	out := credit.Usage{Month: credit.MonthOf(month), PerUserType: map[string]int64{}}
	err := s.read(ctx, func(t rtx) error {
		rows, err := t.query(ctx, q(`SELECT user_type, contacts FROM credit_usage WHERE month = ?`), creditMonth(month))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ut string
			var n int64
			if err := rows.Scan(&ut, &n); err != nil {
				return err
			}
			out.Organisation += n
			if n != 0 {
				out.PerUserType[ut] = n
			}
		}
		return rows.Err()
	})
	if err != nil {
		return credit.Usage{}, creditWrap("usage", err)
	}
	return out, nil
}

// Expire implements [credit.Store], in one write transaction.
func (s *Store) Expire(ctx context.Context, at time.Time) ([]credit.Entry, error) {
	out := []credit.Entry{}
	err := s.write(ctx, func(t wtx) error {
		out = out[:0]
		rows, err := t.query(ctx, q(`SELECT `+poolCols+` FROM credit_pools WHERE expired = 0 AND ends <= ? ORDER BY starts`), cmpNanos(at))
		if err != nil {
			return err
		}
		var pools []poolRow
		for rows.Next() {
			p, err := scanPool(rows)
			if err != nil {
				rows.Close()
				return err
			}
			pools = append(pools, p)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, p := range pools {
			if _, err := t.exec(ctx, q(`UPDATE credit_pools SET expired = 1 WHERE pk = ?`), p.pk); err != nil {
				return err
			}
			rows, err := t.query(ctx, q(`SELECT app, available FROM credit_balances WHERE pool = ? AND available <> 0 ORDER BY app`), p.pk)
			if err != nil {
				return err
			}
			type left struct {
				app string
				n   int64
			}
			var ls []left
			for rows.Next() {
				var l left
				if err := rows.Scan(&l.app, &l.n); err != nil {
					rows.Close()
					return err
				}
				ls = append(ls, l)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
			for _, l := range ls {
				if _, err := t.exec(ctx, q(`UPDATE credit_balances SET available = 0, expired = expired + ? WHERE pool = ? AND app = ?`),
					l.n, p.pk, l.app); err != nil {
					return err
				}
				e, err := addEntry(ctx, t, p, credit.Entry{At: nanos.Time(p.end), Kind: credit.KindExpire, App: credit.App(l.app), Amount: l.n})
				if err != nil {
					return err
				}
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, creditWrap("expire", err)
	}
	return out, nil
}

// MarkNotified implements [credit.Store], in one write transaction.
func (s *Store) MarkNotified(ctx context.Context, pool string, app credit.App, kind string) (bool, error) {
	var first bool
	err := s.write(ctx, func(t wtx) error {
		p, err := poolByID(ctx, t, pool)
		if err != nil {
			return err
		}
		if !p.found {
			return fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
		}
		res, err := t.exec(ctx, q(`INSERT INTO credit_notices (pool, app, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), p.pk, string(app), kind)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	if err != nil {
		return false, creditWrap("mark notified", err)
	}
	return first, nil
}
