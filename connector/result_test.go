package connector

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
)

func TestResolve(t *testing.T) {
	boom := errors.New("boom")
	t.Run("whole call transient", func(t *testing.T) {
		rs := Resolve(3, []Result{Done()}, boom)
		if len(rs) != 3 {
			t.Fatal(len(rs))
		}
		for _, r := range rs {
			if r.Status != StatusTransient || !errors.Is(r.Err, boom) || r.RetryAfter != 0 {
				t.Errorf("%+v", r)
			}
		}
	})
	t.Run("whole call permanent", func(t *testing.T) {
		err := MarkPermanent(boom)
		if !errors.Is(err, ErrPermanent) || !errors.Is(err, boom) {
			t.Fatal(err)
		}
		for _, r := range Resolve(2, nil, err) {
			if r.Status != StatusPermanent {
				t.Errorf("%+v", r)
			}
		}
	})
	t.Run("whole call retry after", func(t *testing.T) {
		err := WithRetryAfter(boom, 3*time.Second)
		if errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "retry after 3s") {
			t.Fatal(err)
		}
		r := Resolve(1, nil, err)[0]
		if r.Status != StatusTransient || r.RetryAfter != 3*time.Second {
			t.Errorf("%+v", r)
		}
	})
	t.Run("retry after a permanent error", func(t *testing.T) {
		// A wait cannot help: the error stays permanent, and its
		// Permanent field says so (it said false, while errors.Is said
		// permanent).
		err := WithRetryAfter(MarkPermanent(boom), time.Second)
		var ce *CallError
		if !errors.As(err, &ce) || !ce.Permanent || !errors.Is(err, ErrPermanent) {
			t.Fatalf("%#v", err)
		}
		if r := Resolve(1, nil, err)[0]; r.Status != StatusPermanent {
			t.Errorf("%+v", r)
		}
	})
	t.Run("wrong count", func(t *testing.T) {
		for _, r := range Resolve(2, []Result{Done()}, nil) {
			if r.Status != StatusPermanent || !errors.Is(r.Err, ErrResultCount) {
				t.Errorf("%+v", r)
			}
		}
	})
	t.Run("repairs", func(t *testing.T) {
		in := []Result{{Err: boom}, {Status: 7}, {Status: StatusTransient}, Permanent(boom), DoneID("x"), TransientAfter(boom, time.Second)}
		rs := Resolve(len(in), in, nil)
		want := []Status{StatusTransient, StatusPermanent, StatusTransient, StatusPermanent, StatusDone, StatusTransient}
		for i, r := range rs {
			if r.Status != want[i] {
				t.Errorf("%d: %+v want %s", i, r, want[i])
			}
			if r.Status != StatusDone && r.Err == nil {
				t.Errorf("%d: failure without cause", i)
			}
		}
		if rs[4].ID != "x" || rs[5].RetryAfter != time.Second || !rs[4].OK() || !rs[5].Retryable() {
			t.Errorf("%+v", rs)
		}
		if in[0].Status != StatusDone {
			t.Error("Resolve modified its input")
		}
	})
	if MarkPermanent(nil) != nil || WithRetryAfter(nil, time.Second) != nil {
		t.Error("nil error wrapped")
	}
	if len(AllResults(-1, Done())) != 0 {
		t.Error("AllResults(-1)")
	}
	if FromError(nil) != Done() {
		t.Error("FromError(nil)")
	}
}

func TestResolvePurchases(t *testing.T) {
	c := []audience.Contact{{ID: "p1"}}
	ps := ResolvePurchases(2, []Purchase{{Contacts: c}, {Result: Transient(errors.New("x")), Contacts: c}}, nil)
	if !ps[0].OK() || len(ps[0].Contacts) != 1 || ps[1].OK() || ps[1].Contacts != nil {
		t.Errorf("%+v", ps)
	}
	ps = ResolvePurchases(2, []Purchase{{Contacts: c}}, nil)
	if ps[0].Status != StatusPermanent || ps[0].Contacts != nil || len(ps) != 2 {
		t.Errorf("%+v", ps)
	}
	ps = ResolvePurchases(2, nil, MarkPermanent(errors.New("no")))
	if ps[1].Status != StatusPermanent {
		t.Errorf("%+v", ps)
	}
}
