package connector

import (
	"strings"
	"testing"

	"github.com/playgraph/playgraph/audience"
)

// FuzzNormalize checks that the normalisers never panic, that matching a
// value against itself holds whenever it normalises to something, and
// that ASCII case never matters.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"ACME, Inc.", "www.Acme.com", "shop.acme.co.uk", "bob@x.com", "http://u:p@h:80/p?q#f", "The & Co.", "İstanbul A.Ş.", "", "..", "@", "::", "www."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, mt := range []MatchType{MatchStrict, MatchCompanyName, MatchDomain, MatchDomainOnly} {
			if n := mt.Normalize(s); n != mt.Normalize(strings.ToUpper(s)) && s == strings.ToLower(s) && isASCII(s) {
				t.Errorf("%s: case matters for %q", mt, s)
			}
		}
		if c := NormalizeCompany(s); strings.ContainsAny(c, " .,&'") {
			t.Errorf("NormalizeCompany(%q) = %q keeps separators", s, c)
		}
		idx, err := NewMatchIndex(MatchRules{Kind: KindAccount}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a := &audience.Account{Name: s, Domain: s, Country: "US"}
		idx.Remember("x", a, nil)
		if _, ok := idx.Match(a, nil); !ok && (MatchDomainOnly.Normalize(s) != "" || NormalizeCompany(s) != "") {
			t.Errorf("%q does not match itself", s)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
