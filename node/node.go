package node

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
)

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// Node is a node of a workflow graph. The concrete types are [*Start],
// [*Decision], [*Timer] and [*Action]; the set is closed (the interface has
// an unexported method), so an engine can switch on the type exhaustively:
//
//	switch n := n.(type) {
//	case *node.Start:
//	case *node.Decision: // n.Mode: YesNo or Branching
//	case *node.Timer:
//	case *node.Action: // n.Kind(), n.Config.(type)
//	}
//
// Nodes are plain structs with exported fields; they are not safe for
// concurrent mutation. A graph copies the nodes it is built from.
type Node interface {
	// NodeID returns the node's id: stable across versions, unique in the
	// graph, made of a-z, 0-9, '_' and '-'.
	NodeID() string
	// NodeLabel returns the node's label: the name people see, unique in
	// the graph.
	NodeLabel() string
	// Kind returns the node's kind; for actions, the action kind.
	Kind() Kind
	// Outputs returns the names of the node's output paths, in order. An
	// output left unconnected means the account leaves the flow there.
	Outputs() []string
	// Validate reports every configuration problem as a *[ConfigError].
	Validate() error

	clone() Node
}

// Clone returns a deep copy of n (nil for nil).
func Clone(n Node) Node {
	if n == nil {
		return nil
	}
	return n.clone()
}

// Kind names a node kind. Its string is the "kind" of the node in the graph
// JSON schema.
type Kind string

// Node kinds. The action kinds are all carried by [*Action].
const (
	KindStart    Kind = "start"
	KindDecision Kind = "decision"
	KindTimer    Kind = "timer"

	KindAdAudience       Kind = "ad_audience"       // add accounts to an ad channel audience
	KindEmail            Kind = "email"             // conversational email campaign
	KindCampaignPush     Kind = "campaign_push"     // CRM / MAP / SEP campaign, list, sequence or cadence
	KindPurchaseContacts Kind = "purchase_contacts" // buy contacts from a data provider
	KindSaveContacts     Kind = "save_contacts"     // save purchased contacts to CRM / MAP / CSV
	KindCreateAccount    Kind = "create_account"    // create the account in the CRM
	KindRemoveAudience   Kind = "remove_audience"   // remove accounts from an upstream ad audience
)

// Kinds lists every node kind, in documentation order.
func Kinds() []Kind {
	return []Kind{KindStart, KindDecision, KindTimer, KindAdAudience, KindEmail, KindCampaignPush,
		KindPurchaseContacts, KindSaveContacts, KindCreateAccount, KindRemoveAudience}
}

// IsAction reports whether k is an action kind.
func (k Kind) IsAction() bool {
	switch k {
	case KindAdAudience, KindEmail, KindCampaignPush, KindPurchaseContacts, KindSaveContacts,
		KindCreateAccount, KindRemoveAudience:
		return true
	}
	return false
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	return k == KindStart || k == KindDecision || k == KindTimer || k.IsAction()
}

// Output path names.
const (
	PathNext      = "next"       // start, actions, timers without conditions
	PathYes       = "yes"        // yes/no decision: the filter holds
	PathNo        = "no"         // yes/no decision: it does not
	PathAllOthers = "all_others" // branching decision: no branch matched
	PathMet       = "met"        // timer with conditions: they held before the time was up
	PathTimeUp    = "time_up"    // timer with conditions: the time was up first
)

// Level says what an action acts on.
type Level string

// Action levels.
const (
	// LevelAccount: the action acts on the account (one item per account).
	LevelAccount Level = "account"
	// LevelPeople: the action acts on the account's contacts that match the
	// node's persona (one item per contact).
	LevelPeople Level = "people"
)

// Capability names what a connector must be able to do for an action. The
// engine maps each to a connector interface when a workflow is published.
type Capability string

