package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/playgraph/playgraph/connector"
)

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxResponse bounds the response body read.
const maxResponse = 4 << 20

// Config configures a Connector.
type Config struct {
	// Name is the connector's registered name.
	Name string
	// URL is the endpoint requests are posted to (http or https). Put
	// credentials in Header, not in the URL; either way they never appear
	// in errors or logs.
	URL string
	// Secret is the shared HMAC-SHA256 key; required.
	Secret []byte
	// Header holds extra request headers (an Authorization, say). Their
	// values are never logged.
	Header http.Header
	// Client sends the requests; nil means a client that does not follow
	// redirects (a 3xx is then a permanent failure).
	Client *http.Client
	// Timeout bounds each request, response body included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Limits are declared to the engine.
	Limits connector.Limits
	// Environment, when set, makes the connector refuse mapping profiles
	// of the other environment.
	Environment connector.Environment
	// Logger receives one Debug record per request (action, items,
	// status, duration; never secrets, headers or the URL's query); nil
	// logs nothing.
	Logger *slog.Logger
	// Now is the clock for signature timestamps and Retry-After dates;
	// nil means time.Now.
	Now func() time.Time
}

// Connector posts JSON batches to a webhook. Make one with New. It is safe
// for concurrent use.
type Connector struct {
	connector.Base
	url      string
	endpoint string // redacted, for errors and logs
	secret   []byte
	header   http.Header
	client   *http.Client
	timeout  time.Duration
	env      connector.Environment
	log      *slog.Logger
	now      func() time.Time
}

var (
	_ connector.AudienceSyncer = (*Connector)(nil)
	_ connector.EmailEnroller  = (*Connector)(nil)
	_ connector.CampaignPusher = (*Connector)(nil)
	_ connector.RecordWriter   = (*Connector)(nil)
)

// New returns a connector for cfg. The error wraps ErrConfig; it never
// holds the secret or the URL's query.
func New(cfg Config) (*Connector, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("%w: no name", ErrConfig)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: URL must be an absolute http or https URL", ErrConfig)
	}
	if len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("%w: no secret", ErrConfig)
	}
	c := &Connector{
		Base:     connector.NewBase(cfg.Name, cfg.Limits),
		url:      cfg.URL,
		endpoint: redact(u),
		secret:   bytes.Clone(cfg.Secret),
		header:   cfg.Header.Clone(),
		client:   cfg.Client,
		timeout:  cfg.Timeout,
		env:      cfg.Environment,
		log:      cfg.Logger,
		now:      cfg.Now,
	}
	if c.client == nil {
		c.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// redact returns scheme://host/path: no user info, query or fragment.
func redact(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// Endpoint returns the URL without user info, query or fragment.
func (c *Connector) Endpoint() string { return c.endpoint }

// AddToAudience implements connector.AudienceSyncer (action audience.add).
func (c *Connector) AddToAudience(ctx context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	return c.post(ctx, Request{Action: ActionAudienceAdd, Target: aud, Items: accountItems(items)})
}

// RemoveFromAudience implements connector.AudienceSyncer (action
// audience.remove).
func (c *Connector) RemoveFromAudience(ctx context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	return c.post(ctx, Request{Action: ActionAudienceRemove, Target: aud, Items: accountItems(items)})
}

// EnrollEmail implements connector.EmailEnroller (action email.enroll).
func (c *Connector) EnrollEmail(ctx context.Context, campaign string, items []connector.ContactItem) ([]connector.Result, error) {
	return c.post(ctx, Request{Action: ActionEmailEnroll, Target: campaign, Items: contactItems(items)})
}

// PushAccounts implements connector.CampaignPusher (action
// campaign.push_accounts).
func (c *Connector) PushAccounts(ctx context.Context, campaign string, items []connector.AccountItem) ([]connector.Result, error) {
	return c.post(ctx, Request{Action: ActionPushAccounts, Target: campaign, Items: accountItems(items)})
}

// PushContacts implements connector.CampaignPusher (action
// campaign.push_contacts).
func (c *Connector) PushContacts(ctx context.Context, campaign string, items []connector.ContactItem) ([]connector.Result, error) {
	return c.post(ctx, Request{Action: ActionPushContacts, Target: campaign, Items: contactItems(items)})
}

// CheckProfile implements connector.RecordWriter.
func (c *Connector) CheckProfile(p *connector.MappingProfile) error {
	return connector.CheckEnvironment(c.env, p)
}

// WriteRecords implements connector.RecordWriter (action records.write,
// target the profile's name). A profile for the other environment is a
// permanent whole-call error.
func (c *Connector) WriteRecords(ctx context.Context, p *connector.MappingProfile, items []connector.RecordItem) ([]connector.Result, error) {
	if err := c.CheckProfile(p); err != nil {
		return nil, connector.MarkPermanent(err)
	}
	wi := make([]Item, len(items))
	for i, it := range items {
		wi[i] = Item{Key: it.Key, Record: wireRecord(it.Record)}
	}
	return c.post(ctx, Request{
		Action: ActionWriteRecords, Target: p.Name, Items: wi,
		Profile: &Profile{Name: p.Name, Kind: p.Kind.String(), Environment: p.Environment.String(), Fields: p.Targets()},
	})
}

func accountItems(items []connector.AccountItem) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{Key: it.Key, Account: wireAccount(it.Account)}
	}
	return out
}

func contactItems(items []connector.ContactItem) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{Key: it.Key, Account: wireAccount(it.Account), Contact: wireContact(it.Contact)}
	}
	return out
}

