package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what a [Schedule] does; its JSON form is the string value.
type Kind string

// The schedule kinds.
const (
	// KindOnDemand runs only when asked: [Schedule.Next] never answers.
	KindOnDemand Kind = "on_demand"
	// KindDaily runs every day at a local time of day ([Schedule.At]).
	KindDaily Kind = "daily"
	// KindWeekly runs on the chosen weekdays ([Schedule.Days]) at a local
	// time of day ([Schedule.At]).
	KindWeekly Kind = "weekly"
	// KindPipeline runs every [Schedule.EveryMinutes] minutes of elapsed
	// time, counted from the start, picking up accounts as they join the
	// segment.
	KindPipeline Kind = "pipeline"
)

// MaxEveryMinutes bounds a pipeline interval: 366 days.
const MaxEveryMinutes = 366 * 24 * 60

// Schedule says when a workflow runs by itself. It is a plain value, JSON
// friendly, and survives a JSON round trip exactly (use [Schedule.Equal] to
// compare: the times come back as the same instants in a fixed zone). Its
// JSON form names the fields as below and omits those unset:
//
//	{"kind":"on_demand"}
//	{"kind":"daily","at":"09:00","zone":"Europe/Berlin"}
//	{"kind":"weekly","at":"07:30","days":["mon","thu"],"zone":"America/New_York","end":"2026-12-31T23:59:00-05:00"}
//	{"kind":"pipeline","every_minutes":15,"start":"2026-03-01T08:00:00Z"}
//
// Every time of day and calendar day is taken in Zone. A schedule starts
// when its workflow is published, or at Start if set; with End set it runs
// for the last time at or before End, after which [Schedule.Ended] is true
// and the workflow is unpublished.
type Schedule struct {
	// Kind is on_demand, daily, weekly or pipeline.
	Kind Kind `json:"kind"`
	// At is the local time of day of daily and weekly runs, "hh:mm" on a
	// 24-hour clock ("09:00", "23:45"). Other kinds leave it empty.
	At string `json:"at,omitempty"`
	// Days are the weekdays of a weekly schedule, in JSON a list of
	// lowercase three-letter names: ["mon","wed"]. Other kinds leave it
	// empty.
	Days Weekdays `json:"days,omitempty"`
	// EveryMinutes is the interval of a pipeline schedule, in minutes of
	// elapsed time, from 1 to [MaxEveryMinutes]. Other kinds leave it zero.
	EveryMinutes int `json:"every_minutes,omitempty"`
	// Zone is the IANA time zone name ("Europe/Berlin"); "" means UTC.
	Zone string `json:"zone,omitempty"`
	// Start, if set, is the instant from which the schedule runs; zero
	// means from the moment the workflow is published.
	Start time.Time `json:"start,omitzero"`
	// End, if set, is the last instant at which the schedule may run.
	End time.Time `json:"end,omitzero"`
}

// OnDemand returns a schedule that runs only when asked.
func OnDemand() Schedule { return Schedule{Kind: KindOnDemand} }

// Daily returns a schedule running every day at the local time at
// ("hh:mm") in zone ("" is UTC).
func Daily(at, zone string) Schedule { return Schedule{Kind: KindDaily, At: at, Zone: zone} }

// Weekly returns a schedule running on days at the local time at ("hh:mm")
// in zone ("" is UTC).
func Weekly(at, zone string, days ...time.Weekday) Schedule {
	return Schedule{Kind: KindWeekly, At: at, Days: WeekdaysOf(days...), Zone: zone}
}

// Pipeline returns a schedule running every minutes minutes, counted from
// its start.
func Pipeline(minutes int) Schedule { return Schedule{Kind: KindPipeline, EveryMinutes: minutes} }

// Between returns s starting at start and ending at end; a zero start
// means on publish, a zero end means never.
func (s Schedule) Between(start, end time.Time) Schedule {
	s.Start, s.End = start, end
	return s
}

// Equal reports whether s and o describe the same schedule: equal fields,
// with Start and End compared as instants.
func (s Schedule) Equal(o Schedule) bool {
	return s.Kind == o.Kind && s.At == o.At && s.Days == o.Days &&
		s.EveryMinutes == o.EveryMinutes && s.Zone == o.Zone &&
		s.Start.Equal(o.Start) && s.End.Equal(o.End)
}

