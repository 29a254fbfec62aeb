package sqlite_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/sqlite"
)

func contact(account, id, email string) audience.Contact {
	return audience.Contact{ID: id, AccountID: account, FirstName: "Ada", LastName: "L", Email: email, Title: "CTO",
		JobLevel: "c-level", JobFunction: "engineering", Country: "GB", Phone: "+44 1"}
}

func purchased(t *testing.T, s *sqlite.Store, wf string, ids ...string) map[string][]audience.Contact {
	t.Helper()
	m, err := s.Purchased(t.Context(), wf, ids)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPurchased: contacts are keyed by (workflow, account, contact id),
// put again in place, read back whole and in first-stored order, erased
// one or all at a time, by Forget and with their workflow, and kept across
// a reopen.
func TestPurchased(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	for _, bad := range [][]audience.Contact{{{ID: "c"}}, {{AccountID: "a"}}, {contact("a1", "ok", ""), {ID: "c"}}} {
		if err := s.PutPurchased(ctx, "wf", bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("PutPurchased(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	if err := s.PutPurchased(ctx, "", []audience.Contact{contact("a1", "c1", "")}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("PutPurchased with no workflow: %v", err)
	}
	if m := purchased(t, s, "wf", "a1"); len(m) != 0 {
		t.Fatalf("an invalid put stored %v", m)
	}
	if err := s.PutPurchased(ctx, "wf", nil); err != nil {
		t.Fatal(err)
	}
	put := func(wf string, cs ...audience.Contact) {
		t.Helper()
		if err := s.PutPurchased(ctx, wf, cs); err != nil {
			t.Fatal(err)
		}
	}
	put("wf", contact("a1", "c2", "two@x"), contact("a2", "c3", "three@x"), contact("a1", "c1", "one@x"))
	put("wf", contact("a1", "c2", "two@new"), contact("a1", "c4", "four@x"), contact("a1", "c4", "four@last"))
	put("other", contact("a1", "c9", "nine@x"))
	want := map[string][]audience.Contact{
		"a1": {contact("a1", "c2", "two@new"), contact("a1", "c1", "one@x"), contact("a1", "c4", "four@last")},
		"a2": {contact("a2", "c3", "three@x")},
	}
	if got := purchased(t, s, "wf", "a1", "a2", "a3", "a1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("purchased %+v, want %+v", got, want)
	}
	if got := purchased(t, s, "nope", "a1"); len(got) != 0 {
		t.Fatalf("an unknown workflow's contacts: %v", got)
	}
	// Kept across a reopen.
	s.Close()
	if s, err = sqlite.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	if got := purchased(t, s, "wf", "a1", "a2"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopening: %+v", got)
	}
	// One contact, then all of an account's.
	if err := s.ForgetPurchased(ctx, "wf", "a1", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetPurchased(ctx, "wf", "a2", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetPurchased(ctx, "nope", "a2", ""); err != nil {
		t.Fatal(err)
	}
	want = map[string][]audience.Contact{"a1": {contact("a1", "c2", "two@new"), contact("a1", "c4", "four@last")}}
	if got := purchased(t, s, "wf", "a1", "a2"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after ForgetPurchased: %+v", got)
	}
	// Forget erases the account's contacts in that workflow only.
	if err := s.Forget(ctx, "wf", "a1"); err != nil {
		t.Fatal(err)
	}
	if got := purchased(t, s, "wf", "a1"); len(got) != 0 {
		t.Fatalf("after Forget: %+v", got)
	}
	if got := purchased(t, s, "other", "a1"); len(got["a1"]) != 1 {
		t.Fatalf("Forget in wf erased another workflow's contacts: %+v", got)
	}
	// Deleting a workflow deletes its contacts; one created again under
	// its id starts empty.
	if err := s.DeleteWorkflow(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	put("other", contact("a2", "c8", ""))
	if got := purchased(t, s, "other", "a1", "a2"); len(got) != 1 || len(got["a2"]) != 1 {
		t.Fatalf("after deleting the workflow: %+v", got)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}
