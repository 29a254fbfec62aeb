package playgraph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
)

// Blank is a value a template needs before it becomes a workflow: a
// segment, a connector, a campaign.
type Blank struct {
	Name        string
	Description string
}

// Template is a ready-made play with blanks to fill. Templates are
// immutable values, safe for concurrent use.
type Template struct {
	Name        string
	Description string
	Blanks      []Blank
	build       func(v map[string]string) *graph.Builder
}

// TemplateError lists the blanks a Fill left empty and the values it did
// not expect. It matches ErrValidation.
type TemplateError struct {
	Template string
	Missing  []string
	Unknown  []string
}

func (e *TemplateError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "unfilled blank(s): "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unknown) > 0 {
		parts = append(parts, "unknown blank(s): "+strings.Join(e.Unknown, ", "))
	}
	return fmt.Sprintf("playgraph: template %q: %s", e.Template, strings.Join(parts, "; "))
}

// Unwrap returns ErrValidation.
func (e *TemplateError) Unwrap() error { return ErrValidation }

// Fill returns the template's graph with its blanks filled from values (by
// blank name). Every blank must be filled, with a non-blank value; a
// missing one is a *TemplateError naming it. The graph is then built and
// validated (opts as for graph.Builder.Build).
func (t Template) Fill(values map[string]string, opts ...graph.Option) (*graph.Graph, error) {
	te := &TemplateError{Template: t.Name}
	for _, b := range t.Blanks {
		if strings.TrimSpace(values[b.Name]) == "" {
			te.Missing = append(te.Missing, b.Name)
		}
	}
	for k := range values {
		if !slices.ContainsFunc(t.Blanks, func(b Blank) bool { return b.Name == k }) {
			te.Unknown = append(te.Unknown, k)
		}
	}
	slices.Sort(te.Unknown)
	if len(te.Missing) > 0 || len(te.Unknown) > 0 {
		return nil, te
	}
	return t.build(values).Build(opts...)
}

// Template names.
const (
	TemplateAudienceActivation  = "Audience Activation"
	TemplateNewAudienceCreation = "New Audience Creation"
	TemplatePaidMedia           = "Paid Media"
	TemplateGoToMarket          = "Go to Market"
)

// Templates returns the built-in templates.
func Templates() []Template {
	return []Template{audienceActivation, newAudienceCreation, paidMedia, goToMarket}
}

