package schedule

import "time"

// Next returns the first instant at which s is due that is strictly after
// after and not before the start, and true; or false when there is none:
// an on-demand schedule, an invalid one (see [Schedule.Validate]), one
// past its end, or one that starts on publish (zero Start) when
// publishedAt is zero.
//
// The start is s.Start, or publishedAt when Start is zero. A zero after
// asks for the first run, which may be at the start itself. The result is
// expressed in the schedule's zone.
//
// Daily and weekly runs fall on the local time [Schedule.At] of each
// (chosen) calendar day in the zone, so across daylight-saving changes a
// 09:00 run stays at 09:00 local time. On a day where that local time does
// not exist (clocks spring forward over it) the run is at the first valid
// instant after it, the moment the clocks jump; on a day where it occurs
// twice (clocks fall back) the run is at its first occurrence. Either way
// there is exactly one run per chosen day.
//
// Pipeline runs are at start + k × EveryMinutes of elapsed time, k = 0, 1,
// 2, …, regardless of daylight-saving changes.
//
// To run every due occurrence once, the engine passes the clock time at
// which it started the last run (not the instant that run was due); see
// [Schedule.Due] for catch-up after downtime.
func (s Schedule) Next(after, publishedAt time.Time) (time.Time, bool) {
	if s.Validate() != nil {
		return time.Time{}, false
	}
	start := s.Start
	if start.IsZero() {
		start = publishedAt
	}
	if start.IsZero() {
		return time.Time{}, false
	}
	loc, err := s.Location()
	if err != nil {
		return time.Time{}, false
	}
	var t time.Time
	var ok bool
	switch s.Kind {
	case KindDaily, KindWeekly:
		t, ok = s.nextTimed(after, start, loc)
	case KindPipeline:
		t, ok = s.nextPipeline(after, start)
	}
	if !ok || (!s.End.IsZero() && t.After(s.End)) {
		return time.Time{}, false
	}
	return t.In(loc), true
}

// Due reports whether a run of s is due at now: now is not past the end
// and the next run after last (the clock time the last run started, zero
// if it never ran) is at or before now.
//
// This is how the engine catches up after downtime with exactly one run:
//
//	if s.Ended(now) {
//		// unpublish the workflow: "reached its end date"
//	} else if s.Due(last, now, publishedAt) {
//		// run once now, and record now as the last run
//		last = now
//	}
//	next, ok := s.Next(last, publishedAt) // sleep until next; !ok: nothing more
//
// Since last becomes now, every occurrence missed while the engine was
// down is at or before last, so Next skips them all: a workflow that missed
// three daily runs runs once when the engine resumes, then at its next
// local time. A run missed before the end is not caught up once the end
// has passed: Due is false and the workflow is unpublished instead.
func (s Schedule) Due(last, now, publishedAt time.Time) bool {
	if s.Ended(now) {
		return false
	}
	next, ok := s.Next(last, publishedAt)
	return ok && !next.After(now)
}

// Ended reports whether now is past the end of s, at which point its
// workflow is unpublished. A schedule without an end never ends.
func (s Schedule) Ended(now time.Time) bool {
	return !s.End.IsZero() && now.After(s.End)
}

// nextTimed finds the first daily or weekly run that is after after and at
// or after start.
func (s Schedule) nextTimed(after, start time.Time, loc *time.Location) (time.Time, bool) {
	hh, mm, err := parseAt(s.At)
	if err != nil {
		return time.Time{}, false
	}
	days := s.Days
	if s.Kind == KindDaily {
		days = AllWeekdays
	} else if days&AllWeekdays == 0 {
		return time.Time{}, false
	}
	from := start
	if after.After(from) {
		from = after
	}
	// A run resolves to an instant on its own local day (or at the jump
	// just after a skipped time), so scanning from the day before covers
	// every candidate; eight days more reach any weekday.
	y, m, d := from.In(loc).Date()
	for i := -1; i <= 9; i++ {
		if days != AllWeekdays && !days.Has(time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC).Weekday()) {
			continue
		}
		t := wallInstant(y, m, d+i, hh, mm, loc)
		if t.After(after) && !t.Before(start) {
			return t, true
		}
	}
	return time.Time{}, false
}

// nextPipeline finds the first start + k·every (k ≥ 0) after after.
func (s Schedule) nextPipeline(after, start time.Time) (time.Time, bool) {
	if s.EveryMinutes <= 0 || s.EveryMinutes > MaxEveryMinutes {
		return time.Time{}, false
	}
	if after.Before(start) {
		return start, true
	}
	every := int64(s.EveryMinutes) * 60
	su, ns := start.Unix(), int64(start.Nanosecond())
	k := (after.Unix()-su)/every + 1
	at := func(k int64) time.Time { return time.Unix(su+k*every, ns) }
	t := at(k)
	for k > 1 && at(k-1).After(after) {
		k--
		t = at(k)
	}
	for i := 0; !t.After(after); i++ {
		if i == 2 { // only when the arithmetic overflows
			return time.Time{}, false
		}
		k++
		t = at(k)
	}
	return t, true
}

// wallInstant returns the first instant at which the wall clock in loc
// reads y-m-d hh:mm (days may overflow the month, as in [time.Date]). If
// that local time occurs twice (clocks fall back) it is the first
// occurrence; if it does not exist (clocks spring forward over it) it is
// the first instant after it, the moment of the jump.
func wallInstant(y int, m time.Month, d, hh, mm int, loc *time.Location) time.Time {
	// u is the wall time read as if it were UTC; the instant we want is
	// u - offset for the zone offset in effect then. Offsets a day either
	// side cover both zones around any transition near the wall time.
	u := time.Date(y, m, d, hh, mm, 0, 0, time.UTC).Unix()
	offs := [3]int64{offsetAt(u-86400, loc), offsetAt(u, loc), offsetAt(u+86400, loc)}
	var best time.Time
	found := false
	lo := offs[0]
	for _, o := range offs {
		lo = min(lo, o)
		t := time.Unix(u-o, 0).In(loc)
		if _, to := t.Zone(); int64(to) == o && (!found || t.Before(best)) {
			best, found = t, true
		}
	}
	if found {
		return best
	}
	// A gap: with the offset from before the jump the wall time maps to an
	// instant already past the jump, in the zone that the jump started.
	t := time.Unix(u-lo, 0).In(loc)
	if start, _ := t.ZoneBounds(); !start.IsZero() && !start.After(t) {
		return start.In(loc)
	}
	return t
}

// offsetAt returns loc's UTC offset in seconds at Unix time u.
func offsetAt(u int64, loc *time.Location) int64 {
	_, o := time.Unix(u, 0).In(loc).Zone()
	return int64(o)
}
