package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"
	"weak"

	"github.com/playgraph/playgraph/credit"
)

// Compile-time check: Store keeps a credit ledger.
var _ credit.Store = (*Store)(nil)

// creditTables holds each Store's ledger, keyed by a weak pointer to the
// Store and dropped when the Store is collected. (A side table keeps the
// ledger in this file alone; it can become a field of Store.)
var creditTables sync.Map // weak.Pointer[Store] → *creditState

// creditState is one Store's ledger. One mutex guards it all, so each
// method is one atomic step, as credit.Store requires.
type creditState struct {
	mu       sync.Mutex
	pools    map[string]*creditPool
	byStart  []*creditPool // sorted by Start
	res      map[string]*credit.Reservation
	usage    map[int]*creditUsage // by year*12 + month − 1 (UTC)
	notified map[creditNotice]bool
	seq      int64
}

type creditPool struct {
	p       credit.Pool
	expired bool
	bal     map[credit.App]*credit.Balance
	history []credit.Entry
}

type creditUsage struct {
	org    int64
	byType map[string]int64
}

type creditNotice struct {
	pool string
	app  credit.App
	kind string
}

func (s *Store) credits() *creditState {
	k := weak.Make(s)
	if v, ok := creditTables.Load(k); ok {
		return v.(*creditState)
	}
	c := &creditState{
		pools:    make(map[string]*creditPool),
		res:      make(map[string]*credit.Reservation),
		usage:    make(map[int]*creditUsage),
		notified: make(map[creditNotice]bool),
	}
	v, loaded := creditTables.LoadOrStore(k, c)
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Store]) { creditTables.Delete(k) }, k)
	}
	return v.(*creditState)
}

// lock locks s's ledger, or returns ctx's error.
func (s *Store) lockCredits(ctx context.Context) (*creditState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := s.credits()
	c.mu.Lock()
	return c, nil
}

func creditMonth(t time.Time) int {
	u := t.UTC()
	return u.Year()*12 + int(u.Month()) - 1
}

func (c *creditState) month(t time.Time) *creditUsage {
	m := creditMonth(t)
	u := c.usage[m]
	if u == nil {
		u = &creditUsage{byType: make(map[string]int64)}
		c.usage[m] = u
	}
	return u
}

// count adds n contacts (n may be negative) to the month of at.
func (c *creditState) count(at time.Time, userType string, n int64) {
	if n == 0 {
		return
	}
	u := c.month(at)
	u.org += n
	u.byType[userType] += n
}

func (c *creditState) poolAt(at time.Time) *creditPool {
	for _, p := range c.byStart {
		if p.p.Contains(at) {
			return p
		}
	}
	return nil
}

func (c *creditState) entry(p *creditPool, e credit.Entry) credit.Entry {
	c.seq++
	e.Seq = c.seq
	e.At = e.At.UTC()
	e.Pool = p.p.ID
	p.history = append(p.history, e)
	return e
}

func (p *creditPool) balance(app credit.App) *credit.Balance {
	b := p.bal[app]
	if b == nil {
		b = &credit.Balance{Pool: p.p.ID, App: app}
		p.bal[app] = b
	}
	return b
}

func creditPoolCopy(p credit.Pool) credit.Pool {
	p.Start, p.End = p.Start.UTC(), p.End.UTC()
	return p
}

// CreatePool implements [credit.Store].
func (s *Store) CreatePool(ctx context.Context, p credit.Pool) error {
	if err := p.Validate(); err != nil {
		return err
	}
	c, err := s.lockCredits(ctx)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	if _, ok := c.pools[p.ID]; ok {
		return fmt.Errorf("%w: pool %s exists", credit.ErrConflict, p.ID)
	}
	for _, o := range c.byStart {
		if p.Start.Before(o.p.End) && o.p.Start.Before(p.End) {
			return fmt.Errorf("%w: pool %s overlaps pool %s", credit.ErrConflict, p.ID, o.p.ID)
		}
	}
	np := &creditPool{p: creditPoolCopy(p), bal: make(map[credit.App]*credit.Balance)}
	c.pools[p.ID] = np
	c.byStart = append(c.byStart, np)
	slices.SortFunc(c.byStart, func(a, b *creditPool) int { return a.p.Start.Compare(b.p.Start) })
	return nil
}

