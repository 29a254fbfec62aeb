package connector

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/time/rate"
)

type syncer struct{ Base }

func (s *syncer) AddToAudience(context.Context, string, []AccountItem) ([]Result, error) {
	return nil, nil
}
func (s *syncer) RemoveFromAudience(context.Context, string, []AccountItem) ([]Result, error) {
	return nil, nil
}

type bare struct{ Base }

func TestRegistry(t *testing.T) {
	var r Registry // the zero value works
	s := &syncer{Base: NewBase("linkedin", Limits{MaxBatch: 500, SegmentSyncQuota: 10})}
	if err := r.Register(s, &bare{Base: NewBase("plain", Limits{})}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(&bare{Base: NewBase("linkedin", Limits{})}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
	if err := r.Register(&bare{Base: NewBase("x", Limits{})}, &bare{Base: NewBase("x", Limits{})}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate in one call: %v", err)
	}
	if err := r.Register(nil); !errors.Is(err, ErrInvalidConnector) {
		t.Errorf("nil: %v", err)
	}
	var typedNil *bare // an interface holding a nil pointer: Name would panic
	if err := r.Register(typedNil); !errors.Is(err, ErrInvalidConnector) {
		t.Errorf("typed nil: %v", err)
	}
	if err := r.Register(&bare{}); !errors.Is(err, ErrInvalidConnector) {
		t.Errorf("no name: %v", err)
	}
	if got := strings.Join(r.Names(), ","); got != "linkedin,plain" {
		t.Errorf("Names = %s (a failed Register must add nothing)", got)
	}
	if _, err := r.Get("nope"); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("Get: %v", err)
	}
	if err := r.Require("nope", CapEmail); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("Require unknown: %v", err)
	}
	if err := r.Require("linkedin", CapAudienceSync); err != nil {
		t.Error(err)
	}
	err := r.Require("linkedin", CapAudienceSync, CapEmail, CapRecordWrite, CapEmail)
	var ce *CapabilityError
	if !errors.Is(err, ErrMissingCapability) || !errors.As(err, &ce) || len(ce.Missing) != 2 || ce.Connector != "linkedin" {
		t.Fatalf("Require: %v", err)
	}
	if !strings.Contains(err.Error(), "email, record_write") {
		t.Error(err)
	}
	if got := Capabilities(s); len(got) != 1 || got[0] != CapAudienceSync {
		t.Errorf("Capabilities = %v", got)
	}
	if Has(nil, CapEmail) || Has(s, Capability(0)) {
		t.Error("Has")
	}
	as, err := Lookup[AudienceSyncer](&r, "linkedin")
	if err != nil || as.Name() != "linkedin" || as.Limits().SegmentSyncQuota != 10 {
		t.Errorf("Lookup: %v", err)
	}
	if _, err := Lookup[EmailEnroller](&r, "linkedin"); !errors.Is(err, ErrMissingCapability) {
		t.Errorf("Lookup wrong cap: %v", err)
	}
	if _, err := Lookup[EmailEnroller](&r, "nope"); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("Lookup unknown: %v", err)
	}
	if _, err := NewRegistry(nil); err == nil {
		t.Error("NewRegistry(nil)")
	}
}

func TestLimits(t *testing.T) {
	var l Limits
	if l.Batch(100) != 100 || l.Batch(0) != 1 {
		t.Error("Batch default")
	}
	l.MaxBatch = 10
	if l.Batch(100) != 10 || l.Batch(5) != 5 {
		t.Error("Batch with max")
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx); err == nil {
		t.Error("Wait on cancelled ctx")
	}
	l.Rate = rate.NewLimiter(rate.Limit(1e6), 1)
	if err := l.Wait(context.Background()); err != nil {
		t.Error(err)
	}
}
