package store_test

import (
	"fmt"
	"testing"

	"github.com/playgraph/playgraph/store"
)

func TestActionKeyAccount(t *testing.T) {
	tests := []struct {
		key  string
		want string
		ok   bool
	}{
		{store.ActionKey("wf", "node", "acct-0000001", 3), "acct-0000001", true},
		{store.ActionKey("w:f", "n:o:de", "A.b_c~d-9", 1), "A.b_c~d-9", true},
		{store.ActionKey("wf", "node", "x:y", 1), "", false}, // escaped: %3A
		{store.ActionKey("wf", "node", "a b", 1), "", false}, // escaped: +
		{store.ActionKey("wf", "node", "é", 1), "", false},
		{store.ContactKey(store.ActionKey("wf", "node", "a", 1), "c:1"), "", false},
		{store.ContactKey(store.ActionKey("wf", "node", "a", 1), "c1"), "", false},
		{"pg1:wf:acct", "", false},
		{"pg1::::b", "", false},
		{"pg1:wf:node:1x:acct", "", false},
		{"pg1:wf:node:12:acct", "acct", true},
		{"pg1:wf:node:1:", "", false},
		{"pg1:", "", false},
		{"pg1:acct", "", false},
		{"pg2:wf:node:1:acct", "", false},
		{"acct", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := store.ActionKeyAccount(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ActionKeyAccount(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func ExampleActionKeyAccount() {
	key := store.ActionKey("wf-1", "linkedin_ad", "acct-42", 1)
	fmt.Println(key)
	fmt.Println(store.ActionKeyAccount(key))
	fmt.Println(store.ActionKeyAccount(store.ActionKey("wf-1", "linkedin_ad", "acct 42", 1)))
	// Output:
	// pg1:wf-1:linkedin_ad:1:acct-42
	// acct-42 true
	//  false
}
