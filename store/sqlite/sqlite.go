package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	msqlite "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/playgraph/playgraph/credit"
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
	_ store.PurchasedStore  = (*Store)(nil)
	_ credit.Store          = (*Store)(nil)
)

// Sentinel errors of package sqlite. Errors about the data (not found,
// conflicts, fencing, invalid arguments) wrap package store's sentinels
// instead.
var (
	// ErrSchemaTooNew: the file was written by a newer playgraph whose
	// schema this build does not know. Upgrade the program, not the file.
	ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this build supports")
	// ErrNotStore: the file is an SQLite database that is not a playgraph
	// store (it has tables but no playgraph version table).
	ErrNotStore = errors.New("sqlite: not a playgraph store")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("sqlite: store closed")
)

// Sync is SQLite's synchronous setting, which decides what a committed
// transaction survives.
type Sync uint8

const (
	// SyncFull (the default) syncs the write-ahead log at every commit: a
	// committed transaction survives the process being killed and the
	// machine losing power.
	SyncFull Sync = iota
	// SyncNormal syncs only at checkpoints: a committed transaction
	// survives the process being killed (the log is in the operating
	// system's page cache), but the last transactions before a power loss
	// or kernel crash may roll back. The file is never corrupted either
	// way.
	SyncNormal
)

// String returns the pragma value.
func (s Sync) String() string {
	if s == SyncNormal {
		return "NORMAL"
	}
	return "FULL"
}

type options struct {
	busy    time.Duration
	sync    Sync
	readers int
	cacheKB int
}

// Option configures [Open].
type Option func(*options)

// WithBusyTimeout sets how long a connection waits for a lock held by
// another connection or process before failing with SQLITE_BUSY (default
// 10s). Writers of several processes on one file queue on this lock.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busy = d }
}

// WithSync sets the synchronous level (default [SyncFull]).
func WithSync(s Sync) Option {
	return func(o *options) { o.sync = s }
}

// WithReaders sets the number of read connections (default 4). Writes go
// through one connection per Store.
func WithReaders(n int) Option {
	return func(o *options) { o.readers = n }
}

// WithCacheSize sets each connection's page cache in KiB (default 32768,
// 32 MiB).
func WithCacheSize(kib int) Option {
	return func(o *options) { o.cacheKB = kib }
}

// Store is a [store.Store] kept in one SQLite file. It is safe for
// concurrent use, and several Stores, in one process or in several, may
// share a file. Call [Store.Close] when done.
type Store struct {
	path string
	busy time.Duration // the busy timeout
	w    *sql.DB       // the write connection's pool (one connection)
	r    *sql.DB       // read connections (query_only)

	// wmu serialises write transactions on wc, the one write connection,
	// and guards wstmts, the statements prepared on it.
	wmu    sync.Mutex
	wc     *sql.Conn
	wstmts map[stmtKey]*sql.Stmt

	names nameCache

	closeOnce sync.Once
	closed    chan struct{}
}

// Open opens (creating if need be) the store in the SQLite file at path,
// brings its schema up to date and returns it. A file written by a newer
// build is refused with an error wrapping [ErrSchemaTooNew]; an SQLite file
// that is not a playgraph store with one wrapping [ErrNotStore].
//
// Every connection runs with journal_mode=WAL, busy_timeout,
// foreign_keys=ON, synchronous=FULL (or NORMAL, [WithSync]) and
// temp_store=MEMORY; see the package documentation.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	return open(ctx, path, SchemaVersion, opts)
}

// open opens the store, migrating its schema to version target.
func open(ctx context.Context, path string, target int, opts []Option) (*Store, error) {
	o := options{busy: 10 * time.Second, sync: SyncFull, readers: 4, cacheKB: 32 << 10}
	for _, f := range opts {
		f(&o)
	}
	if path == "" || strings.ContainsAny(path, "?#") || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %w: path %q (a file path without '?' or '#')", store.ErrInvalid, path)
	}
	if o.readers < 1 {
		o.readers = 1
	}
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", max(0, o.busy.Milliseconds())))
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+o.sync.String()+")")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -o.cacheKB))
		if readOnly {
			q.Add("_pragma", "query_only(1)")
		}
		return path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, busy: o.busy, w: w, wstmts: make(map[stmtKey]*sql.Stmt), closed: make(chan struct{})}
	s.names.init()
	if s.wc, err = writeConn(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.migrateTo(ctx, target); err != nil {
		s.wc.Close()
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(o.readers)
	r.SetMaxIdleConns(o.readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s.r = r
	return s, nil
}

// writeConn takes the write connection from w. It runs with busy_timeout
// 0: [Store.write] waits for the file's write lock itself (see begin).
func writeConn(ctx context.Context, w *sql.DB) (*sql.Conn, error) {
	c, err := w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes the store's connections. Iterators still running fail; a
// closed Store returns errors wrapping [ErrClosed]. Closing twice is not
// an error.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.wmu.Lock()
		defer s.wmu.Unlock()
		for _, st := range s.wstmts {
			st.Close()
		}
		clear(s.wstmts)
		err = errors.Join(s.r.Close(), s.wc.Close(), s.w.Close())
	})
	return err
}