// Location returns the schedule's time zone, from the process-wide cache
// of [LoadLocation]. The error wraps [ErrUnknownZone].
func (s Schedule) Location() (*time.Location, error) { return LoadLocation(s.Zone) }

// Validate reports every problem of s as a *[ScheduleError]: an unknown
// kind or zone, a missing or malformed local time, a weekly schedule with
// no weekday, a pipeline interval that is zero, negative or over
// [MaxEveryMinutes], a field the kind does not use, or an end that is not
// after the start. It returns nil for a valid schedule.
func (s Schedule) Validate() error {
	var e ScheduleError
	add := func(cause error, format string, args ...any) {
		e.Problems = append(e.Problems, fmt.Sprintf(format, args...))
		for _, c := range e.Causes {
			if c == cause {
				return
			}
		}
		e.Causes = append(e.Causes, cause)
	}

	timed := s.Kind == KindDaily || s.Kind == KindWeekly
	switch s.Kind {
	case KindOnDemand, KindDaily, KindWeekly, KindPipeline:
	case "":
		add(ErrUnknownKind, "kind is missing (on_demand, daily, weekly or pipeline)")
	default:
		add(ErrUnknownKind, "kind %q is unknown (on_demand, daily, weekly or pipeline)", string(s.Kind))
	}
	if _, err := LoadLocation(s.Zone); err != nil {
		add(ErrUnknownZone, "zone %q is unknown", s.Zone)
	}

	switch {
	case timed && s.At == "":
		add(ErrBadLocalTime, "at is missing (a local time \"hh:mm\")")
	case timed:
		if _, _, err := parseAt(s.At); err != nil {
			add(ErrBadLocalTime, "at %q %v", s.At, err)
		}
	case s.At != "" && s.Kind != "":
		add(ErrBadLocalTime, "at is only for daily and weekly schedules (got %q)", s.At)
	}

	switch {
	case s.Days&^AllWeekdays != 0:
		add(ErrNoWeekdays, "days has unknown weekday bits (%#x)", uint8(s.Days&^AllWeekdays))
	case s.Kind == KindWeekly && s.Days == 0:
		add(ErrNoWeekdays, "days is empty: a weekly schedule needs at least one weekday")
	case s.Kind != KindWeekly && s.Days != 0 && s.Kind != "":
		add(ErrNoWeekdays, "days is only for weekly schedules (got %s)", s.Days)
	}

	switch {
	case s.Kind == KindPipeline && s.EveryMinutes == 0:
		add(ErrBadInterval, "every_minutes is zero: a pipeline needs an interval")
	case s.Kind == KindPipeline && s.EveryMinutes < 0:
		add(ErrBadInterval, "every_minutes is negative (%d)", s.EveryMinutes)
	case s.Kind == KindPipeline && s.EveryMinutes > MaxEveryMinutes:
		add(ErrBadInterval, "every_minutes is over %d (%d)", MaxEveryMinutes, s.EveryMinutes)
	case s.Kind != KindPipeline && s.EveryMinutes != 0 && s.Kind != "":
		add(ErrBadInterval, "every_minutes is only for pipeline schedules (got %d)", s.EveryMinutes)
	}

	yearOK := func(name string, t time.Time) bool {
		if t.IsZero() {
			return true
		}
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			add(ErrEndBeforeStart, "%s year %d is outside 1 to 9999", name, y)
			return false
		}
		return true
	}
	okStart, okEnd := yearOK("start", s.Start), yearOK("end", s.End)
	if okStart && okEnd && !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		add(ErrEndBeforeStart, "end (%s) is not after start (%s)",
			s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
	}

	if len(e.Problems) > 0 {
		e.Schedule = s
		return &e
	}
	return nil
}

// parseAt parses "hh:mm" (two digits each, 00:00 to 23:59).
func parseAt(at string) (hour, minute int, err error) {
	if len(at) != 5 || at[2] != ':' {
		return 0, 0, errors.New(`is not "hh:mm"`)
	}
	h, err1 := strconv.Atoi(at[:2])
	m, err2 := strconv.Atoi(at[3:])
	if err1 != nil || err2 != nil || at[0] == '+' || at[0] == '-' || at[3] == '+' || at[3] == '-' {
		return 0, 0, errors.New(`is not "hh:mm"`)
	}
	if h > 23 || m > 59 {
		return 0, 0, errors.New("is out of range (00:00 to 23:59)")
	}
	return h, m, nil
}

