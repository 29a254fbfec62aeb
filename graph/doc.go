// Package graph builds, validates, encodes and draws workflow graphs: nodes
// (package node) joined by paths.
//
// # Building
//
// A [Builder] collects nodes and paths; [Builder.Build] checks every rule
// and returns an immutable [*Graph] or a *[ValidationError] listing every
// problem at once:
//
//	g, err := graph.New("Competitor research").
//		Add(
//			node.NewStart("start", "Researching competitors", "seg-competitors"),
//			node.NewBranching("which", "Which competitor?").
//				Branch("Top competitor", eval.Filter{Expr: `"acme" in researched_competitors`}),
//			node.NewCampaignPush("sep", "Send to SEP", node.CampaignPush{...}),
//		).
//		Connect("start", node.PathNext, "which").
//		Connect("which", "Top competitor", "sep").
//		Build(graph.WithCatalog(catalog))
//
// A path joins an output of one node (by its name: "next", "yes", "no", a
// branch name, "all_others", "met", "time_up") to another node. An output
// left unconnected means the account leaves the flow there.
//
// Build copies the nodes: changing them afterwards does not change the
// graph. [Graph.Edit] returns a builder holding copies, to derive the next
// version.
//
// # Rules
//
// Build checks what the graph alone can tell; the engine checks the
// environment (connectors and their capabilities, mapping profiles, match
// rules, credits) when a workflow is published. Each [Problem] names the
// node, a stable rule name, a message and, for filters, the position:
//
//	size                 at most MaxNodes nodes and MaxPaths paths
//	configured           every node's own configuration is valid (node.Validate)
//	unique-id            node ids are unique
//	unique-label         labels are unique, ignoring case
//	one-start            exactly one start node
//	path-exists          a path leaves an existing output of an existing node
//	                     and leads to an existing node
//	path-once            each output is connected at most once
//	start-incoming       no path leads into the start node
//	reachable            every other node has an incoming path and is
//	                     reachable from the start
//	acyclic              no cycles (each is named: "cycle d -> p -> t -> d")
//	decision-before-ad   every path from the start into an ad audience action
//	                     passes a decision
//	remove-names-ad      a remove audience action names an ad audience node
//	                     that is on every path from the start into it
//	timer-before-remove  every path from that ad node to the remove audience
//	                     action passes a timer
//	filter-compiles      every filter compiles against the catalogue
//	                     (WithCatalog; default audience.DefaultCatalog()), and
//	                     engaged("id") names an ad audience node upstream
//
// Problems come in the order above, nodes in the order they were added.
// [ValidationError] wraps [ErrInvalid] and each problem's underlying error
// (node.ErrInvalid, eval's sentinels), so errors.Is works on it.
//
// Warnings do not stop a build; read them with [Graph.Warnings]:
//
//	behavioral-segment    the start segment's definition filters on
//	                      behavioural fields, so accounts may drop in and out
//	                      (needs WithSegments to look the segment up)
//	decision-unconnected  no output of a decision is connected
//
// # Using a graph
//
// A Graph is immutable and safe for concurrent use. Nodes have dense
// indices in topological order ([Graph.Index], [Graph.At]; the start node is
// 0 and every path leads to a higher index), outputs have dense indices
// (their position in the node's Outputs; [Graph.NextAt]). Filters are
// compiled once, by Build: [Graph.Programs] returns a node's programs
// aligned with its outputs, so an engine never compiles at run time.
//
// # JSON
//
// [Graph.MarshalJSON] writes, and [Unmarshal] reads, this schema (version
// [SchemaVersion]):
//
//	{
//	  "schema": 1,
//	  "name": "Competitor research",
//	  "nodes": [
//	    {"id": "start", "kind": "start", "label": "...", "config": {"segment": "seg-1"}},
//	    {"id": "which", "kind": "decision", "label": "...",
//	     "config": {"mode": "branching", "branches": [{"name": "Top competitor", "filter": {...}}]}},
//	    {"id": "ad", "kind": "ad_audience", "label": "...", "description": "...",
//	     "config": {"channel": "linkedin", "connector": "linkedin", "audience": "..."}},
//	    {"id": "wait", "kind": "timer", "label": "...",
//	     "config": {"span": {"days": 14}, "conditions": {"expr": "engaged(\"ad\")"}}}
//	  ],
//	  "paths": [{"from": "start", "path": "next", "to": "which"}]
//	}
//
// "kind" is start, decision, timer or an action kind (ad_audience, email,
// campaign_push, purchase_contacts, save_contacts, create_account,
// remove_audience); "config" holds the fields of the node's type in package
// node, named by their JSON tags (an action's config is its
// node.ActionConfig); "description" is for actions only. A filter is
// {"conditions": [{"field", "op", "values"}], "logic": "1 AND 2"} or
// {"expr": "..."}; a timer has "span" ({"days", "hours", "minutes"}) or
// "until" (RFC 3339), and optional "conditions".
//
// Nodes are written in the order they were added, paths in the order they
// were connected, with two-space indentation and a final newline; decoding
// what MarshalJSON wrote and marshalling again gives the same bytes.
//
// Decoding is strict: invalid JSON, duplicate keys, unknown fields (names
// are case-sensitive), values of the wrong type, an unknown kind, an
// unsupported schema version, and paths naming unknown nodes or outputs are
// errors. Each is a *[DecodeError] with a JSON path to the value at fault:
//
//	graph: json: $.nodes[3].config.max_per_account: want an integer, got string
//
// [Decode] stops there and returns a [Builder], for drafts that do not yet
// pass the rules; [Unmarshal] also builds.
//
// # Mermaid
//
// [Graph.Mermaid] draws the graph as a Mermaid flowchart (top to bottom):
// the start node as a stadium, decisions as rhombuses, timers as hexagons,
// actions as rectangles, each with its label and a line naming its kind;
// edges carry their path names. [MermaidOptions] Counts overlays a count per
// node, e.g. the accounts a run or a preview moved through it:
//
//	flowchart TD
//	    n0(["Researching competitors<br/>start · segment seg-1<br/>1200 accounts"])
//	    n1{"Which competitor?<br/>branching decision<br/>1200 accounts"}
//	    n0 -->|"next"| n1
package graph
