package playtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
)

// DefaultCredits is the credit pool New makes unless [Credits] says
// otherwise.
const DefaultCredits int64 = 1000

// PoolID names the credit pool New makes.
const PoolID = "playtest"

// poolYears is how long the pool lasts from the Play's start: longer than
// any play a test moves the clock through.
const poolYears = 10

// Credits sets the credit pool New makes, on the engine's credit ledger
// (kept in the Play's memstore): pool credits for ten years from the
// Play's start, all of them allocated to audience workflows
// (credit.AppAudienceWorkflows). Default [DefaultCredits]. With 0 the pool
// is empty and a graph that spends credits cannot be published; add
// credits later with [Play.TopUp].
func Credits(pool int64) Option { return func(c *config) { c.credits = pool } }

// Profile registers a mapping profile under p.Name, for the save-contacts
// and create-account nodes naming it. A name the graph uses and no
// Profile gives gets a default: for contacts, contact.email → Email,
// contact.first_name → FirstName, contact.last_name → LastName,
// contact.title → Title, name → Company; for accounts, name → Name,
// domain → Domain, country → Country (production environment).
func Profile(p *connector.MappingProfile) Option {
	return func(c *config) {
		if p == nil {
			return
		}
		if c.profiles == nil {
			c.profiles = map[string]*connector.MappingProfile{}
		}
		c.profiles[p.Name] = p
	}
}

// MatchRules registers match rules under name, for the save-contacts and
// create-account nodes naming it. A name the graph uses and no MatchRules
// gives gets connector.DefaultMatchRulesFor the profile of the node that
// names it (the same email for contacts; the same domain, or name and
// country, for accounts).
func MatchRules(name string, r connector.MatchRules) Option {
	return func(c *config) {
		if c.rules == nil {
			c.rules = map[string]*connector.MatchRules{}
		}
		if r.Name == "" {
			r.Name = name
		}
		c.rules[name] = &r
	}
}

// Stock adds n contacts to the account's stock at the contact provider of
// every purchase-contacts node of the graph (their fake connectors), so a
// purchase can buy them. They are built like [Contacts]'s but with other
// names and emails, from the personas the purchase nodes buy (a VP of
// Sales, a Director of Marketing, a Chief Marketing Officer, …, those
// matching), in the account's country. Stock adds to what the provider
// holds: giving it again (calling Account again) adds n more. A graph
// without purchase nodes fails the test.
func Stock(n int) AccountOption {
	return func(s *accountSpec) error {
		if n < 0 {
			return fmt.Errorf("stock %d is negative", n)
		}
		s.stock += n
		return nil
	}
}

// stockNames are the purchased contacts' names: none is a generated
// known contact's, so a purchased contact never shares an email with one.
var stockNames = []struct{ first, last string }{
	{"Avery", "Brooks"}, {"Quinn", "Foster"}, {"Drew", "Hayes"},
	{"Parker", "Lane"}, {"Reese", "Moreno"}, {"Skyler", "Webb"},
}

// addStock adds n stock contacts for a at every purchasing connector.
func (p *Play) addStock(a *audience.Account, n int) error {
	if n == 0 {
		return nil
	}
	if len(p.buyers) == 0 {
		return fmt.Errorf("Stock(%d): the graph has no purchase-contacts node", n)
	}
	for _, name := range slices.Sorted(mapKeys(p.buyers)) {
		f, err := p.fake(name)
		if err != nil {
			return fmt.Errorf("Stock(%d): %w", n, err)
		}
		// The personas of the generated contacts any of the node's
		// personas match (all of them when none does).
		var cands []int
		for i, pr := range personas {
			c := audience.Contact{Title: pr.title, JobLevel: pr.level, JobFunction: pr.function, Country: a.Country}
			if slices.ContainsFunc(p.buyers[name], func(want audience.Persona) bool { return want.Matches(&c) }) {
				cands = append(cands, i)
			}
		}
		if len(cands) == 0 {
			for i := range personas {
				cands = append(cands, i)
			}
		}
		base := p.stocked[name+"\x00"+a.ID]
		cs := make([]audience.Contact, n)
		for k := range n {
			i := base + k
			pr, nm := personas[cands[i%len(cands)]], stockNames[i%len(stockNames)]
			first := nm.first
			if i >= len(stockNames) {
				first += strconv.Itoa(i/len(stockNames) + 1)
			}
			cs[k] = audience.Contact{
				ID: a.ID + "-p" + strconv.Itoa(i+1), AccountID: a.ID, FirstName: first, LastName: nm.last,
				Email: strings.ToLower(first+"."+nm.last) + "@" + a.Domain, Title: pr.title,
				JobLevel: pr.level, JobFunction: pr.function, Country: a.Country,
			}
		}
		p.stocked[name+"\x00"+a.ID] = base + n
		f.AddStock(a.ID, cs...)
	}
	return nil
}

