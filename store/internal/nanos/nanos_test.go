package nanos

import (
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tm := range []time.Time{
		{}, time.Unix(0, 0), time.Unix(0, 1), time.Unix(-1, 0),
		time.Date(2026, 3, 8, 2, 30, 0, 7, time.UTC),
		time.Date(2026, 11, 1, 1, 30, 0, 0, ny),
		time.Unix(0, Zero+1), time.Unix(0, 1<<63-1),
	} {
		got := Time(Of(tm))
		if !got.Equal(tm) || got.IsZero() != tm.IsZero() || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("Time(Of(%v)) = %v", tm, got)
		}
	}
	if Of(time.Time{}) != Zero || Of(time.Unix(0, 0)) == Zero {
		t.Error("the zero time and the epoch must encode apart")
	}
}
