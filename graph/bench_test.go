package graph_test

import (
	"os"
	"testing"

	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/plays"
)

func BenchmarkBuild(b *testing.B) {
	bl := plays.CompetitorResearch()
	for b.Loop() {
		if _, err := bl.Build(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data, err := os.ReadFile("testdata/competitor-research.json")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := graph.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWalk walks every output of every node by dense index, as an
// engine's inner loop does.
func BenchmarkWalk(b *testing.B) {
	g, err := plays.CompetitorResearch().Build()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range g.Len() {
			for k := range g.Outputs(i) {
				n += g.NextAt(i, k)
			}
		}
	}
	_ = n
}
