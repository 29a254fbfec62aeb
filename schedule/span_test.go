package schedule_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/playgraph/playgraph/schedule"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSpanAddToDST(t *testing.T) {
	tests := []struct {
		name string
		zone string
		from string // local wall time in zone, "2006-01-02 15:04"
		span schedule.Span
		want string // RFC 3339 with offset
	}{
		// America/New_York: spring forward 2026-03-08 02:00 EST -> 03:00 EDT;
		// fall back 2026-11-01 02:00 EDT -> 01:00 EST.
		{"ny day across spring forward keeps local time", "America/New_York", "2026-03-07 09:00", schedule.Span{Days: 1}, "2026-03-08T09:00:00-04:00"},
		{"ny 24h across spring forward is elapsed", "America/New_York", "2026-03-07 09:00", schedule.Span{Hours: 24}, "2026-03-08T10:00:00-04:00"},
		{"ny day across fall back keeps local time", "America/New_York", "2026-10-31 09:00", schedule.Span{Days: 1}, "2026-11-01T09:00:00-05:00"},
		{"ny 24h across fall back is elapsed", "America/New_York", "2026-10-31 09:00", schedule.Span{Hours: 24}, "2026-11-01T08:00:00-05:00"},
		{"ny day into gap goes to the jump", "America/New_York", "2026-03-07 02:30", schedule.Span{Days: 1}, "2026-03-08T03:00:00-04:00"},
		{"ny day into repeated hour takes first", "America/New_York", "2026-10-31 01:30", schedule.Span{Days: 1}, "2026-11-01T01:30:00-04:00"},
		{"ny 14 days across spring forward", "America/New_York", "2026-03-01 23:15", schedule.Span{Days: 14}, "2026-03-15T23:15:00-04:00"},
		{"ny days then hours", "America/New_York", "2026-03-07 09:00", schedule.Span{Days: 1, Hours: 2, Minutes: 30}, "2026-03-08T11:30:00-04:00"},
		{"ny minutes through the gap", "America/New_York", "2026-03-08 01:50", schedule.Span{Minutes: 20}, "2026-03-08T03:10:00-04:00"},
		{"ny month end", "America/New_York", "2026-01-31 12:00", schedule.Span{Days: 1}, "2026-02-01T12:00:00-05:00"},
		// Europe/Berlin: spring forward 2026-03-29 02:00 CET -> 03:00 CEST;
		// fall back 2026-10-25 03:00 CEST -> 02:00 CET.
		{"berlin day across spring forward", "Europe/Berlin", "2026-03-28 09:00", schedule.Span{Days: 1}, "2026-03-29T09:00:00+02:00"},
		{"berlin 24h across spring forward", "Europe/Berlin", "2026-03-28 09:00", schedule.Span{Hours: 24}, "2026-03-29T10:00:00+02:00"},
		{"berlin day across fall back", "Europe/Berlin", "2026-10-24 09:00", schedule.Span{Days: 1}, "2026-10-25T09:00:00+01:00"},
		{"berlin 24h across fall back", "Europe/Berlin", "2026-10-24 09:00", schedule.Span{Hours: 24}, "2026-10-25T08:00:00+01:00"},
		{"berlin day into gap", "Europe/Berlin", "2026-03-28 02:15", schedule.Span{Days: 1}, "2026-03-29T03:00:00+02:00"},
		{"berlin day into repeated hour takes first", "Europe/Berlin", "2026-10-24 02:30", schedule.Span{Days: 1}, "2026-10-25T02:30:00+02:00"},
		{"berlin week", "Europe/Berlin", "2026-03-25 18:00", schedule.Span{Days: 7}, "2026-04-01T18:00:00+02:00"},
		{"berlin leap-free february", "Europe/Berlin", "2026-02-28 10:00", schedule.Span{Days: 1}, "2026-03-01T10:00:00+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.zone)
			from, err := time.ParseInLocation("2006-01-02 15:04", tt.from, loc)
			if err != nil {
				t.Fatal(err)
			}
			if from.Format("2006-01-02 15:04") != tt.from {
				t.Fatalf("bad fixture: %s is not a unique local time", tt.from)
			}
			got := tt.span.AddTo(from, loc)
			if got.Format(time.RFC3339) != tt.want {
				t.Errorf("%v.AddTo(%s) = %s, want %s", tt.span, tt.from, got.Format(time.RFC3339), tt.want)
			}
			if got.Location() != loc {
				t.Errorf("result location %v, want %v", got.Location(), loc)
			}
		})
	}
}

