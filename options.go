package playgraph

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

// Clock is the engine's time source. Engine code never reads the wall clock
// directly: runs take their logical "now" from it and retry backoff sleeps on
// it, so tests drive time by hand (see package playtest) or with
// testing/synctest.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx ends, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock returns the wall clock.
func RealClock() Clock { return clock.Real{} }

// Segments resolves a segment id to the Source that serves it.
type Segments interface {
	Source(ctx context.Context, segmentID string) (audience.Source, error)
}

// SegmentMap is a Segments backed by a map; convenient for tests and small
// hosts. It must not be modified while an engine uses it.
type SegmentMap map[string]audience.Source

// Source implements Segments.
func (m SegmentMap) Source(_ context.Context, id string) (audience.Source, error) {
	if s, ok := m[id]; ok && s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: segment %q", ErrSegment, id)
}

// RetryPolicy bounds retries of failed actions.
type RetryPolicy struct {
	// Attempts is how many times one run tries a batch whose items failed
	// transiently (the first try included). Default 3.
	Attempts int
	// Backoff is the wait before the first retry; it doubles each retry up
	// to MaxBackoff, with ±Jitter (a fraction) random spread. Defaults
	// 200ms, 5s and 0.2. A connector's Retry-After, when longer, wins.
	Backoff    time.Duration
	MaxBackoff time.Duration
	Jitter     float64
	// MaxFailures is how many runs an account may fail at one action node
	// before it leaves the flow with the reason recorded. Default 5.
	MaxFailures int
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.Backoff <= 0 {
		p.Backoff = 200 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 5 * time.Second
	}
	if p.Jitter < 0 || p.Jitter > 1 {
		p.Jitter = 0.2
	} else if p.Jitter == 0 {
		p.Jitter = 0.2
	}
	if p.MaxFailures <= 0 {
		p.MaxFailures = 5
	}
	return p
}

// delay is the wait before retry number n (1-based).
func (p RetryPolicy) delay(n int, r *rand.Rand) time.Duration {
	d := p.Backoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	if p.Jitter > 0 && r != nil {
		spread := float64(d) * p.Jitter
		d = time.Duration(float64(d) + (r.Float64()*2-1)*spread)
	}
	return max(d, 0)
}

// Retention bounds what run history keeps.
type Retention struct {
	// Runs is how many runs per workflow are kept (newest). Default 100.
	Runs int
	// MaxAge drops runs that ended longer ago than this; 0 keeps by count
	// only.
	MaxAge time.Duration
	// AuditRows is the most audit rows one run keeps; rows beyond are
	// counted (RunReport.AuditDropped) but not stored. Default 100000.
	AuditRows int
}

func (r Retention) withDefaults() Retention {
	if r.Runs <= 0 {
		r.Runs = 100
	}
	if r.AuditRows <= 0 {
		r.AuditRows = 100_000
	}
	return r
}

// Observer receives engine events for metrics and tracing. Every field is
// optional. Callbacks run on engine goroutines, possibly concurrently, and
// must be fast and safe for concurrent use.
type Observer struct {
	// NodeEntered is called when a batch of accounts enters a node.
	NodeEntered func(ctx context.Context, e NodeEvent)
	// ActionSent is called after each connector call.
	ActionSent func(ctx context.Context, e ActionEvent)
	// RunFinished is called once when a run ends, with its report.
	RunFinished func(ctx context.Context, r RunReport)
}

// NodeEvent reports accounts entering a node.
type NodeEvent struct {
	Workflow string
	Run      string
	Node     string
	Accounts int
}

// ActionEvent reports one connector call.
type ActionEvent struct {
	Workflow  string
	Run       string
	Node      string
	Connector string
	Items     int
	Done      int
	Transient int
	Permanent int
	Duration  time.Duration
	Err       error // a whole-call error, if any
}

// Options configure an Engine. The zero value (or nil) gives an in-memory
// store, the real clock and slog.Default().
type Options struct {
	// Store persists everything; default memstore.New(). For state that
	// survives a restart, open a file store with store/sqlite:
	//
	//	st, err := sqlite.Open(ctx, "/var/lib/myservice/playgraph.db")
	//	e, err := playgraph.New(&playgraph.Options{Store: st, ...})
	Store store.Store
	// Segments resolves segment ids; default: none (runs fail with
	// ErrSegment until set).
	Segments Segments
	// Connectors holds the connectors actions name; default an empty
	// registry.
	Connectors *connector.Registry
	// Catalog lists the fields filters and profiles may use; default
	// audience.DefaultCatalog().
	Catalog *audience.Catalog
	// Profiles holds the mapping profiles save and create actions name, by
	// name.
	Profiles map[string]*connector.MappingProfile
	// MatchRules holds match rules by name.
	MatchRules map[string]*connector.MatchRules
	// Credits is the credit ledger purchase-contacts and create-account
	// actions spend from (application credit.AppAudienceWorkflows); nil
	// means workflows with spending actions cannot be published.
	Credits *credit.Ledger
	// UserType maps a user id to the user type monthly credit limits count
	// against; nil counts every user as type "".
	UserType func(userID string) string
	// Clock is the time source; default the wall clock.
	Clock Clock
	// Logger receives operational logs; default slog.Default().
	Logger *slog.Logger
	// BatchSize is how many accounts move through the graph together and
	// the default connector batch size. Default 1024.
	BatchSize int
	// Concurrency is how many batches are evaluated and dispatched at once.
	// Default runtime.GOMAXPROCS(0) + 1: one batch per core, and one more to
	// keep the cores busy while a batch waits for a connector or the store.
	Concurrency int
	// Retry bounds retries.
	Retry RetryPolicy
	// Retention bounds run history.
	Retention Retention
	// Observer receives events.
	Observer Observer
	// EngineID names this engine as a lease holder; default a random id.
	EngineID string
	// LeaseTTL is how long a run lease lasts between renewals; default 2m.
	// A run renews it before every connector call and every batch it
	// writes, so it must exceed the longest single connector call (its
	// timeout, and any Retry-After a connector may ask for); otherwise a
	// second engine may take the workflow over, and the first run then
	// stops at its next write with the lease lost (its intents stay
	// pending and are sent by whoever runs next).
	LeaseTTL time.Duration
	// Seed seeds retry jitter; 0 picks one at random.
	Seed uint64
	// SchedulerPoll is the longest Serve sleeps before looking for newly
	// published workflows; default one minute.
	SchedulerPoll time.Duration
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.Store == nil {
		out.Store = memstore.New()
	}
	if out.Segments == nil {
		out.Segments = SegmentMap{}
	}
	if out.Connectors == nil {
		out.Connectors, _ = connector.NewRegistry()
	}
	if out.Catalog == nil {
		out.Catalog = audience.DefaultCatalog()
	}
	if out.Clock == nil {
		out.Clock = clock.Real{}
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.BatchSize <= 0 {
		out.BatchSize = 1024
	}
	if out.Concurrency <= 0 {
		out.Concurrency = runtime.GOMAXPROCS(0) + 1
	}
	out.Retry = out.Retry.withDefaults()
	out.Retention = out.Retention.withDefaults()
	if out.SchedulerPoll <= 0 {
		out.SchedulerPoll = time.Minute
	}
	if out.LeaseTTL <= 0 {
		out.LeaseTTL = 2 * time.Minute
	}
	return out
}
