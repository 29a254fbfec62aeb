package playgraph

import (
	"context"
	"time"

	"github.com/playgraph/playgraph/internal/clock"
)

// ManualClock is a Clock that moves only when told: tests, examples and
// simulations drive time with it. Sleepers (retry backoff, Serve) wake when
// Advance or Set moves the time past their deadline. It is safe for
// concurrent use. Make one with NewManualClock.
type ManualClock struct {
	f *clock.Fake
}

var _ Clock = (*ManualClock)(nil)

// NewManualClock returns a clock stopped at t. With autoAdvance, Sleep
// moves the clock forward by the slept duration instead of blocking, so
// retry backoff takes no real time.
func NewManualClock(t time.Time, autoAdvance bool) *ManualClock {
	f := clock.NewFake(t)
	f.AutoAdvance = autoAdvance
	return &ManualClock{f: f}
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time { return c.f.Now() }

// Sleep waits until the clock reaches now+d, or ctx ends.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) error { return c.f.Sleep(ctx, d) }

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) { c.f.Advance(d) }

// Set moves the clock to t; it never moves backwards.
func (c *ManualClock) Set(t time.Time) { c.f.Set(t) }
