// Command custom-connector plugs a connector of your own into playgraph: a
// few dozen lines that push contacts into a sales sequence by posting JSON
// to an HTTP endpoint. The example starts that endpoint itself, on
// 127.0.0.1, as a stand-in for a real sales engagement platform.
//
// The receiver dedupes on the idempotency key every item carries, which is
// what turns playgraph's at-least-once delivery into exactly-once: its
// first acknowledgement is "lost" (it stores the batch, then answers 503),
// the engine sends the batch again under the same keys, and the receiver
// ignores the repeats. It also refuses contacts without an email address,
// permanently: those accounts leave the flow with the reason recorded and
// are never retried.
//
//	go run ./examples/custom-connector
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
	_ "time/tzdata" // time zones without a system database

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/examples/internal/report"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/gen"
	"github.com/playgraph/playgraph/node"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// ─── The connector ────────────────────────────────────────────────────────

// pushRequest is the body the connector posts.
type pushRequest struct {
	Sequence string     `json:"sequence"`
	Items    []pushItem `json:"items"`
}

type pushItem struct {
	Key     string `json:"key"` // the idempotency key: receivers dedupe on it
	Account string `json:"account"`
	Email   string `json:"email"`
	Name    string `json:"name"`
}

// pushResponse gives each item's outcome.
type pushResponse struct {
	Results []struct {
		Key    string `json:"key"`
		OK     bool   `json:"ok"`
		Reason string `json:"reason,omitempty"`
	} `json:"results"`
}

// sequencer is the user-written connector. Embedding connector.Base gives
// it a name and limits; implementing connector.CampaignPusher is what lets
// a campaign-push action use it (Publish checks the capability).
type sequencer struct {
	connector.Base
	url    string
	client *http.Client
}

var _ connector.CampaignPusher = (*sequencer)(nil)

func newSequencer(name, url string) *sequencer {
	return &sequencer{
		Base:   connector.NewBase(name, connector.Limits{MaxBatch: 10}),
		url:    url,
		client: &http.Client{Timeout: 5 * time.Second},
	}
}