// Checkpoint copies the write-ahead log into the database file and
// truncates the log (PRAGMA wal_checkpoint(TRUNCATE)). SQLite checkpoints
// on its own as the log grows; call this before measuring or copying the
// file.
func (s *Store) Checkpoint(ctx context.Context) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	var busy, logN, done int
	s.wmu.Lock()
	// The checkpoint waits for readers through SQLite's busy handler,
	// which the write connection otherwise runs without.
	_, err := s.wc.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", max(0, s.busy.Milliseconds())))
	if err == nil {
		err = s.wc.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logN, &done)
		_, rerr := s.wc.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = 0")
		err = errors.Join(err, rerr)
	}
	s.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("sqlite: checkpoint: blocked by a reader or writer")
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check and foreign_key_check and
// returns an error describing any problem found.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("sqlite: integrity_check: %w", err)
	}
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return err
		}
		if m != "ok" {
			msgs = append(msgs, m)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("sqlite: integrity_check: %w", err)
	}
	rows, err = s.r.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("sqlite: foreign_key_check: %w", err)
	}
	for rows.Next() {
		msgs = append(msgs, "foreign key violation")
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("sqlite: foreign_key_check: %w", err)
	}
	if len(msgs) > 0 {
		return fmt.Errorf("sqlite: %s: integrity check failed: %s", s.path, strings.Join(msgs, "; "))
	}
	return nil
}

func (s *Store) live(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-s.closed:
		return ErrClosed
	default:
		return nil
	}
}

// write runs fn in one write transaction on the write connection, begun
// with BEGIN IMMEDIATE: the file's write lock is taken at once (waiting up
// to the busy timeout while another connection or process holds it), so
// that a transaction never fails halfway for want of it. fn's error rolls
// the transaction back; nil commits it.
func (s *Store) write(ctx context.Context, fn func(t wtx) error) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.live(ctx); err != nil {
		return err
	}
	// BEGIN, COMMIT and ROLLBACK are prepared once, as every statement
	// of a write transaction is.
	t := wtx{s}
	if err := s.begin(ctx, t); err != nil {
		// A BEGIN interrupted by ctx may have taken effect all the same:
		// roll back whatever is open (an error when nothing is), or the
		// connection's next BEGIN fails inside it.
		s.wc.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("sqlite: begin: %w", s.connErr(err))
	}
	if err := fn(t); err != nil {
		if _, rerr := t.exec(context.WithoutCancel(ctx), q("ROLLBACK")); rerr != nil {
			err = errors.Join(err, fmt.Errorf("sqlite: rollback: %w", s.connErr(rerr)))
		}
		return err
	}
	if _, err := t.exec(context.WithoutCancel(ctx), q("COMMIT")); err != nil {
		// A failed COMMIT leaves the transaction open in some cases
		// (SQLITE_BUSY): roll it back so that nothing of it stays.
		s.wc.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("sqlite: commit: %w", s.connErr(err))
	}
	return nil
}

// begin runs BEGIN IMMEDIATE, retrying while another connection (another
// Store on the file, or another process) holds the file's write lock, for
// up to the busy timeout. It polls every 50µs to 1ms (jittered) rather
// than through SQLite's busy handler, whose sleeps grow to 100ms: against
// a process that writes back to back, a writer sleeping that long rarely
// finds the lock free and may wait out the whole timeout.
func (s *Store) begin(ctx context.Context, t wtx) error {
	var deadline time.Time
	wait := 50 * time.Microsecond
	for {
		_, err := t.exec(ctx, q("BEGIN IMMEDIATE"))
		if err == nil || !isBusy(err) {
			return err
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(s.busy)
		}
		if !now.Before(deadline) {
			return err
		}
		d := min(wait/2+rand.N(wait), deadline.Sub(now))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		wait = min(2*wait, time.Millisecond)
	}
}

// isBusy reports whether err is SQLITE_BUSY (or one of its extended codes).
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 5
}

// connErr replaces a write connection that database/sql gave up on, so
// that the next write gets a fresh one, and returns err.
func (s *Store) connErr(err error) error {
	if !errors.Is(err, sql.ErrConnDone) && !errors.Is(err, driver.ErrBadConn) {
		return err
	}
	for _, st := range s.wstmts {
		st.Close()
	}
	clear(s.wstmts)
	s.wc.Close()
	if c, cerr := writeConn(context.Background(), s.w); cerr == nil {
		s.wc = c
	}
	return err
}

// read runs fn in one read transaction: every statement in it sees the same
// snapshot of the file.
func (s *Store) read(ctx context.Context, fn func(t rtx) error) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(rtx{tx})
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("sqlite: %w: %s", store.ErrInvalid, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("sqlite: %w: %s", store.ErrNotFound, fmt.Sprintf(format, args...))
}

// Times are kept as Unix nanoseconds (package nanos); the zero time as
// NULL (or nanos.Zero where a column cannot be NULL). Times must lie
// between the years 1678 and 2262 (store.TimeInRange).

// nullTime is a nullable time column's value.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func decNullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// placeholders returns "(?,?,…),(?,?,…)…": rows groups of cols.
func placeholders(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * (cols*2 + 3))
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}

// list returns "?,?,…" with n marks.
func list(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
