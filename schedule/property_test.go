package schedule_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/playgraph/playgraph/schedule"
)

// propZones are the zones of the property tests, with local times that
// fall in their spring-forward gaps or fall-back repeats.
var propZones = []struct {
	name   string
	tricky []string
}{
	{"America/New_York", []string{"02:00", "02:30", "02:59", "01:00", "01:30", "01:59"}},
	{"Europe/Berlin", []string{"02:00", "02:30", "02:59", "03:00"}},
	{"Australia/Lord_Howe", []string{"02:00", "02:15", "02:29", "01:30", "01:45", "01:59"}},
	{"UTC", []string{"00:00", "23:59"}},
}

// propYears is how many years the property tests walk.
func propYears() int {
	if testing.Short() {
		return 3
	}
	return 12
}

// randAt returns a random "hh:mm", a tricky one half of the time.
func randAt(r *rand.Rand, tricky []string) string {
	if r.IntN(2) == 0 {
		return tricky[r.IntN(len(tricky))]
	}
	return fmt.Sprintf("%02d:%02d", r.IntN(24), r.IntN(60))
}

// oracle finds by brute force the instant a run at hh:mm is due on the
// local date y-m-d in loc: the first instant whose wall clock shows that
// date and a time at or after hh:mm. That is the first occurrence of a
// repeated time, and the jump for a skipped one. Transitions in the test
// zones fall on whole minutes, so a minute grid finds it.
func oracle(y int, m time.Month, d, hh, mm int, loc *time.Location) time.Time {
	u := time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
	_, off := u.In(loc).Zone()
	base := u.Add(-time.Duration(off) * time.Second).Add(-3 * time.Hour)
	for i := range 6 * 60 {
		t := base.Add(time.Duration(i) * time.Minute).In(loc)
		ty, tm, td := t.Date()
		if ty == y && tm == m && td == d && t.Hour()*60+t.Minute() >= hh*60+mm {
			return t
		}
	}
	panic("oracle: no instant found")
}

// nearTransition reports whether loc's offset changes within a day of the
// local date y-m-d.
func nearTransition(y int, m time.Month, d int, loc *time.Location) bool {
	_, a := time.Date(y, m, d-1, 12, 0, 0, 0, loc).Zone()
	_, b := time.Date(y, m, d+1, 12, 0, 0, 0, loc).Zone()
	return a != b
}

// walk returns every run of s from its first, up to limit.
func walk(t *testing.T, s schedule.Schedule, pub, limit time.Time) []time.Time {
	t.Helper()
	var runs []time.Time
	var last time.Time
	for {
		next, ok := s.Next(last, pub)
		if !ok && !s.End.IsZero() {
			return runs
		}
		if !ok {
			t.Fatalf("%v: Next(%v) = none", s, last)
		}
		if !next.After(last) {
			t.Fatalf("%v: Next(%v) = %v does not increase", s, last, next)
		}
		if next.After(limit) {
			return runs
		}
		runs = append(runs, next)
		last = next
	}
}

// checkQueries asks Next at random instants and checks it answers the
// first run of the walk strictly after them.
func checkQueries(t *testing.T, r *rand.Rand, s schedule.Schedule, pub time.Time, runs []time.Time, n int) {
	t.Helper()
	if len(runs) < 2 {
		t.Fatalf("%v: only %d runs", s, len(runs))
	}
	from, to := pub.Add(-48*time.Hour), runs[len(runs)-1]
	for range n {
		var after time.Time
		if r.IntN(4) == 0 {
			after = runs[r.IntN(len(runs))] // exactly on a run
			if r.IntN(2) == 0 {
				after = after.Add(-time.Nanosecond)
			}
		} else {
			after = from.Add(time.Duration(r.Int64N(int64(to.Sub(from)))))
		}
		i := sort.Search(len(runs), func(i int) bool { return runs[i].After(after) })
		if i == len(runs) {
			continue
		}
		got, ok := s.Next(after, pub)
		if !ok || !got.Equal(runs[i]) {
			t.Fatalf("%v: Next(%v) = %v %v, want %v", s, after, got, ok, runs[i])
		}
	}
}