// SetPoolTotal implements [credit.Store].
func (s *Store) SetPoolTotal(ctx context.Context, pool string, total int64) (credit.Pool, error) {
	if total < 0 {
		return credit.Pool{}, fmt.Errorf("%w: negative total %d", credit.ErrInvalid, total)
	}
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Pool{}, err
	}
	defer c.mu.Unlock()
	p := c.pools[pool]
	if p == nil {
		return credit.Pool{}, fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
	}
	var sum int64
	for _, b := range p.bal {
		sum += b.Allocated
	}
	if total < sum {
		return credit.Pool{}, fmt.Errorf("%w: pool %s: total %d below its allocations %d", credit.ErrOverAllocated, pool, total, sum)
	}
	p.p.Total = total
	return p.p, nil
}

// Pools implements [credit.Store].
func (s *Store) Pools(ctx context.Context) ([]credit.Pool, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	out := make([]credit.Pool, len(c.byStart))
	for i, p := range c.byStart {
		out[i] = p.p
	}
	return out, nil
}

// PoolAt implements [credit.Store].
func (s *Store) PoolAt(ctx context.Context, at time.Time) (credit.Pool, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Pool{}, err
	}
	defer c.mu.Unlock()
	p := c.poolAt(at)
	if p == nil {
		return credit.Pool{}, fmt.Errorf("%w: at %v", credit.ErrNoPool, at)
	}
	return p.p, nil
}

// Allocate implements [credit.Store].
func (s *Store) Allocate(ctx context.Context, r credit.AllocateRequest) (credit.Balance, error) {
	if err := r.Validate(); err != nil {
		return credit.Balance{}, err
	}
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Balance{}, err
	}
	defer c.mu.Unlock()
	p := c.pools[r.Pool]
	if p == nil {
		return credit.Balance{}, fmt.Errorf("%w: pool %s", credit.ErrNotFound, r.Pool)
	}
	if p.expired || !r.At.Before(p.p.End) {
		return credit.Balance{}, fmt.Errorf("%w: pool %s ended at %v", credit.ErrPeriodEnded, p.p.ID, p.p.End)
	}
	var others int64
	for app, b := range p.bal {
		if app != r.App {
			others += b.Allocated
		}
	}
	if r.Amount > p.p.Total-others { // others <= Total: no overflow, whatever r.Amount
		return credit.Balance{}, fmt.Errorf("%w: pool %s: %d for %s with %d allocated elsewhere, total %d",
			credit.ErrOverAllocated, p.p.ID, r.Amount, r.App, others, p.p.Total)
	}
	cur := credit.Balance{Pool: p.p.ID, App: r.App}
	if b := p.bal[r.App]; b != nil {
		cur = *b
	}
	delta := r.Amount - cur.Allocated
	if delta < 0 && -delta > cur.Available {
		return credit.Balance{}, &credit.InsufficientError{Pool: p.p.ID, App: r.App, Requested: -delta, Available: cur.Available}
	}
	if delta == 0 {
		return cur, nil
	}
	b := p.balance(r.App)
	b.Allocated += delta
	b.Available += delta
	c.entry(p, credit.Entry{At: r.At, Kind: credit.KindAllocate, App: r.App, Amount: delta, User: r.User})
	return *b, nil
}

// Balance implements [credit.Store].
func (s *Store) Balance(ctx context.Context, pool string, app credit.App) (credit.Balance, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Balance{}, err
	}
	defer c.mu.Unlock()
	p := c.pools[pool]
	if p == nil {
		return credit.Balance{}, fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
	}
	if b := p.bal[app]; b != nil {
		return *b, nil
	}
	return credit.Balance{Pool: pool, App: app}, nil
}

// Balances implements [credit.Store].
func (s *Store) Balances(ctx context.Context, pool string) ([]credit.Balance, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	p := c.pools[pool]
	if p == nil {
		return nil, fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
	}
	out := make([]credit.Balance, 0, len(p.bal))
	for _, app := range slices.Sorted(maps.Keys(p.bal)) {
		out = append(out, *p.bal[app])
	}
	return out, nil
}

