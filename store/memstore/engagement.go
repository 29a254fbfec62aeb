package memstore

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

const engagementShards = 64

var engagementSeed = maphash.MakeSeed()

// eventRec is an engagement event without its account id (the map key),
// with its time in Unix nanoseconds.
type eventRec struct {
	contact, channel, campaign string
	kind                       audience.EventKind
	at                         int64
}

// engagementShard holds the events of the accounts hashed to it, each
// account's sorted by time (then by arrival).
type engagementShard struct {
	mu sync.RWMutex
	m  map[string][]eventRec
}

func (s *Store) eshard(account string) *engagementShard {
	return &s.engagement[maphash.String(engagementSeed, account)%engagementShards]
}

// AddEvents implements [store.EngagementStore]. Events are equal when every
// field is, times compared as instants. An event without an account id is
// [store.ErrInvalid], and then none is stored.
func (s *Store) AddEvents(ctx context.Context, events []audience.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range events {
		if events[i].AccountID == "" {
			return invalid("event %d: empty account id", i)
		}
		if !store.TimeInRange(events[i].At) {
			return invalid("event %d: time out of range", i)
		}
	}
	for i := range events {
		e := &events[i]
		r := eventRec{contact: e.ContactID, channel: e.Channel, campaign: e.Campaign, kind: e.Kind, at: nanos.Of(e.At)}
		sh := s.eshard(e.AccountID)
		sh.mu.Lock()
		list := sh.m[e.AccountID]
		// First position after every event at or before r.at.
		k, _ := slices.BinarySearchFunc(list, r.at+1, func(x eventRec, at int64) int {
			if x.at < at {
				return -1
			}
			return 1
		})
		dup := false
		for j := k - 1; j >= 0 && list[j].at == r.at; j-- {
			if list[j] == r {
				dup = true
				break
			}
		}
		if !dup {
			if len(list) == 0 {
				s.eventAccounts.Add(1)
			}
			sh.m[e.AccountID] = slices.Insert(list, k, r)
		}
		sh.mu.Unlock()
	}
	return nil
}

// Events implements [store.EngagementStore]. Accounts without events at or
// after since are left out of the map; each account's events come oldest
// first.
func (s *Store) Events(ctx context.Context, accountIDs []string, since time.Time) (map[string][]audience.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	from := nanos.Of(since) // the zero time's sentinel precedes every time
	out := make(map[string][]audience.Event)
	if s.eventAccounts.Load() == 0 {
		return out, nil // no account has an event
	}
	// Group the ids by shard, so that each shard's lock is taken once.
	shardOf := make([]uint8, len(accountIDs))
	var starts [engagementShards + 1]int32
	for k, id := range accountIDs {
		i := uint8(maphash.String(engagementSeed, id) % engagementShards)
		shardOf[k] = i
		starts[i+1]++
	}
	for i := range engagementShards {
		starts[i+1] += starts[i]
	}
	order := make([]int32, len(accountIDs))
	pos := starts
	for k, i := range shardOf {
		order[pos[i]] = int32(k)
		pos[i]++
	}
	for i := range engagementShards {
		grp := order[starts[i]:starts[i+1]]
		if len(grp) == 0 {
			continue
		}
		sh := &s.engagement[i]
		sh.mu.RLock()
		for _, k := range grp {
			id := accountIDs[k]
			list := sh.m[id]
			if len(list) == 0 {
				continue
			}
			if _, done := out[id]; done {
				continue
			}
			first, _ := slices.BinarySearchFunc(list, from, func(x eventRec, at int64) int {
				if x.at < at {
					return -1
				}
				return 1
			})
			if first < len(list) {
				evs := make([]audience.Event, len(list)-first)
				for j, r := range list[first:] {
					evs[j] = audience.Event{AccountID: id, ContactID: r.contact, Channel: r.channel,
						Campaign: r.campaign, Kind: r.kind, At: nanos.Time(r.at)}
				}
				out[id] = evs
			}
		}
		sh.mu.RUnlock()
	}
	return out, nil
}

// ForgetEvents implements [store.EventEraser].
func (s *Store) ForgetEvents(ctx context.Context, accountID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if accountID == "" {
		return invalid("empty account id")
	}
	s.forgetEvents(accountID)
	return nil
}

func (s *Store) forgetEvents(account string) {
	sh := s.eshard(account)
	sh.mu.Lock()
	if len(sh.m[account]) > 0 {
		s.eventAccounts.Add(-1)
	}
	delete(sh.m, account)
	sh.mu.Unlock()
}