// post sends the items that have a key and maps the answer back onto
// every item.
func (c *Connector) post(ctx context.Context, req Request) ([]connector.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]connector.Result, len(req.Items))
	all := req.Items
	var sent []int // indexes of the items sent
	var keys []string
	req.Items = make([]Item, 0, len(all))
	for i, it := range all {
		if it.Key == "" {
			out[i] = connector.Permanent(connector.ErrMissingKey)
			continue
		}
		sent = append(sent, i)
		keys = append(keys, it.Key)
		req.Items = append(req.Items, it)
	}
	if len(sent) == 0 {
		return out, nil
	}
	req.Connector = c.Name()
	body, err := json.Marshal(req)
	if err != nil {
		// An item JSON cannot encode (a NaN value, say) fails alone: one
		// bad record never fails its batch. The rest are sent.
		sent, keys, req.Items = dropUnencodable(all, sent, out)
		if len(sent) == 0 {
			return out, nil
		}
		if body, err = json.Marshal(req); err != nil {
			return nil, connector.MarkPermanent(fmt.Errorf("webhook: encoding request: %w", err))
		}
	}
	results, err := c.send(ctx, req.Action, len(sent), body, BatchKey(keys))
	if err != nil {
		return nil, err
	}
	for _, i := range sent {
		out[i] = results.result(all[i].Key)
	}
	return out, nil
}

// dropUnencodable marks permanently failed, in out, each item of all[sent]
// that JSON cannot encode, and returns the indexes, keys and items of the
// others.
func dropUnencodable(all []Item, sent []int, out []connector.Result) ([]int, []string, []Item) {
	var keep []int
	var keys []string
	var items []Item
	for _, i := range sent {
		if _, err := json.Marshal(all[i]); err != nil {
			out[i] = connector.Permanent(fmt.Errorf("webhook: encoding item %s: %w", all[i].Key, err))
			continue
		}
		keep = append(keep, i)
		keys = append(keys, all[i].Key)
		items = append(items, all[i])
	}
	return keep, keys, items
}

// answer is a parsed 2xx response.
type answer struct {
	all   connector.Result // used when byKey is nil
	byKey map[string]connector.Result
}

func (a answer) result(key string) connector.Result {
	if a.byKey == nil {
		return a.all
	}
	if r, ok := a.byKey[key]; ok {
		return r
	}
	return connector.Transient(fmt.Errorf("%w: key %q", ErrNotAcknowledged, key))
}

func (c *Connector) send(ctx context.Context, action string, n int, body []byte, batchKey string) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return answer{}, connector.MarkPermanent(fmt.Errorf("webhook %s: building request", c.endpoint))
	}
	for k, vs := range c.header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "playgraph-webhook/1")
	hreq.Header.Set(HeaderAction, action)
	hreq.Header.Set(HeaderIdempotencyKey, batchKey)
	hreq.Header.Set(HeaderSignature, Sign(c.secret, body, c.now()))

	start := time.Now()
	resp, err := c.client.Do(hreq)
	if err != nil {
		cause := err
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err // url.Error's text holds the full URL
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "webhook request failed", slog.String("connector", c.Name()),
			slog.String("endpoint", c.endpoint), slog.String("action", action), slog.Int("items", n),
			slog.Duration("duration", time.Since(start)), slog.String("error", cause.Error()))
		return answer{}, fmt.Errorf("webhook %s: %s: %w", c.endpoint, action, cause)
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse)) // let the connection be reused
	c.log.LogAttrs(ctx, slog.LevelDebug, "webhook request", slog.String("connector", c.Name()),
		slog.String("endpoint", c.endpoint), slog.String("action", action), slog.Int("items", n),
		slog.Int("status", resp.StatusCode), slog.Duration("duration", time.Since(start)))

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Code: resp.StatusCode, Endpoint: c.endpoint, Body: snippet(data)}
		if se.Transient() {
			return answer{}, connector.WithRetryAfter(se, c.retryAfter(resp.Header.Get("Retry-After")))
		}
		return answer{}, connector.MarkPermanent(se)
	}
	if rerr != nil {
		return answer{all: connector.Transient(fmt.Errorf("%w: %s: reading body: %w", ErrBadResponse, c.endpoint, rerr))}, nil
	}
	return parseAnswer(data), nil
}

// parseAnswer reads a 2xx body (see Response).
func parseAnswer(data []byte) answer {
	if len(bytes.TrimSpace(data)) == 0 {
		return answer{all: connector.Done()}
	}
	var raw struct {
		Results *[]ItemResult `json:"results"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return answer{all: connector.Transient(fmt.Errorf("%w: %v", ErrBadResponse, err))}
	}
	if raw.Results == nil {
		return answer{all: connector.Done()}
	}
	a := answer{byKey: make(map[string]connector.Result, len(*raw.Results))}
	for _, r := range *raw.Results {
		a.byKey[r.Key] = itemResult(r)
	}
	return a
}

func itemResult(r ItemResult) connector.Result {
	msg := r.Error
	if msg == "" {
		msg = "no reason given"
	}
	switch strings.ToLower(r.Status) {
	case StatusDone:
		return connector.DoneID(r.ID)
	case StatusPermanent:
		return connector.Permanent(fmt.Errorf("%w: %s", ErrRejected, msg))
	case StatusTransient:
		return connector.TransientAfter(fmt.Errorf("%w: %s", ErrRejected, msg), seconds(r.RetryAfter))
	}
	return connector.Transient(fmt.Errorf("%w: unknown status %q for key %q", ErrBadResponse, r.Status, r.Key))
}

func seconds(s float64) time.Duration {
	if s <= 0 || s > 1e6 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func (c *Connector) retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		return seconds(float64(n))
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(c.now()); d > 0 {
			return d
		}
	}
	return 0
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 256 {
		s = s[:256] + "…"
	}
	return s
}
