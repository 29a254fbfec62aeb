// Package playtest tests plays — playgraph workflows — in ordinary Go test
// code, the way net/http/httptest tests handlers: a whole engine in a few
// lines, time you move by hand, and assertions that read like the play.
//
// [New] takes your test's testing.TB and a built graph, and gives you a
// [Play]: a playgraph.Engine on an in-memory store (store/memstore), a
// playgraph.ManualClock fixed at [DefaultStart], a fake connector
// (connector/fake, deduping on idempotency keys) for every connector the
// graph's actions name, a credit pool, and the graph's start segment
// served by an in-memory segment you fill with [Play.Account]. The graph is created and published as a workflow; if it
// cannot be published the test fails with every problem listed.
// Constructors and actions fail the test instead of returning errors;
// assertions report with t.Errorf and return whether they held.
//
// # A complete test
//
// The product text's competitor-research play: accounts researching the
// top competitor go to the sales engagement platform; the others get a
// LinkedIn ad and 14 days to engage with it, then go to the SEP if they
// did or leave the ad audience if not.
//
//	func TestCompetitorResearch(t *testing.T) {
//		g, err := CompetitorResearch().Build() // your graph builder
//		if err != nil {
//			t.Fatal(err)
//		}
//		p := playtest.New(t, g)
//		p.Account("acme.com", playtest.Competitors("acme"))
//		p.Account("globex.com", playtest.Competitors("globex"))
//		p.Account("hooli.com", playtest.Competitors("hooli"))
//
//		p.Run() // day 0: the decision branches
//		p.AssertPath(t, "acme.com", "Which competitor?", "Top competitor", "Send to SEP")
//
//		p.AdvanceTo(p.Day(3))
//		p.Click("globex.com", "LinkedIn ad audience")
//		p.RunUntilIdle() // day 3: globex engaged; day 14: time is up for hooli
//
//		p.AssertPath(t, "globex.com", "Which competitor?", "Other competitor",
//			"LinkedIn ad audience", "Wait 14 days for engagement", "met", "Send engaged to SEP")
//		p.AssertPath(t, "hooli.com", "Which competitor?", "Other competitor",
//			"LinkedIn ad audience", "Wait 14 days for engagement", "time_up", "Remove from LinkedIn audience")
//		p.AssertMembers(t, "linkedin", "Competitor comparison", "globex.com")
//		p.AssertSent(t, "outreach", 4) // two sellers each at acme and globex
//		p.AssertRuns(t, store.RunCompletedWithTimer, store.RunCompletedWithTimer, store.RunCompleted)
//	}
//
// # Accounts
//
// [Play.Account] makes an account with sensible defaults and adds it to
// the segment: Account("acme.com") is the account "acme.com", domain
// acme.com, name Acme, 1,000 employees in the US, buying stage Awareness,
// intent 50, profile fit Moderate, and two contacts — a VP of Sales and a
// Director of Marketing — who match the usual "Director and above in Sales
// or Marketing" personas. Options change what matters to the play:
// [Stage], [Intent], [Fit], [Competitors], [Keywords], [Employees],
// [Country], [Contacts], [WithContacts], [Attr], [Stock] (contacts the
// contact provider has to sell) and, for anything else, [Modify].
// Calling Account again with the same id replaces its data, as a data
// provider's update would; [Play.Remove] takes accounts out of the segment
// and [Play.Add] puts accounts (generated ones, say) in. Every run reads
// the segment afresh.
//
// # Time
//
// Nothing waits for real: the clock moves only when the Play moves it, and
// retry backoff takes no real time (the clock moves on by the backoff, as
// time would pass in a deployment), so a 30-day timer runs in
// milliseconds.
// [Play.Run] runs the workflow at the clock's now. [Play.Advance] and
// [Play.AdvanceTo] move the clock; a workflow with a [Schedule] runs every
// due occurrence on the way, at its due time, as a deployment calling
// Engine.Serve would (an on-demand workflow just sees time pass).
// [Play.Day] names calendar days from the start in the workflow's
// [TimeZone]: p.AdvanceTo(p.Day(14)). [Play.RunUntilIdle] runs, moves to
// the next timer's wake-up, and runs again until no account waits.
//
// A Play works inside testing/synctest bubbles too.
//
// # Engagement
//
// [Play.Click] and [Play.Reply] record an engagement event for an account
// at the clock's now, for the channel and audience of the action node you
// name (by id or label), so the timer conditions and decisions that ask
// engaged("<node>") see it at the next run.
//
// # Assertions
//
// Nodes are named by id or label. [Play.AssertPath] checks an account's
// whole path; output path names ("yes", "Top competitor", "time_up") may
// follow a node, and the start node may be left out. [Play.AssertAt]
// checks where an account is now, [Play.AssertCounts] how many accounts
// are at each node, [Play.AssertSent] and [Play.AssertMembers] what a
// connector received, and [Play.AssertRuns] the status of every run.
// [Play.Connector] hands you the fake itself for anything finer (calls,
// items, keys, scripted failures) and [Play.Engine] the engine.
//
// A failing path assertion prints the account, its actual path with the
// time it entered each node and the branch it took (with the decision's
// explanation), the expected path, and the graph as a Mermaid flowchart
// with the number of accounts at each node — paste it into any Mermaid
// viewer (see the AssertPath failure example).
//
// # Credits
//
// Every Play has a credit ledger on its memstore with one pool, from the
// start for ten years, all of it allocated to audience workflows:
// [DefaultCredits] unless [Credits] says otherwise. Purchase-contacts
// nodes buy from their fake provider what you put in stock with the
// account option [Stock]; save-contacts and create-account nodes write
// through a mapping profile and match rules that New makes for every name
// the graph uses, unless [Profile] and [MatchRules] give your own.
//
//	p := playtest.New(t, g, playtest.Credits(20))
//	p.Account("acme.com", playtest.Stock(4)) // 4 contacts to buy
//	p.Run()
//	p.AssertCreditsSpent(t, 3) // the node buys up to 3, at 1 credit each
//	p.AssertCredits(t, 17)
//	p.TopUp(10)
//
// [Play.AssertCreditsSpent] checks both what the runs report and what the
// ledger recorded; [Play.AssertCredits] checks what is available now.
// Their failure messages show the credits each run spent, the balance and
// the accounts waiting for credits at each node. Accounts that find too
// few credits wait at their node (blocked, not failed) until
// [Play.TopUp] adds some and a run (or [Play.Retry], for one account)
// serves them; [Play.RunUntilIdle] does not wait for them.
// [Play.Preview] shows what the next run would do and spend, writing
// nothing; [Play.Balance] returns the balance.
package playtest
