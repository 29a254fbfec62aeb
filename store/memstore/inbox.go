package memstore

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/playgraph/playgraph/store"
)

// userInbox is one user's notifications in posting order.
type userInbox struct {
	notes []*noteRec
	byID  map[string]*noteRec
}

type noteRec struct {
	n   store.Notification
	seq uint64
}

// PostNotifications implements [store.InboxStore]. Assigned IDs are "n"
// followed by a sequence number; the caller's slice is not modified. A
// notification whose ID the user already has replaces it (keeping its
// place). One without a User is [store.ErrInvalid], and then none is
// stored.
func (s *Store) PostNotifications(ctx context.Context, ns []store.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range ns {
		if ns[i].User == "" {
			return invalid("notification %d: empty user", i)
		}
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	for _, n := range ns {
		n.At = utc(n.At)
		if n.ID == "" {
			s.noteN++
			n.ID = "n" + strconv.FormatUint(s.noteN, 10)
		}
		u := s.inbox[n.User]
		if u == nil {
			u = &userInbox{byID: make(map[string]*noteRec)}
			s.inbox[n.User] = u
		}
		if r := u.byID[n.ID]; r != nil {
			r.n = n
			continue
		}
		s.noteN++
		r := &noteRec{n: n, seq: s.noteN}
		u.notes = append(u.notes, r)
		u.byID[n.ID] = r
	}
	return nil
}

// Notifications implements [store.InboxStore]: newest first by At, then
// latest posted first.
func (s *Store) Notifications(ctx context.Context, userID string, unreadOnly bool) ([]store.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.imu.RLock()
	var rs []*noteRec
	if u := s.inbox[userID]; u != nil {
		rs = make([]*noteRec, 0, len(u.notes))
		for _, r := range u.notes {
			if !unreadOnly || !r.n.Read {
				rs = append(rs, r)
			}
		}
	}
	out := make([]store.Notification, len(rs))
	slices.SortFunc(rs, func(a, b *noteRec) int {
		if c := b.n.At.Compare(a.n.At); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	for i, r := range rs {
		out[i] = r.n
	}
	s.imu.RUnlock()
	return out, nil
}

// MarkRead implements [store.InboxStore]. Ids the user does not have are
// ignored.
func (s *Store) MarkRead(ctx context.Context, userID string, ids []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.imu.Lock()
	defer s.imu.Unlock()
	if u := s.inbox[userID]; u != nil {
		for _, id := range ids {
			if r := u.byID[id]; r != nil {
				r.n.Read = true
			}
		}
	}
	return nil
}