// purchasers maps the connector of each purchase-contacts node of g to
// the personas bought through it.
func purchasers(g *graph.Graph) map[string][]audience.Persona {
	out := map[string][]audience.Persona{}
	for i := range g.Len() {
		if a, ok := g.At(i).(*node.Action); ok {
			if pc, ok := a.Config.(*node.PurchaseContacts); ok && pc.Connector != "" {
				out[pc.Connector] = append(out[pc.Connector], pc.Persona)
			}
		}
	}
	return out
}

// createPool creates the Play's pool on led and allocates all of it to
// audience workflows.
func createPool(ctx context.Context, led *credit.Ledger, start time.Time, total int64) error {
	if err := led.CreatePool(ctx, true, credit.Pool{ID: PoolID, Start: start, End: start.AddDate(poolYears, 0, 0), Total: total}); err != nil {
		return err
	}
	_, err := led.Allocate(ctx, true, credit.AllocateRequest{Pool: PoolID, App: credit.AppAudienceWorkflows, Amount: total, User: Actor.UserID, At: start})
	return err
}

// recordConfig returns the mapping profiles and match rules the engine
// gets: those given, and defaults for the other names g's record-writing
// nodes use.
func recordConfig(g *graph.Graph, given map[string]*connector.MappingProfile, givenRules map[string]*connector.MatchRules) (map[string]*connector.MappingProfile, map[string]*connector.MatchRules) {
	profiles := map[string]*connector.MappingProfile{}
	for k, v := range given {
		profiles[k] = v
	}
	rules := map[string]*connector.MatchRules{}
	for k, v := range givenRules {
		rules[k] = v
	}
	for i := range g.Len() {
		a, ok := g.At(i).(*node.Action)
		if !ok || a.Config == nil {
			continue
		}
		kind := connector.KindContact
		switch a.Config.(type) {
		case *node.SaveContacts:
		case *node.CreateAccount:
			kind = connector.KindAccount
		default:
			continue
		}
		refs := a.Config.Refs()
		prof := profiles[refs.MappingProfile]
		if prof == nil && refs.MappingProfile != "" {
			prof = defaultProfile(refs.MappingProfile, kind)
			profiles[refs.MappingProfile] = prof
		}
		if refs.MatchRules != "" && rules[refs.MatchRules] == nil {
			if prof == nil {
				prof = defaultProfile("", kind)
			}
			r := connector.DefaultMatchRulesFor(prof)
			r.Name = refs.MatchRules
			rules[refs.MatchRules] = &r
		}
	}
	return profiles, rules
}

// defaultProfile is the profile New registers for a name no [Profile]
// gives.
func defaultProfile(name string, kind connector.ObjectKind) *connector.MappingProfile {
	p := &connector.MappingProfile{Name: name, Kind: kind, Environment: connector.Production}
	if kind == connector.KindAccount {
		p.Fields = []connector.FieldMapping{{From: "name", To: "Name"}, {From: "domain", To: "Domain"}, {From: "country", To: "Country"}}
		return p
	}
	p.Fields = []connector.FieldMapping{
		{From: "contact.email", To: "Email"}, {From: "contact.first_name", To: "FirstName"},
		{From: "contact.last_name", To: "LastName"}, {From: "contact.title", To: "Title"}, {From: "name", To: "Company"},
	}
	return p
}

