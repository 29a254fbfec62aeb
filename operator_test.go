package playgraph_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

func TestRemoveAccount(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}})
	w.run(t)
	require.NoError(t, w.e.RemoveAccount(ctx, admin, w.wf.ID, "a", "asked to"))
	pos := w.where(t, "a")
	assert.Equal(t, store.StatusExited, pos.Status)
	assert.Equal(t, "removed by ada: asked to", pos.Reason)
	assert.ErrorIs(t, w.e.RemoveAccount(ctx, admin, w.wf.ID, "nobody", ""), playgraph.ErrNotFound)
	// Removed accounts do not come back under "enter once".
	w.run(t)
	assert.Equal(t, store.StatusExited, w.where(t, "a").Status)
}

func TestForgetKeepsKeysFromRepeating(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}})
	w.run(t)
	require.ErrorIs(t, w.e.Forget(ctx, playgraph.Actor{UserID: "m", Role: playgraph.RoleMarketing}, "a"), playgraph.ErrForbidden)
	require.NoError(t, w.e.Forget(ctx, admin, "a"))
	_, err := w.e.Where(ctx, viewer, w.wf.ID, "a")
	assert.ErrorIs(t, err, playgraph.ErrNotFound, "personal data erased")
	before := len(w.linkedin.Items(""))
	w.run(t)
	assert.Equal(t, before, len(w.linkedin.Items("")), "enter once still holds after forgetting")
}

func TestActivations(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, &audience.Account{ID: "a"})
	g, err := graph.New("Uses VIP").Add(
		node.NewStart("start", "Start", "other"),
		node.NewYesNo("vip", "VIP?", eval.Filter{Expr: `in_segment("` + plays.CRSegment + `")`}),
	).Connect("start", node.PathNext, "vip").Build()
	require.NoError(t, err)
	wf2, err := w.e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	require.NoError(t, err)
	acts, err := w.e.Activations(ctx, viewer, plays.CRSegment)
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range acts {
		got[a.Workflow+"/"+a.Node] = a.Use
	}
	assert.Equal(t, map[string]string{w.wf.ID + "/" + plays.CRStart: "start", wf2.ID + "/vip": "filter"}, got)
}

