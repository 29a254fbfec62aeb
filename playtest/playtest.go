package playtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

// DefaultStart is the instant a Play's clock starts at unless [StartAt]
// says otherwise: Monday 2 March 2026, 09:00 UTC.
var DefaultStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Actor is the user a Play acts as: a primary administrator named
// "playtest".
var Actor = playgraph.Actor{UserID: "playtest", Role: playgraph.RolePrimaryAdmin}

// Play is a published workflow on a test engine: an in-memory store, a
// manual clock, an in-memory segment, fake connectors and a credit pool.
// Make one with [New]. A Play is meant for one test goroutine; its methods
// are not safe for concurrent use.
type Play struct {
	tb    testing.TB
	e     *playgraph.Engine
	st    *memstore.Store
	clk   *playgraph.ManualClock
	led   *credit.Ledger
	g     *graph.Graph
	wf    playgraph.Workflow
	loc   *time.Location
	start time.Time
	src   *audience.MemorySource
	conns map[string]connector.Connector
	ids   map[string]string // node id or label -> node id
	paths map[string]bool   // every output path name of the graph
	// buyers maps the connector of each purchase-contacts node to the
	// personas bought through it (see [Stock]); stocked counts the stock
	// contacts made per account, so repeated Stock options make new ones.
	buyers  map[string][]audience.Persona
	stocked map[string]int
	spent0  int64 // the ledger's Spent (audience workflows) when New returned
}

// Option configures [New].
type Option func(*config)

type config struct {
	zone      string
	sched     schedule.Schedule
	start     time.Time
	reentry   playgraph.ReEntry
	leave     bool
	conns     []connector.Connector
	catalog   *audience.Catalog
	configure []func(*playgraph.Options)
	credits   int64 // the pool New creates (see [Credits])
	profiles  map[string]*connector.MappingProfile
	rules     map[string]*connector.MatchRules
}

// TimeZone sets the workflow's IANA time zone ("Europe/Berlin"): day
// spans, schedules and [Play.Day] count calendar days there. Default UTC.
func TimeZone(name string) Option { return func(c *config) { c.zone = name } }

// Schedule sets when the scheduler runs the workflow; [Play.Advance] runs
// it as a deployment would. Default on demand: only [Play.Run] runs it.
func Schedule(s schedule.Schedule) Option { return func(c *config) { c.sched = s } }

// StartAt sets the instant the clock starts at (day 0). Default
// [DefaultStart].
func StartAt(t time.Time) Option { return func(c *config) { c.start = t } }

// ReEntry sets the workflow's re-entry policy. Default
// playgraph.EnterOnce.
func ReEntry(r playgraph.ReEntry) Option { return func(c *config) { c.reentry = r } }

// LeaveOnSegmentExit makes accounts removed from the segment leave the
// flow at the next run (by default they stay in it).
func LeaveOnSegmentExit() Option { return func(c *config) { c.leave = true } }

// Connectors registers connectors of your own. Each replaces the fake that
// New would make for a connector of the same name; connectors the graph
// does not name are registered too.
func Connectors(cs ...connector.Connector) Option {
	return func(c *config) { c.conns = append(c.conns, cs...) }
}

// Catalog sets the field catalogue (for CRM, MAP or custom attributes the
// graph's filters use). Default audience.DefaultCatalog().
func Catalog(cat *audience.Catalog) Option { return func(c *config) { c.catalog = cat } }

// Configure edits the engine's options before the engine is made: retry
// policy, an observer, a logger, a user type for monthly credit limits,
// mapping profiles and match rules beyond [Profile] and [MatchRules]. The
// store and clock are set by New and cannot be changed; segments and
// connectors should be left alone. A credit ledger of your own
// (Options.Credits) replaces the Play's, pool included: the credit
// assertions then read yours.
func Configure(f func(*playgraph.Options)) Option {
	return func(c *config) { c.configure = append(c.configure, f) }
}

