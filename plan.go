package playgraph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

// plan is a published version compiled for running: per node, its kind,
// compiled programs, resolved connector and successor indices. Plans are
// immutable and cached per (workflow, version).
type plan struct {
	workflow string
	version  int
	g        *graph.Graph
	loc      *time.Location
	opts     wfOptions
	nodes    []pnode
	finish   []connector.RunFinisher // connectors to tell at end of run
	readers  []connector.EngagementReader
	buys     bool     // a node purchases contacts
	segments []string // segments filters name in in_segment()
	// spendsCredits: a node reserves credits.
	spendsCredits bool
}

type pnode struct {
	id     string
	label  string
	kind   node.Kind
	outs   []string
	next   []int
	leave  []string // per output: the exit reason when it is not connected
	progs  []*eval.Program
	timer  *node.Timer
	action *node.Action

	// actions
	people  bool
	persona audience.Persona
	conn    connector.Connector
	target  string // audience, campaign, list, sequence… name at the connector
	call    callKind

	// spending and record-writing actions
	price      int64                     // credits per contact (purchase) or per account (create)
	maxPer     int                       // purchase: contacts per account
	mapper     *connector.Mapper         // save / create: the compiled mapping profile
	profile    *connector.MappingProfile // save / create
	rules      connector.MatchRules      // save / create
	boughtOnly bool                      // save: only purchased contacts are items

	needsContacts bool // a program reads contacts
	needsEvents   bool // a program uses engaged()
	hasProgs      bool
}

type callKind uint8

const (
	callNone callKind = iota
	callAddAudience
	callRemoveAudience
	callEmail
	callPushAccounts
	callPushContacts
	callPurchase
	callSaveContacts
	callCreateAccount
)

// spends reports whether the node's action reserves credits.
func (pn *pnode) spends() bool { return pn.call == callPurchase || pn.call == callCreateAccount }

// writesRecords reports whether the node writes records through a profile.
func (pn *pnode) writesRecords() bool {
	return pn.call == callSaveContacts || pn.call == callCreateAccount
}

func (e *Engine) plan(ctx context.Context, w store.Workflow) (*plan, error) {
	key := planKey{w.ID, w.Published}
	e.mu.Lock()
	p := e.plans[key]
	e.mu.Unlock()
	if p != nil {
		return p, nil
	}
	g, err := e.loadGraph(ctx, w.ID, w.Published)
	if err != nil {
		return nil, err
	}
	if pe := e.checkEnvironment(g); len(pe) > 0 {
		return nil, &PublishError{Workflow: w.ID, Problems: pe}
	}
	loc, err := loadLocation(w.TimeZone)
	if err != nil {
		return nil, err
	}
	p = &plan{workflow: w.ID, version: w.Published, g: g, loc: loc}
	_ = json.Unmarshal(w.Options, &p.opts)
	seen := map[string]bool{}
	p.nodes = make([]pnode, g.Len())
	for i := range g.Len() {
		n := g.At(i)
		pn := &p.nodes[i]
		pn.id, pn.label, pn.kind = n.NodeID(), n.NodeLabel(), n.Kind()
		pn.outs = g.Outputs(i)
		pn.next = make([]int, len(pn.outs))
		pn.leave = make([]string, len(pn.outs))
		for k := range pn.outs {
			pn.next[k] = g.NextAt(i, k)
			pn.leave[k] = fmt.Sprintf("left the flow at %s (%s path not connected)", pn.id, pn.outs[k])
		}
		pn.progs = g.Programs(i)
		pn.hasProgs = len(pn.progs) > 0
		for _, pr := range pn.progs {
			for _, sid := range pr.Segments() {
				if !slices.Contains(p.segments, sid) {
					p.segments = append(p.segments, sid)
				}
			}
			pn.needsContacts = pn.needsContacts || pr.NeedsContacts()
			pn.needsEvents = pn.needsEvents || len(pr.EngagedNodes()) > 0
		}
		switch nn := n.(type) {
		case *node.Timer:
			pn.timer = nn
		case *node.Action:
			pn.action = nn
			if err := e.resolveAction(g, pn, nn); err != nil {
				return nil, err
			}
			p.buys = p.buys || pn.call == callPurchase
			p.spendsCredits = p.spendsCredits || pn.spends()
			if rf, ok := pn.conn.(connector.RunFinisher); ok && !seen[pn.conn.Name()] {
				p.finish = append(p.finish, rf)
			}
			if er, ok := pn.conn.(connector.EngagementReader); ok && !seen[pn.conn.Name()] {
				p.readers = append(p.readers, er)
			}
			seen[pn.conn.Name()] = true
		}
	}
	e.mu.Lock()
	if old := e.plans[key]; old != nil {
		p = old
	} else {
		e.plans[key] = p
	}
	e.mu.Unlock()
	return p, nil
}

