package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		`Play "Competitor research": 7 nodes, 8 accounts in the segment`,
		"day  0  (decision, SEP and LinkedIn ad)        Mon 2026-03-02 09:00 UTC  completed with timer             entered    8  sent    9",
		"day 14  (the time is up for the rest)          Mon 2026-03-16 09:00 UTC  completed ",
		"contoso.com     Researching competitors → Which competitor? [Other competitor] → LinkedIn ad audience → Wait 14 days for engagement [met] → Send engaged to SEP",
		"fabrikam.com    Researching competitors → Which competitor? [Other competitor] → LinkedIn ad audience → Wait 14 days for engagement [time_up] → Remove from LinkedIn audience",
		"litware.com     Researching competitors → Which competitor? [all_others]",
		`campaign.push_contacts   "Acme displacement"                 4`,
		`audience.remove          "Competitor comparison"             3`,
		"flowchart TD",
		`-->|"time_up"|`,
		"Still in the LinkedIn audience: [contoso.com tailspin.com]",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
