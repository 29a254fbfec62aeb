package playtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/playgraph/playgraph/audience"
)

// AccountOption sets a field of an account [Play.Account] makes.
type AccountOption func(*accountSpec) error

type accountSpec struct {
	a        *audience.Account
	contacts []audience.Contact
	n        int // generated contacts, when contacts is nil
	stock    int // contacts to add to the providers' stock (see Stock)
}

// Stage sets the buying stage by name: "Target", "Awareness",
// "Consideration", "Decision" or "Purchase".
func Stage(name string) AccountOption {
	return func(s *accountSpec) error {
		st, err := audience.ParseBuyingStage(name)
		s.a.BuyingStage = st
		return err
	}
}

// Intent sets the intent score, 0–100.
func Intent(score int) AccountOption {
	return func(s *accountSpec) error {
		if score < 0 || score > 100 {
			return fmt.Errorf("intent score %d is not within 0–100", score)
		}
		s.a.IntentScore = int64(score)
		return nil
	}
}

// Fit sets the profile fit by name: "Strong", "Moderate" or "Weak".
func Fit(name string) AccountOption {
	return func(s *accountSpec) error {
		f, err := audience.ParseProfileFit(name)
		s.a.ProfileFit = f
		return err
	}
}

// Competitors sets the competitors the account researches.
func Competitors(names ...string) AccountOption {
	return func(s *accountSpec) error { s.a.ResearchedCompetitors = names; return nil }
}

// Keywords sets the intent keywords the account researches.
func Keywords(words ...string) AccountOption {
	return func(s *accountSpec) error { s.a.Keywords = words; return nil }
}

// Employees sets the head count.
func Employees(n int) AccountOption {
	return func(s *accountSpec) error {
		if n < 0 {
			return fmt.Errorf("employees %d is negative", n)
		}
		s.a.Employees = int64(n)
		return nil
	}
}

// Country sets the country code ("US", "DE") and the region it lies in.
func Country(code string) AccountOption {
	return func(s *accountSpec) error {
		s.a.Country, s.a.Region = code, region(code)
		return nil
	}
}

// Contacts gives the account n generated contacts (default 2). They cycle
// through common buying-committee personas: a VP of Sales, a Director of
// Marketing, a Chief Marketing Officer, a Sales Manager, an IT Director
// and a Sales Development Representative (staff), so "Director and above
// in Sales or Marketing" matches the first three.
func Contacts(n int) AccountOption {
	return func(s *accountSpec) error {
		if n < 0 {
			return fmt.Errorf("contacts %d is negative", n)
		}
		s.n, s.contacts = n, nil
		return nil
	}
}

// WithContacts gives the account exactly these contacts (instead of
// generated ones). A contact without an ID gets one.
func WithContacts(cs ...audience.Contact) AccountOption {
	return func(s *accountSpec) error {
		s.contacts = append([]audience.Contact{}, cs...)
		return nil
	}
}

// Attr sets a CRM, MAP or custom attribute ("crm", "map" or "custom"
// source); the catalogue must declare it (see [Catalog]) for filters to
// read it.
func Attr(source, key string, value any) AccountOption {
	return func(s *accountSpec) error {
		var m *map[string]any
		switch strings.ToLower(source) {
		case "crm":
			m = &s.a.CRM
		case "map":
			m = &s.a.MAP
		case "custom":
			m = &s.a.Custom
		default:
			return fmt.Errorf("attribute source %q (want crm, map or custom)", source)
		}
		if *m == nil {
			*m = map[string]any{}
		}
		(*m)[key] = value
		return nil
	}
}

// Modify edits the account directly, for fields no option covers.
func Modify(f func(*audience.Account)) AccountOption {
	return func(s *accountSpec) error {
		if f != nil {
			f(s.a)
		}
		return nil
	}
}

