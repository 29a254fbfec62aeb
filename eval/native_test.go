package eval

import (
	"testing"

	"github.com/playgraph/playgraph/internal/gen"
)

// TestNativeMatchesVM runs expressions of the shapes native.go compiles
// both natively and on expr's VM over generated accounts and checks that
// they agree (and that the shapes are indeed compiled natively).
func TestNativeMatchesVM(t *testing.T) {
	c := testCompiler(t)
	native := []string{
		`"acme" in researched_competitors`,
		`"acme" not in researched_competitors`,
		`any(researched_competitors, # in ["globex", "initech", "umbrella", "hooli", "vandelay"])`,
		`any(researched_competitors, # in ["x"]) or true`,
		`not ("globex" in researched_competitors) and any(researched_competitors, # not in ["acme"])`,
		`industry in ["Software", "software", ""]`,
		`false || "Acme" in researched_competitors`,
	}
	vmOnly := []string{
		`any(researched_competitors, # == "acme")`,
		`len(researched_competitors) > 1`,
	}
	accts := gen.Accounts(7, 2000)
	for _, src := range append(native, vmOnly...) {
		p, err := c.Compile(Filter{Expr: src})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		isNative := p.native != nil
		if want := !contains(vmOnly, src); isNative != want {
			t.Fatalf("%s: native %v, want %v", src, isNative, want)
		}
		if !isNative {
			continue
		}
		slow, err := c.Compile(Filter{Expr: src})
		if err != nil {
			t.Fatal(err)
		}
		slow.native = nil
		var r Runner
		hits := 0
		for i, a := range accts {
			if i%7 == 0 {
				a.ResearchedCompetitors = nil
			}
			env := &Env{Account: a, Now: gen.Epoch, EnteredAt: gen.Epoch}
			got, err1 := r.Match(p, env)
			want, err2 := r.Match(slow, env)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v, %v", src, err1, err2)
			}
			if got != want {
				t.Fatalf("%s on %+v: native %v, VM %v", src, a.ResearchedCompetitors, got, want)
			}
			if got {
				hits++
			}
		}
		t.Logf("%s: %d of %d", src, hits, len(accts))
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
