package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(&out, dir); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	path := filepath.Join(dir, "contacts.csv")
	for _, want := range []string{
		"Credits before: allocated 40, reserved 0, spent 0, available 40",
		`Preview:        5 account(s) would reach "Buy contacts"; up to 30 credits, expected 18`,
		"day  0  (buy and save)           Mon 2026-03-02 09:00 UTC  completed with timer             entered    7  sent   13  errors 0  credits 18  saved 8  csv rows 9",
		"northwind.com: a bought contact is already in the file (existing record import/2026-02/1): not saved again",
		"day  1  (again: nothing twice)   Tue 2026-03-03 09:00 UTC  completed with timer             entered    0  sent    0  errors 0  credits 0  saved 0  csv rows 9",
		"day 14  (the time is up)         Mon 2026-03-16 09:00 UTC  completed                        entered    0  sent    0  errors 0  credits 0  saved 0  csv rows 9",
		"Credits after:  allocated 40, reserved 0, spent 18, available 22",
		"Bought 9 contact(s) for 5 account(s), once each: 18 credits at 2 a contact",
		path + ": 9 row(s) under the header",
		"Email | First name | Last name | Title | Company | Domain | Source | _key",
		"drew.hayes@contoso.com | Drew | Hayes | Chief Marketing Officer | Contoso | contoso.com | playgraph | pg1:",
		"inbox: Workflow \"Buy contacts for high-intent accounts\" published " + path,
		"  Intent 70 or more?                      2",
		"  Wait 14 days                            5",
		`contacts.purchase        ""                                  5`,
		"flowchart TD",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}

	// The file itself: every email once, nobody below Director, nobody at
	// an account under 70.
	rows, err := readCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Fatalf("%d lines in the CSV, want a header and 9 rows", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Errorf("%s saved twice", r[0])
		}
		seen[r[0]] = true
		if r[3] == "Sales Manager" || r[5] == "litware.com" || r[5] == "wingtip.com" || r[5] == "tailspin.com" {
			t.Errorf("row %q should not be there", r)
		}
	}
}
