// Package plays holds the example plays of the product text as graph
// builders, so engine tests, examples and playtest share one definition.
package plays

import (
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
)

// Node ids of the competitor research play.
const (
	CRStart         = "start"
	CRWhich         = "which_competitor"
	CRSEPTop        = "sep_top_competitor"
	CRLinkedIn      = "linkedin_ad"
	CRWait          = "wait_for_engagement"
	CRSEPEngaged    = "sep_engaged"
	CRRemove        = "remove_linkedin"
	CRSegment       = "seg-competitor-research"
	CRTopBranch     = "Top competitor"
	CROtherBranch   = "Other competitor"
	CRTopCompetitor = "acme"
)

// CROtherCompetitors are the competitors of the "Other competitor" branch.
var CROtherCompetitors = []string{"globex", "initech", "umbrella", "hooli", "vandelay"}

// CRSegmentDef is the segment the competitor research play starts from: a
// firmographic (not behavioural) definition.
var CRSegmentDef = audience.Segment{ID: CRSegment, Name: "Mid-market and up", Filter: `employees >= 200`}

// CompetitorResearch returns the builder of the product text's example: a
// branching decision on researched competitors; accounts researching the
// top competitor go to the SEP; accounts researching another competitor
// get a LinkedIn ad, wait up to 14 days for engagement with it, and go to
// the SEP when they engage or are removed from the ad audience when the
// time is up.
func CompetitorResearch() *graph.Builder {
	sellers := audience.Persona{JobLevels: []string{"Director", "VP", "C-Level"}, JobFunctions: []string{"Sales", "Marketing"}}
	return graph.New("Competitor research").
		Add(
			node.NewStart(CRStart, "Researching competitors", CRSegment),
			node.NewBranching(CRWhich, "Which competitor?").
				Branch(CRTopBranch, eval.Filter{Conditions: []eval.Condition{
					{Field: "researched_competitors", Op: eval.Contains, Values: []string{CRTopCompetitor}},
				}}).
				Branch(CROtherBranch, eval.Filter{Conditions: []eval.Condition{
					{Field: "researched_competitors", Op: eval.ContainsAny, Values: CROtherCompetitors},
				}}),
			node.NewCampaignPush(CRSEPTop, "Send to SEP", node.CampaignPush{
				System: node.SystemSEP, Connector: "outreach", TargetKind: node.TargetSequence,
				Target: "Acme displacement", Scope: node.LevelPeople, Persona: sellers,
			}).Describe("Sales sequence for accounts researching our top competitor."),
			node.NewAdAudience(CRLinkedIn, "LinkedIn ad audience", node.AdAudience{
				Channel: node.ChannelLinkedIn, Connector: "linkedin", Audience: "Competitor comparison",
			}).Describe("Comparison ads for accounts researching other competitors."),
			node.NewTimer(CRWait, "Wait 14 days for engagement", schedule.Span{Days: 14}).
				WithConditions(eval.Filter{Expr: `engaged("` + CRLinkedIn + `")`}),
			node.NewCampaignPush(CRSEPEngaged, "Send engaged to SEP", node.CampaignPush{
				System: node.SystemSEP, Connector: "outreach", TargetKind: node.TargetSequence,
				Target: "Engaged with comparison ad", Scope: node.LevelPeople, Persona: sellers,
			}).Describe("Follow up with accounts that engaged with the ad."),
			node.NewRemoveAudience(CRRemove, "Remove from LinkedIn audience", CRLinkedIn).
				Describe("Stop showing the ad to accounts that did not engage in 14 days."),
		).
		Connect(CRStart, node.PathNext, CRWhich).
		Connect(CRWhich, CRTopBranch, CRSEPTop).
		Connect(CRWhich, CROtherBranch, CRLinkedIn).
		Connect(CRLinkedIn, node.PathNext, CRWait).
		Connect(CRWait, node.PathMet, CRSEPEngaged).
		Connect(CRWait, node.PathTimeUp, CRRemove)
}
