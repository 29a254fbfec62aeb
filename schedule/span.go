package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds on the parts of a [Span]: about ten years each, so span arithmetic
// never overflows.
const (
	MaxSpanDays    = 3660
	MaxSpanHours   = MaxSpanDays * 24
	MaxSpanMinutes = MaxSpanHours * 60
)

// Span is a timer length: Days calendar days in the workflow's time zone,
// then Hours and Minutes of elapsed time. The zero Span is not a valid
// timer length (see [Span.Validate]). Its JSON form omits zero parts:
// {"days":14}.
type Span struct {
	Days    int `json:"days,omitempty"`
	Hours   int `json:"hours,omitempty"`
	Minutes int `json:"minutes,omitempty"`
}

// IsZero reports whether every part of s is zero.
func (s Span) IsZero() bool { return s == Span{} }

// Validate reports every problem of s as a *[SpanError]: a negative part, a
// part over its bound, or a span of no length.
func (s Span) Validate() error {
	var probs []string
	check := func(name string, v, maxV int) {
		switch {
		case v < 0:
			probs = append(probs, fmt.Sprintf("%s is negative (%d)", name, v))
		case v > maxV:
			probs = append(probs, fmt.Sprintf("%s is over %d (%d)", name, maxV, v))
		}
	}
	check("days", s.Days, MaxSpanDays)
	check("hours", s.Hours, MaxSpanHours)
	check("minutes", s.Minutes, MaxSpanMinutes)
	if s.IsZero() {
		probs = append(probs, "span has no length (days, hours and minutes are all zero)")
	}
	if len(probs) > 0 {
		return &SpanError{Span: s, Problems: probs}
	}
	return nil
}

// String renders s compactly, e.g. "14d", "2h30m", "1d12h"; the zero Span
// is "0m".
func (s Span) String() string {
	var b strings.Builder
	if s.Days != 0 {
		b.WriteString(strconv.Itoa(s.Days) + "d")
	}
	if s.Hours != 0 {
		b.WriteString(strconv.Itoa(s.Hours) + "h")
	}
	if s.Minutes != 0 || b.Len() == 0 {
		b.WriteString(strconv.Itoa(s.Minutes) + "m")
	}
	return b.String()
}

// AddTo returns t plus s: first s.Days calendar days in loc, keeping t's
// local wall-clock time in loc, then s.Hours and s.Minutes of elapsed time.
// A nil loc means t's own location. The result is expressed in loc.
//
// If the local time does not exist on the target day (clocks spring
// forward), the result is the first valid instant after it: the moment of
// the jump. If it occurs twice (clocks fall back), the result is its first
// occurrence. AddTo does not validate s; callers validate spans when they
// are configured.
func (s Span) AddTo(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = t.Location()
	}
	t = t.In(loc)
	if s.Days != 0 {
		t = addDays(t, s.Days, loc)
	}
	if s.Hours != 0 || s.Minutes != 0 {
		t = t.Add(time.Duration(s.Hours)*time.Hour + time.Duration(s.Minutes)*time.Minute)
	}
	return t
}

// addDays adds n calendar days to t (which is in loc), keeping its wall
// clock.
func addDays(t time.Time, n int, loc *time.Location) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	ns := t.Nanosecond()
	c := time.Date(y, m, d+n, hh, mm, ss, ns, loc)
	cy, cm, cd := c.Date()
	ch, cmin, cs := c.Clock()
	wy, wm, wd := time.Date(y, m, d+n, 0, 0, 0, 0, time.UTC).Date()
	if cy != wy || cm != wm || cd != wd || ch != hh || cmin != mm || cs != ss {
		// The wall time falls in a gap. c is expressed in one of the two
		// zones around the jump: if its wall clock reads earlier than the
		// wanted time, the jump is the end of c's zone, otherwise its start.
		want := time.Date(y, m, d+n, hh, mm, ss, ns, time.UTC)
		got := time.Date(cy, cm, cd, ch, cmin, cs, c.Nanosecond(), time.UTC)
		start, end := c.ZoneBounds()
		if got.Before(want) {
			if !end.IsZero() {
				return end.In(loc)
			}
		} else if !start.IsZero() {
			return start.In(loc)
		}
		return c
	}
	// The wall time may occur twice; prefer the earlier instant.
	start, _ := c.ZoneBounds()
	if start.IsZero() {
		return c
	}
	_, coff := c.Zone()
	_, poff := start.Add(-time.Nanosecond).In(loc).Zone()
	if poff > coff {
		alt := c.Add(-time.Duration(poff-coff) * time.Second)
		if alt.Before(start) {
			ay, am, ad := alt.Date()
			ah, amin, as := alt.Clock()
			if ay == wy && am == wm && ad == wd && ah == hh && amin == mm && as == ss {
				return alt
			}
		}
	}
	return c
}
