package schedule_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	// Binaries embedding playgraph import time/tzdata so zone names
	// resolve where the host has no zone database.
	_ "time/tzdata"

	"github.com/playgraph/playgraph/schedule"
)

// A daily run keeps its local time across daylight-saving changes: once at
// the jump on the day clocks skip its time, once at the first occurrence on
// the day clocks repeat it.
func ExampleSchedule_Next() {
	s := schedule.Daily("02:30", "Europe/Berlin")
	published := time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC)

	var last time.Time // no run yet
	for range 3 {
		next, _ := s.Next(last, published)
		fmt.Println(next.Format(time.RFC3339))
		last = next
	}

	last = time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC)
	for range 2 {
		next, _ := s.Next(last, published)
		fmt.Println(next.Format(time.RFC3339))
		last = next
	}
	// Output:
	// 2026-03-28T02:30:00+01:00
	// 2026-03-29T03:00:00+02:00
	// 2026-03-30T02:30:00+02:00
	// 2026-10-25T02:30:00+02:00
	// 2026-10-26T02:30:00+01:00
}

// After downtime a missed workflow runs once, when the scheduler resumes:
// the scheduler records the clock time of each run and asks Next from it.
func ExampleSchedule_Due() {
	berlin, _ := schedule.LoadLocation("Europe/Berlin")
	s := schedule.Daily("09:00", "Europe/Berlin").
		Between(time.Time{}, time.Date(2026, 6, 30, 9, 0, 0, 0, berlin))
	published := time.Date(2026, 6, 1, 8, 0, 0, 0, berlin)
	last := time.Date(2026, 6, 10, 9, 0, 0, 0, berlin) // the last run

	now := time.Date(2026, 6, 13, 15, 20, 0, 0, berlin) // back after three days down
	if s.Due(last, now, published) {
		fmt.Println("run at", now.Format("Jan 2 15:04"))
		last = now
	}
	fmt.Println("due again:", s.Due(last, now, published))
	next, _ := s.Next(last, published)
	fmt.Println("next at", next.Format("Jan 2 15:04"))

	now = time.Date(2026, 7, 1, 9, 0, 0, 0, berlin)
	fmt.Println("ended:", s.Ended(now), "due:", s.Due(last, now, published))
	// Output:
	// run at Jun 13 15:20
	// due again: false
	// next at Jun 14 09:00
	// ended: true due: false
}

// Validate lists every problem, each kind testable with errors.Is.
func ExampleSchedule_Validate() {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s := schedule.Schedule{Kind: schedule.KindWeekly, At: "9:00", Zone: "Europe/Berln"}.
		Between(start, start.AddDate(0, 0, -1))
	err := s.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, schedule.ErrUnknownZone), errors.Is(err, schedule.ErrNoWeekdays))
	// Output:
	// schedule: invalid schedule: zone "Europe/Berln" is unknown; at "9:00" is not "hh:mm"; days is empty: a weekly schedule needs at least one weekday; end (2026-02-28T00:00:00Z) is not after start (2026-03-01T00:00:00Z)
	// true true
}

// Schedules are JSON values.
func ExampleSchedule_json() {
	var s schedule.Schedule
	_ = json.Unmarshal([]byte(`{"kind":"weekly","at":"07:30","days":["thu","mon"],"zone":"Australia/Lord_Howe"}`), &s)
	fmt.Println(s, s.Validate())
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	b, _ = json.Marshal(schedule.Pipeline(15))
	fmt.Println(string(b))
	// Output:
	// weekly on Mon, Thu at 07:30 Australia/Lord_Howe <nil>
	// {"kind":"weekly","at":"07:30","days":["mon","thu"],"zone":"Australia/Lord_Howe"}
	// {"kind":"pipeline","every_minutes":15}
}
