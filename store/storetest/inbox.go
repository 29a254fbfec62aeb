package storetest

import (
	"testing"
	"time"

	"github.com/playgraph/playgraph/store"
)

// TestInbox tests a [store.InboxStore]: assigned ids, newest first, unread
// filtering, MarkRead, and isolation between users. newStore must return
// an empty store.
func TestInbox(t *testing.T, newStore func() store.InboxStore) {
	t.Run("PostListMark", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		note := func(user, msg string, d time.Duration) store.Notification {
			return store.Notification{User: user, Kind: store.NoteRunFailed, Workflow: wf, Run: "r1", Message: msg, At: at(d)}
		}
		must(t, s.PostNotifications(ctx, []store.Notification{note("u1", "first", 0), note("u1", "third", 2*time.Hour)}))
		must(t, s.PostNotifications(ctx, []store.Notification{note("u1", "second", time.Hour), note("u2", "other", 3*time.Hour)}))
		list, err := s.Notifications(ctx, "u1", false)
		must(t, err)
		var msgs, idsSeen []string
		seen := map[string]bool{}
		for _, n := range list {
			msgs = append(msgs, n.Message)
			if n.ID == "" || seen[n.ID] {
				t.Fatalf("notification id %q empty or repeated", n.ID)
			}
			seen[n.ID] = true
			idsSeen = append(idsSeen, n.ID)
			if n.User != "u1" || n.Kind != store.NoteRunFailed || n.Workflow != wf || n.Run != "r1" || n.Read {
				t.Fatalf("notification %+v", n)
			}
		}
		checkIDs(t, "Notifications newest first", msgs, []string{"third", "second", "first"})
		if !list[0].At.Equal(at(2 * time.Hour)) {
			t.Fatalf("At = %v, want %v", list[0].At, at(2*time.Hour))
		}
		u2, err := s.Notifications(ctx, "u2", false)
		must(t, err)
		if len(u2) != 1 || seen[u2[0].ID] {
			t.Fatalf("u2's inbox = %+v", u2)
		}
		// u2 cannot mark u1's notifications; u1 can.
		must(t, s.MarkRead(ctx, "u2", idsSeen))
		unread, err := s.Notifications(ctx, "u1", true)
		must(t, err)
		if len(unread) != 3 {
			t.Fatalf("another user's MarkRead marked %d of u1's", 3-len(unread))
		}
		must(t, s.MarkRead(ctx, "u1", []string{idsSeen[1], "unknown"}))
		unread, err = s.Notifications(ctx, "u1", true)
		must(t, err)
		msgs = msgs[:0]
		for _, n := range unread {
			msgs = append(msgs, n.Message)
		}
		checkIDs(t, "unread after MarkRead", msgs, []string{"third", "first"})
		all, err := s.Notifications(ctx, "u1", false)
		must(t, err)
		if len(all) != 3 || !all[1].Read || all[0].Read {
			t.Fatalf("after MarkRead: %+v", all)
		}
		none, err := s.Notifications(ctx, "nobody", false)
		must(t, err)
		if len(none) != 0 {
			t.Fatalf("an unknown user's inbox = %+v", none)
		}
	})
	t.Run("GivenIDKept", func(t *testing.T) {
		s, ctx := newStore(), bg(t)
		must(t, s.PostNotifications(ctx, []store.Notification{{ID: "mine", User: "u1", Kind: "custom_kind", Message: "m", At: at(0)}}))
		list, err := s.Notifications(ctx, "u1", false)
		must(t, err)
		if len(list) != 1 || list[0].ID != "mine" || list[0].Kind != "custom_kind" {
			t.Fatalf("inbox = %+v", list)
		}
	})
}
