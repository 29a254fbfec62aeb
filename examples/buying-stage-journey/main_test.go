package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	n, more := 3000, 250
	if testing.Short() {
		n, more = 500, 50
	}
	var out bytes.Buffer
	if err := run(&out, n, more); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		`Template "Go to Market" over ` + strconv.Itoa(n) + ` generated accounts:`,
		"completed                        entered " + pad(n) + "  sent ",
		"completed                        entered " + pad(more) + "  sent ",
		"flowchart TD",
		`-->|"Decision or Purchase"|`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// Every account ends at one of the three last nodes.
	total := 0
	for _, label := range []string{"Display ads", "Conversational email", "CRM campaign"} {
		m := regexp.MustCompile(`(?m)^  ` + label + ` +(\d+)$`).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("no count for %q:\n%s", label, s)
		}
		k, _ := strconv.Atoi(m[1])
		total += k
	}
	if total != n+more {
		t.Errorf("%d accounts at the ends of the paths, want %d", total, n+more)
	}
}

func pad(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat(" ", max(0, 4-len(s))) + s
}