// Connector capabilities.
const (
	CapAudienceSync    Capability = "audience_sync"    // add to / remove from an ad audience
	CapEmail           Capability = "email"            // enrol contacts in an email campaign
	CapCampaignPush    Capability = "campaign_push"    // push accounts or contacts to a campaign, list, sequence, cadence
	CapContactPurchase Capability = "contact_purchase" // buy contacts matching a persona
	CapRecordWrite     Capability = "record_write"     // create or update CRM / MAP / CSV records through a mapping profile
	CapRecordFind      Capability = "record_find"      // find existing records with match rules
)

// Bounds on node configuration.
const (
	MaxIDLen       = 64   // bytes in a node id
	MaxLabelLen    = 200  // bytes in a label
	MaxNameLen     = 200  // bytes in a connector, campaign, profile or rules name, a branch name
	MaxDescLen     = 2000 // bytes in a description
	MaxBranches    = 20   // branches of a branching decision
	MaxPerAccount  = 1000 // contacts purchased per account
	MaxCreditsItem = 1000 // credits per contact or per account
)

// ValidID reports whether id is a valid node id: 1 to [MaxIDLen] bytes of
// a-z, 0-9, '_' and '-'.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkID(ps *problems, id string) {
	if id == "" {
		ps.add("id", "is empty")
	} else if !ValidID(id) {
		ps.add("id", "%q is not a valid id (1-%d characters of a-z, 0-9, '_', '-')", id, MaxIDLen)
	}
}

func checkLabel(ps *problems, label string) {
	checkText(ps, "label", label, MaxLabelLen, true)
}

// checkText checks a single-line name: printable, no surrounding spaces,
// at most max bytes, non-empty when required.
func checkText(ps *problems, field, s string, maxLen int, required bool) {
	switch {
	case s == "":
		if required {
			ps.add(field, "is empty")
		}
		return
	case len(s) > maxLen:
		ps.add(field, "is longer than %d bytes", maxLen)
		return
	case !utf8.ValidString(s):
		ps.add(field, "is not valid UTF-8")
		return
	case strings.TrimSpace(s) != s:
		ps.add(field, "has leading or trailing spaces")
		return
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			ps.add(field, "has a non-printable character")
			return
		}
	}
}

// checkDesc checks a free-text description (newlines allowed).
func checkDesc(ps *problems, field, s string) {
	switch {
	case len(s) > MaxDescLen:
		ps.add(field, "is longer than %d bytes", MaxDescLen)
	case !utf8.ValidString(s):
		ps.add(field, "is not valid UTF-8")
	}
}

func checkFilterShape(ps *problems, field string, f eval.Filter) {
	if len(f.Conditions) > 0 && f.Expr != "" {
		ps.add(field, "has both conditions and an expression")
	}
	if f.Logic != "" && len(f.Conditions) == 0 {
		ps.add(field, "has a logic line but no conditions")
	}
}

func checkPersona(ps *problems, field string, p audience.Persona) {
	lists := []struct {
		name string
		vals []string
	}{{"title_keywords", p.TitleKeywords}, {"job_levels", p.JobLevels}, {"job_functions", p.JobFunctions}, {"countries", p.Countries}}
	for _, l := range lists {
		for i, v := range l.vals {
			checkText(ps, fmt.Sprintf("%s.%s[%d]", field, l.name, i), v, MaxNameLen, true)
		}
	}
}

func cloneFilter(f eval.Filter) eval.Filter {
	if f.Conditions != nil {
		cs := make([]eval.Condition, len(f.Conditions))
		for i, c := range f.Conditions {
			c.Values = cloneStrings(c.Values)
			cs[i] = c
		}
		f.Conditions = cs
	}
	return f
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

func clonePersona(p audience.Persona) audience.Persona {
	return audience.Persona{
		TitleKeywords: cloneStrings(p.TitleKeywords),
		JobLevels:     cloneStrings(p.JobLevels),
		JobFunctions:  cloneStrings(p.JobFunctions),
		Countries:     cloneStrings(p.Countries),
	}
}