// checkRunDay checks a daily or weekly run on local date y-m-d.
func checkRunDay(t *testing.T, s schedule.Schedule, run time.Time, loc *time.Location, full bool) {
	t.Helper()
	y, m, d := run.Date()
	var hh, mm int
	fmt.Sscanf(s.At, "%d:%d", &hh, &mm)
	if run.Location().String() != loc.String() {
		t.Fatalf("%v: run %v not in the zone", s, run)
	}
	if run.Hour() == hh && run.Minute() == mm && run.Second() == 0 && run.Nanosecond() == 0 {
		// On time; it must still be the first occurrence.
		if full || nearTransition(y, m, d, loc) {
			if want := oracle(y, m, d, hh, mm, loc); !run.Equal(want) {
				t.Fatalf("%v: run %v, want the first occurrence %v", s, run, want)
			}
		}
		return
	}
	// Off time: only on a day whose local time does not exist.
	if want := oracle(y, m, d, hh, mm, loc); !run.Equal(want) || !nearTransition(y, m, d, loc) {
		t.Fatalf("%v: run %v off its local time, oracle %v", s, run, want)
	}
	if start, _ := run.ZoneBounds(); !start.Equal(run) {
		t.Fatalf("%v: run %v off its local time but not at a jump", s, run)
	}
}

func TestPropertyDaily(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	years := propYears()
	for _, z := range propZones {
		loc := mustLoc(t, z.name)
		for range 6 {
			at := randAt(r, z.tricky)
			s := schedule.Daily(at, z.name)
			pub := time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), loc)
			limit := pub.AddDate(years, 0, 0)
			runs := walk(t, s, pub, limit)

			// Exactly one run per local day, from the publish day (or the
			// next, if published after the time) to the limit.
			first := runs[0]
			if first.Before(pub) || first.Sub(pub) > 49*time.Hour {
				t.Fatalf("%v: first run %v, published %v", s, first, pub)
			}
			fy, fm, fd := first.Date()
			for i, run := range runs {
				y, m, d := run.Date()
				wy, wm, wd := time.Date(fy, fm, fd+i, 0, 0, 0, 0, time.UTC).Date()
				if y != wy || m != wm || d != wd {
					t.Fatalf("%v: run %d on %v, want local day %04d-%02d-%02d (lost or doubled day)", s, i, run, wy, wm, wd)
				}
				checkRunDay(t, s, run, loc, !testing.Short() || i%37 == 0)
			}
			if want := int(limit.Sub(first).Hours()/24) - 1; len(runs) < want {
				t.Fatalf("%v: %d runs in %d years", s, len(runs), years)
			}
			checkQueries(t, r, s, pub, runs, 300)
		}
	}
}

func TestPropertyWeekly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	years := propYears()
	for _, z := range propZones {
		loc := mustLoc(t, z.name)
		for range 6 {
			days := schedule.Weekdays(1 + r.IntN(127))
			if r.IntN(3) == 0 {
				days = schedule.WeekdaysOf(time.Sunday) // DST changes fall on Sundays here
			}
			at := randAt(r, z.tricky)
			s := schedule.Schedule{Kind: schedule.KindWeekly, At: at, Days: days, Zone: z.name}
			start := time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), 0, 0, loc)
			s = s.Between(start, start.AddDate(years, 0, 0))
			runs := walk(t, s, time.Time{}, s.End)
			if _, ok := s.Next(runs[len(runs)-1], time.Time{}); ok {
				t.Fatalf("%v: runs past its end", s)
			}

			// Runs fall on the chosen days only, and on every chosen day.
			prev := start
			for i, run := range runs {
				if !days.Has(run.Weekday()) {
					t.Fatalf("%v: run %d on a %v", s, i, run.Weekday())
				}
				checkRunDay(t, s, run, loc, !testing.Short() || i%11 == 0)
				py, pm, pd := prev.Date()
				k0 := 1
				if i == 0 {
					k0 = 0 // the start day, which may have a run still ahead
				}
				for k := k0; ; k++ {
					day := time.Date(py, pm, pd+k, 0, 0, 0, 0, time.UTC)
					if y, m, d := run.Date(); day.Year() == y && day.Month() == m && day.Day() == d {
						break
					}
					if days.Has(day.Weekday()) && k > 0 {
						t.Fatalf("%v: no run on %v (%v)", s, day.Format("2006-01-02"), day.Weekday())
					}
					if k > 8 {
						t.Fatalf("%v: runs %v and %v over a week apart", s, prev, run)
					}
				}
				prev = run
			}
			if want := len(days.List()) * 52 * years; len(runs) < want-len(days.List()) {
				t.Fatalf("%v: %d runs, want about %d", s, len(runs), want)
			}
			checkQueries(t, r, s, time.Time{}, runs, 300)
		}
	}
}

