//go:build unix

package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary play the child process the example
// re-executes.
func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		childMain()
	}
	os.Exit(m.Run())
}

func TestDurableRestart(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "80 actions in all, each once by key") {
		t.Fatalf("unexpected report:\n%s", out.String())
	}
}
