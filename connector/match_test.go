package connector

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/playgraph/playgraph/audience"
)

func TestNormalizeCompany(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ACME, Inc.", "acme"},
		{"Acme", "acme"},
		{"acme inc", "acme"},
		{"Acme Corp.", "acme"},
		{"Acme Corporation", "acme"},
		{"ACME L.L.C.", "acme"},
		{"Acme GmbH", "acme"},
		{"Acme Holdings Co., Ltd.", "acmeholdings"},
		{"Acme Pty Ltd", "acme"},
		{"Acme S.A.", "acme"},
		{"Acme & Co.", "acme"},
		{"The Acme Company", "acme"},
		{"Johnson & Johnson", "johnsonandjohnson"},
		{"Procter & Gamble Co", "procterandgamble"},
		{"McDonald's Corp", "mcdonalds"},
		{"Hewlett-Packard", "hewlettpackard"},
		{"Limited", "limited"}, // a lone legal word stays
		{"The", "the"},
		{"  ", ""},
		{"Nestlé S.A.", "nestlé"},
		{"ÜBER GmbH", "über"},
		{"Yahoo! Inc.", "yahoo"},
		// A combining accent stays with its letter: "Cafe\u0301" is not
		// "Cafe" (the mark ended the word before, and was dropped).
		{"Cafe\u0301 Inc", "cafe\u0301"},
		{"ΟΔΟΣ Α.Ε.", "οδοσαε"}, // final and other sigmas fold alike
	}
	for _, tt := range tests {
		if got := NormalizeCompany(tt.in); got != tt.want {
			t.Errorf("NormalizeCompany(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	tests := []struct{ in, host, registrable string }{
		{"www.Acme.com", "acme.com", "acme.com"},
		{"acme.com", "acme.com", "acme.com"},
		{"https://www.acme.com/about?x=1#top", "acme.com", "acme.com"},
		{"http://user:pw@Shop.Acme.co.uk:8080/", "shop.acme.co.uk", "acme.co.uk"},
		{"shop.acme.co.uk", "shop.acme.co.uk", "acme.co.uk"},
		{"acme.co.uk.", "acme.co.uk", "acme.co.uk"},
		{"bob@Mail.Acme.com", "mail.acme.com", "acme.com"},
		{" ACME.COM ", "acme.com", "acme.com"},
		{"co.uk", "co.uk", "co.uk"},
		{"localhost", "localhost", "localhost"},
		{"10.0.0.1", "10.0.0.1", "10.0.0.1"},
		{"", "", ""},
		{"foo.github.io", "foo.github.io", "foo.github.io"},
	}
	for _, tt := range tests {
		h := NormalizeDomain(tt.in)
		if h != tt.host {
			t.Errorf("NormalizeDomain(%q) = %q, want %q", tt.in, h, tt.host)
		}
		if r := RegistrableDomain(h); r != tt.registrable {
			t.Errorf("RegistrableDomain(%q) = %q, want %q", h, r, tt.registrable)
		}
	}
}

// TestMatchTypes checks every match type on pairs of (our value, their
// value).
func TestMatchTypes(t *testing.T) {
	tests := []struct {
		typ          MatchType
		ours, theirs string
		want         bool
	}{
		{MatchStrict, "US", "us", true},
		{MatchStrict, "ΟΔΟΣ", "οδος", true}, // Σ, σ and the final ς are one letter
		{MatchStrict, "Kelvin \u212a", "kelvin k", true},
		{MatchCompanyName, "Cafe\u0301", "Cafe", false},
		{MatchStrict, " US ", "US", true},
		{MatchStrict, "US", "USA", false},
		{MatchStrict, "ACME, Inc.", "Acme", false},
		{MatchStrict, "", "", false},
		{MatchCompanyName, "ACME, Inc.", "Acme", true},
		{MatchCompanyName, "Acme Corp", "ACME CORPORATION", true},
		{MatchCompanyName, "Acme", "Acme Widgets", false},
		{MatchCompanyName, "", "Inc", false},
		{MatchDomain, "www.Acme.com", "acme.com", true},
		{MatchDomain, "https://acme.com/", "ACME.COM", true},
		{MatchDomain, "shop.acme.co.uk", "acme.co.uk", false},
		{MatchDomain, "shop.acme.co.uk", "SHOP.acme.co.uk", true},
		{MatchDomain, "acme.com", "acme.net", false},
		{MatchDomainOnly, "shop.acme.co.uk", "acme.co.uk", true},
		{MatchDomainOnly, "www.Acme.com", "eu.acme.com", true},
		{MatchDomainOnly, "acme.co.uk", "other.co.uk", false},
		{MatchDomainOnly, "acme.com", "acme.co.uk", false},
		{MatchDomainOnly, "", "", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s~%s", tt.typ, tt.ours, tt.theirs), func(t *testing.T) {
			rules := MatchRules{Name: "r", Kind: KindAccount, Blocks: []MatchBlock{{Fields: []MatchField{{Ours: "domain", Theirs: "X", Type: tt.typ}}}}}
			idx, err := NewMatchIndex(rules, nil)
			if err != nil {
				t.Fatal(err)
			}
			idx.Add(NewRecord("t1", KindAccount, map[string]any{"X": tt.theirs}))
			id, ok := idx.Match(&audience.Account{ID: "a", Domain: tt.ours}, nil)
			if ok != tt.want || (ok && id != "t1") {
				t.Errorf("Match = %q, %v; want %v", id, ok, tt.want)
			}
		})
	}
}

