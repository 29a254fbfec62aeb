// Package nanos is how this module's stores (memstore, sqlite) keep times:
// as int64 Unix nanoseconds, the zero time as Zero. A time comes back as
// the same instant in UTC, without a monotonic clock reading; times must
// satisfy store.TimeInRange (years 1678 to 2262).
package nanos

import (
	"math"
	"time"
)

// Zero is the encoding of the zero time; it precedes every other encoding.
const Zero = math.MinInt64

// Of returns t as Unix nanoseconds, or Zero for the zero time.
func Of(t time.Time) int64 {
	if t.IsZero() {
		return Zero
	}
	return t.UnixNano()
}

// Time is the inverse of Of: the instant n in UTC, or the zero time for
// Zero.
func Time(n int64) time.Time {
	if n == Zero {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
