package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/sqlite"
	"github.com/playgraph/playgraph/store/storetest"
)

// open opens a fresh store in a temporary file, closed when the test ends.
func open(t testing.TB, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "playgraph.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func() store.Store { return open(t) })
}

// A batch cancelled while it is written leaves nothing, and the store
// goes on.
func TestApplyCancelled(t *testing.T) {
	t.Parallel()
	s := open(t)
	b := &store.Batch{}
	for i := range 20_000 {
		b.States = append(b.States, store.AccountState{Account: fmt.Sprintf("a%05d", i), Status: store.StatusActive, Node: "n", Entry: 1})
	}
	cancelled := 0
	for _, d := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(t.Context(), d)
		err := s.Apply(ctx, "wf", b)
		cancel()
		if err == nil {
			break
		}
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "interrupt") {
			t.Fatalf("cancelled Apply: %v", err)
		}
		cancelled++
		c, err := s.Counts(t.Context(), "wf")
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 0 {
			t.Fatalf("a cancelled Apply wrote %v", c)
		}
	}
	if cancelled == 0 {
		t.Fatal("no Apply was cancelled")
	}
	if err := s.Apply(t.Context(), "wf", b); err != nil {
		t.Fatal(err)
	}
	c, err := s.Counts(t.Context(), "wf")
	if err != nil || c["n"].Active != len(b.States) {
		t.Fatalf("after cancelled batches: %v, %v", c, err)
	}
}

// Writers in two Stores on one file (as two processes) interleave whole
// batches of different workflows, and each reads the other's writes.
func TestTwoWriters(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "two.db")
	var stores [2]*sqlite.Store
	for i := range stores {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const rounds = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, s := range stores {
		wg.Go(func() {
			wf := fmt.Sprintf("wf%d", i)
			for r := range rounds {
				b := &store.Batch{}
				for j := range 100 {
					b.States = append(b.States, store.AccountState{Account: fmt.Sprintf("a%d", j), Status: store.StatusActive,
						Node: fmt.Sprintf("n%d", r), Entry: 1, Path: []store.Step{{Node: fmt.Sprintf("n%d", r)}}})
				}
				b.Audit = []store.AuditRow{{Run: wf + "-run", Account: "a0", Node: "n", Event: "e"}}
				if err := s.Apply(t.Context(), wf, b); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range stores {
		other := stores[1-i]
		c, err := other.Counts(t.Context(), fmt.Sprintf("wf%d", i))
		if err != nil || c[fmt.Sprintf("n%d", rounds-1)].Active != 100 || len(c) != 1 {
			t.Fatalf("wf%d read through the other store: %v, %v", i, c, err)
		}
		got, err := other.GetStates(t.Context(), fmt.Sprintf("wf%d", i), []string{"a7"})
		if err != nil || got[0].Path[0].Node != fmt.Sprintf("n%d", rounds-1) {
			t.Fatalf("wf%d a7 read through the other store: %+v, %v", i, got, err)
		}
		rows, err := other.Audit(t.Context(), fmt.Sprintf("wf%d-run", i), 0, 0)
		if err != nil || len(rows) != rounds {
			t.Fatalf("wf%d audit through the other store: %d rows, %v", i, len(rows), err)
		}
	}
}

// A writer waits for the file's write lock held by another connection, up
// to the busy timeout, and then fails; a cancelled one stops waiting.
func TestBusyTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.WithBusyTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.AddEvents(t.Context(), []audience.Event{{AccountID: "a"}})
	if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("writing while another connection holds the lock: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	err = s.AddEvents(ctx, []audience.Event{{AccountID: "a"}})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a cancelled wait: %v", err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		conn.ExecContext(context.Background(), "ROLLBACK")
	}()
	if err := s.AddEvents(t.Context(), []audience.Event{{AccountID: "a"}}); err != nil {
		t.Fatalf("once the lock is free: %v", err)
	}
}

// A run's times come back as the same instants in UTC, as the package doc
// says of every time; the run record is JSON, which kept the offset they
// were written with.
func TestRunTimesInUTC(t *testing.T) {
	t.Parallel()
	s := open(t)
	est := time.FixedZone("EST", -5*3600)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, est)
	r := store.Run{ID: "r1", Workflow: "wf", Now: start, StartedAt: start, EndedAt: start.Add(time.Minute)}
	if err := s.PutRun(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRun(t.Context(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListRuns(t.Context(), "wf", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListRuns: %v %v", list, err)
	}
	for _, g := range []store.Run{got, list[0]} {
		for _, tm := range []struct{ got, want time.Time }{{g.Now, r.Now}, {g.StartedAt, r.StartedAt}, {g.EndedAt, r.EndedAt}} {
			if tm.got.Location() != time.UTC || !tm.got.Equal(tm.want) {
				t.Errorf("time %v, want %v in UTC", tm.got, tm.want.UTC())
			}
		}
	}
	// The zero time round-trips as the zero time.
	if err := s.PutRun(t.Context(), store.Run{ID: "r2", Workflow: "wf", StartedAt: start}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetRun(t.Context(), "r2"); err != nil || got.EndedAt != (time.Time{}) || got.Now != (time.Time{}) {
		t.Errorf("zero times: %+v %v", got, err)
	}
}
