package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/playgraph/playgraph/store"
)

func TestBatchValidate(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := store.AccountState{Account: "a", Status: store.StatusWaiting, Node: "n", EnteredAt: now}
	tests := map[string]store.Batch{
		"empty account id":      {States: []store.AccountState{{Status: store.StatusActive}}},
		"status none":           {States: []store.AccountState{{Account: "a"}}},
		"status forgotten":      {States: []store.AccountState{{Account: "a", Status: store.StatusForgotten}}},
		"time out of range":     {States: []store.AccountState{{Account: "a", Status: store.StatusActive, WakeAt: far}}},
		"path time":             {States: []store.AccountState{{Account: "a", Status: store.StatusActive, Path: []store.Step{{Node: "n", At: far}}}}},
		"intent key":            {Intents: []store.Intent{{Account: "a"}}},
		"intent account":        {Intents: []store.Intent{{Key: "k"}}},
		"negative attempts":     {Intents: []store.Intent{{Key: "k", Account: "a", Attempts: -1}}},
		"item key":              {Intents: []store.Intent{{Key: "k", Account: "a", Items: []store.Item{{}}}}},
		"resolved key":          {Resolved: []string{""}},
		"audit run":             {Audit: []store.AuditRow{{Account: "a"}}},
		"audit time":            {Audit: []store.AuditRow{{Run: "r", At: far}}},
		"second state invalid":  {States: []store.AccountState{ok, {}}},
		"intent hints length":   {States: []store.AccountState{ok}, IntentStates: []int32{0}},
		"intent hint range":     {States: []store.AccountState{ok}, Intents: []store.Intent{{Key: "k", Account: "a"}}, IntentStates: []int32{1}},
		"resolved hints length": {States: []store.AccountState{ok}, Resolved: []string{"k"}, ResolvedStates: []int32{}},
		"resolved hint range":   {States: []store.AccountState{ok}, Resolved: []string{"k"}, ResolvedStates: []int32{-2}},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if err := b.Validate(); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
		})
	}
	good := store.Batch{States: []store.AccountState{ok}, Intents: []store.Intent{{Key: "k", Account: "a", Items: []store.Item{{Key: "k"}}, Created: now}},
		Resolved: []string{"k0"}, Audit: []store.AuditRow{{Run: "r", At: now}},
		IntentStates: []int32{0}, ResolvedStates: []int32{-1}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	var empty store.Batch
	if err := empty.Validate(); err != nil {
		t.Fatal(err)
	}
	if !store.TimeInRange(time.Time{}) || store.TimeInRange(far) || !store.TimeInRange(now) {
		t.Fatal("TimeInRange")
	}
}
