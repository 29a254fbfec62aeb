package playtest_test

import (
	"fmt"
	"testing"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/playtest"
	"github.com/playgraph/playgraph/schedule"
)

// printT stands in for a test's *testing.T in these examples (an Example
// has none): it prints what a failing assertion would report.
type printT struct{ testing.TB }

func (printT) Helper()                        {}
func (printT) Errorf(format string, a ...any) { fmt.Printf("FAIL: "+format+"\n", a...) }
func (printT) Fatalf(format string, a ...any) { fmt.Printf("FATAL: "+format+"\n", a...) }

// latePlay is a small play: late-stage accounts go to a sales sequence;
// the others get a LinkedIn ad and 30 days to click it.
func latePlay() (*graph.Graph, error) {
	sellers := audience.Persona{JobLevels: []string{"VP", "Director"}, JobFunctions: []string{"Sales", "Marketing"}}
	return graph.New("Late-stage outreach").
		Add(
			node.NewStart("start", "Target accounts", "seg-targets"),
			node.NewYesNo("late", "Late stage?", eval.Filter{Expr: `stage_at_least("Decision")`}),
			node.NewCampaignPush("sequence", "Sales sequence", node.CampaignPush{
				System: node.SystemSEP, Connector: "outreach", TargetKind: node.TargetSequence,
				Target: "Late stage", Scope: node.LevelPeople, Persona: sellers,
			}),
			node.NewAdAudience("ad", "LinkedIn ad", node.AdAudience{
				Channel: node.ChannelLinkedIn, Connector: "linkedin", Audience: "Nurture",
			}),
			node.NewTimer("wait", "Wait 30 days", schedule.Span{Days: 30}).
				WithConditions(eval.Filter{Expr: `engaged("ad")`}),
			node.NewCampaignPush("engaged", "Engaged to sequence", node.CampaignPush{
				System: node.SystemSEP, Connector: "outreach", TargetKind: node.TargetSequence,
				Target: "Engaged", Scope: node.LevelPeople, Persona: sellers,
			}),
			node.NewRemoveAudience("remove", "Remove from ad", "ad"),
		).
		Connect("start", node.PathNext, "late").
		Connect("late", node.PathYes, "sequence").
		Connect("late", node.PathNo, "ad").
		Connect("ad", node.PathNext, "wait").
		Connect("wait", node.PathMet, "engaged").
		Connect("wait", node.PathTimeUp, "remove").
		Build()
}

// A play tested end to end: three accounts, an engagement on day 3, and
// the 30-day timer run out, in milliseconds.
func Example() {
	t := printT{} // in a test: the test's t
	g, err := latePlay()
	if err != nil {
		fmt.Println(err)
		return
	}
	p := playtest.New(t, g)
	p.Account("acme.com", playtest.Stage("Decision"))
	p.Account("globex.com", playtest.Stage("Awareness"))
	p.Account("hooli.com", playtest.Stage("Consideration"), playtest.Contacts(3))

	rep := p.Run() // day 0
	fmt.Println("day 0:", rep.Status)
	p.AdvanceTo(p.Day(3))
	p.Click("globex.com", "LinkedIn ad")
	for _, r := range p.RunUntilIdle() {
		fmt.Printf("day %.0f: %s\n", r.Now.Sub(p.Day(0)).Hours()/24, r.Status)
	}

	p.AssertPath(t, "acme.com", "Late stage?", "yes", "Sales sequence")
	p.AssertPath(t, "globex.com", "Late stage?", "no", "LinkedIn ad", "Wait 30 days", "met", "Engaged to sequence")
	p.AssertPath(t, "hooli.com", "Late stage?", "no", "LinkedIn ad", "Wait 30 days", "time_up", "Remove from ad")
	p.AssertMembers(t, "outreach", "Late stage", "acme.com-c1", "acme.com-c2")
	p.AssertMembers(t, "linkedin", "Nurture", "globex.com")
	p.AssertSent(t, "outreach", 4)
	fmt.Println("linkedin received:", len(p.Connector("linkedin").Delivered("")), "items")
	// Output:
	// day 0: completed with timer
	// day 3: completed with timer
	// day 30: completed
	// linkedin received: 3 items
}

