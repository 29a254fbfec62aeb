package playgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
)

// Engine runs audience workflows. Make one with New; it is safe for
// concurrent use by many goroutines. Several engines may share one store:
// run leases keep them from running one workflow at once.
type Engine struct {
	o  Options
	st store.Store

	mu    sync.Mutex
	plans map[planKey]*plan

	rngMu sync.Mutex
	rng   *rand.Rand
}

type planKey struct {
	workflow string
	version  int
}

// New returns an engine. A nil opts gives the defaults (see Options).
func New(opts *Options) (*Engine, error) {
	o := opts.withDefaults()
	if o.EngineID == "" {
		o.EngineID = "engine-" + uuid.NewString()
	}
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &Engine{o: o, st: o.Store, plans: map[planKey]*plan{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}, nil
}

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.st }

// ReEntry says whether an account may enter a workflow more than once.
type ReEntry uint8

// Re-entry policies.
const (
	// EnterOnce: an account enters the workflow at most once, across
	// versions (the default).
	EnterOnce ReEntry = iota
	// EnterAgainAfterExit: an account that left the flow enters again (with
	// a new entry number, hence new idempotency keys) when a later run finds
	// it in the segment.
	EnterAgainAfterExit
)

// WorkflowSpec describes a workflow to create.
type WorkflowSpec struct {
	// Name is the workflow's display name; default the graph's name.
	Name string
	// Graph is the first version's graph. Required.
	Graph *graph.Graph
	// TimeZone is an IANA zone name for day spans and schedules; "" is UTC.
	TimeZone string
	// ReEntry is the re-entry policy; default EnterOnce.
	ReEntry ReEntry
	// LeaveOnSegmentExit makes an account that left the segment leave the
	// flow at the next run; by default it stays in the flow.
	LeaveOnSegmentExit bool
	// Schedule says when Serve runs the workflow; the zero value is on
	// demand (only Run runs it). A schedule without a zone takes the
	// workflow's TimeZone.
	Schedule schedule.Schedule
}

type wfOptions struct {
	ReEntry            ReEntry `json:"reentry"`
	LeaveOnSegmentExit bool    `json:"leave_on_segment_exit,omitempty"`
}

// Workflow is a workflow as the engine reports it.
type Workflow struct {
	ID        string
	Name      string
	Owner     string
	Segment   string
	TimeZone  string
	Status    store.WorkflowStatus
	Published int // published version number, 0 if none
	Draft     int // draft version number, 0 if none
	ReEntry   ReEntry
	// LeaveOnSegmentExit: see WorkflowSpec.
	LeaveOnSegmentExit bool
	// Schedule is when Serve runs the workflow.
	Schedule schedule.Schedule
	// PublishedAt is when the workflow was last published.
	PublishedAt time.Time
	Reason      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastRun     string
}

func workflowFrom(w store.Workflow) Workflow {
	var o wfOptions
	_ = json.Unmarshal(w.Options, &o) // written by this package; zero on absence
	return Workflow{
		ID: w.ID, Name: w.Name, Owner: w.Owner, Segment: w.Segment, TimeZone: w.TimeZone,
		Status: w.Status, Published: w.Published, Draft: w.Draft, ReEntry: o.ReEntry,
		LeaveOnSegmentExit: o.LeaveOnSegmentExit, Reason: w.Reason,
		Schedule: scheduleOf(w).Spec, PublishedAt: scheduleOf(w).PublishedAt,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, LastRun: w.LastRun,
	}
}

