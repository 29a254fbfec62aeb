package sqlite

import (
	"context"
	"strconv"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/internal/nanos"
)

// PostNotifications implements [store.InboxStore], in one transaction.
// An assigned ID is "n" followed by the notification's row number, unique
// in the file; the caller's slice is not modified. A notification whose ID
// the user already has replaces it (keeping its place). One without a User
// is [store.ErrInvalid], and then none is stored.
func (s *Store) PostNotifications(ctx context.Context, ns []store.Notification) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	for i := range ns {
		if ns[i].User == "" {
			return invalid("notification %d: empty user", i)
		}
		if !store.TimeInRange(ns[i].At) {
			return invalid("notification %d: time out of range", i)
		}
	}
	if len(ns) == 0 {
		return nil
	}
	err := s.write(ctx, func(t wtx) error {
		var base int64
		if err := t.row(ctx, q(`SELECT coalesce(max(nk), 0) FROM notes`)).Scan(&base); err != nil {
			return err
		}
		return execRows(ctx, t, `INSERT INTO notes (nk, user, id, kind, workflow, run, message, at, read) VALUES `,
			` ON CONFLICT (user, id) DO UPDATE SET kind = excluded.kind, workflow = excluded.workflow, run = excluded.run,
			message = excluded.message, at = excluded.at, read = excluded.read`,
			9, len(ns), func(i int, args []any) []any {
				n := &ns[i]
				nk := base + int64(i) + 1
				id := n.ID
				if id == "" {
					id = "n" + strconv.FormatInt(nk, 10)
				}
				return append(args, nk, n.User, id, string(n.Kind), n.Workflow, n.Run, n.Message, nanos.Of(n.At), n.Read)
			})
	})
	if err != nil {
		return wrap("post notifications", err)
	}
	return nil
}

// Notifications implements [store.InboxStore]: newest first by At, then
// latest posted first.
func (s *Store) Notifications(ctx context.Context, userID string, unreadOnly bool) ([]store.Notification, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	out := []store.Notification{}
	err := s.read(ctx, func(t rtx) error {
		text := `SELECT id, kind, workflow, run, message, at, read FROM notes WHERE user = ? ORDER BY at DESC, nk DESC`
		if unreadOnly {
			text = `SELECT id, kind, workflow, run, message, at, read FROM notes WHERE user = ? AND NOT read ORDER BY at DESC, nk DESC`
		}
		rows, err := t.query(ctx, q(text), userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n := store.Notification{User: userID}
			var kind string
			var at int64
			if err := rows.Scan(&n.ID, &kind, &n.Workflow, &n.Run, &n.Message, &at, &n.Read); err != nil {
				return err
			}
			n.Kind, n.At = store.NotificationKind(kind), nanos.Time(at)
			out = append(out, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("notifications", err)
	}
	return out, nil
}

// MarkRead implements [store.InboxStore]. Ids the user does not have are
// ignored.
func (s *Store) MarkRead(ctx context.Context, userID string, ids []string) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(t wtx) error {
		return execIn(ctx, t, `UPDATE notes SET read = 1 WHERE user = ? AND id IN (`, `)`, []any{userID}, len(ids),
			func(i int) any { return ids[i] })
	})
	if err != nil {
		return wrap("mark read", err)
	}
	return nil
}
