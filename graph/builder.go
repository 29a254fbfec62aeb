package graph

import (
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/node"
)

// Bounds on a graph's size.
const (
	MaxNodes = 1000
	MaxPaths = 4000
)

// Edge is a path: output Path of node From leads to node To.
type Edge struct {
	From string `json:"from"`
	Path string `json:"path"`
	To   string `json:"to"`
}

// Builder collects nodes and paths and builds a [Graph]. A Builder is not
// safe for concurrent use. Its methods never fail: every problem is
// reported at once by [Builder.Build].
type Builder struct {
	name  string
	nodes []node.Node
	edges []Edge
}

// New returns an empty builder for a graph named name.
func New(name string) *Builder { return &Builder{name: name} }

// Name returns the graph's name.
func (b *Builder) Name() string { return b.name }

// Add appends nodes and returns b, for chaining. The builder keeps the
// pointers until Build, which copies them: changing a node after Build does
// not change the built graph.
func (b *Builder) Add(nodes ...node.Node) *Builder {
	b.nodes = append(b.nodes, nodes...)
	return b
}

// Connect adds a path from output path of node fromID to node toID and
// returns b, for chaining.
func (b *Builder) Connect(fromID, path, toID string) *Builder {
	b.edges = append(b.edges, Edge{From: fromID, Path: path, To: toID})
	return b
}

// Nodes returns the nodes added so far, in order (the builder's own
// pointers).
func (b *Builder) Nodes() []node.Node { return append([]node.Node(nil), b.nodes...) }

// Edges returns the paths added so far, in order.
func (b *Builder) Edges() []Edge { return append([]Edge(nil), b.edges...) }

// Option configures [Builder.Build] and [Unmarshal].
type Option func(*options)

type options struct {
	catalog  *audience.Catalog
	segments func(id string) (audience.Segment, bool)
}

// WithCatalog sets the field catalogue filters compile against (default
// audience.DefaultCatalog()).
func WithCatalog(c *audience.Catalog) Option {
	return func(o *options) {
		if c != nil {
			o.catalog = c
		}
	}
}

// WithSegments lets Build look the start segment up, to warn when its
// definition filters on behavioural fields. Without it that warning is not
// given.
func WithSegments(lookup func(segmentID string) (audience.Segment, bool)) Option {
	return func(o *options) { o.segments = lookup }
}

// Build checks every rule and returns the immutable graph, or a
// *[ValidationError] listing every problem. See the package documentation
// for the rules.
func (b *Builder) Build(opts ...Option) (*Graph, error) {
	o := options{catalog: audience.DefaultCatalog()}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	v := newValidator(b, &o)
	v.run()
	if len(v.problems) > 0 {
		return nil, &ValidationError{Problems: v.problems}
	}
	return v.graph(), nil
}