// Create stores a new workflow as a draft (version 1) owned by the actor.
func (e *Engine) Create(ctx context.Context, actor Actor, spec WorkflowSpec) (Workflow, error) {
	if err := actor.require(PermEdit, "create a workflow"); err != nil {
		return Workflow{}, err
	}
	if spec.Graph == nil {
		return Workflow{}, fmt.Errorf("%w: workflow spec has no graph", ErrInvalid)
	}
	if _, err := loadLocation(spec.TimeZone); err != nil {
		return Workflow{}, err
	}
	if spec.ReEntry > EnterAgainAfterExit {
		return Workflow{}, fmt.Errorf("%w: re-entry policy %d", ErrInvalid, spec.ReEntry)
	}
	gj, err := json.Marshal(spec.Graph)
	if err != nil {
		return Workflow{}, fmt.Errorf("playgraph: encode graph: %w", err)
	}
	opts, _ := json.Marshal(wfOptions{ReEntry: spec.ReEntry, LeaveOnSegmentExit: spec.LeaveOnSegmentExit})
	sched := spec.Schedule
	if sched.Kind == "" {
		sched = schedule.OnDemand()
	}
	if sched.Zone == "" {
		sched.Zone = spec.TimeZone
	}
	if err := sched.Validate(); err != nil {
		return Workflow{}, fmt.Errorf("%w: schedule: %w", ErrInvalid, err)
	}
	sj, _ := json.Marshal(scheduleState{Spec: sched})
	now := e.o.Clock.Now()
	name := strings.TrimSpace(spec.Name)
	if name == "" {
		name = spec.Graph.Name()
	}
	w := store.Workflow{
		ID: uuid.NewString(), Name: name, Owner: actor.UserID, Segment: spec.Graph.Start().Segment,
		TimeZone: spec.TimeZone, Status: store.WorkflowDraft, Draft: 1, Options: opts, Schedule: sj,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := e.st.PutVersion(ctx, store.Version{Workflow: w.ID, Number: 1, Graph: gj, CreatedAt: now, CreatedBy: actor.UserID}); err != nil {
		return Workflow{}, err
	}
	rev, err := e.st.PutWorkflow(ctx, w, 0)
	if err != nil {
		return Workflow{}, err
	}
	w.Revision = rev
	return workflowFrom(w), nil
}

// Workflow returns a workflow by id. Any valid role may read.
func (e *Engine) Workflow(ctx context.Context, actor Actor, id string) (Workflow, error) {
	if err := actor.require(PermRead, "read a workflow"); err != nil {
		return Workflow{}, err
	}
	w, err := e.getWorkflow(ctx, id)
	if err != nil {
		return Workflow{}, err
	}
	return workflowFrom(w), nil
}

func (e *Engine) getWorkflow(ctx context.Context, id string) (store.Workflow, error) {
	if id == "" {
		return store.Workflow{}, fmt.Errorf("%w: empty workflow id", ErrInvalid)
	}
	w, err := e.st.GetWorkflow(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Workflow{}, fmt.Errorf("%w: workflow %q", ErrNotFound, id)
	}
	return w, err
}

// Graph returns a version of a workflow's graph.
func (e *Engine) Graph(ctx context.Context, actor Actor, workflowID string, version int) (*graph.Graph, error) {
	if err := actor.require(PermRead, "read a workflow"); err != nil {
		return nil, err
	}
	return e.loadGraph(ctx, workflowID, version)
}

func (e *Engine) loadGraph(ctx context.Context, workflowID string, version int) (*graph.Graph, error) {
	v, err := e.st.GetVersion(ctx, workflowID, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: workflow %q version %d", ErrNotFound, workflowID, version)
	}
	if err != nil {
		return nil, err
	}
	return graph.Unmarshal(v.Graph, graph.WithCatalog(e.o.Catalog))
}

// Problem is one reason a workflow cannot be published: from the graph's
// structural validation (Rule as package graph names it) or from the
// environment (Rule "connector-registered", "connector-capability",
// "mapping-profile", "match-rules", "credits", "store-capability",
// "remove-audience").
type Problem struct {
	Node    string
	Rule    string
	Message string
}

func (p Problem) String() string {
	if p.Node == "" {
		return p.Rule + ": " + p.Message
	}
	return fmt.Sprintf("node %s: %s: %s", p.Node, p.Rule, p.Message)
}

// PublishError lists every problem found publishing a workflow. It matches
// ErrValidation; the graph's own *graph.ValidationError, when there was one,
// is reachable with errors.As.
type PublishError struct {
	Workflow string
	Problems []Problem
	graphErr error
}

func (e *PublishError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "playgraph: cannot publish workflow %s: %d problem(s)", e.Workflow, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns ErrValidation and the graph's validation error, if any.
func (e *PublishError) Unwrap() []error {
	if e.graphErr != nil {
		return []error{ErrValidation, e.graphErr}
	}
	return []error{ErrValidation}
}

// checkEnvironment reports what the graph needs from the environment and
// does not find.
func (e *Engine) checkEnvironment(g *graph.Graph) []Problem {
	var ps []Problem
	for i := range g.Len() {
		a, ok := g.At(i).(*node.Action)
		if !ok {
			continue
		}
		id := a.ID
		switch a.Config.(type) {
		case *node.PurchaseContacts, *node.SaveContacts:
			if _, ok := e.st.(store.PurchasedStore); !ok {
				ps = append(ps, Problem{Node: id, Rule: "store-capability", Message: "the store does not keep purchased contacts (store.PurchasedStore)"})
			}
		}
		refs := a.Config.Refs()
		caps := a.Config.Capabilities()
		if rm, ok := a.Config.(*node.RemoveAudience); ok {
			if _, ad, ok := g.RemovedAdNode(id); ok {
				refs.Connector = ad.Connector
			} else {
				ps = append(ps, Problem{Node: id, Rule: "remove-audience", Message: fmt.Sprintf("ad node %q not found", rm.AdNode)})
				continue
			}
		}
		if refs.Connector != "" {
			ccaps := make([]connector.Capability, 0, len(caps))
			for _, c := range caps {
				cc, err := connector.ParseCapability(string(c))
				if err != nil {
					ps = append(ps, Problem{Node: id, Rule: "connector-capability", Message: err.Error()})
					continue
				}
				ccaps = append(ccaps, cc)
			}
			if err := e.o.Connectors.Require(refs.Connector, ccaps...); err != nil {
				rule := "connector-capability"
				if errors.Is(err, connector.ErrNotRegistered) {
					rule = "connector-registered"
				}
				ps = append(ps, Problem{Node: id, Rule: rule, Message: err.Error()})
			}
		}
		if refs.MappingProfile != "" {
			p, ok := e.o.Profiles[refs.MappingProfile]
			switch {
			case !ok || p == nil:
				ps = append(ps, Problem{Node: id, Rule: "mapping-profile", Message: fmt.Sprintf("mapping profile %q is not configured", refs.MappingProfile)})
			default:
				if err := p.Validate(e.o.Catalog); err != nil {
					ps = append(ps, Problem{Node: id, Rule: "mapping-profile", Message: err.Error()})
				}
				if c, err := e.o.Connectors.Get(refs.Connector); err == nil {
					if w, ok := c.(connector.RecordWriter); ok {
						if err := w.CheckProfile(p); err != nil {
							ps = append(ps, Problem{Node: id, Rule: "mapping-profile", Message: err.Error()})
						}
					}
				}
			}
		}
		if refs.MatchRules != "" {
			r, ok := e.o.MatchRules[refs.MatchRules]
			switch {
			case !ok || r == nil:
				ps = append(ps, Problem{Node: id, Rule: "match-rules", Message: fmt.Sprintf("match rules %q are not configured", refs.MatchRules)})
			default:
				if _, err := connector.NewMatchIndex(*r, e.o.Catalog); err != nil {
					ps = append(ps, Problem{Node: id, Rule: "match-rules", Message: err.Error()})
				}
			}
		}
	}
	return ps
}

func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q: %v", ErrInvalid, name, err)
	}
	return loc, nil
}

func (e *Engine) jitterRand() *rand.Rand {
	e.rngMu.Lock()
	defer e.rngMu.Unlock()
	return rand.New(rand.NewPCG(e.rng.Uint64(), e.rng.Uint64()))
}

// Source returns the segment source of a workflow's start segment.
func (e *Engine) source(ctx context.Context, segment string) (audience.Source, error) {
	src, err := e.o.Segments.Source(ctx, segment)
	if err != nil {
		if errors.Is(err, ErrSegment) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %q: %w", ErrSegment, segment, err)
	}
	if src == nil {
		return nil, fmt.Errorf("%w: %q resolved to no source", ErrSegment, segment)
	}
	return src, nil
}
