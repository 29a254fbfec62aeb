package csv_test

import (
	"bytes"
	"context"
	encsv "encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/csv"
)

var ctx = context.Background()

func profile() *connector.MappingProfile {
	return &connector.MappingProfile{
		Name: "contacts", Kind: connector.KindContact, Environment: connector.Production,
		Fields: []connector.FieldMapping{
			{From: "contact.email", To: "Email"},
			{From: "contact.last_name", To: "Last Name"},
			{From: "name", To: "Company"},
			{From: "employees", To: "Employees"},
		},
		Constants: []connector.Constant{{To: "Source", Value: "playgraph"}},
	}
}

type person struct{ key, email, last, company string }

func records(t *testing.T, p *connector.MappingProfile, people ...person) []connector.RecordItem {
	t.Helper()
	cat, err := audience.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Compile(cat)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]connector.RecordItem, len(people))
	for i, pp := range people {
		rec, err := m.Apply(&audience.Account{ID: "a", Name: pp.company, Employees: 12}, &audience.Contact{ID: pp.key, Email: pp.email, LastName: pp.last})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = connector.RecordItem{Key: pp.key, Record: rec}
	}
	return out
}

func readBack(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := encsv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	return rows
}

func newConn(t *testing.T, path string) *csv.Connector {
	t.Helper()
	c, err := csv.New(csv.Config{Name: "export", Path: path, Environment: connector.Production})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriteAndPublish(t *testing.T) {
	path := filepath.Join(t.TempDir(), "contacts.csv")
	c := newConn(t, path)
	if !connector.Has(c, connector.CapRecordWrite) || !connector.Has(c, connector.CapRunFinish) || !connector.Has(c, connector.CapRecordFind) {
		t.Fatal(connector.Capabilities(c))
	}
	p := profile()
	items := records(t, p,
		person{"k1", "bob@acme.com", "Stone", "Acme, Inc."},
		person{"k2", "=HYPERLINK(\"http://evil\")", "+SUM(A1)", "-2+3"},
		person{"k3", "@cmd", "\tTab", "\rCR"},
		person{"k4", "ann@acme.com", "Quote \"q\", comma", "Multi\nline"},
	)
	items = append(items, connector.RecordItem{Record: items[0].Record}) // no key
	rs, err := c.WriteRecords(ctx, p, items)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs[:4] {
		if !r.OK() || r.ID != items[i].Key {
			t.Errorf("item %d: %+v", i, r)
		}
	}
	if rs[4].Status != connector.StatusPermanent || !errors.Is(rs[4].Err, connector.ErrMissingKey) {
		t.Errorf("no key: %+v", rs[4])
	}
	// Staged, not yet published.
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("published before EndRun: %v", err)
	}
	pub, err := c.EndRun(ctx, connector.RunInfo{Run: "r1"})
	if err != nil || pub.Location != path || pub.Items != 4 {
		t.Fatalf("EndRun: %+v %v", pub, err)
	}
	if _, err := os.Stat(path + csv.PendingSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging file left: %v", err)
	}
	rows := readBack(t, path)
	want := [][]string{
		{"Email", "Last Name", "Company", "Employees", "Source", "_key"},
		{"bob@acme.com", "Stone", "Acme, Inc.", "12", "playgraph", "k1"},
		{"'=HYPERLINK(\"http://evil\")", "'+SUM(A1)", "'-2+3", "12", "playgraph", "k2"},
		{"'@cmd", "'\tTab", "'\rCR", "12", "playgraph", "k3"},
		{"ann@acme.com", "Quote \"q\", comma", "Multi\nline", "12", "playgraph", "k4"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows:\n%q", rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	// No cell a spreadsheet would evaluate.
	for _, r := range rows {
		for _, v := range r {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Errorf("unneutralised cell %q", v)
			}
		}
	}
	// Nothing staged: nothing published.
	if pub, err := c.EndRun(ctx, connector.RunInfo{Run: "r2"}); err != nil || pub != (connector.Published{}) {
		t.Errorf("empty EndRun: %+v %v", pub, err)
	}
}

func TestRepeatedBatchAddsNoRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	p := profile()
	batch := records(t, p, person{"k1", "a@x.com", "A", "X"}, person{"k2", "b@x.com", "B", "X"}, person{"k1", "a@x.com", "A", "X"})
	c := newConn(t, path)
	for range 3 { // the same batch three times in one run, one duplicate key inside it
		rs, err := c.WriteRecords(ctx, p, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if !r.OK() {
				t.Fatal(r)
			}
		}
	}
	if _, err := c.EndRun(ctx, connector.RunInfo{}); err != nil {
		t.Fatal(err)
	}
	if n := len(readBack(t, path)); n != 3 {
		t.Fatalf("rows after first run: %d, want header + 2", n)
	}
	// A later run, a fresh connector: keys are loaded from the file.
	c2 := newConn(t, path)
	more := append(batch, records(t, p, person{"-k3", "c@x.com", "C", "X"})...)
	if _, err := c2.WriteRecords(ctx, p, more); err != nil {
		t.Fatal(err)
	}
	pub, err := c2.EndRun(ctx, connector.RunInfo{})
	if err != nil || pub.Items != 1 {
		t.Fatalf("%+v %v", pub, err)
	}
	rows := readBack(t, path)
	if len(rows) != 4 || rows[3][5] != "'-k3" {
		t.Fatalf("rows: %q", rows)
	}
	// A key that needed neutralising is recognised too.
	c3 := newConn(t, path)
	if _, err := c3.WriteRecords(ctx, p, more); err != nil {
		t.Fatal(err)
	}
	if pub, _ := c3.EndRun(ctx, connector.RunInfo{}); pub.Items != 0 {
		t.Errorf("repeat across runs added %d rows", pub.Items)
	}
	if n := len(readBack(t, path)); n != 4 {
		t.Errorf("rows %d", n)
	}
}

func TestFailureBeforeRenameKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	p := profile()
	c := newConn(t, path)
	if _, err := c.WriteRecords(ctx, p, records(t, p, person{"k1", "a@x.com", "A", "X"})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EndRun(ctx, connector.RunInfo{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	if _, err := c.WriteRecords(ctx, p, records(t, p, person{"k2", "b@x.com", "B", "X"})); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	var tmpSeen string
	c.SetBeforeRename(func(tmp string) error {
		tmpSeen = tmp
		data, _ := os.ReadFile(tmp)
		if !bytes.Contains(data, []byte("b@x.com")) || !bytes.Contains(data, []byte("a@x.com")) {
			t.Errorf("temporary file incomplete:\n%s", data)
		}
		if filepath.Dir(tmp) != dir {
			t.Errorf("temporary file in %s, want %s", filepath.Dir(tmp), dir)
		}
		return boom
	})
	if _, err := c.EndRun(ctx, connector.RunInfo{}); !errors.Is(err, boom) {
		t.Fatalf("EndRun: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatalf("published file changed:\n%s\nvs\n%s", before, after)
	}
	if _, err := os.Stat(tmpSeen); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	// The staged row survives — also in a new connector after a "crash".
	c2 := newConn(t, path)
	pub, err := c2.EndRun(ctx, connector.RunInfo{})
	if err != nil || pub.Items != 1 {
		t.Fatalf("recovered EndRun: %+v %v", pub, err)
	}
	// And the first connector, hook removed, has nothing new to add.
	c.SetBeforeRename(nil)
	if _, err := c.EndRun(ctx, connector.RunInfo{}); err != nil {
		t.Fatal(err)
	}
	c3 := newConn(t, path)
	if rows := readBack(t, path); len(rows) != 3 {
		t.Errorf("rows: %q", rows)
	}
	if _, err := c3.WriteRecords(ctx, p, records(t, p, person{"k2", "b@x.com", "B", "X"})); err != nil {
		t.Fatal(err)
	}
	if pub, _ := c3.EndRun(ctx, connector.RunInfo{}); pub.Items != 0 {
		t.Errorf("re-added %d", pub.Items)
	}
}

func TestTornStagingLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	pending := "Email,_key\na@x.com,k1\nb@x.co" // crash mid-row
	if err := os.WriteFile(path+csv.PendingSuffix, []byte(pending), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newConn(t, path)
	pub, err := c.EndRun(ctx, connector.RunInfo{})
	if err != nil || pub.Items != 1 {
		t.Fatalf("%+v %v", pub, err)
	}
	if rows := readBack(t, path); len(rows) != 2 || rows[1][1] != "k1" {
		t.Errorf("%q", rows)
	}
}

// A crash can cut a row inside a quoted value that holds a newline, just
// after that newline: the torn row is dropped like any torn line (New
// failed on the unclosed quote before). A staging file damaged otherwise
// is still an error.
func TestTornStagingMultilineValue(t *testing.T) {
	for _, pending := range []string{
		"Email,Last,_key\na@x.com,A,k1\nb@x.com,\"Line1\n",
		"Email,Last,_key\na@x.com,A,k1\nb@x.com,\"He said \"\"hi\"\"\nand",
	} {
		path := filepath.Join(t.TempDir(), "out.csv")
		if err := os.WriteFile(path+csv.PendingSuffix, []byte(pending), 0o644); err != nil {
			t.Fatal(err)
		}
		c := newConn(t, path)
		pub, err := c.EndRun(ctx, connector.RunInfo{})
		if err != nil || pub.Items != 1 {
			t.Fatalf("%q: %+v %v", pending, pub, err)
		}
		if rows := readBack(t, path); len(rows) != 2 || rows[1][2] != "k1" {
			t.Errorf("%q: %q", pending, rows)
		}
	}
	damaged := "Email,Last,_key\na@x.com,A\"x\"y,k1\nc@x.com,C,k3\n"
	path := filepath.Join(t.TempDir(), "out.csv")
	if err := os.WriteFile(path+csv.PendingSuffix, []byte(damaged), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := csv.New(csv.Config{Name: "export", Path: path, Environment: connector.Production}); err == nil {
		t.Errorf("a damaged staging file was accepted")
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	c := newConn(t, path)
	p := profile()
	sandbox := profile()
	sandbox.Environment = connector.Sandbox
	if err := c.CheckProfile(sandbox); !errors.Is(err, connector.ErrEnvironment) {
		t.Errorf("CheckProfile: %v", err)
	}
	if _, err := c.WriteRecords(ctx, sandbox, nil); !errors.Is(err, connector.ErrEnvironment) || !errors.Is(err, connector.ErrPermanent) {
		t.Errorf("WriteRecords sandbox: %v", err)
	}
	if _, err := c.WriteRecords(ctx, p, records(t, p, person{"k1", "a@x.com", "A", "X"})); err != nil {
		t.Fatal(err)
	}
	other := profile()
	other.Fields = other.Fields[:2]
	if err := c.CheckProfile(other); !errors.Is(err, csv.ErrHeaderMismatch) {
		t.Errorf("CheckProfile other fields: %v", err)
	}
	if _, err := c.WriteRecords(ctx, other, nil); !errors.Is(err, csv.ErrHeaderMismatch) || !errors.Is(err, connector.ErrPermanent) {
		t.Errorf("WriteRecords other fields: %v", err)
	}
	if err := c.CheckProfile(p); err != nil {
		t.Error(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.WriteRecords(cctx, p, nil); err == nil {
		t.Error("cancelled WriteRecords")
	}
	if _, err := c.EndRun(cctx, connector.RunInfo{}); err == nil {
		t.Error("cancelled EndRun")
	}
	if _, err := csv.New(csv.Config{Name: "x"}); !errors.Is(err, csv.ErrConfig) {
		t.Errorf("no path: %v", err)
	}
	foreign := filepath.Join(dir, "foreign.csv")
	os.WriteFile(foreign, []byte("a,b\n1,2\n"), 0o644)
	if _, err := csv.New(csv.Config{Name: "x", Path: foreign}); !errors.Is(err, csv.ErrNoKeyColumn) {
		t.Errorf("foreign file: %v", err)
	}
	// Staging fails (directory gone): transient whole-call error.
	gone := filepath.Join(dir, "gone")
	os.Mkdir(gone, 0o755)
	cg, _ := csv.New(csv.Config{Name: "g", Path: filepath.Join(gone, "x.csv")})
	os.Remove(gone)
	rs, err := cg.WriteRecords(ctx, p, records(t, p, person{"k1", "a@x.com", "A", "X"}))
	if err == nil || errors.Is(err, connector.ErrPermanent) {
		t.Errorf("staging into a missing dir: %v", err)
	}
	if r := connector.Resolve(1, rs, err); r[0].Status != connector.StatusTransient {
		t.Errorf("%+v", r)
	}
}

func TestFindRecordsFeedsMatchIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	c := newConn(t, path)
	p := profile()
	c.WriteRecords(ctx, p, records(t, p, person{"k1", "Bob@Acme.com", "Stone", "Acme"}))
	c.EndRun(ctx, connector.RunInfo{})
	c.WriteRecords(ctx, p, records(t, p, person{"k2", "ann@acme.com", "Lee", "Acme"})) // staged only
	recs, err := c.FindRecords(ctx, connector.FindQuery{Kind: connector.KindContact})
	if err != nil || len(recs) != 2 || recs[0].ID != "k1" || recs[0].Kind != connector.KindContact {
		t.Fatalf("%+v %v", recs, err)
	}
	idx, err := connector.NewMatchIndex(connector.DefaultMatchRulesFor(p), nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.Add(recs...)
	for _, email := range []string{"bob@acme.com", "ANN@acme.com"} {
		if _, ok := idx.Match(&audience.Account{}, &audience.Contact{Email: email}); !ok {
			t.Errorf("%s not matched", email)
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	c := newConn(t, path)
	p := profile()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				k := string(rune('a'+g)) + string(rune('a'+i))
				if _, err := c.WriteRecords(ctx, p, records(t, p, person{k, k + "@x.com", "L", "X"}, person{"shared", "s@x.com", "S", "X"})); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if _, err := c.EndRun(ctx, connector.RunInfo{}); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if _, err := c.EndRun(ctx, connector.RunInfo{}); err != nil {
		t.Fatal(err)
	}
	if n := len(readBack(t, path)); n != 1+80+1 {
		t.Errorf("rows %d, want 82", n)
	}
}

// Neutralize reads back through the file as it was given: two keys that
// differ only by a leading quote stay two rows ("=k" and "'=k" were both
// written '=k, acknowledged Done, and one was dropped at publish).
func TestNeutralizedKeysStayApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	p := profile()
	c := newConn(t, path)
	keys := []string{"=k", "'=k", "''=k", "'k", "-1"}
	for _, k := range keys {
		rs, err := c.WriteRecords(ctx, p, records(t, p, person{k, k + "@x.com", "A", "X"}))
		if err != nil || len(rs) != 1 || !rs[0].OK() {
			t.Fatalf("%q: %+v %v", k, rs, err)
		}
	}
	// A connector made again from the staging file knows every key.
	c = newConn(t, path)
	for _, k := range keys {
		if rs, err := c.WriteRecords(ctx, p, records(t, p, person{k, k + "@x.com", "A", "X"})); err != nil || !rs[0].OK() {
			t.Fatalf("again %q: %+v %v", k, rs, err)
		}
	}
	pub, err := c.EndRun(ctx, connector.RunInfo{})
	if err != nil || pub.Items != len(keys) {
		t.Fatalf("published %+v %v, want %d rows", pub, err, len(keys))
	}
	rows := readBack(t, path)
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[len(r)-1])
	}
	if want := []string{"'=k", "''=k", "'''=k", "'k", "'-1"}; !slices.Equal(got, want) {
		t.Errorf("key cells %q, want %q", got, want)
	}
}