// TestPermissionMatrix calls every mutating method with every role: only
// roles with the permission succeed; the others get ErrForbidden and
// change nothing.
func TestPermissionMatrix(t *testing.T) {
	ctx := context.Background()
	type call func(e *playgraph.Engine, a playgraph.Actor, w *world) error
	g := func(t *testing.T) *graph.Graph {
		g, err := plays.CompetitorResearch().Build()
		require.NoError(t, err)
		return g
	}
	methods := map[string]struct {
		perm playgraph.Permission
		do   call
	}{
		"Create": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Create(ctx, a, playgraph.WorkflowSpec{Graph: g(t)})
			return err
		}},
		"Edit": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Edit(ctx, a, w.wf.ID, g(t))
			return err
		}},
		"Publish": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Publish(ctx, a, w.wf.ID)
			return err
		}},
		"PublishWith": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.PublishWith(ctx, a, w.wf.ID, playgraph.PublishOptions{})
			return err
		}},
		"Unpublish": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Unpublish(ctx, a, w.wf.ID, "")
			return err
		}},
		"Archive": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Archive(ctx, a, w.wf.ID)
			return err
		}},
		"Duplicate": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Duplicate(ctx, a, w.wf.ID)
			return err
		}},
		"Delete": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			return e.Delete(ctx, a, w.wf.ID)
		}},
		"Run": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Run(ctx, a, w.wf.ID)
			return err
		}},
		"RemoveAccount": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			return e.RemoveAccount(ctx, a, w.wf.ID, "a", "")
		}},
		"Forget": {playgraph.PermAdmin, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			return e.Forget(ctx, a, "a")
		}},
		"Preview": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.Preview(ctx, a, w.wf.ID)
			return err
		}},
		"RetryAccount": {playgraph.PermEdit, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.RetryAccount(ctx, a, w.wf.ID, "a")
			return err
		}},
		"DistributeCredits": {playgraph.PermAdmin, func(e *playgraph.Engine, a playgraph.Actor, w *world) error {
			_, err := e.DistributeCredits(ctx, a, credit.AllocateRequest{Pool: "p", App: credit.AppAudienceWorkflows, Amount: 1})
			return err
		}},
	}
	roles := []playgraph.Role{playgraph.RolePrimaryAdmin, playgraph.RoleAdmin, playgraph.RoleMarketing, playgraph.RoleOperations, playgraph.RoleViewOnly, 0}
	for name, m := range methods {
		for _, role := range roles {
			t.Run(name+"/"+role.String(), func(t *testing.T) {
				w := newWorld(t, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}})
				w.run(t)
				actor := playgraph.Actor{UserID: "u", Role: role}
				before, err := w.e.Workflow(ctx, admin, w.wf.ID)
				require.NoError(t, err)
				posBefore := w.where(t, "a")
				err = m.do(w.e, actor, w)
				if actor.Can(m.perm) {
					assert.False(t, errors.Is(err, playgraph.ErrForbidden), "%v", err)
					return
				}
				require.ErrorIs(t, err, playgraph.ErrForbidden)
				after, err := w.e.Workflow(ctx, admin, w.wf.ID)
				require.NoError(t, err)
				assert.Equal(t, before, after, "nothing changed")
				assert.Equal(t, posBefore, w.where(t, "a"))
				rows, err := w.e.List(ctx, admin, playgraph.ListOptions{})
				require.NoError(t, err)
				assert.Len(t, rows, 1)
			})
		}
	}
	// The matrix itself.
	for _, tc := range []struct {
		role              playgraph.Role
		read, edit, admin bool
	}{
		{playgraph.RolePrimaryAdmin, true, true, true},
		{playgraph.RoleAdmin, true, true, true},
		{playgraph.RoleMarketing, true, true, false},
		{playgraph.RoleOperations, true, true, false},
		{playgraph.RoleViewOnly, true, false, false},
		{0, false, false, false},
	} {
		a := playgraph.Actor{Role: tc.role}
		assert.Equal(t, tc.read, a.Can(playgraph.PermRead), "%v read", tc.role)
		assert.Equal(t, tc.edit, a.Can(playgraph.PermEdit), "%v edit", tc.role)
		assert.Equal(t, tc.admin, a.Can(playgraph.PermAdmin), "%v admin", tc.role)
	}
}

func TestRetryAccountNow(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}}, &audience.Account{ID: "b", ResearchedCompetitors: []string{"hooli"}})
	w.linkedin.FailKey(playgraph.ActionKey(w.wf.ID, plays.CRLinkedIn, "a", 1), connector.StatusTransient, 3)
	w.run(t)
	assert.Equal(t, store.StatusFailed, w.where(t, "a").Status)
	_, err := w.e.RetryAccount(ctx, admin, w.wf.ID, "b")
	assert.ErrorIs(t, err, playgraph.ErrState, "b is not failed")
	rep, err := w.e.RetryAccount(ctx, admin, w.wf.ID, "a")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Counts[plays.CRLinkedIn].Sent)
	assert.Equal(t, plays.CRWait, w.where(t, "a").Node)
	_, err = w.e.RetryAccount(ctx, admin, w.wf.ID, "zz")
	assert.ErrorIs(t, err, playgraph.ErrNotFound)
}

func TestFileReadyNotification(t *testing.T) {
	w := newWorld(t, &audience.Account{ID: "a", ResearchedCompetitors: []string{"globex"}})
	rep := w.run(t)
	assert.Equal(t, []string{"fake://linkedin"}, rep.Published)
	inbox, err := w.e.Inbox(context.Background(), admin, true)
	require.NoError(t, err)
	require.Len(t, inbox, 1)
	assert.Equal(t, store.NoteFileReady, inbox[0].Kind)
	assert.Contains(t, inbox[0].Message, "fake://linkedin")
	rep = w.run(t)
	assert.Empty(t, rep.Published, "nothing new published")
}
