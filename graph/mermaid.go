package graph

import (
	"fmt"
	"strings"
	"time"

	"github.com/playgraph/playgraph/node"
)

// MermaidOptions tunes [Graph.Mermaid].
type MermaidOptions struct {
	// Counts, when not nil, overlays a count on each node it has an entry
	// for (by node id), e.g. the accounts a run moved through it.
	Counts map[string]int
	// CountUnit names what Counts count ("accounts" when empty).
	CountUnit string
}

// Mermaid renders g as a Mermaid flowchart (top to bottom). Node shapes
// tell the kinds apart: the start node is a stadium, decisions are
// rhombuses, timers are hexagons and actions are rectangles; each node shows
// its label and a line naming its kind. Edges carry their path names.
// Mermaid node names are n0, n1, ... in index order (node ids may collide
// with Mermaid keywords).
func (g *Graph) Mermaid(opts MermaidOptions) string {
	unit := opts.CountUnit
	if unit == "" {
		unit = "accounts"
	}
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for i, n := range g.nodes {
		text := mermaidText(n.NodeLabel()) + "<br/>" + mermaidText(describe(n))
		if opts.Counts != nil {
			if c, ok := opts.Counts[n.NodeID()]; ok {
				text += fmt.Sprintf("<br/>%d %s", c, mermaidText(unit))
			}
		}
		open, closeShape := shape(n)
		fmt.Fprintf(&b, "    n%d%s\"%s\"%s\n", i, open, text, closeShape)
	}
	for i := range g.nodes {
		for k, t := range g.next[i] {
			if t < 0 {
				continue
			}
			fmt.Fprintf(&b, "    n%d -->|\"%s\"| n%d\n", i, mermaidText(g.outs[i][k]), t)
		}
	}
	return b.String()
}

func shape(n node.Node) (string, string) {
	switch n.(type) {
	case *node.Start:
		return "([", "])"
	case *node.Decision:
		return "{", "}"
	case *node.Timer:
		return "{{", "}}"
	}
	return "[", "]"
}

// describe names a node's kind and its main setting in a few words.
func describe(n node.Node) string {
	switch n := n.(type) {
	case *node.Start:
		return "start · segment " + n.Segment
	case *node.Decision:
		if n.Mode == node.Branching {
			return "branching decision"
		}
		return "yes/no decision"
	case *node.Timer:
		s := "timer · "
		if !n.Until.IsZero() {
			s += "until " + n.Until.Format(time.RFC3339)
		} else {
			s += "wait " + n.Span.String()
		}
		if n.HasConditions() {
			s += " or conditions"
		}
		return s
	case *node.Action:
		switch c := n.Config.(type) {
		case *node.AdAudience:
			return "ad audience · " + string(c.Channel)
		case *node.Email:
			return "conversational email"
		case *node.CampaignPush:
			return fmt.Sprintf("%s %s push · %s", c.System, c.TargetKind, c.Scope)
		case *node.PurchaseContacts:
			return "purchase contacts"
		case *node.SaveContacts:
			return "save contacts · " + string(c.Target)
		case *node.CreateAccount:
			return "create account in CRM"
		case *node.RemoveAudience:
			return "remove audience · " + c.AdNode
		}
	}
	return string(n.Kind())
}

// mermaidEscaper escapes text for a quoted Mermaid label (entity codes).
// A backtick right after the opening quote would start a Mermaid markdown
// string that never closes: backticks are escaped too.
var mermaidEscaper = strings.NewReplacer(
	"#", "#35;",
	`"`, "#quot;",
	"`", "#96;",
	"<", "#lt;",
	">", "#gt;",
	"\n", " ",
	"\r", " ",
)

// mermaidText escapes s for a quoted Mermaid label.
func mermaidText(s string) string { return mermaidEscaper.Replace(s) }
