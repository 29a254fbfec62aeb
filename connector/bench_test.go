package connector

import (
	"strconv"
	"testing"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/internal/gen"
)

const benchN = 100_000

func benchData(tb testing.TB) ([]*audience.Account, []audience.Contact) {
	tb.Helper()
	accts := make([]*audience.Account, benchN)
	contacts := make([]audience.Contact, benchN)
	for i := range accts {
		a := gen.Account(1, i)
		accts[i] = a
		n := strconv.Itoa(i)
		contacts[i] = audience.Contact{ID: "ct-" + n, AccountID: a.ID, FirstName: "Pat", LastName: "Lee" + n, Email: "pat" + n + "@" + a.Domain, Title: "VP Marketing"}
	}
	return accts, contacts
}

// BenchmarkMapping applies a lead profile to 100k (account, contact) pairs
// per iteration; records/s is the figure to watch (target ≥ 1M/s).
func BenchmarkMapping(b *testing.B) {
	accts, contacts := benchData(b)
	m, err := leadProfile().Compile(testCatalog(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range accts {
			if _, err := m.Apply(accts[i], &contacts[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/(float64(b.N)*benchN), "ns/record")
}

// BenchmarkMatch looks 100k accounts up, per iteration, in an index of
// 100k target records under the default account rules (registrable domain,
// or company name and country); half the look-ups hit. lookups/s is the
// figure to watch (target ≥ 500k/s).
func BenchmarkMatch(b *testing.B) {
	accts, _ := benchData(b)
	idx, err := NewMatchIndex(DefaultMatchRules(KindAccount), nil)
	if err != nil {
		b.Fatal(err)
	}
	for i, a := range accts {
		// Target records spell things their own way.
		idx.Add(NewRecord("001"+strconv.Itoa(i), KindAccount, map[string]any{
			TargetName: a.Name + ", Inc.", TargetDomain: "https://www." + a.Domain + "/", TargetCountry: a.Country,
		}))
	}
	probes := make([]*audience.Account, benchN)
	for i := range probes {
		a := *gen.Account(1, i)
		if i%2 == 1 { // a miss: unknown name and domain
			a.Name, a.Domain = "Unknown "+a.Name, "x"+strconv.Itoa(i)+".example.org"
		}
		probes[i] = &a
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for b.Loop() {
		hits = 0
		for _, a := range probes {
			if _, ok := idx.Match(a, nil); ok {
				hits++
			}
		}
	}
	if hits != benchN/2 {
		b.Fatalf("hits = %d, want %d", hits, benchN/2)
	}
	b.ReportMetric(float64(b.N)*benchN/b.Elapsed().Seconds(), "lookups/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/(float64(b.N)*benchN), "ns/lookup")
}
