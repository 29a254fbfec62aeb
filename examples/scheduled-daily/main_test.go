package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, 30, 20); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	lines := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "day ") {
			lines++
			if !strings.Contains(l, " 09:00 E") {
				t.Errorf("run not at 09:00 New York time: %s", l)
			}
			if !strings.Contains(l, "entered   20") || !strings.Contains(l, "errors 0") {
				t.Errorf("unexpected run: %s", l)
			}
		}
	}
	if lines != 30 {
		t.Errorf("%d runs, want one a day for 30 days:\n%s", lines, s)
	}
	for _, want := range []string{
		"day  6  Sat 2026-03-07 09:00 EST",
		"day  7  Sun 2026-03-08 09:00 EDT",
		"30 runs; the workflow is now unpublished (schedule ended",
		"inbox: Workflow \"Competitor research\" was unpublished",
		`audience.remove          "Competitor comparison"`,
		"flowchart TD",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
