package store

import (
	"fmt"
	"math"
	"time"
)

// Unix seconds whose nanoseconds fit an int64 (years 1678 to 2262).
const (
	minUnixSec = math.MinInt64/int64(time.Second) + 1
	maxUnixSec = math.MaxInt64/int64(time.Second) - 1
)

// TimeInRange reports whether t is zero or representable as int64 Unix
// nanoseconds (years 1678 to 2262): the range every time a store keeps must
// lie in, so that stores may encode times compactly.
func TimeInRange(t time.Time) bool {
	if t.IsZero() {
		return true
	}
	sec := t.Unix()
	return sec >= minUnixSec && sec <= maxUnixSec
}

// Validate checks a batch against StateStore.Apply's contract: every state
// has an account id and a status that can be saved (active, waiting,
// failed, blocked or exited); every intent has a key and an account id and
// every item a key; no resolved key is empty; every audit row names its
// run; every time is in range (TimeInRange); the state hints, when set,
// have one entry each in range. It returns an error wrapping
// ErrInvalid that names the first problem; a store applies nothing of an
// invalid batch. Stores may check more (their own size limits).
func (b *Batch) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	// A batch's times are mostly one run's now and a few times derived
	// from it: a time equal (==) to the last one found in range is too.
	var last time.Time
	inRange := func(t time.Time) bool {
		if t == last {
			return true
		}
		if !TimeInRange(t) {
			return false
		}
		last = t
		return true
	}
	for i := range b.States {
		st := &b.States[i]
		switch {
		case st.Account == "":
			return bad("state %d: empty account id", i)
		case st.Status < StatusActive || st.Status > StatusExited:
			return bad("state %d (%s): status %v cannot be saved", i, st.Account, st.Status)
		case !inRange(st.EnteredAt) || !inRange(st.WakeAt):
			return bad("state %d (%s): time out of range", i, st.Account)
		}
		for k := range st.Path {
			if !inRange(st.Path[k].At) {
				return bad("state %d (%s): path time out of range", i, st.Account)
			}
		}
	}
	for i := range b.Intents {
		in := &b.Intents[i]
		switch {
		case in.Key == "":
			return bad("intent %d: empty key", i)
		case in.Account == "":
			return bad("intent %d (%s): empty account id", i, in.Key)
		case !inRange(in.Created):
			return bad("intent %d (%s): time out of range", i, in.Key)
		case in.Attempts < 0:
			return bad("intent %d (%s): negative attempts", i, in.Key)
		}
		for j := range in.Items {
			if in.Items[j].Key == "" {
				return bad("intent %d (%s): item %d: empty key", i, in.Key, j)
			}
		}
	}
	for i, k := range b.Resolved {
		if k == "" {
			return bad("resolved %d: empty key", i)
		}
	}
	if err := validHints(b.IntentStates, len(b.Intents), len(b.States)); err != nil {
		return bad("intent states: %v", err)
	}
	if err := validHints(b.ResolvedStates, len(b.Resolved), len(b.States)); err != nil {
		return bad("resolved states: %v", err)
	}
	for i := range b.Audit {
		r := &b.Audit[i]
		if r.Run == "" {
			return bad("audit row %d: empty run id", i)
		}
		if !inRange(r.At) {
			return bad("audit row %d: time out of range", i)
		}
	}
	return nil
}

// validHints checks a Batch's optional state hints: nil, or n entries,
// each -1 or an index into the batch's states.
func validHints(h []int32, n, states int) error {
	if h == nil {
		return nil
	}
	if len(h) != n {
		return fmt.Errorf("%d hints for %d entries", len(h), n)
	}
	for i, j := range h {
		if j < -1 || int(j) >= states {
			return fmt.Errorf("hint %d: %d is not a state index", i, j)
		}
	}
	return nil
}