// New returns a Play running g: an engine on a memstore with a manual
// clock at a fixed instant, a fake connector (deduping on idempotency
// keys) for every connector g's actions name, g's start segment served by
// an empty in-memory segment, a credit ledger on the memstore with a pool
// of [DefaultCredits] (see [Credits]), and a mapping profile and match
// rules for every name g's save-contacts and create-account nodes use that
// [Profile] and [MatchRules] do not give. g is created and published as a
// workflow; a problem (an invalid option, a publish error listing every
// problem) fails the test.
//
// Add accounts with [Play.Account], then [Play.Run].
func New(tb testing.TB, g *graph.Graph, opts ...Option) *Play {
	tb.Helper()
	p := &Play{tb: tb}
	if g == nil {
		tb.Fatalf("playtest.New: nil graph")
		return p
	}
	cfg := config{start: DefaultStart, credits: DefaultCredits}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	loc, err := schedule.LoadLocation(cfg.zone)
	if err != nil {
		tb.Fatalf("playtest.New: time zone %q: %v", cfg.zone, err)
		return p
	}
	p.g, p.loc, p.start = g, loc, cfg.start
	p.clk = playgraph.NewManualClock(cfg.start, true)
	p.st = memstore.New()
	p.src = &audience.MemorySource{}
	p.indexGraph()
	p.buyers, p.stocked = purchasers(g), map[string]int{}
	ctx := context.Background()
	led := credit.NewLedger(p.st, credit.Options{})
	if err := createPool(ctx, led, cfg.start, cfg.credits); err != nil {
		tb.Fatalf("playtest.New: credit pool of %d: %v", cfg.credits, err)
		return p
	}
	profiles, rules := recordConfig(g, cfg.profiles, cfg.rules)

	p.conns = map[string]connector.Connector{}
	for _, name := range connectorNames(g) {
		p.conns[name] = fake.New(name, fake.WithDedupe(), fake.WithClock(p.clk.Now))
	}
	for _, c := range cfg.conns {
		if c == nil || c.Name() == "" {
			tb.Fatalf("playtest.New: a connector passed to Connectors is nil or has no name")
			return p
		}
		p.conns[c.Name()] = c
	}
	names := make([]string, 0, len(p.conns))
	for n := range p.conns {
		names = append(names, n)
	}
	slices.Sort(names)
	reg, _ := connector.NewRegistry()
	for _, n := range names {
		if err := reg.Register(p.conns[n]); err != nil {
			tb.Fatalf("playtest.New: register connector %q: %v", n, err)
			return p
		}
	}

	eo := playgraph.Options{
		// Run history keeps every run (unless Configure bounds it), so
		// that Runs, AssertRuns and the credit assertions see them all.
		Retention:  playgraph.Retention{Runs: math.MaxInt32},
		Store:      p.st,
		Segments:   playgraph.SegmentMap{g.Start().Segment: p.src},
		Connectors: reg,
		Catalog:    cfg.catalog,
		Clock:      p.clk,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Seed:       1,
		Credits:    led,
		Profiles:   profiles,
		MatchRules: rules,
	}
	for _, f := range cfg.configure {
		f(&eo)
	}
	eo.Store, eo.Clock = p.st, p.clk
	e, err := playgraph.New(&eo)
	if err != nil {
		tb.Fatalf("playtest.New: engine: %v", err)
		return p
	}
	p.led = eo.Credits
	if p.led != nil {
		if p.spent0, err = ledgerSpent(ctx, p.led); err != nil {
			tb.Fatalf("playtest.New: credits: %v", err)
			return p
		}
	}
	wf, err := e.Create(ctx, Actor, playgraph.WorkflowSpec{
		Graph: g, TimeZone: cfg.zone, ReEntry: cfg.reentry, LeaveOnSegmentExit: cfg.leave, Schedule: cfg.sched,
	})
	if err != nil {
		tb.Fatalf("playtest.New: create workflow %q: %v", g.Name(), err)
		return p
	}
	if wf, err = e.Publish(ctx, Actor, wf.ID); err != nil {
		tb.Fatalf("playtest.New: publish workflow %q: %v", g.Name(), err)
		return p
	}
	p.e, p.wf = e, wf
	return p
}