var personas = []struct{ first, last, title, level, function string }{
	{"Sam", "Rivera", "VP Sales", "VP", "Sales"},
	{"Alex", "Chen", "Director of Marketing", "Director", "Marketing"},
	{"Jordan", "Patel", "Chief Marketing Officer", "C-Level", "Marketing"},
	{"Casey", "Kim", "Sales Manager", "Manager", "Sales"},
	{"Morgan", "Diaz", "IT Director", "Director", "IT"},
	{"Riley", "Novak", "Sales Development Representative", "Staff", "Sales"},
}

// Account makes an account and adds it to the play's segment, replacing
// the data of an account with the same id (so calling it again between
// runs changes what the next run sees). id is the account id; when it
// looks like a domain ("acme.com") it is the domain too, otherwise the
// domain is id + ".example.com".
//
// Defaults: name from the id ("acme.com": "Acme"), 1,000 employees, US,
// Software, buying stage Awareness, intent 50, profile fit Moderate, no
// competitors or keywords, and 2 contacts (see [Contacts]); nothing in
// stock at the contact provider (see [Stock]). A bad option fails the
// test.
func (p *Play) Account(id string, opts ...AccountOption) *audience.Account {
	p.tb.Helper()
	id = strings.TrimSpace(id)
	if id == "" {
		p.tb.Fatalf("playtest: Account needs an id")
		return &audience.Account{}
	}
	domain := id
	if !strings.Contains(id, ".") {
		domain = id + ".example.com"
	}
	base, _, _ := strings.Cut(domain, ".")
	a := &audience.Account{
		ID: id, Name: title(base), Domain: domain, Country: "US", Region: "NA", Industry: "Software",
		Employees: 1000, Revenue: 100e6, BuyingStage: audience.StageAwareness, IntentScore: 50,
		ProfileFit: audience.FitModerate, CreatedAt: p.start.Add(-90 * 24 * time.Hour),
	}
	s := &accountSpec{a: a, n: 2}
	for i, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			p.tb.Fatalf("playtest: account %q, option %d: %v", id, i+1, err)
			return a
		}
	}
	cs := s.contacts
	if cs == nil {
		cs = make([]audience.Contact, s.n)
		for k := range s.n {
			pr := personas[k%len(personas)]
			first := pr.first
			if k >= len(personas) {
				first += strconv.Itoa(k/len(personas) + 1)
			}
			cs[k] = audience.Contact{
				ID: a.ID + "-c" + strconv.Itoa(k+1), FirstName: first, LastName: pr.last,
				Email: strings.ToLower(first+"."+pr.last) + "@" + a.Domain, Title: pr.title,
				JobLevel: pr.level, JobFunction: pr.function, Country: a.Country,
			}
		}
	}
	for k := range cs {
		cs[k].AccountID = a.ID
		if cs[k].ID == "" {
			cs[k].ID = a.ID + "-c" + strconv.Itoa(k+1)
		}
	}
	p.Add(a)
	if p.src != nil {
		p.src.SetContacts(a.ID, cs...)
	}
	if err := p.addStock(a, s.stock); err != nil {
		p.tb.Fatalf("playtest: account %q: %v", id, err)
	}
	return a
}

// Add adds accounts to the play's segment (again, for accounts removed
// earlier), replacing the data of known ids. Their known contacts are
// kept; set them with [Play.Account] or through the source.
func (p *Play) Add(accts ...*audience.Account) {
	p.tb.Helper()
	if p.src == nil {
		return
	}
	if err := p.src.Add(accts...); err != nil {
		p.tb.Fatalf("playtest: add accounts: %v", err)
	}
}

// Remove takes accounts out of the segment. Accounts in the flow stay in
// it (unless [LeaveOnSegmentExit]); their data stay readable.
func (p *Play) Remove(ids ...string) {
	if p.src != nil {
		p.src.Remove(ids...)
	}
}

func title(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func region(country string) string {
	switch strings.ToUpper(country) {
	case "US", "CA", "MX":
		return "NA"
	case "BR", "AR", "CL", "CO":
		return "LATAM"
	case "AU", "NZ", "JP", "IN", "SG", "CN", "KR":
		return "APAC"
	}
	return "EMEA"
}