// ledgerSpent sums the credits audience workflows spent in every pool.
func ledgerSpent(ctx context.Context, led *credit.Ledger) (int64, error) {
	pools, err := led.Pools(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, pl := range pools {
		bs, err := led.Balances(ctx, pl.ID)
		if err != nil {
			return 0, err
		}
		for _, b := range bs {
			if b.App == credit.AppAudienceWorkflows {
				n += b.Spent
			}
		}
	}
	return n, nil
}

// Balance returns the audience workflows' balance now, in the pool that
// covers the clock's now (the zero Balance, and a failed test, when there
// is none).
func (p *Play) Balance() credit.Balance {
	p.tb.Helper()
	b, err := p.balance()
	if err != nil {
		p.tb.Fatalf("playtest: credits: %v", err)
	}
	return b
}

func (p *Play) balance() (credit.Balance, error) {
	if !p.live() || p.led == nil {
		return credit.Balance{}, errors.New("the engine has no credit ledger")
	}
	return p.led.Balance(context.Background(), credit.AppAudienceWorkflows, p.clk.Now())
}

// TopUp adds n credits to the pool covering the clock's now and allocates
// them to audience workflows, through Engine.DistributeCredits as an
// administrator would; accounts blocked for want of credits are served at
// the next run. A failure fails the test.
func (p *Play) TopUp(n int64) {
	p.tb.Helper()
	if !p.live() || p.led == nil {
		p.tb.Fatalf("playtest: TopUp(%d): the engine has no credit ledger", n)
		return
	}
	if n < 0 {
		p.tb.Fatalf("playtest: TopUp(%d): a top-up adds credits", n)
		return
	}
	ctx := context.Background()
	pool, err := p.led.Pool(ctx, p.clk.Now())
	if err == nil {
		pool, err = p.led.SetPoolTotal(ctx, true, pool.ID, pool.Total+n)
	}
	var b credit.Balance
	if err == nil {
		b, err = p.balance()
	}
	if err == nil {
		_, err = p.e.DistributeCredits(ctx, Actor, credit.AllocateRequest{Pool: pool.ID, App: credit.AppAudienceWorkflows, Amount: b.Allocated + n})
	}
	if err != nil {
		p.tb.Fatalf("playtest: TopUp(%d): %v", n, err)
	}
}

// AssertCreditsSpent checks that the workflow's runs spent n credits in
// all: the sum of every run's CreditsSpent is n, and the ledger's spent
// credits (audience workflows) moved by exactly n since [New]. On a
// mismatch the message shows both figures, the credits each run spent,
// the balance, and the accounts waiting for credits.
func (p *Play) AssertCreditsSpent(t testing.TB, n int64) bool {
	t.Helper()
	if !p.live() || p.led == nil {
		t.Errorf("playtest: AssertCreditsSpent on a Play without an engine or credit ledger")
		return false
	}
	runs := p.Runs()
	var byRuns int64
	for _, r := range runs {
		byRuns += r.CreditsSpent
	}
	spent, err := ledgerSpent(context.Background(), p.led)
	if err != nil {
		t.Errorf("playtest: AssertCreditsSpent: %v", err)
		return false
	}
	byLedger := spent - p.spent0
	if byRuns == n && byLedger == n {
		return true
	}
	t.Errorf("playtest: credits spent: %d by the runs, %d by the ledger; want %d\n%s", byRuns, byLedger, n, p.creditReport(runs))
	return false
}

// AssertCredits checks how many credits audience workflows have available
// now (allocated, less what is reserved, spent or expired). On a mismatch
// the message shows the balance and the credits each run spent.
func (p *Play) AssertCredits(t testing.TB, left int64) bool {
	t.Helper()
	if !p.live() || p.led == nil {
		t.Errorf("playtest: AssertCredits on a Play without an engine or credit ledger")
		return false
	}
	b, err := p.balance()
	if err != nil {
		t.Errorf("playtest: AssertCredits: %v", err)
		return false
	}
	if b.Available == left {
		return true
	}
	t.Errorf("playtest: %d credit(s) available, want %d\n%s", b.Available, left, p.creditReport(p.Runs()))
	return false
}

// creditReport shows the credits each run spent, the balance now, and the
// accounts blocked (waiting for credits) at each node.
func (p *Play) creditReport(runs []playgraph.RunReport) string {
	var b strings.Builder
	b.WriteString("  credits per run:")
	if len(runs) == 0 {
		b.WriteString(" no runs")
	}
	for i, r := range runs {
		fmt.Fprintf(&b, "\n    run %d  %s  %-31s %d credit(s)", i+1, r.Now.Format(time.RFC3339), r.Status, r.CreditsSpent)
	}
	if bal, err := p.balance(); err != nil {
		fmt.Fprintf(&b, "\n  balance: %v", err)
	} else {
		fmt.Fprintf(&b, "\n  balance (audience workflows, pool %q): allocated %d, reserved %d, spent %d, expired %d, available %d",
			bal.Pool, bal.Allocated, bal.Reserved, bal.Spent, bal.Expired, bal.Available)
	}
	if counts, err := p.e.Counts(context.Background(), Actor, p.wf.ID); err == nil {
		for _, id := range slices.Sorted(mapKeys(counts)) {
			if n := counts[id].Blocked; n > 0 {
				fmt.Fprintf(&b, "\n  waiting for credits: %d account(s) at %s", n, p.describeNode(id))
			}
		}
	}
	return b.String()
}

// Preview simulates the next run from now with Engine.Preview, writing
// nothing (no connector writes, no credits spent, no account moved), and
// returns its per-node counts and credit estimate. An error fails the
// test.
func (p *Play) Preview() playgraph.PreviewReport {
	p.tb.Helper()
	if !p.live() {
		return playgraph.PreviewReport{}
	}
	rep, err := p.e.Preview(context.Background(), Actor, p.wf.ID)
	if err != nil {
		p.tb.Fatalf("playtest: preview at %s: %v", p.clk.Now().Format(time.RFC3339), err)
	}
	return rep
}