// A failing assertion names the account, shows its actual path with
// times, branches and the decision's explanation, the expected path, and
// the graph with how many accounts are at each node.
func ExamplePlay_AssertPath_failure() {
	t := printT{}
	g, err := latePlay()
	if err != nil {
		fmt.Println(err)
		return
	}
	p := playtest.New(t, g)
	p.Account("globex.com", playtest.Stage("Awareness"))
	p.Run()
	p.AssertPath(t, "globex.com", "Late stage?", "yes", "Sales sequence")
	// Output:
	// FAIL: playtest: account "globex.com" took another path in workflow "Late-stage outreach"
	//   actual path:   "Target accounts" → "Late stage?" → "no" → "LinkedIn ad" → "Wait 30 days"
	//   expected path: "Late stage?" → "yes" → "Sales sequence"
	//   now: waiting at "Wait 30 days" [wait] since 2026-03-02T09:00:00Z, time up 2026-04-01T09:00:00Z
	//   steps:
	//     1. "Target accounts" [start] entered 2026-03-02T09:00:00Z, left by "next"
	//     2. "Late stage?" [late] entered 2026-03-02T09:00:00Z, left by "no" (yes: false (stage_at_least("Decision") → false))
	//     3. "LinkedIn ad" [ad] entered 2026-03-02T09:00:00Z, left by "next"
	//     4. "Wait 30 days" [wait] entered 2026-03-02T09:00:00Z
	//
	// graph (accounts per node now):
	// flowchart TD
	//     n0(["Target accounts<br/>start · segment seg-targets<br/>0 accounts"])
	//     n1{"Late stage?<br/>yes/no decision<br/>0 accounts"}
	//     n2["Sales sequence<br/>sep sequence push · people<br/>0 accounts"]
	//     n3["LinkedIn ad<br/>ad audience · linkedin<br/>0 accounts"]
	//     n4{{"Wait 30 days<br/>timer · wait 30d or conditions<br/>1 accounts"}}
	//     n5["Engaged to sequence<br/>sep sequence push · people<br/>0 accounts"]
	//     n6["Remove from ad<br/>remove audience · ad<br/>0 accounts"]
	//     n0 -->|"next"| n1
	//     n1 -->|"yes"| n2
	//     n1 -->|"no"| n3
	//     n3 -->|"next"| n4
	//     n4 -->|"met"| n5
	//     n4 -->|"time_up"| n6
}

// Buying contacts against a small pool: the second account waits at the
// purchase until a top-up, and is then served.
func ExamplePlay_TopUp() {
	t := printT{}
	tpl, _ := playgraph.TemplateByName(playgraph.TemplateNewAudienceCreation) // buy up to 3, save, wait 7 days
	g, err := tpl.Fill(map[string]string{"segment": "seg", "provider_connector": "zoominfo",
		"crm_connector": "salesforce", "mapping_profile": "crm-contacts", "match_rules": "crm-dedupe"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := playtest.New(t, g, playtest.Credits(5))
	p.Account("acme.com", playtest.Stock(4))
	p.Account("globex.com", playtest.Stock(2))

	fmt.Printf("preview: %+v\n", p.Preview().Credits)
	rep := p.Run()
	fmt.Printf("run 1: %s, %d credits spent, %d left\n", rep.Status, rep.CreditsSpent, p.Balance().Available)
	p.AssertAt(t, "globex.com", "Purchase contacts") // waiting for credits
	p.TopUp(10)
	rep = p.Run()
	fmt.Printf("run 2: %s, %d credits spent, %d left\n", rep.Status, rep.CreditsSpent, p.Balance().Available)
	p.AssertCreditsSpent(t, 5)
	p.AssertCredits(t, 10)
	p.AssertSent(t, "salesforce", 5)
	// Output:
	// preview: {UpperBound:6 Expected:5 ExpectedKnown:true}
	// run 1: completed with timer and errors, 3 credits spent, 2 left
	// run 2: completed with timer, 2 credits spent, 10 left
}
