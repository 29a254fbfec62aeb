// Package schedule does the calendar arithmetic of workflows: the timer
// spans accounts wait for, and the schedules workflows run on.
//
// # Spans
//
// A [Span] is how long a timer node waits: a number of days, hours and
// minutes. Days are calendar days in the workflow's time zone: a one-day
// span started at 09:00 ends at 09:00 local time on the next day, whether
// that day has 23, 24 or 25 hours because of a daylight-saving change.
// Hours and minutes are elapsed time: a 24-hour span always lasts 24 hours.
// When a span has both, the days are added first, then the hours and
// minutes.
//
// Adding days may land on a local time that does not exist (the hour
// skipped when clocks spring forward); the result is then the first instant
// after the gap, which is the moment the clocks jump. A local time that
// occurs twice (clocks fall back) resolves to its first occurrence.
//
//	end := schedule.Span{Days: 14}.AddTo(enteredAt, loc)
//
// Spans are plain values, comparable and JSON friendly:
//
//	{"days": 14, "hours": 2}
//
// # Schedules
//
// A [Schedule] says when a workflow runs by itself: on demand only
// ([KindOnDemand]), daily at a local time ([KindDaily]), weekly on chosen
// weekdays at a local time ([KindWeekly]), or every so many minutes
// ([KindPipeline]). It starts when the workflow is published or at a given
// instant, may end at a given instant, and does its calendar arithmetic in
// a named IANA time zone, following the same rules as spans: a daily 09:00
// stays at 09:00 local time across daylight-saving changes, runs once at
// the jump on a day that skips 09:00, and once at the first 09:00 on a day
// that repeats it.
//
//	s := schedule.Daily("09:00", "Europe/Berlin")
//	if err := s.Validate(); err != nil { … }   // every problem at once
//	next, ok := s.Next(lastRun, publishedAt)  // the next due instant
//
// [Schedule.Due] and [Schedule.Ended] drive a scheduler: after downtime a
// missed workflow runs once, when the scheduler resumes; past its end a
// workflow is unpublished. Zones are loaded once per process and cached
// ([LoadLocation]).
//
// # Time zone database
//
// Zone names are resolved with the zone database of the host (as
// [time.LoadLocation] does). Binaries embedding playgraph that may run
// where there is none — scratch or distroless containers, some Windows
// hosts — should embed one by importing time/tzdata in their main package:
//
//	import _ "time/tzdata"
//
// It adds about 450 kB to the binary. Without a database every zone but
// UTC is reported unknown ([ErrUnknownZone]).
package schedule
