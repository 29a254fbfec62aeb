// Package schedule does the calendar arithmetic of workflows: timer spans
// now, and (in a later version) the on-demand, daily, weekly and pipeline
// schedules a workflow runs on.
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
package schedule