// String describes s for people, e.g. "daily at 09:00 Europe/Berlin",
// "weekly on Mon, Thu at 07:30 UTC", "every 15 minutes", "on demand",
// followed by ", from …" and ", until …" (in the zone) when set.
func (s Schedule) String() string {
	zone := s.Zone
	if zone == "" {
		zone = "UTC"
	}
	var b strings.Builder
	switch s.Kind {
	case KindOnDemand:
		b.WriteString("on demand")
	case KindDaily:
		b.WriteString("daily at " + s.At + " " + zone)
	case KindWeekly:
		b.WriteString("weekly on " + s.Days.String() + " at " + s.At + " " + zone)
	case KindPipeline:
		switch n := s.EveryMinutes; {
		case n == 1:
			b.WriteString("every minute")
		case n == 60:
			b.WriteString("every hour")
		case n > 0 && n%60 == 0:
			b.WriteString("every " + strconv.Itoa(n/60) + " hours")
		default:
			b.WriteString("every " + strconv.Itoa(n) + " minutes")
		}
	default:
		b.WriteString("schedule " + strconv.Quote(string(s.Kind)))
	}
	loc, err := s.Location()
	if err != nil {
		loc = time.UTC
	}
	if !s.Start.IsZero() {
		b.WriteString(", from " + s.Start.In(loc).Format("2006-01-02 15:04"))
	}
	if !s.End.IsZero() {
		b.WriteString(", until " + s.End.In(loc).Format("2006-01-02 15:04"))
	}
	return b.String()
}

// Weekdays is a set of weekdays, bit 1<<time.Weekday for each. Its JSON
// form is a list of lowercase three-letter names, Monday first:
// ["mon","wed","sun"].
type Weekdays uint8

// AllWeekdays is the set of all seven weekdays.
const AllWeekdays Weekdays = 1<<7 - 1

var weekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// isoOrder lists the weekdays Monday first.
var isoOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// WeekdaysOf returns the set of days; days outside Sunday to Saturday are
// ignored.
func WeekdaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			w |= 1 << d
		}
	}
	return w
}

// Has reports whether d is in w.
func (w Weekdays) Has(d time.Weekday) bool {
	return d >= time.Sunday && d <= time.Saturday && w&(1<<d) != 0
}

// List returns the days of w, Monday first.
func (w Weekdays) List() []time.Weekday {
	var out []time.Weekday
	for _, d := range isoOrder {
		if w.Has(d) {
			out = append(out, d)
		}
	}
	return out
}

// String lists the days, Monday first, e.g. "Mon, Wed"; the empty set is
// "none".
func (w Weekdays) String() string {
	var parts []string
	for _, d := range w.List() {
		parts = append(parts, d.String()[:3])
	}
	if w&^AllWeekdays != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint8(w&^AllWeekdays)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// MarshalJSON encodes w as a list of day names, Monday first. A set with
// bits other than the seven weekdays is an error wrapping
// [ErrInvalidSchedule].
func (w Weekdays) MarshalJSON() ([]byte, error) {
	if w&^AllWeekdays != 0 {
		return nil, fmt.Errorf("%w: weekdays %#x has unknown bits", ErrInvalidSchedule, uint8(w))
	}
	names := make([]string, 0, 7)
	for _, d := range w.List() {
		names = append(names, weekdayNames[d])
	}
	return json.Marshal(names)
}

// UnmarshalJSON decodes a list of day names: three-letter or full English
// names in any case ("mon", "Monday"); repeats are harmless and null is
// the empty set. An unknown name is an error wrapping [ErrNoWeekdays].
func (w *Weekdays) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("%w: days must be a list of weekday names: %v", ErrNoWeekdays, err)
	}
	var out Weekdays
	for _, n := range names {
		d, ok := parseWeekday(n)
		if !ok {
			return fmt.Errorf("%w: %q is not a weekday (mon, tue, wed, thu, fri, sat, sun)", ErrNoWeekdays, n)
		}
		out |= 1 << d
	}
	*w = out
	return nil
}

func parseWeekday(s string) (time.Weekday, bool) {
	ls := strings.ToLower(s)
	for d := time.Sunday; d <= time.Saturday; d++ {
		if ls == weekdayNames[d] || ls == strings.ToLower(d.String()) {
			return d, true
		}
	}
	return 0, false
}