// PushContacts posts one batch. A whole-call failure is returned as an
// error (transient unless wrapped with connector.MarkPermanent): the engine
// retries the batch with backoff, under the same keys. Per-item outcomes
// come back as Results, in item order.
func (s *sequencer) PushContacts(ctx context.Context, sequence string, items []connector.ContactItem) ([]connector.Result, error) {
	req := pushRequest{Sequence: sequence, Items: make([]pushItem, len(items))}
	for i, it := range items {
		req.Items[i] = pushItem{Key: it.Key, Account: it.Account.ID, Email: it.Contact.Email, Name: it.Contact.Name()}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, connector.MarkPermanent(err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, connector.MarkPermanent(err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(hreq)
	if err != nil {
		return nil, err // no answer: transient
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, fmt.Errorf("sequencer: %s", resp.Status) // transient
	}
	if resp.StatusCode != http.StatusOK {
		return nil, connector.MarkPermanent(fmt.Errorf("sequencer: %s", resp.Status))
	}
	var pr pushResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&pr); err != nil {
		return nil, fmt.Errorf("sequencer: bad answer: %w", err)
	}
	byKey := make(map[string]connector.Result, len(pr.Results))
	for _, r := range pr.Results {
		if r.OK {
			byKey[r.Key] = connector.Done()
		} else {
			byKey[r.Key] = connector.Permanent(errors.New(r.Reason))
		}
	}
	out := make([]connector.Result, len(items))
	for i, it := range items {
		r, ok := byKey[it.Key]
		if !ok {
			r = connector.Transient(errors.New("sequencer: item not acknowledged"))
		}
		out[i] = r
	}
	return out, nil
}

// PushAccounts completes connector.CampaignPusher; this sequencer only
// takes people.
func (s *sequencer) PushAccounts(_ context.Context, _ string, items []connector.AccountItem) ([]connector.Result, error) {
	return nil, connector.MarkPermanent(errors.New("sequencer: account-level pushes are not supported"))
}

// ─── The receiver (a stand-in for the sales engagement platform) ──────────

// receiver stores pushed contacts once per idempotency key.
type receiver struct {
	mu         sync.Mutex
	requests   int
	items      int
	duplicates int
	rejected   map[string]bool     // keys refused
	stored     map[string]pushItem // by key
	loseFirst  bool                // lose the first acknowledgement
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req pushRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	var resp pushResponse
	resp.Results = make([]struct {
		Key    string `json:"key"`
		OK     bool   `json:"ok"`
		Reason string `json:"reason,omitempty"`
	}, len(req.Items))
	for i, it := range req.Items {
		rc.items++
		resp.Results[i].Key = it.Key
		switch _, seen := rc.stored[it.Key]; {
		case it.Email == "":
			rc.rejected[it.Key] = true
			resp.Results[i].Reason = "no email address"
		case seen:
			rc.duplicates++ // already have it: acknowledge, change nothing
			resp.Results[i].OK = true
		default:
			rc.stored[it.Key] = it
			resp.Results[i].OK = true
		}
	}
	if rc.loseFirst {
		rc.loseFirst = false
		http.Error(w, "stored, but the acknowledgement is lost", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// ─── The play ─────────────────────────────────────────────────────────────

func run(w io.Writer) error {
	ctx := context.Background()
	admin := playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}

	// Start the receiver on a free local port.
	rc := &receiver{stored: map[string]pushItem{}, rejected: map[string]bool{}, loseFirst: true}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/push"

	// Forty generated accounts, two contacts each; one contact at every
	// seventh account has no email address.
	src := audience.NewMemorySource()
	for i, a := range gen.Accounts(3, 40) {
		if err := src.Add(a); err != nil {
			return err
		}
		cs := gen.Contacts(a, 2)
		if i%7 == 0 {
			cs[1].Email = ""
		}
		src.SetContacts(a.ID, cs...)
	}

	reg, err := connector.NewRegistry(newSequencer("sequencer", url))
	if err != nil {
		return err
	}
	e, err := playgraph.New(&playgraph.Options{
		Clock: playgraph.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), true), Connectors: reg,
		Segments: playgraph.SegmentMap{"seg-high-intent": src},
	})
	if err != nil {
		return err
	}
	g, err := graph.New("High intent to sequence").
		Add(
			node.NewStart("start", "All accounts", "seg-high-intent"),
			node.NewYesNo("intent", "Intent 60 or more?", eval.Filter{Expr: `intent_score >= 60`}),
			node.NewCampaignPush("sequence", "Sales sequence", node.CampaignPush{
				System: node.SystemSEP, Connector: "sequencer", TargetKind: node.TargetSequence,
				Target: "High intent", Scope: node.LevelPeople,
				Persona: audience.Persona{JobLevels: []string{"C-Level", "VP", "Director"}},
			}),
		).
		Connect("start", node.PathNext, "intent").
		Connect("intent", node.PathYes, "sequence").
		Build()
	if err != nil {
		return err
	}
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	if err != nil {
		return err
	}
	if wf, err = e.Publish(ctx, admin, wf.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "Connector %q posts to %s\n\n", "sequencer", url)

	for i := 1; i <= 2; i++ {
		rep, err := e.Run(ctx, admin, wf.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "run %d: %s, %d contact(s) delivered\n", i, rep.Status, rep.Counts["sequence"].Sent)
		for _, re := range rep.Errors {
			fmt.Fprintf(w, "  %s at %s: %s\n", re.Account, re.Node, re.Err)
		}
	}

	rc.mu.Lock()
	fmt.Fprintf(w, "\nThe receiver got %d requests carrying %d items:\n", rc.requests, rc.items)
	fmt.Fprintf(w, "  stored once each     %3d\n", len(rc.stored))
	fmt.Fprintf(w, "  repeats ignored      %3d  (the batch whose acknowledgement was lost, resent under the same keys)\n", rc.duplicates)
	fmt.Fprintf(w, "  refused (no email)   %3d  (permanent: the engine does not retry them)\n", len(rc.rejected))
	rc.mu.Unlock()
	fmt.Fprintln(w)

	counts, err := report.Counts(ctx, e, admin, wf.ID, g)
	if err != nil {
		return err
	}
	report.Write(w, g, counts)
	return nil
}
