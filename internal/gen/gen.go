// Package gen generates deterministic synthetic accounts for tests,
// benchmarks and examples. Every benchmark in the module that needs
// accounts uses it, so figures compare like with like.
package gen

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/playgraph/playgraph/audience"
)

// Epoch is the base time generated times are spread around.
var Epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Competitors are the competitor names generated accounts research.
var Competitors = []string{"acme", "globex", "initech", "umbrella", "hooli", "vandelay"}

// Countries are the countries generated accounts are in.
var Countries = []string{"US", "US", "US", "GB", "DE", "FR", "CA", "AU", "JP", "IN"}

var industries = []string{"Software", "Manufacturing", "Finance", "Healthcare", "Retail", "Education"}

var keywords = []string{"abm", "intent data", "crm", "pipeline", "advertising", "email"}

// Channels are the ad channels generated events use.
var Channels = []string{"linkedin", "google", "meta", "6sense"}

// ID returns the id of the i-th generated account: "acct-" and at least
// seven digits (12 bytes up to 9,999,999; never over 16 bytes for i < 10^11).
func ID(i int) string {
	var b [16]byte
	s := strconv.AppendInt(b[:0], int64(i), 10)
	out := make([]byte, 0, 16)
	out = append(out, "acct-"...)
	for n := len(s); n < 7; n++ {
		out = append(out, '0')
	}
	return string(append(out, s...))
}

// Account returns the i-th account of the stream seeded by seed. The same
// (seed, i) always gives the same account.
func Account(seed uint64, i int) *audience.Account {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	id := ID(i)
	a := &audience.Account{
		ID:          id,
		Name:        "Company " + id[5:],
		Domain:      "c" + id[5:] + ".example.com",
		Country:     Countries[r.IntN(len(Countries))],
		Industry:    industries[r.IntN(len(industries))],
		Employees:   int64(r.IntN(20000)),
		Revenue:     float64(r.IntN(1_000_000_000)),
		BuyingStage: audience.BuyingStage(1 + r.IntN(5)),
		IntentScore: int64(r.IntN(101)),
		ProfileFit:  audience.ProfileFit(1 + r.IntN(3)),
		CreatedAt:   Epoch.Add(-time.Duration(r.IntN(365*24)) * time.Hour),
	}
	switch a.Country {
	case "US", "CA":
		a.Region = "NA"
	case "AU", "JP", "IN":
		a.Region = "APAC"
	default:
		a.Region = "EMEA"
	}
	if n := r.IntN(3); n > 0 {
		a.ResearchedCompetitors = make([]string, 0, n)
		for range n {
			a.ResearchedCompetitors = append(a.ResearchedCompetitors, Competitors[r.IntN(len(Competitors))])
		}
	}
	if n := r.IntN(3); n > 0 {
		a.Keywords = make([]string, 0, n)
		for range n {
			a.Keywords = append(a.Keywords, keywords[r.IntN(len(keywords))])
		}
	}
	if r.IntN(2) == 0 {
		a.LastVisit = Epoch.Add(-time.Duration(r.IntN(60*24)) * time.Hour)
	}
	return a
}

// Accounts returns n accounts of the stream seeded by seed, ids ID(0)…ID(n-1).
func Accounts(seed uint64, n int) []*audience.Account {
	out := make([]*audience.Account, n)
	// One backing array: millions of small allocations would dominate
	// benchmark set-up.
	backing := make([]audience.Account, n)
	for i := range n {
		backing[i] = *Account(seed, i)
		out[i] = &backing[i]
	}
	return out
}

// Contacts returns k deterministic contacts for an account.
func Contacts(a *audience.Account, k int) []audience.Contact {
	levels := []string{"C-Level", "VP", "Director", "Manager", "Staff"}
	funcs := []string{"Marketing", "Sales", "IT", "Finance", "Operations"}
	titles := []string{"Chief Marketing Officer", "VP Sales", "Director of IT", "Marketing Manager", "Sales Rep"}
	out := make([]audience.Contact, k)
	for j := range k {
		n := strconv.Itoa(j)
		out[j] = audience.Contact{
			ID:          a.ID + "-c" + n,
			AccountID:   a.ID,
			FirstName:   "Pat" + n,
			LastName:    "Lee",
			Email:       "pat" + n + "@" + a.Domain,
			Title:       titles[j%len(titles)],
			JobLevel:    levels[j%len(levels)],
			JobFunction: funcs[j%len(funcs)],
			Country:     a.Country,
		}
	}
	return out
}
