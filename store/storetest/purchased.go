package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

// TestPurchased is the conformance suite of store.PurchasedStore: invalid
// contacts refused with nothing written, replacement in place, order of
// first storage, isolation between workflows, ForgetPurchased of one
// contact or all of an account's, and — when the store is also a
// store.Eraser — Forget erasing the account's purchased contacts.
func TestPurchased(t *testing.T, newStore func() store.PurchasedStore) {
	ctx := context.Background()
	c := func(acct, id, email string) audience.Contact {
		return audience.Contact{ID: id, AccountID: acct, Email: email, LastName: "L"}
	}
	get := func(t *testing.T, s store.PurchasedStore, wf string, ids ...string) map[string][]audience.Contact {
		t.Helper()
		m, err := s.Purchased(ctx, wf, ids)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("Invalid", func(t *testing.T) {
		s := newStore()
		for _, bad := range [][]audience.Contact{{{ID: "c"}}, {{AccountID: "a"}}, {c("a1", "ok", ""), {ID: "c"}}} {
			if err := s.PutPurchased(ctx, "wf", bad); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("PutPurchased(%+v) = %v, want ErrInvalid", bad, err)
			}
		}
		if err := s.PutPurchased(ctx, "", []audience.Contact{c("a1", "c1", "")}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("no workflow: %v", err)
		}
		if m := get(t, s, "wf", "a1"); len(m) != 0 {
			t.Fatalf("an invalid batch stored %v", m)
		}
	})
	t.Run("ReplaceOrderIsolation", func(t *testing.T) {
		s := newStore()
		must(t, s.PutPurchased(ctx, "wf", nil))
		must(t, s.PutPurchased(ctx, "wf", []audience.Contact{c("a1", "c2", "two@x"), c("a2", "c3", "three@x"), c("a1", "c1", "one@x")}))
		must(t, s.PutPurchased(ctx, "wf", []audience.Contact{c("a1", "c2", "two@new"), c("a1", "c4", "four@x"), c("a1", "c4", "four@last")}))
		must(t, s.PutPurchased(ctx, "other", []audience.Contact{c("a1", "c9", "nine@x")}))
		want := map[string][]audience.Contact{
			"a1": {c("a1", "c2", "two@new"), c("a1", "c1", "one@x"), c("a1", "c4", "four@last")},
			"a2": {c("a2", "c3", "three@x")},
		}
		if got := get(t, s, "wf", "a1", "a2", "a3"); !reflect.DeepEqual(got, want) {
			t.Fatalf("purchased %+v, want %+v", got, want)
		}
		got := get(t, s, "wf", "a1")
		got["a1"][0].Email = "mutated"
		if again := get(t, s, "wf", "a1"); again["a1"][0].Email != "two@new" {
			t.Fatal("a returned contact aliases the store")
		}
	})
	t.Run("Forget", func(t *testing.T) {
		s := newStore()
		must(t, s.PutPurchased(ctx, "wf", []audience.Contact{c("a1", "c1", ""), c("a1", "c2", ""), c("a2", "c3", "")}))
		must(t, s.PutPurchased(ctx, "other", []audience.Contact{c("a1", "c9", "")}))
		must(t, s.ForgetPurchased(ctx, "wf", "a1", "c1"))
		must(t, s.ForgetPurchased(ctx, "wf", "a2", ""))
		must(t, s.ForgetPurchased(ctx, "nope", "a2", ""))
		want := map[string][]audience.Contact{"a1": {c("a1", "c2", "")}}
		if got := get(t, s, "wf", "a1", "a2"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after ForgetPurchased %+v, want %+v", got, want)
		}
		if er, ok := s.(store.Eraser); ok {
			must(t, er.Forget(ctx, "wf", "a1"))
			if got := get(t, s, "wf", "a1"); len(got) != 0 {
				t.Fatalf("Forget left purchased contacts: %+v", got)
			}
			if got := get(t, s, "other", "a1"); len(got["a1"]) != 1 {
				t.Fatalf("Forget in one workflow erased another's: %+v", got)
			}
		}
	})
}