// TemplateByName returns a built-in template.
func TemplateByName(name string) (Template, bool) {
	for _, t := range Templates() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

func stages(names ...string) eval.Filter {
	return eval.Filter{Conditions: []eval.Condition{{Field: "buying_stage", Op: eval.In, Values: names}}}
}

var audienceActivation = Template{
	Name:        TemplateAudienceActivation,
	Description: "Accounts with a strong profile fit join one ad channel's audience.",
	Blanks: []Blank{
		{"segment", "the segment to start from"},
		{"ad_channel", "6sense, linkedin, google or meta"},
		{"ad_connector", "the connector that syncs the audience"},
		{"ad_audience", "the audience on the channel"},
	},
	build: func(v map[string]string) *graph.Builder {
		return graph.New(TemplateAudienceActivation).Add(
			node.NewStart("start", "Segment", v["segment"]),
			node.NewYesNo("fit", "Strong fit?", eval.Filter{Conditions: []eval.Condition{{Field: "profile_fit", Op: eval.Eq, Values: []string{"Strong"}}}}),
			node.NewAdAudience("ads", "Ad audience", node.AdAudience{Channel: node.Channel(v["ad_channel"]), Connector: v["ad_connector"], Audience: v["ad_audience"]}),
		).Connect("start", node.PathNext, "fit").Connect("fit", node.PathYes, "ads")
	},
}

var newAudienceCreation = Template{
	Name:        TemplateNewAudienceCreation,
	Description: "Buy contacts for the segment's accounts, save them to the CRM, then wait.",
	Blanks: []Blank{
		{"segment", "the segment to start from"},
		{"provider_connector", "the contact data provider"},
		{"crm_connector", "the CRM to save contacts to"},
		{"mapping_profile", "the CRM mapping profile"},
		{"match_rules", "the match rules that keep duplicates out"},
	},
	build: func(v map[string]string) *graph.Builder {
		persona := audience.Persona{JobLevels: []string{"Director", "VP", "C-Level"}}
		return graph.New(TemplateNewAudienceCreation).Add(
			node.NewStart("start", "Segment", v["segment"]),
			node.NewPurchaseContacts("buy", "Purchase contacts", node.PurchaseContacts{Connector: v["provider_connector"], Persona: persona, MaxPerAccount: 3, CreditsPerContact: 1}),
			node.NewSaveContacts("save", "Save to CRM", node.SaveContacts{Target: node.SaveCRM, Connector: v["crm_connector"], MappingProfile: v["mapping_profile"], MatchRules: v["match_rules"], Persona: persona}),
			node.NewTimer("wait", "Wait 7 days", schedule.Span{Days: 7}),
		).Connect("start", node.PathNext, "buy").Connect("buy", node.PathNext, "save").Connect("save", node.PathNext, "wait")
	},
}

var paidMedia = Template{
	Name:        TemplatePaidMedia,
	Description: "Stage-based ad audiences: later stages on LinkedIn, consideration on Google, early stages on 6sense display.",
	Blanks: []Blank{
		{"segment", "the segment to start from"},
		{"linkedin_connector", "LinkedIn connector"}, {"linkedin_audience", "LinkedIn audience"},
		{"google_connector", "Google connector"}, {"google_audience", "Google audience"},
		{"display_connector", "6sense display connector"}, {"display_audience", "6sense display audience"},
	},
	build: func(v map[string]string) *graph.Builder {
		return graph.New(TemplatePaidMedia).Add(
			node.NewStart("start", "Segment", v["segment"]),
			node.NewBranching("stage", "Buying stage?").
				Branch("Decision or Purchase", stages("Decision", "Purchase")).
				Branch("Consideration", stages("Consideration")),
			node.NewAdAudience("linkedin", "LinkedIn", node.AdAudience{Channel: node.ChannelLinkedIn, Connector: v["linkedin_connector"], Audience: v["linkedin_audience"]}),
			node.NewAdAudience("google", "Google", node.AdAudience{Channel: node.ChannelGoogle, Connector: v["google_connector"], Audience: v["google_audience"]}),
			node.NewAdAudience("display", "6sense display", node.AdAudience{Channel: node.Channel6sense, Connector: v["display_connector"], Audience: v["display_audience"]}),
		).
			Connect("start", node.PathNext, "stage").
			Connect("stage", "Decision or Purchase", "linkedin").
			Connect("stage", "Consideration", "google").
			Connect("stage", node.PathAllOthers, "display")
	},
}

var goToMarket = Template{
	Name:        TemplateGoToMarket,
	Description: "By buying stage: Target and Awareness see display ads; Consideration gets LinkedIn ads and email; Decision and Purchase go to an SEP sequence and a CRM campaign.",
	Blanks: []Blank{
		{"segment", "the segment to start from"},
		{"display_connector", "6sense display connector"}, {"display_audience", "6sense display audience"},
		{"linkedin_connector", "LinkedIn connector"}, {"linkedin_audience", "LinkedIn audience"},
		{"email_connector", "conversational email connector"}, {"email_campaign", "email campaign"},
		{"sep_connector", "sales engagement platform connector"}, {"sep_sequence", "SEP sequence"},
		{"crm_connector", "CRM connector"}, {"crm_campaign", "CRM campaign"},
	},
	build: func(v map[string]string) *graph.Builder {
		return graph.New(TemplateGoToMarket).Add(
			node.NewStart("start", "Segment", v["segment"]),
			node.NewBranching("stage", "Buying stage?").
				Branch("Target or Awareness", stages("Target", "Awareness")).
				Branch("Consideration", stages("Consideration")).
				Branch("Decision or Purchase", stages("Decision", "Purchase")),
			node.NewAdAudience("display", "Display ads", node.AdAudience{Channel: node.Channel6sense, Connector: v["display_connector"], Audience: v["display_audience"]}),
			node.NewAdAudience("linkedin", "LinkedIn ads", node.AdAudience{Channel: node.ChannelLinkedIn, Connector: v["linkedin_connector"], Audience: v["linkedin_audience"]}),
			node.NewEmail("email", "Conversational email", node.Email{Connector: v["email_connector"], Campaign: v["email_campaign"]}),
			node.NewCampaignPush("sep", "SEP sequence", node.CampaignPush{System: node.SystemSEP, Connector: v["sep_connector"], TargetKind: node.TargetSequence, Target: v["sep_sequence"], Scope: node.LevelPeople}),
			node.NewCampaignPush("crm", "CRM campaign", node.CampaignPush{System: node.SystemCRM, Connector: v["crm_connector"], TargetKind: node.TargetCampaign, Target: v["crm_campaign"], Scope: node.LevelAccount}),
		).
			Connect("start", node.PathNext, "stage").
			Connect("stage", "Target or Awareness", "display").
			Connect("stage", "Consideration", "linkedin").
			Connect("linkedin", node.PathNext, "email").
			Connect("stage", "Decision or Purchase", "sep").
			Connect("sep", node.PathNext, "crm")
	},
}
