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
		"run 1: completed with errors, 30 contact(s) delivered",
		"failed permanently: no email address",
		"run 2: completed, 0 contact(s) delivered",
		"stored once each      30",
		"refused (no email)     2",
		"flowchart TD",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "repeats ignored        0") {
		t.Errorf("the lost acknowledgement caused no resend:\n%s", s)
	}
}
