//go:build unix

package killtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/webhook"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/sqlite"
)

const (
	envChild = "PLAYGRAPH_KILLTEST_CHILD"
	wfName   = "kill-play"
	nAccts   = 60
)

var (
	secret = []byte("kill-test-secret")
	day0   = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	admin  = playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		if err := child(os.Args[len(os.Args)-3], os.Args[len(os.Args)-2], os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func accounts() []*audience.Account {
	out := make([]*audience.Account, nAccts)
	for i := range out {
		a := &audience.Account{ID: fmt.Sprintf("a%02d", i), Domain: fmt.Sprintf("a%02d.example", i)}
		switch i % 3 {
		case 0:
			a.ResearchedCompetitors = []string{"acme"}
		case 1:
			a.ResearchedCompetitors = []string{"globex"}
		}
		out[i] = a
	}
	return out
}

func contacts(a *audience.Account) []audience.Contact {
	return []audience.Contact{
		{ID: a.ID + "-1", LastName: "One", Email: "1@" + a.Domain, Title: "VP Sales", JobLevel: "VP", JobFunction: "Sales"},
		{ID: a.ID + "-2", LastName: "Two", Email: "2@" + a.Domain, Title: "Director Marketing", JobLevel: "Director", JobFunction: "Marketing"},
	}
}

// child runs the competitor research play on day 0 and day 15 against the
// file store, posting to the receiver; it may be killed at any moment.
func child(dbPath, url, iteration string) error {
	ctx := context.Background()
	it, _ := strconv.Atoi(iteration)
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	var conns []connector.Connector
	for _, name := range []string{"linkedin", "outreach"} {
		c, err := webhook.New(webhook.Config{Name: name, URL: url, Secret: secret, Limits: connector.Limits{MaxBatch: 5}})
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	reg, err := connector.NewRegistry(conns...)
	if err != nil {
		return err
	}
	src := audience.NewMemorySource(accounts()...)
	for _, a := range accounts() {
		src.SetContacts(a.ID, contacts(a)...)
	}
	// Each child's time starts after the previous child's last run, so a
	// lease a killed child left behind has expired: its day 0 is the
	// previous child's day 16.
	base := day0.AddDate(0, 0, 16*it)
	clk := playgraph.NewManualClock(base, true)
	e, err := playgraph.New(&playgraph.Options{Store: st, Clock: clk, Connectors: reg, BatchSize: 7,
		LeaseTTL: 2 * time.Minute, Segments: playgraph.SegmentMap{plays.CRSegment: src}})
	if err != nil {
		return err
	}
	wf, err := findOrCreate(ctx, e)
	if err != nil {
		return err
	}
	if _, err := e.Run(ctx, admin, wf); err != nil {
		return err
	}
	clk.Set(base.AddDate(0, 0, 15))
	_, err = e.Run(ctx, admin, wf)
	return err
}

func findOrCreate(ctx context.Context, e *playgraph.Engine) (string, error) {
	rows, err := e.List(ctx, admin, playgraph.ListOptions{Query: wfName})
	if err != nil {
		return "", err
	}
	var id string
	if len(rows) > 0 {
		id = rows[0].ID
		if rows[0].Status == store.WorkflowPublished {
			return id, nil
		}
	} else {
		g, err := plays.CompetitorResearch().Build()
		if err != nil {
			return "", err
		}
		wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Name: wfName, Graph: g})
		if err != nil {
			return "", err
		}
		id = wf.ID
	}
	_, err = e.Publish(ctx, admin, id)
	return id, err
}

// receiver dedupes on item keys, as a well-behaved webhook receiver does.
type receiver struct {
	mu   sync.Mutex
	seen map[string]int
	bad  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := webhook.Verify(r, secret)
	if err != nil {
		rc.mu.Lock()
		rc.bad++
		rc.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req webhook.Request
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	time.Sleep(15 * time.Millisecond) // make runs last long enough to be killed mid-way
	rc.mu.Lock()
	for _, it := range req.Items {
		rc.seen[req.Action+" "+it.Key]++
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func TestKilledRunsDeliverEverythingOnce(t *testing.T) {
	kills := 24
	if testing.Short() {
		kills = 5
	}
	rc := &receiver{seen: map[string]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "play.db")
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	start := func(it int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$", db, srv.URL, strconv.Itoa(it))
		cmd.Env = append(os.Environ(), envChild+"=1")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	killed := 0
	for it := range kills {
		cmd := start(it)
		time.Sleep(time.Duration(r.IntN(700)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			killed++
		}
		_ = cmd.Wait()
	}
	cmd := start(kills)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v", err)
	}

	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var wfID string
	for w, err := range st.ListWorkflows(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if w.Name == wfName && w.Status == store.WorkflowPublished {
			wfID = w.ID
		}
	}
	if wfID == "" {
		t.Fatal("no published workflow")
	}
	want := map[string]bool{}
	for _, a := range accounts() {
		switch {
		case slices.Contains(a.ResearchedCompetitors, "acme"):
			k := playgraph.ActionKey(wfID, plays.CRSEPTop, a.ID, 1)
			for _, c := range contacts(a) {
				want["campaign.push_contacts "+playgraph.ContactKey(k, c.ID)] = true
			}
		case len(a.ResearchedCompetitors) > 0:
			want["audience.add "+playgraph.ActionKey(wfID, plays.CRLinkedIn, a.ID, 1)] = true
			want["audience.remove "+playgraph.ActionKey(wfID, plays.CRRemove, a.ID, 1)] = true
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	repeats := 0
	var missing, extra []string
	for k := range want {
		if rc.seen[k] == 0 {
			missing = append(missing, k)
		}
	}
	for k, n := range rc.seen {
		if !want[k] {
			extra = append(extra, k)
		}
		repeats += n - 1
	}
	if len(missing) > 0 || len(extra) > 0 || rc.bad > 0 {
		t.Fatalf("missing %d %v; unexpected %d %v; bad signatures %d", len(missing), missing, len(extra), extra, rc.bad)
	}
	for st, err := range st.PendingIntents(ctx, wfID) {
		if err != nil {
			t.Fatal(err)
		}
		t.Fatalf("intent %s still pending", st.Key)
	}
	t.Logf("%d children killed; %d actions each delivered (deduped by key) exactly once; %d raw repeats absorbed by the receiver", killed, len(want), repeats)
}