// TestDefaultMatching runs the default account logic (registrable domain,
// or company name and country) on tricky names.
func TestDefaultMatching(t *testing.T) {
	idx, err := NewMatchIndex(MatchRules{Name: "std", Kind: KindAccount}, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.Add(
		NewRecord("001A", KindAccount, map[string]any{"Name": "Acme", "Domain": "acme.co.uk", "Country": "GB"}),
		NewRecord("001B", KindAccount, map[string]any{"Name": "Globex Corporation", "Domain": "https://www.globex.com/", "Country": "US"}),
		NewRecord("001C", KindAccount, map[string]any{"Name": "Initech GmbH", "Country": "DE"}),
		NewRecord("001D", KindContact, map[string]any{"Name": "Wrong Kind", "Domain": "wrong.com"}),
		NewRecord("001E", KindAccount, map[string]any{"Name": "Acme", "Domain": "acme.co.uk"}), // duplicate: first id kept
	)
	if idx.Len() != 4 {
		t.Errorf("Len = %d, want 4 (the contact record is ignored)", idx.Len())
	}
	tests := []struct {
		name string
		a    audience.Account
		want string // "" = no match
	}{
		{"subdomain of registrable domain", audience.Account{Domain: "shop.acme.co.uk"}, "001A"},
		{"www and case", audience.Account{Domain: "www.Globex.com"}, "001B"},
		{"name with legal suffix and country", audience.Account{Name: "ACME, Inc.", Country: "gb"}, "001A"},
		{"name matches, country differs", audience.Account{Name: "ACME, Inc.", Country: "US"}, ""},
		{"name matches, no country", audience.Account{Name: "Acme"}, ""},
		{"name without suffix", audience.Account{Name: "initech", Country: "DE", Domain: "initech.de"}, "001C"},
		{"globex corp vs corporation", audience.Account{Name: "GLOBEX CORP.", Country: "US"}, "001B"},
		{"other company", audience.Account{Name: "Hooli", Domain: "hooli.com", Country: "US"}, ""},
		{"kind filtered out", audience.Account{Domain: "wrong.com"}, ""},
		{"empty account", audience.Account{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := idx.Match(&tt.a, nil)
			if ok != (tt.want != "") || id != tt.want {
				t.Errorf("Match = %q, %v; want %q", id, ok, tt.want)
			}
		})
	}
	if id, ok := idx.Match(nil, nil); ok {
		t.Errorf("nil account matched %q", id)
	}
}

func TestCustomBlocksAndOr(t *testing.T) {
	cat := testCatalog(t)
	rules := MatchRules{Name: "custom", Kind: KindAccount, Blocks: []MatchBlock{
		// block 1: CRM id, strictly.
		{Fields: []MatchField{{Ours: "crm.owner", Theirs: "OwnerKey", Type: MatchStrict}}},
		// block 2: exact host AND normalised name.
		{Fields: []MatchField{{Ours: "domain", Theirs: "Website", Type: MatchDomain}, {Ours: "name", Theirs: "Name", Type: MatchCompanyName}}},
	}}
	idx, err := NewMatchIndex(rules, cat)
	if err != nil {
		t.Fatal(err)
	}
	idx.Add(
		NewRecord("r1", KindAccount, map[string]any{"OwnerKey": "K-1", "Website": "acme.com", "Name": "Acme Inc"}),
		NewRecord("r2", KindAccount, map[string]any{"Website": "shop.globex.com", "Name": "Globex"}),
	)
	tests := []struct {
		name string
		a    audience.Account
		want string
	}{
		{"block 1 alone", audience.Account{CRM: map[string]any{"owner": "k-1"}}, "r1"},
		{"block 2 both fields", audience.Account{Domain: "www.acme.com", Name: "ACME"}, "r1"},
		{"block 2 one field only (AND)", audience.Account{Domain: "acme.com", Name: "Other"}, ""},
		{"block 2 subdomain must match exactly", audience.Account{Domain: "globex.com", Name: "Globex"}, ""},
		{"block 2 with subdomain", audience.Account{Domain: "SHOP.globex.com", Name: "Globex LLC"}, "r2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := idx.Match(&tt.a, nil)
			if ok != (tt.want != "") || id != tt.want {
				t.Errorf("Match = %q, %v; want %q", id, ok, tt.want)
			}
		})
	}
	// Remember makes an account written during the run match later ones.
	newAcct := &audience.Account{ID: "a9", Domain: "hooli.com", Name: "Hooli"}
	if _, ok := idx.Match(newAcct, nil); ok {
		t.Fatal("matched before Remember")
	}
	idx.Remember("r9", newAcct, nil)
	if id, ok := idx.Match(&audience.Account{Domain: "www.hooli.com", Name: "Hooli, Inc."}, nil); !ok || id != "r9" {
		t.Errorf("after Remember: %q, %v", id, ok)
	}
}