func TestSpanAddToFromUTCInput(t *testing.T) {
	loc := mustLoc(t, "America/New_York")
	from := time.Date(2026, 3, 7, 14, 0, 0, 0, time.UTC) // 09:00 EST
	got := schedule.Span{Days: 1}.AddTo(from, loc)
	if want := time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("got %s, want %s", got, want)
	}
	// nil location: t's own.
	got = schedule.Span{Days: 2}.AddTo(from, nil)
	if want := from.AddDate(0, 0, 2); !got.Equal(want) {
		t.Errorf("nil loc: got %s, want %s", got, want)
	}
}

func TestSpanValidate(t *testing.T) {
	tests := []struct {
		span schedule.Span
		want string
	}{
		{schedule.Span{Days: 14}, ""},
		{schedule.Span{Minutes: 1}, ""},
		{schedule.Span{}, "schedule: invalid span: span has no length (days, hours and minutes are all zero)"},
		{schedule.Span{Days: -1, Hours: 2}, "schedule: invalid span: days is negative (-1)"},
		{schedule.Span{Days: -1, Minutes: -5}, "schedule: invalid span: days is negative (-1); minutes is negative (-5)"},
		{schedule.Span{Days: schedule.MaxSpanDays + 1}, "schedule: invalid span: days is over 3660 (3661)"},
	}
	for _, tt := range tests {
		err := tt.span.Validate()
		if tt.want == "" {
			if err != nil {
				t.Errorf("%v: unexpected %v", tt.span, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.want {
			t.Errorf("%+v: got %v, want %q", tt.span, err, tt.want)
		}
		if !errors.Is(err, schedule.ErrInvalidSpan) {
			t.Errorf("%+v: not ErrInvalidSpan", tt.span)
		}
		var se *schedule.SpanError
		if !errors.As(err, &se) || se.Span != tt.span {
			t.Errorf("%+v: not a *SpanError for the span", tt.span)
		}
	}
}

func TestSpanStringAndJSON(t *testing.T) {
	for _, tt := range []struct {
		s    schedule.Span
		str  string
		json string
	}{
		{schedule.Span{Days: 14}, "14d", `{"days":14}`},
		{schedule.Span{Hours: 2, Minutes: 30}, "2h30m", `{"hours":2,"minutes":30}`},
		{schedule.Span{}, "0m", `{}`},
	} {
		if got := tt.s.String(); got != tt.str {
			t.Errorf("String = %q, want %q", got, tt.str)
		}
		b, err := json.Marshal(tt.s)
		if err != nil || string(b) != tt.json {
			t.Errorf("json = %s %v, want %s", b, err, tt.json)
		}
		var back schedule.Span
		if err := json.Unmarshal(b, &back); err != nil || back != tt.s {
			t.Errorf("round trip = %+v %v", back, err)
		}
	}
}

func ExampleSpan_AddTo() {
	loc, _ := time.LoadLocation("America/New_York")
	entered := time.Date(2026, 3, 7, 9, 0, 0, 0, loc) // the day before clocks spring forward
	fmt.Println(schedule.Span{Days: 1}.AddTo(entered, loc).Format(time.RFC3339))
	fmt.Println(schedule.Span{Hours: 24}.AddTo(entered, loc).Format(time.RFC3339))
	// Output:
	// 2026-03-08T09:00:00-04:00
	// 2026-03-08T10:00:00-04:00
}
