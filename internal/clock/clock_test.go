package clock

import (
	"context"
	"testing"
	"time"
)

func TestFakeSleepWakesOnAdvance(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- f.Sleep(context.Background(), time.Hour) }()
	for f.Sleepers() == 0 {
		time.Sleep(time.Millisecond)
	}
	f.Advance(30 * time.Minute)
	select {
	case <-done:
		t.Fatal("woke early")
	case <-time.After(10 * time.Millisecond):
	}
	f.Advance(30 * time.Minute)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFakeSleepCancelled(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("got %v", err)
	}
}

func TestFakeAutoAdvance(t *testing.T) {
	f := &Fake{now: time.Unix(0, 0), AutoAdvance: true}
	if err := f.Sleep(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := f.Now(); !got.Equal(time.Unix(60, 0)) {
		t.Fatalf("now %v", got)
	}
	f.Set(time.Unix(0, 0))
	if got := f.Now(); !got.Equal(time.Unix(60, 0)) {
		t.Fatal("Set went backwards")
	}
}

func TestRealSleep(t *testing.T) {
	var r Real
	if err := r.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatal(err)
	}
}