func TestPropertyPipeline(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, z := range propZones {
		loc := mustLoc(t, z.name)
		for range 20 {
			every := 1 + r.IntN(3*24*60)
			if r.IntN(2) == 0 {
				every = []int{5, 15, 30, 60, 90}[r.IntN(5)]
			}
			s := schedule.Schedule{Kind: schedule.KindPipeline, EveryMinutes: every, Zone: z.name}
			pub := time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), loc)
			limit := pub.Add(time.Duration(2000*every) * time.Minute)
			if lim := pub.AddDate(propYears(), 0, 0); limit.After(lim) {
				limit = lim
			}
			runs := walk(t, s, pub, limit)
			if !runs[0].Equal(pub) {
				t.Fatalf("%v: first run %v, want the publish time %v", s, runs[0], pub)
			}
			for i := 1; i < len(runs); i++ {
				if d := runs[i].Sub(runs[i-1]); d != time.Duration(every)*time.Minute {
					t.Fatalf("%v: runs %v and %v are %v apart", s, runs[i-1], runs[i], d)
				}
			}
			checkQueries(t, r, s, pub, runs, 200)
		}
	}
}

// TestPropertyCatchUp simulates a scheduler that is down at random times:
// every resume with missed runs gives exactly one run, at the resume time,
// and no run is made while nothing is due.
func TestPropertyCatchUp(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, z := range propZones {
		loc := mustLoc(t, z.name)
		for _, s := range []schedule.Schedule{
			schedule.Daily(randAt(r, z.tricky), z.name),
			schedule.Weekly(randAt(r, z.tricky), z.name, time.Monday, time.Sunday),
			{Kind: schedule.KindPipeline, EveryMinutes: 45, Zone: z.name},
		} {
			pub := time.Date(2025, 1, 1+r.IntN(300), r.IntN(24), 0, 0, 0, loc)
			var last time.Time
			now := pub
			for range 300 {
				next, ok := s.Next(last, pub)
				if !ok {
					t.Fatalf("%v: Next = none", s)
				}
				if r.IntN(4) == 0 {
					// Down: resume a random while after the run was due.
					now = next.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
					missed := 0
					for n, ok := next, true; ok && !n.After(now); n, ok = s.Next(n, pub) {
						missed++
					}
					if !s.Due(last, now, pub) {
						t.Fatalf("%v: %d missed runs but not due at %v", s, missed, now)
					}
				} else {
					if s.Due(last, next.Add(-time.Nanosecond), pub) {
						t.Fatalf("%v: due before %v", s, next)
					}
					now = next
				}
				if !s.Due(last, now, pub) {
					t.Fatalf("%v: not due at %v", s, now)
				}
				last = now // run once
				if s.Due(last, now, pub) {
					t.Fatalf("%v: due twice at %v", s, now)
				}
				if n, _ := s.Next(last, pub); !n.After(now) {
					t.Fatalf("%v: Next(%v) = %v", s, now, n)
				}
			}
		}
	}
}