// Reserve implements [credit.Store].
func (s *Store) Reserve(ctx context.Context, r credit.ReserveRequest, lim credit.Limits) (credit.Reservation, error) {
	if err := r.Validate(); err != nil {
		return credit.Reservation{}, err
	}
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Reservation{}, err
	}
	defer c.mu.Unlock()
	if old := c.res[r.Key]; old != nil && old.State != credit.Released {
		if old.App != r.App || old.Credits != r.Credits || old.Contacts != r.Contacts {
			return credit.Reservation{}, fmt.Errorf("%w: key %s reserved %d credits and %d contacts for %s, now %d and %d for %s",
				credit.ErrConflict, r.Key, old.Credits, old.Contacts, old.App, r.Credits, r.Contacts, r.App)
		}
		return *old, nil
	}
	p := c.poolAt(r.At)
	if p == nil {
		return credit.Reservation{}, &credit.InsufficientError{App: r.App, Requested: r.Credits}
	}
	if r.Contacts > 0 {
		u := c.month(r.At)
		if n := lim.PerUserType[r.UserType]; n > 0 && r.Contacts > n-u.byType[r.UserType] {
			return credit.Reservation{}, &credit.MonthlyLimitError{Month: credit.MonthOf(r.At), UserType: r.UserType,
				Limit: n, Used: u.byType[r.UserType], Requested: r.Contacts}
		}
		if n := lim.Organisation; n > 0 && r.Contacts > n-u.org {
			return credit.Reservation{}, &credit.MonthlyLimitError{Month: credit.MonthOf(r.At),
				Limit: n, Used: u.org, Requested: r.Contacts}
		}
	}
	var avail int64
	if b := p.bal[r.App]; b != nil {
		avail = b.Available
	}
	if r.Credits > avail {
		return credit.Reservation{}, &credit.InsufficientError{Pool: p.p.ID, App: r.App, Requested: r.Credits, Available: avail}
	}
	b := p.balance(r.App)
	b.Available -= r.Credits
	b.Reserved += r.Credits
	c.count(r.At, r.UserType, r.Contacts)
	c.entry(p, credit.Entry{At: r.At, Kind: credit.KindReserve, App: r.App, Key: r.Key, Amount: r.Credits, User: r.User})
	res := &credit.Reservation{Key: r.Key, Pool: p.p.ID, App: r.App, User: r.User, UserType: r.UserType,
		Credits: r.Credits, Contacts: r.Contacts, At: r.At.UTC(), State: credit.Held}
	c.res[r.Key] = res
	return *res, nil
}

// settle returns rest of res's held credits to its allocation (expiring
// them at once if the pool has expired) and stops counting unbought
// contacts.
func (c *creditState) settle(res *credit.Reservation, spent, bought int64, at time.Time) {
	p := c.pools[res.Pool]
	b := p.balance(res.App)
	b.Reserved -= res.Credits
	if res.State == credit.Committed {
		b.Spent += spent
		c.entry(p, credit.Entry{At: at, Kind: credit.KindCommit, App: res.App, Key: res.Key, Amount: spent, User: res.User})
	}
	if rest := res.Credits - spent; rest > 0 {
		b.Available += rest
		c.entry(p, credit.Entry{At: at, Kind: credit.KindRelease, App: res.App, Key: res.Key, Amount: rest, User: res.User})
		if p.expired {
			b.Available -= rest
			b.Expired += rest
			c.entry(p, credit.Entry{At: at, Kind: credit.KindExpire, App: res.App, Key: res.Key, Amount: rest, User: res.User})
		}
	}
	c.count(res.At, res.UserType, bought-res.Contacts)
	res.Spent, res.Bought, res.Settled = spent, bought, at.UTC()
}

