package schedule_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/playgraph/playgraph/schedule"
)

func rfc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNext(t *testing.T) {
	pub := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // published long ago
	tests := []struct {
		name  string
		s     schedule.Schedule
		after string // RFC 3339; "" is the zero time (first run)
		pub   string // RFC 3339; "" is pub above
		want  string // RFC 3339; "" means none
	}{
		// America/New_York: spring forward 2026-03-08 02:00 EST -> 03:00 EDT;
		// fall back 2026-11-01 02:00 EDT -> 01:00 EST.
		{"ny daily keeps 09:00 across spring forward", schedule.Daily("09:00", "America/New_York"), "2026-03-07T09:00:00-05:00", "", "2026-03-08T09:00:00-04:00"},
		{"ny daily keeps 09:00 across fall back", schedule.Daily("09:00", "America/New_York"), "2026-10-31T09:00:00-04:00", "", "2026-11-01T09:00:00-05:00"},
		{"ny daily in the gap runs at the jump", schedule.Daily("02:30", "America/New_York"), "2026-03-07T02:30:00-05:00", "", "2026-03-08T03:00:00-04:00"},
		{"ny daily after the gap day is back to 02:30", schedule.Daily("02:30", "America/New_York"), "2026-03-08T03:00:00-04:00", "", "2026-03-09T02:30:00-04:00"},
		{"ny daily in the repeated hour runs first", schedule.Daily("01:30", "America/New_York"), "2026-10-31T01:30:00-04:00", "", "2026-11-01T01:30:00-04:00"},
		{"ny daily repeated hour not doubled", schedule.Daily("01:30", "America/New_York"), "2026-11-01T01:30:00-04:00", "", "2026-11-02T01:30:00-05:00"},
		{"ny daily asked between the occurrences", schedule.Daily("01:30", "America/New_York"), "2026-11-01T01:45:00-04:00", "", "2026-11-02T01:30:00-05:00"},
		{"ny daily same day when still ahead", schedule.Daily("09:00", "America/New_York"), "2026-05-04T08:59:00-04:00", "", "2026-05-04T09:00:00-04:00"},
		{"ny daily strictly after", schedule.Daily("09:00", "America/New_York"), "2026-05-04T09:00:00-04:00", "", "2026-05-05T09:00:00-04:00"},
		// Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
		{"berlin daily in the gap", schedule.Daily("02:30", "Europe/Berlin"), "2026-03-28T12:00:00+01:00", "", "2026-03-29T03:00:00+02:00"},
		{"berlin daily in the repeated hour", schedule.Daily("02:30", "Europe/Berlin"), "2026-10-24T12:00:00+02:00", "", "2026-10-25T02:30:00+02:00"},
		{"berlin daily repeated hour not doubled", schedule.Daily("02:30", "Europe/Berlin"), "2026-10-25T02:30:00+02:00", "", "2026-10-26T02:30:00+01:00"},
		{"berlin midnight", schedule.Daily("00:00", "Europe/Berlin"), "2026-12-31T00:00:00+01:00", "", "2027-01-01T00:00:00+01:00"},
		// Australia/Lord_Howe: half-hour DST. 2026-04-05 02:00 +11 -> 01:30 +10:30;
		// 2026-10-04 02:00 +10:30 -> 02:30 +11.
		{"lord howe gap of half an hour", schedule.Daily("02:15", "Australia/Lord_Howe"), "2026-10-03T12:00:00+10:30", "", "2026-10-04T02:30:00+11:00"},
		{"lord howe repeated half hour first", schedule.Daily("01:45", "Australia/Lord_Howe"), "2026-04-04T12:00:00+11:00", "", "2026-04-05T01:45:00+11:00"},
		{"lord howe repeated half hour not doubled", schedule.Daily("01:45", "Australia/Lord_Howe"), "2026-04-05T01:45:00+11:00", "", "2026-04-06T01:45:00+10:30"},
		// Weekly.
		{"weekly next chosen day", schedule.Weekly("07:30", "", time.Monday, time.Thursday), "2026-03-04T12:00:00Z", "", "2026-03-05T07:30:00Z"},
		{"weekly wraps to next week", schedule.Weekly("07:30", "", time.Monday, time.Thursday), "2026-03-05T07:30:00Z", "", "2026-03-09T07:30:00Z"},
		{"weekly single day a week on", schedule.Weekly("07:30", "", time.Wednesday), "2026-03-04T07:30:00Z", "", "2026-03-11T07:30:00Z"},
		{"weekly sunday in the ny gap", schedule.Weekly("02:00", "America/New_York", time.Sunday), "2026-03-01T02:00:00-05:00", "", "2026-03-08T03:00:00-04:00"},
		{"weekly day is the local day", schedule.Weekly("23:30", "Australia/Lord_Howe", time.Monday), "2026-03-01T00:00:00Z", "", "2026-03-02T23:30:00+11:00"},
		// Pipeline.
		{"pipeline first run at the start", schedule.Pipeline(15), "", "2026-03-01T08:00:00Z", "2026-03-01T08:00:00Z"},
		{"pipeline next on the grid", schedule.Pipeline(15), "2026-03-01T08:07:00Z", "2026-03-01T08:00:00Z", "2026-03-01T08:15:00Z"},
		{"pipeline strictly after", schedule.Pipeline(15), "2026-03-01T08:15:00Z", "2026-03-01T08:00:00Z", "2026-03-01T08:30:00Z"},
		{"pipeline far later", schedule.Pipeline(15), "2029-03-01T08:14:59Z", "2026-03-01T08:00:00Z", "2029-03-01T08:15:00Z"},
		{"pipeline is elapsed time across the gap", schedule.Schedule{Kind: schedule.KindPipeline, EveryMinutes: 60, Zone: "America/New_York"}.Between(rfc(t, "2026-03-08T00:30:00-05:00"), time.Time{}), "2026-03-08T01:30:00-05:00", "", "2026-03-08T03:30:00-04:00"},
		{"pipeline before the start", schedule.Pipeline(60).Between(rfc(t, "2026-03-08T00:30:00Z"), time.Time{}), "2026-03-01T00:00:00Z", "", "2026-03-08T00:30:00Z"},
		// Start and publish.
		{"daily from publish same day", schedule.Daily("09:00", ""), "", "2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z"},
		{"daily from publish after the time", schedule.Daily("09:00", ""), "", "2026-03-01T09:00:01Z", "2026-03-02T09:00:00Z"},
		{"daily first run may be at the start", schedule.Daily("09:00", "").Between(rfc(t, "2026-03-01T09:00:00Z"), time.Time{}), "", "", "2026-03-01T09:00:00Z"},
		{"daily start overrides publish", schedule.Daily("09:00", "").Between(rfc(t, "2026-06-01T10:00:00Z"), time.Time{}), "2026-03-01T00:00:00Z", "", "2026-06-02T09:00:00Z"},
		{"no start and not published", schedule.Daily("09:00", ""), "", "0001-01-01T00:00:00Z", ""},
		// End.
		{"end is inclusive", schedule.Daily("09:00", "").Between(time.Time{}, rfc(t, "2026-03-03T09:00:00Z")), "2026-03-02T09:00:00Z", "", "2026-03-03T09:00:00Z"},
		{"past the end", schedule.Daily("09:00", "").Between(time.Time{}, rfc(t, "2026-03-03T09:00:00Z")), "2026-03-03T09:00:00Z", "", ""},
		{"pipeline past the end", schedule.Pipeline(30).Between(time.Time{}, rfc(t, "2026-03-03T09:10:00Z")), "2026-03-03T09:00:00Z", "2026-03-03T08:00:00Z", ""},
		// Never.
		{"on demand", schedule.OnDemand(), "2026-03-03T09:00:00Z", "", ""},
		{"invalid zone", schedule.Daily("09:00", "Mars/Olympus"), "2026-03-03T09:00:00Z", "", ""},
		{"invalid at", schedule.Daily("9am", ""), "2026-03-03T09:00:00Z", "", ""},
		{"weekly without days", schedule.Weekly("09:00", ""), "2026-03-03T09:00:00Z", "", ""},
		{"pipeline without interval", schedule.Pipeline(0), "2026-03-03T09:00:00Z", "", ""},
		{"unknown kind", schedule.Schedule{Kind: "hourly"}, "2026-03-03T09:00:00Z", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var after time.Time
			if tt.after != "" {
				after = rfc(t, tt.after)
			}
			p := pub
			if tt.pub != "" {
				p = rfc(t, tt.pub)
			}
			got, ok := tt.s.Next(after, p)
			if tt.want == "" {
				if ok {
					t.Fatalf("Next = %s, want none", got.Format(time.RFC3339))
				}
				return
			}
			if !ok {
				t.Fatalf("Next = none, want %s", tt.want)
			}
			if g := got.Format(time.RFC3339); g != tt.want {
				t.Fatalf("Next = %s, want %s", g, tt.want)
			}
			if loc, _ := tt.s.Location(); got.Location() != loc {
				t.Errorf("Next is in %v, want the schedule's zone %v", got.Location(), loc)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		s      schedule.Schedule
		causes []error
		msg    []string // substrings of the message
	}{
		{"on demand", schedule.OnDemand(), nil, nil},
		{"daily", schedule.Daily("09:00", "Europe/Berlin"), nil, nil},
		{"daily utc by name", schedule.Daily("23:59", "UTC"), nil, nil},
		{"weekly", schedule.Weekly("00:00", "Australia/Lord_Howe", time.Saturday), nil, nil},
		{"pipeline", schedule.Pipeline(15).Between(t0, t0.Add(time.Hour)), nil, nil},
		{"missing kind", schedule.Schedule{}, []error{schedule.ErrUnknownKind}, []string{"kind is missing"}},
		{"unknown kind", schedule.Schedule{Kind: "hourly"}, []error{schedule.ErrUnknownKind}, []string{`kind "hourly" is unknown`}},
		{"unknown zone", schedule.Daily("09:00", "Mars/Olympus"), []error{schedule.ErrUnknownZone}, []string{`zone "Mars/Olympus" is unknown`}},
		{"local zone refused", schedule.Daily("09:00", "Local"), []error{schedule.ErrUnknownZone}, []string{`zone "Local" is unknown`}},
		{"missing at", schedule.Daily("", ""), []error{schedule.ErrBadLocalTime}, []string{"at is missing"}},
		{"malformed at", schedule.Daily("9:00", ""), []error{schedule.ErrBadLocalTime}, []string{`at "9:00" is not "hh:mm"`}},
		{"signed at", schedule.Daily("+1:00", ""), []error{schedule.ErrBadLocalTime}, []string{`is not "hh:mm"`}},
		{"at out of range", schedule.Daily("24:00", ""), []error{schedule.ErrBadLocalTime}, []string{"out of range"}},
		{"minutes out of range", schedule.Daily("12:60", ""), []error{schedule.ErrBadLocalTime}, []string{"out of range"}},
		{"weekly no days", schedule.Weekly("09:00", ""), []error{schedule.ErrNoWeekdays}, []string{"days is empty"}},
		{"bad weekday bits", schedule.Schedule{Kind: schedule.KindWeekly, At: "09:00", Days: 0xff}, []error{schedule.ErrNoWeekdays}, []string{"unknown weekday bits"}},
		{"zero interval", schedule.Pipeline(0), []error{schedule.ErrBadInterval}, []string{"every_minutes is zero"}},
		{"negative interval", schedule.Pipeline(-5), []error{schedule.ErrBadInterval}, []string{"every_minutes is negative (-5)"}},
		{"huge interval", schedule.Pipeline(schedule.MaxEveryMinutes + 1), []error{schedule.ErrBadInterval}, []string{"every_minutes is over"}},
		{"end before start", schedule.Daily("09:00", "").Between(t0, t0.Add(-time.Hour)), []error{schedule.ErrEndBeforeStart}, []string{"end (2026-03-01T08:00:00Z) is not after start (2026-03-01T09:00:00Z)"}},
		{"end equal start", schedule.Daily("09:00", "").Between(t0, t0), []error{schedule.ErrEndBeforeStart}, []string{"is not after start"}},
		{"year out of range", schedule.Daily("09:00", "").Between(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}), []error{schedule.ErrEndBeforeStart}, []string{"start year 10000"}},
		{"fields of other kinds", schedule.Schedule{Kind: schedule.KindPipeline, EveryMinutes: 5, At: "09:00", Days: schedule.WeekdaysOf(time.Monday)},
			[]error{schedule.ErrBadLocalTime, schedule.ErrNoWeekdays}, []string{"at is only for daily and weekly", "days is only for weekly schedules (got Mon)"}},
		{"interval on daily", schedule.Schedule{Kind: schedule.KindDaily, At: "09:00", EveryMinutes: 5}, []error{schedule.ErrBadInterval}, []string{"every_minutes is only for pipeline"}},
		{"every problem at once", schedule.Schedule{Kind: schedule.KindWeekly, At: "25:00", Zone: "Nowhere/Land", Start: t0, End: t0.Add(-time.Minute)},
			[]error{schedule.ErrUnknownZone, schedule.ErrBadLocalTime, schedule.ErrNoWeekdays, schedule.ErrEndBeforeStart},
			[]string{"zone", "at", "days is empty", "end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.causes == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			if !errors.Is(err, schedule.ErrInvalidSchedule) {
				t.Errorf("%v does not wrap ErrInvalidSchedule", err)
			}
			for _, c := range tt.causes {
				if !errors.Is(err, c) {
					t.Errorf("%v does not wrap %v", err, c)
				}
			}
			var se *schedule.ScheduleError
			if !errors.As(err, &se) {
				t.Fatalf("%T is not a *ScheduleError", err)
			}
			if len(se.Problems) < len(tt.causes) {
				t.Errorf("problems %q, want at least %d", se.Problems, len(tt.causes))
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%q does not contain %q", err, m)
				}
			}
			if _, ok := tt.s.Next(time.Time{}, t0); ok {
				t.Errorf("Next answers for an invalid schedule")
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		s    schedule.Schedule
		want string
	}{
		{schedule.OnDemand(), `{"kind":"on_demand"}`},
		{schedule.Daily("09:00", "Europe/Berlin"), `{"kind":"daily","at":"09:00","zone":"Europe/Berlin"}`},
		{schedule.Weekly("07:30", "America/New_York", time.Thursday, time.Monday, time.Sunday).
			Between(time.Time{}, time.Date(2026, 12, 31, 23, 59, 0, 0, mustLoc(t, "America/New_York"))),
			`{"kind":"weekly","at":"07:30","days":["mon","thu","sun"],"zone":"America/New_York","end":"2026-12-31T23:59:00-05:00"}`},
		{schedule.Pipeline(15).Between(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 8, 0, 0, 500, berlin)),
			`{"kind":"pipeline","every_minutes":15,"start":"2026-03-01T08:00:00Z","end":"2026-07-01T08:00:00.0000005+02:00"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.s)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("Marshal = %s\nwant      %s", b, tt.want)
		}
		var back schedule.Schedule
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.Equal(tt.s) {
			t.Errorf("round trip %s: got %+v, want %+v", b, back, tt.s)
		}
		b2, _ := json.Marshal(back)
		if string(b2) != string(b) {
			t.Errorf("second Marshal = %s, want %s", b2, b)
		}
		if err := back.Validate(); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}

	// Day names are lenient on input, canonical on output.
	var s schedule.Schedule
	if err := json.Unmarshal([]byte(`{"kind":"weekly","at":"10:00","days":["Friday","MON","mon"]}`), &s); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(s); string(b) != `{"kind":"weekly","at":"10:00","days":["mon","fri"]}` {
		t.Errorf("canonical days: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"kind":"weekly","days":["funday"]}`), &s); !errors.Is(err, schedule.ErrNoWeekdays) {
		t.Errorf("unknown day name: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"kind":"weekly","days":"mon"}`), &s); !errors.Is(err, schedule.ErrNoWeekdays) {
		t.Errorf("days not a list: %v", err)
	}
	if _, err := json.Marshal(schedule.Schedule{Kind: schedule.KindWeekly, Days: 0x80}); !errors.Is(err, schedule.ErrInvalidSchedule) {
		t.Errorf("marshal bad bits: %v", err)
	}
}

func TestString(t *testing.T) {
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		s    schedule.Schedule
		want string
	}{
		{schedule.OnDemand(), "on demand"},
		{schedule.Daily("09:00", "Europe/Berlin"), "daily at 09:00 Europe/Berlin"},
		{schedule.Weekly("07:30", "", time.Thursday, time.Monday), "weekly on Mon, Thu at 07:30 UTC"},
		{schedule.Pipeline(1), "every minute"},
		{schedule.Pipeline(15), "every 15 minutes"},
		{schedule.Pipeline(60), "every hour"},
		{schedule.Pipeline(180), "every 3 hours"},
		{schedule.Daily("09:00", "Europe/Berlin").Between(start, start.AddDate(0, 1, 0)), "daily at 09:00 Europe/Berlin, from 2026-03-01 09:00, until 2026-04-01 10:00"},
		{schedule.Schedule{Kind: "hourly"}, `schedule "hourly"`},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
	}
	if got := schedule.Weekdays(0).String(); got != "none" {
		t.Errorf("empty weekdays = %q", got)
	}
}

func TestLoadLocationCached(t *testing.T) {
	a, err := schedule.LoadLocation("Australia/Lord_Howe")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := schedule.Daily("09:00", "Australia/Lord_Howe").Location()
	if a != b {
		t.Error("the second load is not answered from the cache")
	}
	for _, name := range []string{"", "UTC"} {
		if loc, err := schedule.LoadLocation(name); err != nil || loc != time.UTC {
			t.Errorf("LoadLocation(%q) = %v, %v", name, loc, err)
		}
	}
	for _, name := range []string{"Local", "Mars/Olympus", "../etc/passwd", "Europe/"} {
		if _, err := schedule.LoadLocation(name); !errors.Is(err, schedule.ErrUnknownZone) {
			t.Errorf("LoadLocation(%q) = %v, want ErrUnknownZone", name, err)
		}
	}
}

func TestDueAndEnded(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	pub := time.Date(2026, 3, 1, 7, 0, 0, 0, ny)
	end := time.Date(2026, 3, 20, 9, 0, 0, 0, ny)
	s := schedule.Daily("09:00", "America/New_York").Between(time.Time{}, end)

	at := func(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, ny) }
	if s.Due(time.Time{}, at(1, 8, 59), pub) {
		t.Error("due before the first run")
	}
	if !s.Due(time.Time{}, at(1, 9, 0), pub) {
		t.Error("first run not due at its time")
	}
	last := at(1, 9, 0)
	if s.Due(last, at(2, 8, 0), pub) {
		t.Error("due before the next local time")
	}

	// Down from the 2nd 08:00 to the 5th 14:00: three runs missed, one
	// catch-up at 14:00, then the 6th at 09:00.
	now := at(5, 14, 0)
	if !s.Due(last, now, pub) {
		t.Fatal("missed run not due when resuming")
	}
	last = now
	if s.Due(last, now, pub) || s.Due(last, at(6, 8, 59), pub) {
		t.Error("caught up twice")
	}
	if next, ok := s.Next(last, pub); !ok || !next.Equal(at(6, 9, 0)) {
		t.Errorf("after catch-up Next = %v %v, want the 6th 09:00", next, ok)
	}

	// The end: the 20th 09:00 still runs; after it the schedule has ended
	// and nothing is due, even a run missed before the end.
	if s.Ended(end) || !s.Ended(end.Add(time.Nanosecond)) {
		t.Error("Ended is not strictly after End")
	}
	if !s.Due(at(19, 9, 0), end, pub) {
		t.Error("the run at the end is not due")
	}
	if s.Due(at(18, 9, 0), at(21, 0, 0), pub) {
		t.Error("due past the end")
	}
	if _, ok := s.Next(end, pub); ok {
		t.Error("Next past the end")
	}
	if schedule.OnDemand().Due(time.Time{}, at(5, 0, 0), pub) || schedule.OnDemand().Ended(at(5, 0, 0)) {
		t.Error("on demand is never due and never ends without an end")
	}
}

// TestExtremeTimes feeds Next, Due and Ended instants at the edges of
// time.Time: they must answer without panicking, and any answer must be
// after the query.
func TestExtremeTimes(t *testing.T) {
	times := []time.Time{
		{},
		time.Unix(0, 0),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Unix(1<<62, 0),
		time.Unix(-1<<62, 0),
		time.Unix(1<<63-1, 999999999),
		time.Unix(-1<<63, 0),
	}
	scheds := []schedule.Schedule{
		schedule.Daily("00:00", "Australia/Lord_Howe"),
		schedule.Weekly("23:59", "America/New_York", time.Sunday),
		schedule.Pipeline(1),
		schedule.Pipeline(schedule.MaxEveryMinutes),
		schedule.Pipeline(7).Between(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}),
		schedule.OnDemand(),
	}
	for _, s := range scheds {
		for _, after := range times {
			for _, pub := range times {
				if n, ok := s.Next(after, pub); ok && !n.After(after) {
					t.Errorf("%v: Next(%v, %v) = %v", s, after, pub, n)
				}
				s.Due(after, pub, pub)
				s.Ended(after)
			}
		}
	}
}