func TestContactMatching(t *testing.T) {
	p := &MappingProfile{Name: "leads", Kind: KindLead, Environment: Production, Fields: []FieldMapping{
		{From: "contact.email", To: "EmailAddress"}, {From: "contact.last_name", To: "LastName"}, {From: "name", To: "Company"},
	}, Satisfy: map[Requirement]string{ReqEmail: "EmailAddress"}}
	rules := DefaultMatchRulesFor(p)
	if got := rules.Blocks[0].Fields[0].Theirs; got != "EmailAddress" {
		t.Fatalf("DefaultMatchRulesFor: their field %q", got)
	}
	idx, err := NewMatchIndex(rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.Add(NewRecord("L1", KindLead, map[string]any{"EmailAddress": "Bob@Acme.com"}))
	acme := &audience.Account{ID: "a1"}
	if id, ok := idx.Match(acme, &audience.Contact{Email: "bob@acme.com "}); !ok || id != "L1" {
		t.Errorf("bob: %q %v", id, ok)
	}
	if _, ok := idx.Match(acme, &audience.Contact{Email: "alice@acme.com"}); ok {
		t.Error("alice matched")
	}
	if _, ok := idx.Match(acme, nil); ok {
		t.Error("nil contact matched")
	}
	// Account default rules keep their names when a profile maps elsewhere.
	ar := DefaultMatchRulesFor(&MappingProfile{Kind: KindAccount, Fields: []FieldMapping{{From: "domain", To: "Website"}}})
	if ar.Blocks[0].Fields[0].Theirs != "Website" || ar.Blocks[1].Fields[0].Theirs != TargetName {
		t.Errorf("account defaults: %+v", ar.Blocks)
	}
}

func TestValidateRules(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name    string
		rules   MatchRules
		want    []error
		mention []string
	}{
		{"default account", MatchRules{Name: "d", Kind: KindAccount}, nil, nil},
		{"default contact", MatchRules{Name: "d", Kind: KindContact}, nil, nil},
		{"bad kind", MatchRules{Name: "d"}, []error{ErrInvalidRules}, []string{"object kind"}},
		{"empty block", MatchRules{Name: "e", Kind: KindAccount, Blocks: []MatchBlock{{}}}, []error{ErrInvalidRules}, []string{"block 1 has no fields"}},
		{"all at once", MatchRules{Name: "x", Kind: KindAccount, Blocks: []MatchBlock{{Fields: []MatchField{
			{Ours: "nope", Theirs: "A", Type: MatchStrict},
			{Ours: "contact.email", Theirs: "B", Type: MatchStrict},
			{Ours: "name", Theirs: "", Type: MatchStrict},
			{Ours: "domain", Theirs: "D", Type: 42},
		}}}}, []error{ErrInvalidRules, ErrUnknownField}, []string{"nope", "contact field", "no target field", "invalid match type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate(cat)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("%v does not wrap %v", err, w)
				}
			}
			for _, m := range tt.mention {
				if !strings.Contains(fmt.Sprint(err), m) {
					t.Errorf("%v does not mention %q", err, m)
				}
			}
			if _, err := NewMatchIndex(tt.rules, cat); err == nil {
				t.Error("NewMatchIndex accepted invalid rules")
			}
		})
	}
}

func TestMatchIndexConcurrent(t *testing.T) {
	idx, err := NewMatchIndex(DefaultMatchRules(KindAccount), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				d := fmt.Sprintf("c%d-%d.com", g, i)
				idx.Remember("id"+d, &audience.Account{Domain: d}, nil)
				if _, ok := idx.Match(&audience.Account{Domain: "www." + d}, nil); !ok {
					t.Errorf("%s not matched after Remember", d)
				}
			}
		})
	}
	wg.Wait()
}

func TestNewFindQuery(t *testing.T) {
	q := NewFindQuery(KindLead,
		[]*audience.Account{{Domain: "a.com", Name: "A"}, {Domain: "a.com", Name: "A2"}, nil, {}},
		[]*audience.Contact{{Email: "x@a.com"}, {Email: "x@a.com"}, nil})
	if q.Kind != KindLead || len(q.Domains) != 1 || len(q.Names) != 2 || len(q.Emails) != 1 {
		t.Errorf("%+v", q)
	}
}

// NormalizeStrict is MatchStrict's normalisation (the fake connector's
// finder filters with it): the two agree beyond ASCII too.
func TestNormalizeStrictIsMatchStrict(t *testing.T) {
	for _, s := range []string{" Acme ", "ΟΔΟΣ", "οδος", "ſtar", "Kelvin \u212a", "straße", "plain"} {
		if a, b := NormalizeStrict(s), MatchStrict.Normalize(s); a != b {
			t.Errorf("%q: NormalizeStrict %q, MatchStrict.Normalize %q", s, a, b)
		}
	}
}
