// Command durable-restart shows a daily play surviving a killed process.
//
// It keeps the engine's state in an SQLite file (store/sqlite). The
// example re-executes itself as a child process that serves a daily
// workflow; the parent kills the child with SIGKILL in the middle of its
// first run, then opens the same file and carries on: the outstanding
// actions are re-sent under the same idempotency keys, the local receiver
// drops the repeats, and every action arrives exactly once.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	_ "time/tzdata"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/webhook"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store/sqlite"
)

const envChild = "DURABLE_RESTART_CHILD"

var (
	secret = []byte("example-secret")
	start  = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	owner  = playgraph.Actor{UserID: "ada", Role: playgraph.RoleMarketing}
)

func main() {
	if os.Getenv(envChild) != "" {
		childMain()
	}
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "durable-restart:", err)
		os.Exit(1)
	}
}

// childMain is the child process: serve the workflow until killed. Its
// last three arguments are the database path, the receiver's URL and
// "killable".
func childMain() {
	a := os.Args
	if len(a) < 4 {
		fmt.Fprintln(os.Stderr, "child: want <db> <url> <mode>")
		os.Exit(2)
	}
	if err := serve(a[len(a)-3], a[len(a)-2], a[len(a)-1] == "killable"); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// receiver dedupes on item keys, as a webhook receiver should.
type receiver struct {
	mu      sync.Mutex
	seen    map[string]int
	arrived chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := webhook.Verify(r, secret)
	if err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req webhook.Request
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	time.Sleep(20 * time.Millisecond) // a slow receiver: the kill lands mid-run
	rc.mu.Lock()
	for _, it := range req.Items {
		rc.seen[it.Key]++
	}
	rc.mu.Unlock()
	select {
	case rc.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) counts() (unique, raw int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.seen {
		unique++
		raw += n
	}
	return unique, raw
}

func run(out io.Writer) error {
	dir, err := os.MkdirTemp("", "durable-restart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "playgraph.db")
	rc := &receiver{seen: map[string]int{}, arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, db, srv.URL, "killable")
	cmd.Env = append(os.Environ(), envChild+"=1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// Kill the child once a few batches have arrived.
	for range 3 {
		select {
		case <-rc.arrived:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			return errors.New("the child sent nothing")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	_ = cmd.Wait()
	u, raw := rc.counts()
	fmt.Fprintf(out, "child killed with SIGKILL mid-run: %d actions had arrived (%d deliveries)\n", u, raw)

	// A new process (here: this one) opens the same file and carries on.
	if err := serve(db, srv.URL, false); err != nil {
		return err
	}
	u2, raw2 := rc.counts()
	fmt.Fprintf(out, "restarted on the same file: %d actions in all, each once by key (%d raw deliveries, %d repeats dropped by the receiver)\n", u2, raw2, raw2-u2)
	if u2 != 80 {
		return fmt.Errorf("expected 80 actions, got %d", u2)
	}
	return nil
}

func theGraph() (*graph.Graph, error) {
	return graph.New("Daily high intent").Add(
		node.NewStart("start", "Target accounts", "targets"),
		node.NewYesNo("hot", "High intent?", eval.Filter{Expr: `intent_score >= 50`}),
		node.NewAdAudience("ads", "LinkedIn audience", node.AdAudience{Channel: node.ChannelLinkedIn, Connector: "linkedin", Audience: "high-intent"}),
		node.NewCampaignPush("sep", "SEP sequence", node.CampaignPush{System: node.SystemSEP, Connector: "sep", TargetKind: node.TargetSequence, Target: "follow-up", Scope: node.LevelPeople}),
	).Connect("start", node.PathNext, "hot").Connect("hot", node.PathYes, "ads").Connect("ads", node.PathNext, "sep").Build()
}

// serve opens the file store and serves the daily workflow over three
// simulated days (creating it on first use).
func serve(db, url string, killable bool) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	var conns []connector.Connector
	for _, name := range []string{"linkedin", "sep"} {
		c, err := webhook.New(webhook.Config{Name: name, URL: url, Secret: secret, Limits: connector.Limits{MaxBatch: 4}})
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	reg, err := connector.NewRegistry(conns...)
	if err != nil {
		return err
	}
	src := &audience.MemorySource{}
	for i := range 40 {
		a := &audience.Account{ID: fmt.Sprintf("acct-%02d", i), Domain: fmt.Sprintf("a%02d.example", i), IntentScore: int64(50 + i%2*40)}
		if err := src.Add(a); err != nil {
			return err
		}
		src.SetContacts(a.ID, audience.Contact{ID: a.ID + "-vp", LastName: "Vp", Email: "vp@" + a.Domain})
	}
	var later time.Duration
	if !killable {
		later = 10 * time.Minute // the dead process's run lease (5 minutes) has expired
	}
	clk := playgraph.NewManualClock(start.Add(later), true)
	e, err := playgraph.New(&playgraph.Options{Store: st, Clock: clk, Connectors: reg, BatchSize: 4, LeaseTTL: 5 * time.Minute,
		Segments: playgraph.SegmentMap{"targets": src}})
	if err != nil {
		return err
	}
	rows, err := e.List(ctx, owner, playgraph.ListOptions{})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		g, err := theGraph()
		if err != nil {
			return err
		}
		wf, err := e.Create(ctx, owner, playgraph.WorkflowSpec{Graph: g, Schedule: schedule.Daily("09:00", "America/New_York")})
		if err != nil {
			return err
		}
		if _, err := e.Publish(ctx, owner, wf.ID); err != nil {
			return err
		}
	}
	for day := range 3 {
		clk.Set(start.AddDate(0, 0, day).Add(6*time.Hour + later)) // after 09:00 New York
		reps, _, _, err := e.RunDue(ctx)
		if err != nil {
			return err
		}
		for _, r := range reps {
			if !killable {
				fmt.Printf("  %s  run %s: %s\n", r.Now.Format("2006-01-02 15:04 MST"), r.ID[:8], r.Status)
			}
		}
	}
	return nil
}
