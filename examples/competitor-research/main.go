// Command competitor-research builds the play from the product text: a
// branching decision on the competitors a segment's accounts research;
// accounts researching the top competitor go to the sales engagement
// platform, accounts researching another get a LinkedIn ad, wait up to 14
// days for engagement with it, then go to the SEP when they engaged or
// leave the ad audience when the time is up.
//
// It prints the play's validation result and its Mermaid diagram (paste it
// into any Mermaid viewer). A later version runs the play.
//
//	go run ./examples/competitor-research
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/plays"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run builds the play and writes its validation result and diagram to w.
func run(w io.Writer) error {
	segments := func(id string) (audience.Segment, bool) {
		return plays.CRSegmentDef, id == plays.CRSegmentDef.ID
	}
	g, err := plays.CompetitorResearch().Build(graph.WithSegments(segments))
	var ve *graph.ValidationError
	if errors.As(err, &ve) {
		fmt.Fprintf(w, "invalid play: %d problems\n", len(ve.Problems))
		for _, p := range ve.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "play %q is valid: %d nodes, %d paths\n", g.Name(), g.Len(), len(g.Edges()))
	for _, wn := range g.Warnings() {
		fmt.Fprintf(w, "  warning: %s\n", wn)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, g.Mermaid(graph.MermaidOptions{}))
	return nil
}