// connectorNames returns the names of the connectors g's actions use,
// sorted: each action's connector and, for a remove-audience action, its
// ad node's connector.
func connectorNames(g *graph.Graph) []string {
	seen := map[string]bool{}
	for i := range g.Len() {
		a, ok := g.At(i).(*node.Action)
		if !ok || a.Config == nil {
			continue
		}
		name := a.Config.Refs().Connector
		if _, ok := a.Config.(*node.RemoveAudience); ok {
			if _, ad, ok := g.RemovedAdNode(a.ID); ok {
				name = ad.Connector
			}
		}
		if name != "" {
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (p *Play) indexGraph() {
	p.ids, p.paths = map[string]string{}, map[string]bool{}
	for i := range p.g.Len() {
		n := p.g.At(i)
		p.ids[n.NodeLabel()] = n.NodeID()
		for _, out := range p.g.Outputs(i) {
			p.paths[out] = true
		}
	}
	for i := range p.g.Len() { // ids win over labels
		p.ids[p.g.At(i).NodeID()] = p.g.At(i).NodeID()
	}
}

// live reports whether New succeeded; methods of a Play whose New failed
// (under a testing.TB whose Fatalf returns) do nothing.
func (p *Play) live() bool { return p != nil && p.e != nil }

// nodeID resolves a node id or label.
func (p *Play) nodeID(s string) (string, bool) {
	if p == nil || p.ids == nil {
		return "", false
	}
	id, ok := p.ids[s]
	return id, ok
}

// Engine returns the engine, for anything the Play does not wrap.
func (p *Play) Engine() *playgraph.Engine { return p.e }

// Workflow returns the published workflow (its ID names it in engine
// calls, with [Actor]).
func (p *Play) Workflow() playgraph.Workflow { return p.wf }

// Now returns the clock's time.
func (p *Play) Now() time.Time {
	if p == nil || p.clk == nil {
		return time.Time{}
	}
	return p.clk.Now()
}

// Day returns the instant n calendar days after the Play's start, at the
// same local time in the workflow's zone: p.AdvanceTo(p.Day(14)) is "day
// 14" of the play.
func (p *Play) Day(n int) time.Time {
	if p == nil || p.loc == nil {
		return time.Time{}
	}
	return schedule.Span{Days: n}.AddTo(p.start, p.loc)
}

// Connector returns the fake connector New made for name (or the one you
// passed to [Connectors], if it is a *fake.Connector), to read what it
// received: Delivered, Audience, Campaign, Calls. It fails the test for a
// name the Play has no fake for.
func (p *Play) Connector(name string) *fake.Connector {
	p.tb.Helper()
	f, err := p.fake(name)
	if err != nil {
		p.tb.Fatalf("playtest: %v", err)
		return fake.New(name)
	}
	return f
}

func (p *Play) fake(name string) (*fake.Connector, error) {
	c, ok := p.conns[name]
	if !ok {
		return nil, fmt.Errorf("no connector %q (the play has %v)", name, slices.Sorted(mapKeys(p.conns)))
	}
	f, ok := c.(*fake.Connector)
	if !ok {
		return nil, fmt.Errorf("connector %q is a %T, not a *fake.Connector", name, c)
	}
	return f, nil
}

// Where returns where an account stands (see playgraph.Engine.Where); it
// fails the test if the account never entered the workflow.
func (p *Play) Where(accountID string) playgraph.Position {
	p.tb.Helper()
	if !p.live() {
		return playgraph.Position{}
	}
	pos, err := p.e.Where(context.Background(), Actor, p.wf.ID, accountID)
	if err != nil {
		p.tb.Fatalf("playtest: where is %q: %v", accountID, err)
	}
	return pos
}

// Runs returns the workflow's runs, oldest first: every run, unless
// [Configure] changed Options.Retention (then what it keeps).
func (p *Play) Runs() []playgraph.RunReport {
	p.tb.Helper()
	if !p.live() {
		return nil
	}
	rs, err := p.e.Runs(context.Background(), Actor, p.wf.ID, 0)
	if err != nil {
		p.tb.Fatalf("playtest: runs: %v", err)
		return nil
	}
	slices.Reverse(rs)
	return rs
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// errNeverSettles is wrapped in RunUntilIdle's failure message.
var errNeverSettles = errors.New("the play never settles")

// states lists the workflow's account states with the given statuses.
func (p *Play) states(statuses ...store.Status) ([]store.AccountState, error) {
	var out []store.AccountState
	for st, err := range p.st.ScanStates(context.Background(), p.wf.ID, statuses...) {
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (p *Play) describeNode(id string) string {
	if n, ok := p.g.Node(id); ok {
		return fmt.Sprintf("%q [%s]", n.NodeLabel(), id)
	}
	return fmt.Sprintf("[%s]", id)
}
