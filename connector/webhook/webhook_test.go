package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	ctx    = context.Background()
	secret = []byte("s3cr3t-hmac-key")
)

// receiver is a test endpoint: it verifies every request and answers
// with respond.
type receiver struct {
	t       *testing.T
	mu      sync.Mutex
	reqs    []webhook.Request
	headers []http.Header
	respond func(w http.ResponseWriter, req webhook.Request)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := webhook.Verify(r, secret)
	if err != nil {
		rc.t.Errorf("receiver: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req webhook.Request
	if err := json.Unmarshal(body, &req); err != nil {
		rc.t.Errorf("receiver: %v", err)
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	keys := make([]string, len(req.Items))
	for i, it := range req.Items {
		keys[i] = it.Key
	}
	if got, want := r.Header.Get(webhook.HeaderIdempotencyKey), webhook.BatchKey(keys); got != want {
		rc.t.Errorf("Idempotency-Key %q, want %q", got, want)
	}
	if r.Header.Get(webhook.HeaderAction) != req.Action {
		rc.t.Errorf("action header %q vs %q", r.Header.Get(webhook.HeaderAction), req.Action)
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, req)
	rc.headers = append(rc.headers, r.Header.Clone())
	rc.mu.Unlock()
	if rc.respond != nil {
		rc.respond(w, req)
	}
}

func serve(t *testing.T, respond func(http.ResponseWriter, webhook.Request)) (*receiver, *httptest.Server) {
	rc := &receiver{t: t, respond: respond}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func newConn(t *testing.T, url string, mod ...func(*webhook.Config)) *webhook.Connector {
	t.Helper()
	cfg := webhook.Config{Name: "hooks", URL: url, Secret: secret, Timeout: 2 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func accounts(ids ...string) []connector.AccountItem {
	out := make([]connector.AccountItem, len(ids))
	for i, id := range ids {
		out[i] = connector.AccountItem{Key: "wf/n1/" + id + "/1", Account: &audience.Account{ID: id, Name: "Co " + id, Domain: id + ".com", BuyingStage: audience.StageDecision}}
	}
	return out
}

func TestPostAllDone(t *testing.T) {
	rc, srv := serve(t, nil) // 200, empty body
	c := newConn(t, srv.URL+"/hook")
	for _, cp := range []connector.Capability{connector.CapAudienceSync, connector.CapEmail, connector.CapCampaignPush, connector.CapRecordWrite} {
		if !connector.Has(c, cp) {
			t.Errorf("missing %s", cp)
		}
	}
	items := accounts("a", "b")
	items = append(items, connector.AccountItem{Account: &audience.Account{ID: "nokey"}})
	rs, err := c.AddToAudience(ctx, "aud-1", items)
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].OK() || !rs[1].OK() || rs[2].Status != connector.StatusPermanent || !errors.Is(rs[2].Err, connector.ErrMissingKey) {
		t.Errorf("%+v", rs)
	}
	if len(rc.reqs) != 1 {
		t.Fatalf("requests %d", len(rc.reqs))
	}
	req := rc.reqs[0]
	if req.Action != webhook.ActionAudienceAdd || req.Target != "aud-1" || req.Connector != "hooks" || len(req.Items) != 2 {
		t.Errorf("%+v", req)
	}
	if a := req.Items[1].Account; a == nil || a.ID != "b" || a.Domain != "b.com" || a.BuyingStage != "Decision" || req.Items[1].Key != "wf/n1/b/1" {
		t.Errorf("item %+v", req.Items[1])
	}
	// Every other action.
	contact := []connector.ContactItem{{Key: "wf/n2/a/1/c1", Account: items[0].Account, Contact: &audience.Contact{ID: "c1", Email: "c1@a.com"}}}
	if _, err := c.RemoveFromAudience(ctx, "aud-1", items[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnrollEmail(ctx, "ce-1", contact); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushAccounts(ctx, "camp", items[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushContacts(ctx, "seq-9", contact); err != nil {
		t.Fatal(err)
	}
	p := &connector.MappingProfile{Name: "leads", Kind: connector.KindLead, Environment: connector.Production}
	rec := connector.NewRecord("", connector.KindLead, map[string]any{"Email": "x@a.com", "Employees": int64(5), "Since": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "Stage": audience.StageAwareness, "Missing": nil})
	if _, err := c.WriteRecords(ctx, p, []connector.RecordItem{{Key: "r1", Record: rec}}); err != nil {
		t.Fatal(err)
	}
	wantActions := []string{webhook.ActionAudienceAdd, webhook.ActionAudienceRemove, webhook.ActionEmailEnroll, webhook.ActionPushAccounts, webhook.ActionPushContacts, webhook.ActionWriteRecords}
	for i, a := range wantActions {
		if rc.reqs[i].Action != a {
			t.Errorf("request %d action %q, want %q", i, rc.reqs[i].Action, a)
		}
	}
	if c := rc.reqs[2].Items[0].Contact; c == nil || c.Email != "c1@a.com" || rc.reqs[2].Items[0].Account == nil {
		t.Errorf("contact item %+v", rc.reqs[2].Items[0])
	}
	w := rc.reqs[5]
	if w.Profile == nil || w.Profile.Kind != "lead" || w.Profile.Environment != "production" || w.Target != "leads" {
		t.Errorf("profile %+v", w.Profile)
	}
	f := w.Items[0].Record.Fields
	if f["Email"] != "x@a.com" || f["Employees"] != float64(5) || f["Since"] != "2026-01-02T03:04:05Z" || f["Stage"] != "Awareness" || f["Missing"] != nil {
		t.Errorf("record fields %#v", f)
	}
	// Only keyless items: nothing sent.
	n := len(rc.reqs)
	if rs, err := c.PushAccounts(ctx, "camp", []connector.AccountItem{{}}); err != nil || rs[0].Status != connector.StatusPermanent || len(rc.reqs) != n {
		t.Errorf("keyless: %+v %v", rs, err)
	}
	// A JSON body without results: all done.
	_, srv2 := serve(t, func(w http.ResponseWriter, _ webhook.Request) { io.WriteString(w, `{"ok":true}`) })
	if rs, err := newConn(t, srv2.URL).PushAccounts(ctx, "c", accounts("a")); err != nil || !rs[0].OK() {
		t.Errorf("%+v %v", rs, err)
	}
}

func TestPartialAnswer(t *testing.T) {
	_, srv := serve(t, func(w http.ResponseWriter, req webhook.Request) {
		var resp webhook.Response
		for _, it := range req.Items {
			switch {
			case strings.Contains(it.Key, "/ok/"):
				resp.Results = append(resp.Results, webhook.ItemResult{Key: it.Key, Status: "done", ID: "ext-1"})
			case strings.Contains(it.Key, "/bad/"):
				resp.Results = append(resp.Results, webhook.ItemResult{Key: it.Key, Status: "permanent", Error: "unknown domain"})
			case strings.Contains(it.Key, "/later/"):
				resp.Results = append(resp.Results, webhook.ItemResult{Key: it.Key, Status: "transient", Error: "locked", RetryAfter: 2.5})
			case strings.Contains(it.Key, "/odd/"):
				resp.Results = append(resp.Results, webhook.ItemResult{Key: it.Key, Status: "maybe"})
			}
			// "/lost/" gets no result.
		}
		json.NewEncoder(w).Encode(resp)
	})
	c := newConn(t, srv.URL)
	rs, err := c.PushAccounts(ctx, "camp", accounts("ok", "bad", "later", "lost", "odd"))
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].OK() || rs[0].ID != "ext-1" {
		t.Errorf("ok: %+v", rs[0])
	}
	if rs[1].Status != connector.StatusPermanent || !errors.Is(rs[1].Err, webhook.ErrRejected) || !strings.Contains(rs[1].Err.Error(), "unknown domain") {
		t.Errorf("bad: %+v", rs[1])
	}
	if rs[2].Status != connector.StatusTransient || rs[2].RetryAfter != 2500*time.Millisecond {
		t.Errorf("later: %+v", rs[2])
	}
	if rs[3].Status != connector.StatusTransient || !errors.Is(rs[3].Err, webhook.ErrNotAcknowledged) {
		t.Errorf("lost: %+v", rs[3])
	}
	if rs[4].Status != connector.StatusTransient || !errors.Is(rs[4].Err, webhook.ErrBadResponse) {
		t.Errorf("odd: %+v", rs[4])
	}
	// Not JSON: every item transient.
	_, srv2 := serve(t, func(w http.ResponseWriter, _ webhook.Request) { io.WriteString(w, "<html>ok</html>") })
	rs, err = newConn(t, srv2.URL).PushAccounts(ctx, "camp", accounts("a", "b"))
	if err != nil || rs[0].Status != connector.StatusTransient || !errors.Is(rs[1].Err, webhook.ErrBadResponse) {
		t.Errorf("not json: %+v %v", rs, err)
	}
}

func TestStatusCodes(t *testing.T) {
	now := time.Now().Truncate(time.Second) // a fixed clock the receiver's Verify still accepts
	tests := []struct {
		name       string
		code       int
		retryAfter string
		want       connector.Status
		wantAfter  time.Duration
	}{
		{"throttled, seconds", 429, "7", connector.StatusTransient, 7 * time.Second},
		{"throttled, http date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), connector.StatusTransient, 90 * time.Second},
		{"throttled, date in the past", 429, now.Add(-time.Hour).Format(http.TimeFormat), connector.StatusTransient, 0},
		{"throttled, garbage", 429, "soon", connector.StatusTransient, 0},
		{"unavailable", 503, "120", connector.StatusTransient, 2 * time.Minute},
		{"server error", 500, "", connector.StatusTransient, 0},
		{"request timeout", 408, "", connector.StatusTransient, 0},
		{"bad request", 400, "", connector.StatusPermanent, 0},
		{"unauthorised", 401, "", connector.StatusPermanent, 0},
		{"not found", 404, "", connector.StatusPermanent, 0},
		{"unprocessable", 422, "", connector.StatusPermanent, 0},
		{"redirect not followed", 302, "", connector.StatusPermanent, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := serve(t, func(w http.ResponseWriter, _ webhook.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.code == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.code)
				io.WriteString(w, "nope")
			})
			c := newConn(t, srv.URL, func(cfg *webhook.Config) { cfg.Now = func() time.Time { return now } })
			rs, err := c.AddToAudience(ctx, "aud", accounts("a", "b"))
			if err == nil {
				t.Fatalf("no error, results %+v", rs)
			}
			var se *webhook.StatusError
			if !errors.As(err, &se) || se.Code != tt.code || se.Body != "nope" {
				t.Errorf("error %v", err)
			}
			for _, r := range connector.Resolve(2, rs, err) {
				if r.Status != tt.want || r.RetryAfter != tt.wantAfter {
					t.Errorf("result %+v, want %s after %s", r, tt.want, tt.wantAfter)
				}
			}
		})
	}
}

func TestTimeoutAndRefused(t *testing.T) {
	release := make(chan struct{})
	_, srv := serve(t, func(w http.ResponseWriter, _ webhook.Request) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	defer close(release)
	c := newConn(t, srv.URL, func(cfg *webhook.Config) { cfg.Timeout = 50 * time.Millisecond })
	start := time.Now()
	rs, err := c.AddToAudience(ctx, "aud", accounts("a"))
	if err == nil || errors.Is(err, connector.ErrPermanent) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %s", d)
	}
	if r := connector.Resolve(1, rs, err); r[0].Status != connector.StatusTransient {
		t.Errorf("%+v", r)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	_, err = newConn(t, url).AddToAudience(ctx, "aud", accounts("a"))
	if err == nil || errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("refused: %v", err)
	}
	// The caller's context is honoured too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.AddToAudience(cctx, "aud", accounts("a")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	const token, auth, user = "TOKEN-QUERY-VALUE", "Bearer AUTH-HEADER-VALUE", "USERINFO-VALUE"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mod := func(cfg *webhook.Config) {
		cfg.Logger = logger
		cfg.Header = http.Header{"Authorization": {auth}}
		cfg.Timeout = 50 * time.Millisecond
	}
	var errs []error
	check := func(url string) {
		c := newConn(t, url, mod)
		_, err := c.PushAccounts(ctx, "camp", accounts("a"))
		errs = append(errs, err)
	}
	withSecrets := func(base string) string {
		return strings.Replace(base, "http://", "http://"+user+":pw@", 1) + "/hook?token=" + token
	}
	// 500, 400, a timeout, and a refused connection.
	for _, code := range []int{500, 400} {
		_, srv := serve(t, func(w http.ResponseWriter, _ webhook.Request) { w.WriteHeader(code) })
		check(withSecrets(srv.URL))
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // a handler that read its body sees the client go away
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer slow.Close()
	check(withSecrets(slow.URL))
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	check(withSecrets(deadURL))
	_, err := webhook.New(webhook.Config{Name: "x", URL: "ftp://" + user + "@h/?token=" + token, Secret: secret})
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		s := fmt.Sprintf("%v %+v %#v", err, err, err)
		for _, secretText := range []string{token, auth, user, string(secret), "AUTH-HEADER"} {
			if strings.Contains(s, secretText) {
				t.Errorf("error %d leaks %q: %s", i, secretText, s)
			}
		}
	}
	if logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for _, secretText := range []string{token, user, string(secret), "AUTH-HEADER"} {
		if strings.Contains(logs.String(), secretText) {
			t.Errorf("logs leak %q:\n%s", secretText, logs.String())
		}
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"action":"audience.add"}`)
	now := time.Now()
	good := webhook.Sign(secret, body, now)
	if err := webhook.VerifyBody(good, body, secret, now, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		header string
		body   []byte
		secret []byte
		at     time.Time
	}{
		{"wrong secret", good, body, []byte("other"), now},
		{"tampered body", good, []byte(`{"action":"audience.remove"}`), secret, now},
		{"stale", good, body, secret, now.Add(10 * time.Minute)},
		{"future", good, body, secret, now.Add(-10 * time.Minute)},
		{"missing", "", body, secret, now},
		{"malformed", "t=abc,v1=zz", body, secret, now},
		{"no mac", "t=123", body, secret, now},
	}
	for _, tt := range tests {
		if err := webhook.VerifyBody(tt.header, tt.body, tt.secret, tt.at, time.Minute); !errors.Is(err, webhook.ErrSignature) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	// Verify on a request restores the body.
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set(webhook.HeaderSignature, good)
	got, err := webhook.Verify(r, secret)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatal(err)
	}
	again, _ := io.ReadAll(r.Body)
	if !bytes.Equal(again, body) {
		t.Error("body not restored")
	}
	r = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if _, err := webhook.Verify(r, secret); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("unsigned request: %v", err)
	}
	// The batch key ignores order.
	if webhook.BatchKey([]string{"a", "b"}) != webhook.BatchKey([]string{"b", "a"}) || webhook.BatchKey([]string{"a", "b"}) == webhook.BatchKey([]string{"ab"}) {
		t.Error("BatchKey")
	}
}

func TestConfigAndProfile(t *testing.T) {
	for _, cfg := range []webhook.Config{
		{URL: "http://h", Secret: secret},
		{Name: "x", URL: "not a url", Secret: secret},
		{Name: "x", URL: "/relative", Secret: secret},
		{Name: "x", URL: "http://h"},
	} {
		if _, err := webhook.New(cfg); !errors.Is(err, webhook.ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	_, srv := serve(t, nil)
	c := newConn(t, srv.URL, func(cfg *webhook.Config) { cfg.Environment = connector.Sandbox })
	if c.Endpoint() != srv.URL {
		t.Errorf("Endpoint %q", c.Endpoint())
	}
	p := &connector.MappingProfile{Name: "p", Kind: connector.KindAccount, Environment: connector.Production}
	if err := c.CheckProfile(p); !errors.Is(err, connector.ErrEnvironment) {
		t.Error(err)
	}
	if _, err := c.WriteRecords(ctx, p, nil); !errors.Is(err, connector.ErrPermanent) || !errors.Is(err, connector.ErrEnvironment) {
		t.Error(err)
	}
}

// TestRetryDeliversOnce shows the contract end to end: a throttled batch
// is resent under the same keys and batch key, and a deduping receiver
// acts on each item once.
func TestRetryDeliversOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	calls := 0
	rc, srv := serve(t, func(w http.ResponseWriter, req webhook.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		for _, it := range req.Items {
			seen[it.Key]++
		}
	})
	c := newConn(t, srv.URL)
	items := accounts("a", "b", "c")
	for attempt := 0; attempt < 3; attempt++ {
		rs, err := c.AddToAudience(ctx, "aud", items)
		res := connector.Resolve(len(items), rs, err)
		if res[0].OK() {
			break
		}
		if res[0].RetryAfter != time.Second {
			t.Fatalf("%+v", res[0])
		}
	}
	if len(seen) != 3 || rc.headers[0].Get(webhook.HeaderIdempotencyKey) != rc.headers[1].Get(webhook.HeaderIdempotencyKey) {
		t.Errorf("seen %v", seen)
	}
}

// FuzzVerifyBody: verification never panics and accepts only the
// signature made for the body.
func FuzzVerifyBody(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add(webhook.Sign(secret, []byte("{}"), now), []byte("{}"))
	f.Add("t=1,v1=00", []byte("x"))
	f.Add(",,=,", []byte(nil))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := webhook.VerifyBody(header, body, secret, now, time.Minute)
		if err == nil && header != webhook.Sign(secret, body, now) && !strings.Contains(header, ",") {
			t.Errorf("accepted %q for %q", header, body)
		}
	})
}

// An item JSON cannot encode (a NaN revenue) fails alone, permanently; the
// rest of its batch is sent in one request. The whole call failed before.
func TestUnencodableItemFailsAlone(t *testing.T) {
	rc, srv := serve(t, nil)
	c := newConn(t, srv.URL)
	items := accounts("a", "bad", "c")
	items[1].Account.Revenue = math.NaN()
	rs, err := c.AddToAudience(ctx, "aud-1", items)
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].OK() || !rs[2].OK() {
		t.Errorf("healthy items: %+v, %+v", rs[0], rs[2])
	}
	if rs[1].Status != connector.StatusPermanent || rs[1].Err == nil || !strings.Contains(rs[1].Err.Error(), "encoding item") {
		t.Errorf("bad item: %+v", rs[1])
	}
	if len(rc.reqs) != 1 || len(rc.reqs[0].Items) != 2 || rc.reqs[0].Items[0].Key != items[0].Key || rc.reqs[0].Items[1].Key != items[2].Key {
		t.Fatalf("requests: %+v", rc.reqs)
	}
	// Every item bad: nothing is sent, no error for the call.
	rs, err = c.AddToAudience(ctx, "aud-1", items[1:2])
	if err != nil || len(rs) != 1 || rs[0].Status != connector.StatusPermanent {
		t.Errorf("all bad: %+v, %v", rs, err)
	}
	if len(rc.reqs) != 1 {
		t.Errorf("requests %d, want still 1", len(rc.reqs))
	}
}
