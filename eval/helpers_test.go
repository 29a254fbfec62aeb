package eval

import (
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
)

var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// testCatalog declares one attribute of every attribute type.
func testCatalog(t testing.TB) *audience.Catalog {
	t.Helper()
	cat, err := audience.NewCatalog(
		audience.Attribute{Origin: audience.OriginCRM, Key: "owner", Type: audience.TypeString},
		audience.Attribute{Origin: audience.OriginCRM, Key: "deal_size", Type: audience.TypeInt},
		audience.Attribute{Origin: audience.OriginCRM, Key: "arr", Type: audience.TypeFloat},
		audience.Attribute{Origin: audience.OriginCRM, Key: "is_customer", Type: audience.TypeBool},
		audience.Attribute{Origin: audience.OriginCRM, Key: "renewal", Type: audience.TypeTime},
		audience.Attribute{Origin: audience.OriginCRM, Key: "products", Type: audience.TypeStrings},
		audience.Attribute{Origin: audience.OriginMAP, Key: "score", Type: audience.TypeInt},
		audience.Attribute{Origin: audience.OriginCustom, Key: "tier", Type: audience.TypeString},
		audience.Attribute{Origin: audience.OriginCustom, Key: "flag", Type: audience.TypeBool},
	)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// testAccount is the fixture the operator tables evaluate.
func testAccount() *audience.Account {
	return &audience.Account{
		ID: "acct-1", Name: "Acme Corp", Domain: "acme.example", Country: "US", Region: "NA", Industry: "Software",
		Employees: 5000, Revenue: 2.5e8, BuyingStage: audience.StageDecision, IntentScore: 72, ProfileFit: audience.FitModerate,
		Keywords:              []string{"ABM", "intent data"},
		ResearchedCompetitors: []string{"acme", "globex"},
		LastVisit:             testNow.Add(-3 * 24 * time.Hour),
		CreatedAt:             time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		CRM: map[string]any{
			"owner": "Dana Smith", "deal_size": int64(120000), "arr": 99.5, "is_customer": true,
			"renewal": time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "products": []string{"Ads", "Email"},
		},
		MAP: map[string]any{"score": 7},
		Events: []audience.Event{
			{Channel: "linkedin", Campaign: "camp-1", Kind: audience.KindClick, At: testNow.Add(-24 * time.Hour)},
			{Channel: "google", Campaign: "ad-g", Kind: audience.KindImpression, At: testNow.Add(-24 * time.Hour)},
		},
	}
}

func testContacts() []audience.Contact {
	return []audience.Contact{
		{ID: "c1", FirstName: "Pat", LastName: "Lee", Title: "VP of Sales", JobLevel: "VP", JobFunction: "Sales", Country: "US", Email: "pat@acme.example"},
		{ID: "c2", FirstName: "Sam", LastName: "Ng", Title: "Marketing Manager", JobLevel: "Manager", JobFunction: "Marketing", Country: "CA"},
	}
}

type fakeSegments map[string]map[string]bool

func (f fakeSegments) InSegment(seg, acct string) bool { return f[seg][acct] }

func testEnv() *Env {
	return &Env{
		Account:   testAccount(),
		Contacts:  testContacts(),
		Now:       testNow,
		EnteredAt: testNow.Add(-2 * 24 * time.Hour),
		Path: []Step{
			{Node: "start", At: testNow.Add(-10 * 24 * time.Hour)},
			{Node: "ad1", At: testNow.Add(-2 * 24 * time.Hour)},
			{Node: "ad2", At: testNow.Add(-time.Hour)},
		},
		Events:   []audience.Event{{Channel: "meta", Campaign: "ad3", Kind: audience.KindReply, At: testNow.Add(-time.Hour)}},
		Segments: fakeSegments{"vip": {"acct-1": true}},
	}
}

var testAds = map[string]AdRef{
	"ad1": {Channel: "linkedin", Campaign: "camp-1"},
	"ad2": {Channel: "google", Campaign: "ad-g"},
	"ad3": {Channel: "meta", Campaign: "camp-3"},
	"ad4": {Channel: "linkedin", Campaign: "camp-4"},
}

func testCompiler(t testing.TB) *Compiler {
	return &Compiler{
		Catalog: testCatalog(t),
		AdNode:  func(id string) (AdRef, bool) { r, ok := testAds[id]; return r, ok },
	}
}

// matchBoth compiles f structurally and as its rendering, evaluates both
// against env and fails if they disagree.
func matchBoth(t *testing.T, c *Compiler, f Filter, env *Env) bool {
	t.Helper()
	p, err := c.Compile(f)
	if err != nil {
		t.Fatalf("compile %+v: %v", f, err)
	}
	got, err := p.Match(env)
	if err != nil {
		t.Fatalf("match: %v", err)
	}
	src, err := c.Render(f)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	ep, err := c.Compile(Filter{Expr: src})
	if err != nil {
		t.Fatalf("compile rendering %q: %v", src, err)
	}
	egot, err := ep.Match(env)
	if err != nil {
		t.Fatalf("match rendering %q: %v", src, err)
	}
	if got != egot {
		t.Fatalf("structured %v, rendering %q %v", got, src, egot)
	}
	return got
}