// Commit implements [credit.Store].
func (s *Store) Commit(ctx context.Context, r credit.CommitRequest) (credit.Reservation, error) {
	if err := r.Validate(); err != nil {
		return credit.Reservation{}, err
	}
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Reservation{}, err
	}
	defer c.mu.Unlock()
	res := c.res[r.Key]
	switch {
	case res == nil:
		return credit.Reservation{}, fmt.Errorf("%w: reservation %s", credit.ErrNotFound, r.Key)
	case res.State == credit.Committed:
		return *res, nil
	case res.State == credit.Released:
		return credit.Reservation{}, fmt.Errorf("%w: reservation %s was released", credit.ErrConflict, r.Key)
	case r.Credits > res.Credits || r.Contacts > res.Contacts:
		return credit.Reservation{}, fmt.Errorf("%w: reservation %s: spent %d credits and %d contacts of %d and %d reserved",
			credit.ErrInvalid, r.Key, r.Credits, r.Contacts, res.Credits, res.Contacts)
	}
	res.State = credit.Committed
	c.settle(res, r.Credits, r.Contacts, r.At)
	return *res, nil
}

// Release implements [credit.Store].
func (s *Store) Release(ctx context.Context, r credit.ReleaseRequest) (credit.Reservation, error) {
	if r.Key == "" {
		return credit.Reservation{}, fmt.Errorf("%w: empty key", credit.ErrInvalid)
	}
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Reservation{}, err
	}
	defer c.mu.Unlock()
	res := c.res[r.Key]
	if res == nil {
		return credit.Reservation{}, fmt.Errorf("%w: reservation %s", credit.ErrNotFound, r.Key)
	}
	if res.State != credit.Held {
		return *res, nil
	}
	res.State = credit.Released
	c.settle(res, 0, 0, r.At)
	return *res, nil
}

// Reservation implements [credit.Store].
func (s *Store) Reservation(ctx context.Context, key string) (credit.Reservation, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Reservation{}, err
	}
	defer c.mu.Unlock()
	res := c.res[key]
	if res == nil {
		return credit.Reservation{}, fmt.Errorf("%w: reservation %s", credit.ErrNotFound, key)
	}
	return *res, nil
}

// History implements [credit.Store].
func (s *Store) History(ctx context.Context, q credit.HistoryQuery) ([]credit.Entry, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	p := c.pools[q.Pool]
	if p == nil {
		return nil, fmt.Errorf("%w: pool %s", credit.ErrNotFound, q.Pool)
	}
	h := p.history
	i, _ := slices.BinarySearchFunc(h, q.After+1, func(e credit.Entry, seq int64) int { return cmp.Compare(e.Seq, seq) })
	out := []credit.Entry{}
	for _, e := range h[i:] {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		if q.App == "" || e.App == q.App {
			out = append(out, e)
		}
	}
	return out, nil
}

// Usage implements [credit.Store].
func (s *Store) Usage(ctx context.Context, month time.Time) (credit.Usage, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return credit.Usage{}, err
	}
	defer c.mu.Unlock()
	out := credit.Usage{Month: credit.MonthOf(month), PerUserType: map[string]int64{}}
	if u := c.usage[creditMonth(month)]; u != nil {
		out.Organisation = u.org
		for ut, n := range u.byType {
			if n != 0 {
				out.PerUserType[ut] = n
			}
		}
	}
	return out, nil
}

// Expire implements [credit.Store].
func (s *Store) Expire(ctx context.Context, at time.Time) ([]credit.Entry, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	out := []credit.Entry{}
	for _, p := range c.byStart {
		if p.expired || at.Before(p.p.End) {
			continue
		}
		p.expired = true
		for _, app := range slices.Sorted(maps.Keys(p.bal)) {
			b := p.bal[app]
			if b.Available == 0 {
				continue
			}
			n := b.Available
			b.Available, b.Expired = 0, b.Expired+n
			out = append(out, c.entry(p, credit.Entry{At: p.p.End, Kind: credit.KindExpire, App: app, Amount: n}))
		}
	}
	return out, nil
}

// MarkNotified implements [credit.Store].
func (s *Store) MarkNotified(ctx context.Context, pool string, app credit.App, kind string) (bool, error) {
	c, err := s.lockCredits(ctx)
	if err != nil {
		return false, err
	}
	defer c.mu.Unlock()
	if c.pools[pool] == nil {
		return false, fmt.Errorf("%w: pool %s", credit.ErrNotFound, pool)
	}
	k := creditNotice{pool, app, kind}
	if c.notified[k] {
		return false, nil
	}
	c.notified[k] = true
	return true, nil
}
