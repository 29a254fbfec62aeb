package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite testdata/v1.db")

var fixT = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// fillV1 writes what a version-1 store holds: a workflow, a version,
// account states, a pending intent, a run with audit rows and a lease.
func fillV1(t *testing.T, s *sqlite.Store) {
	ctx := t.Context()
	if _, err := s.PutWorkflow(ctx, store.Workflow{ID: "wf", Name: "Old play", Status: store.WorkflowPublished, Published: 1, CreatedAt: fixT}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutVersion(ctx, store.Version{Workflow: "wf", Number: 1, Graph: []byte(`{"nodes":[]}`), CreatedAt: fixT}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRun(ctx, store.Run{ID: "r1", Workflow: "wf", Version: 1, Status: store.RunCompleted, StartedAt: fixT, EndedAt: fixT.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	b := &store.Batch{
		States: []store.AccountState{
			{Account: "a", Status: store.StatusWaiting, Node: "timer", Entry: 1, EnteredAt: fixT, WakeAt: fixT.Add(14 * 24 * time.Hour),
				Path: []store.Step{{Node: "start", At: fixT, Out: "next"}, {Node: "timer", At: fixT}}},
			{Account: "b", Status: store.StatusActive, Node: "sep", Entry: 2, EnteredAt: fixT},
		},
		Intents: []store.Intent{{Key: "k-b", Node: "sep", Account: "b", Entry: 2, Created: fixT, Items: []store.Item{{Key: "k-b"}}}},
		Audit:   []store.AuditRow{{Run: "r1", Account: "a", Node: "start", Event: "took", Detail: "next", At: fixT}},
	}
	if err := s.Apply(ctx, "wf", b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, "wf", "engine-1", fixT, time.Hour); err != nil {
		t.Fatal(err)
	}
}

// checkV1 checks that fillV1's data survived an upgrade, and that the
// concerns versions 2 to 4 added work.
func checkV1(t *testing.T, s *sqlite.Store) {
	ctx := t.Context()
	w, err := s.GetWorkflow(ctx, "wf")
	if err != nil || w.Name != "Old play" || w.Revision != 1 {
		t.Fatalf("workflow after upgrade: %+v, %v", w, err)
	}
	if v, err := s.GetVersion(ctx, "wf", 1); err != nil || string(v.Graph) != `{"nodes":[]}` {
		t.Fatalf("version after upgrade: %+v, %v", v, err)
	}
	got, err := s.GetStates(ctx, "wf", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Status != store.StatusWaiting || got[0].Node != "timer" || len(got[0].Path) != 2 || !got[0].WakeAt.Equal(fixT.Add(14*24*time.Hour)) ||
		got[1].Status != store.StatusActive || got[1].Entry != 2 {
		t.Fatalf("states after upgrade: %+v", got)
	}
	n := 0
	for in, err := range s.PendingIntents(ctx, "wf") {
		if err != nil || in.Key != "k-b" {
			t.Fatalf("intent after upgrade: %+v, %v", in, err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d intents after upgrade", n)
	}
	rows, err := s.Audit(ctx, "r1", 0, 0)
	if err != nil || len(rows) != 1 || rows[0].Detail != "next" {
		t.Fatalf("audit after upgrade: %+v, %v", rows, err)
	}
	if _, err := s.AcquireLease(ctx, "wf", "engine-2", fixT.Add(time.Minute), time.Hour); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("lease after upgrade: %v", err)
	}
	// Version 2's tables.
	if err := s.AddEvents(ctx, []audience.Event{{AccountID: "a", Channel: "linkedin", Kind: audience.KindClick, At: fixT}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PostNotifications(ctx, []store.Notification{{User: "u", Kind: store.NoteRunFailed, At: fixT}}); err != nil {
		t.Fatal(err)
	}
	// Version 3's: purchased contacts, of a workflow stored before.
	if err := s.PutPurchased(ctx, "wf", []audience.Contact{{ID: "c", AccountID: "a", Email: "a@x"}}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Purchased(ctx, "wf", []string{"a"}); err != nil || len(m["a"]) != 1 || m["a"][0].Email != "a@x" {
		t.Fatalf("purchased after upgrade: %v, %v", m, err)
	}
	if err := s.Forget(ctx, "wf", "a"); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Purchased(ctx, "wf", []string{"a"}); err != nil || len(m) != 0 {
		t.Fatalf("purchased after Forget: %v, %v", m, err)
	}
	// Version 4's: the ledger.
	pool := credit.Pool{ID: "p", Start: fixT, End: fixT.Add(24 * time.Hour), Total: 10}
	if err := s.CreatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allocate(ctx, credit.AllocateRequest{Pool: "p", App: credit.AppAudienceWorkflows, Amount: 10, At: fixT}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Reserve(ctx, credit.ReserveRequest{App: credit.AppAudienceWorkflows, Key: "k", Credits: 4, At: fixT}, credit.Limits{}); err != nil || r.State != credit.Held {
		t.Fatalf("reserve after upgrade: %+v, %v", r, err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func schemaVersions(t *testing.T, path string) []int {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version FROM schema_version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestUpgradeFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	old, err := sqlite.OpenAtVersion(t.Context(), path, 1)
	if err != nil {
		t.Fatal(err)
	}
	fillV1(t, old)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if vs := schemaVersions(t, path); len(vs) != 1 || vs[0] != 1 {
		t.Fatalf("fixture versions %v", vs)
	}
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkV1(t, s)
	if vs := schemaVersions(t, path); len(vs) != sqlite.SchemaVersion || vs[len(vs)-1] != sqlite.SchemaVersion {
		t.Fatalf("versions after upgrade %v", vs)
	}
}

// TestUpgradeFromV1File opens testdata/v1.db, a file written by the
// version-1 schema and kept as it was (go test -run UpgradeFromV1File
// -update rewrites it), so that later migrations are tested against real
// old bytes.
func TestUpgradeFromV1File(t *testing.T) {
	fixture := filepath.Join("testdata", "v1.db")
	if *update {
		os.Remove(fixture)
		old, err := sqlite.OpenAtVersion(t.Context(), fixture, 1)
		if err != nil {
			t.Fatal(err)
		}
		fillV1(t, old)
		if err := old.Checkpoint(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}
		os.Remove(fixture + "-wal")
		os.Remove(fixture + "-shm")
	}
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if vs := schemaVersions(t, path); len(vs) != 1 || vs[0] != 1 {
		t.Fatalf("fixture versions %v", vs)
	}
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkV1(t, s)
}

func TestOpenEmptyFile(t *testing.T) {
	// Version 0: a file that exists but is empty (or a fresh SQLite file).
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if vs := schemaVersions(t, path); len(vs) != sqlite.SchemaVersion {
		t.Fatalf("versions %v", vs)
	}
	// Opening again changes nothing.
	s, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if vs := schemaVersions(t, path); len(vs) != sqlite.SchemaVersion {
		t.Fatalf("versions after a second open %v", vs)
	}
}

func TestNewerFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_version (version, applied) VALUES (?, 0)`, sqlite.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = sqlite.Open(t.Context(), path)
	if !errors.Is(err, sqlite.ErrSchemaTooNew) {
		t.Fatalf("opening a newer file: %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)
}

func TestForeignFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = sqlite.Open(context.Background(), path)
	if !errors.Is(err, sqlite.ErrNotStore) {
		t.Fatalf("opening another application's file: %v, want ErrNotStore", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "x.db?mode=ro", "file:x.db"} {
		if _, err := sqlite.Open(t.Context(), p); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("Open(%q): %v, want ErrInvalid", p, err)
		}
	}
}

func TestClosed(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWorkflow(t.Context(), "wf"); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	for _, err := range s.ScanStates(t.Context(), "wf") {
		if !errors.Is(err, sqlite.ErrClosed) {
			t.Fatalf("ScanStates after Close: %v", err)
		}
	}
}
