package eval

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/playgraph/playgraph/audience"
)

// This file holds the semantics both back-ends share: the structured
// closures and the expression functions call the same helpers, so the two
// cannot drift apart.
//
// Strings compare ignoring case. Equality ("eq", "in") is Unicode simple
// case folding (strings.EqualFold); containment and prefixes compare the
// lower-cased strings (strings.ToLower), exactly as audience.Persona does.

// equalFold reports whether a and b are equal ignoring case.
func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// oneOfFold reports whether s equals one of list ignoring case.
func oneOfFold(s string, list []string) bool {
	for _, v := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// containsLower reports whether strings.ToLower(s) contains lower, which
// must already be lower-cased. It does not allocate for ASCII s.
func containsLower(s, lower string) bool {
	if !isASCII(s) {
		return strings.Contains(strings.ToLower(s), lower)
	}
	n := len(lower)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lowerASCII(s[i+j]) == lower[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

// hasPrefixLower reports whether strings.ToLower(s) starts with lower,
// which must already be lower-cased.
func hasPrefixLower(s, lower string) bool {
	if !isASCII(s) {
		return strings.HasPrefix(strings.ToLower(s), lower)
	}
	if len(lower) > len(s) {
		return false
	}
	for j := 0; j < len(lower); j++ {
		if lowerASCII(s[j]) != lower[j] {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains sub ignoring case.
func containsFold(s, sub string) bool { return containsLower(s, strings.ToLower(sub)) }

// prefixFold reports whether s starts with prefix ignoring case.
func prefixFold(s, prefix string) bool { return hasPrefixLower(s, strings.ToLower(prefix)) }

// containsAnyLower reports whether s contains any of lowers (lower-cased).
func containsAnyLower(s string, lowers []string) bool {
	for _, l := range lowers {
		if containsLower(s, l) {
			return true
		}
	}
	return false
}

// containsAllLower reports whether s contains all of lowers (lower-cased).
func containsAllLower(s string, lowers []string) bool {
	for _, l := range lowers {
		if !containsLower(s, l) {
			return false
		}
	}
	return true
}

// hasFold reports whether list holds v ignoring case.
func hasFold(list []string, v string) bool { return oneOfFold(v, list) }

// hasAnyFold reports whether list holds any of vs ignoring case.
func hasAnyFold(list, vs []string) bool {
	for _, v := range vs {
		if oneOfFold(v, list) {
			return true
		}
	}
	return false
}

// hasAllFold reports whether list holds all of vs ignoring case.
func hasAllFold(list, vs []string) bool {
	for _, v := range vs {
		if !oneOfFold(v, list) {
			return false
		}
	}
	return true
}

// maxDays bounds day counts so that n*24h never overflows a Duration.
const maxDays = 100_000

// withinLastDays reports whether t is set and lies in [now - n days, now].
// A negative n never holds; n is capped at 100,000 days.
func withinLastDays(t, now time.Time, n int) bool {
	if t.IsZero() || n < 0 {
		return false
	}
	if n > maxDays {
		n = maxDays
	}
	return !t.After(now) && !t.Before(now.Add(-time.Duration(n)*24*time.Hour))
}

// stageAtLeast and stageAtMost order buying stages; an unknown stage is
// neither at least nor at most any stage.
func stageAtLeast(s, min audience.BuyingStage) bool { return s.Valid() && s >= min }
func stageAtMost(s, max audience.BuyingStage) bool  { return s.Valid() && s <= max }

// adTarget is an engaged() target resolved at compile time.
type adTarget struct {
	node string
	ref  AdRef
}

// engaged reports whether the account engaged with the ad node since it last
// entered it: an event other than an impression, on the node's channel,
// for its campaign or attributed to the node id, at or after the last entry
// on env.Path and not after env.Now. False if the node is not on the path.
func engaged(env *Env, t *adTarget) bool {
	var since time.Time
	found := false
	for i := len(env.Path) - 1; i >= 0; i-- {
		if env.Path[i].Node == t.node {
			since, found = env.Path[i].At, true
			break
		}
	}
	if !found {
		return false
	}
	return engagedIn(env.Account.Events, t, since, env.Now) || engagedIn(env.Events, t, since, env.Now)
}

func engagedIn(evs []audience.Event, t *adTarget, since, now time.Time) bool {
	for i := range evs {
		ev := &evs[i]
		if ev.Kind == audience.KindImpression || ev.Channel != t.ref.Channel {
			continue
		}
		if ev.Campaign != t.node && (t.ref.Campaign == "" || ev.Campaign != t.ref.Campaign) {
			continue
		}
		if !ev.At.Before(since) && !ev.At.After(now) {
			return true
		}
	}
	return false
}

// inSegment asks env's resolver; false without one.
func inSegment(env *Env, id string) bool {
	return env.Segments != nil && env.Segments.InSegment(id, env.Account.ID)
}
