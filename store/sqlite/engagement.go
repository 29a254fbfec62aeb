package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// ForgetEvents implements [store.EventEraser].
func (s *Store) ForgetEvents(ctx context.Context, accountID string) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if accountID == "" {
		return invalid("empty account id")
	}
	err := s.write(ctx, func(t wtx) error {
		_, err := t.exec(ctx, q(`DELETE FROM events WHERE account = ?`), accountID)
		return err
	})
	if err != nil {
		return wrap("forget events", err)
	}
	return nil
}

// AddEvents implements [store.EngagementStore], in one transaction with
// multi-row INSERTs. Events are equal when every field is, times compared
// as instants (the table's primary key is every field). An event without
// an account id is [store.ErrInvalid], and then none is stored.
func (s *Store) AddEvents(ctx context.Context, events []audience.Event) error {
	if err := s.live(ctx); err != nil {
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
	if len(events) == 0 {
		return nil
	}
	err := s.write(ctx, func(t wtx) error {
		return execRows(ctx, t, `INSERT INTO events (account, at, contact, channel, campaign, kind) VALUES `, ` ON CONFLICT DO NOTHING`,
			6, len(events), func(i int, args []any) []any {
				e := &events[i]
				return append(args, e.AccountID, nanos.Of(e.At), e.ContactID, e.Channel, e.Campaign, string(e.Kind))
			})
	})
	if err != nil {
		return wrap("add events", err)
	}
	return nil
}

// Events implements [store.EngagementStore]. Accounts without events at or
// after since are left out of the map; each account's events come oldest
// first.
func (s *Store) Events(ctx context.Context, accountIDs []string, since time.Time) (map[string][]audience.Event, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]audience.Event)
	seen := make(map[string]bool, len(accountIDs))
	var uniq []string
	for _, id := range accountIDs {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	err := s.read(ctx, func(t rtx) error {
		return queryIn(ctx, t, `SELECT account, at, contact, channel, campaign, kind FROM events WHERE at >= ? AND account IN (`,
			`) ORDER BY account, at`, []any{nanos.Of(since)}, len(uniq),
			func(i int) any { return uniq[i] },
			func(rows *sql.Rows) error {
				var e audience.Event
				var at int64
				var kind string
				if err := rows.Scan(&e.AccountID, &at, &e.ContactID, &e.Channel, &e.Campaign, &kind); err != nil {
					return err
				}
				e.At, e.Kind = nanos.Time(at), audience.EventKind(kind)
				out[e.AccountID] = append(out[e.AccountID], e)
				return nil
			})
	})
	if err != nil {
		return nil, wrap("events", err)
	}
	return out, nil
}