func (e *Engine) resolveAction(g *graph.Graph, pn *pnode, a *node.Action) error {
	var name string
	switch c := a.Config.(type) {
	case *node.AdAudience:
		name, pn.target, pn.call = c.Connector, c.Audience, callAddAudience
	case *node.RemoveAudience:
		_, ad, ok := g.RemovedAdNode(a.ID)
		if !ok {
			return fmt.Errorf("%w: node %s: ad node %q not found", ErrValidation, a.ID, c.AdNode)
		}
		name, pn.target, pn.call = ad.Connector, ad.Audience, callRemoveAudience
	case *node.Email:
		name, pn.target, pn.call, pn.people, pn.persona = c.Connector, c.Campaign, callEmail, true, c.Persona
	case *node.CampaignPush:
		name, pn.target = c.Connector, c.Target
		if c.Scope == node.LevelPeople {
			pn.call, pn.people, pn.persona = callPushContacts, true, c.Persona
		} else {
			pn.call = callPushAccounts
		}
	case *node.PurchaseContacts:
		name, pn.call, pn.persona = c.Connector, callPurchase, c.Persona
		pn.maxPer, pn.price = c.MaxPerAccount, int64(c.CreditsPerContact)
	case *node.SaveContacts:
		name, pn.call, pn.people, pn.persona, pn.boughtOnly = c.Connector, callSaveContacts, true, c.Persona, true
		if err := e.resolveRecords(pn, c.MappingProfile, c.MatchRules); err != nil {
			return fmt.Errorf("node %s: %w", a.ID, err)
		}
	case *node.CreateAccount:
		name, pn.call, pn.price = c.Connector, callCreateAccount, int64(c.CreditsPerAccount)
		if err := e.resolveRecords(pn, c.MappingProfile, c.MatchRules); err != nil {
			return fmt.Errorf("node %s: %w", a.ID, err)
		}
	default:
		return fmt.Errorf("%w: node %s: %s actions are not supported", ErrValidation, a.ID, a.Kind())
	}
	conn, err := e.o.Connectors.Get(name)
	if err != nil {
		return fmt.Errorf("node %s: %w", a.ID, err)
	}
	pn.conn = conn
	return nil
}

func (e *Engine) resolveRecords(pn *pnode, profile, rules string) error {
	p := e.o.Profiles[profile]
	if p == nil {
		return fmt.Errorf("%w: mapping profile %q is not configured", ErrValidation, profile)
	}
	m, err := p.Compile(e.o.Catalog)
	if err != nil {
		return fmt.Errorf("%w: mapping profile %q: %w", ErrValidation, profile, err)
	}
	r := e.o.MatchRules[rules]
	if r == nil {
		return fmt.Errorf("%w: match rules %q are not configured", ErrValidation, rules)
	}
	if _, err := connector.NewMatchIndex(*r, e.o.Catalog); err != nil {
		return fmt.Errorf("%w: match rules %q: %w", ErrValidation, rules, err)
	}
	pn.mapper, pn.profile, pn.rules = m, p, *r
	return nil
}
