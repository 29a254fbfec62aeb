package playgraph

import (
	"context"
	"errors"
	"fmt"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

// checkCredits reports, at publish, spending actions without credits
// allocated to audience workflows.
func (e *Engine) checkCredits(ctx context.Context, g *graph.Graph) []Problem {
	var spenders []string
	for i := range g.Len() {
		if a, ok := g.At(i).(*node.Action); ok && a.Config.MaxCredits() > 0 {
			spenders = append(spenders, a.ID)
		}
	}
	if len(spenders) == 0 {
		return nil
	}
	msg := ""
	if e.o.Credits == nil {
		msg = "the engine has no credit ledger (Options.Credits)"
	} else {
		b, err := e.o.Credits.Balance(ctx, credit.AppAudienceWorkflows, e.o.Clock.Now())
		switch {
		case errors.Is(err, credit.ErrNoPool):
			msg = "no credit pool covers today"
		case err != nil:
			msg = err.Error()
		case b.Allocated <= 0:
			msg = "no credits are allocated to audience workflows"
		}
	}
	if msg == "" {
		return nil
	}
	var ps []Problem
	for _, id := range spenders {
		ps = append(ps, Problem{Node: id, Rule: "credits", Message: msg})
	}
	return ps
}

// Credits returns the engine's credit ledger (nil when none is set).
func (e *Engine) Credits() *credit.Ledger { return e.o.Credits }

// DistributeCredits sets the credits of a pool allocated to an
// application. Only administrators (primary included) may distribute.
func (e *Engine) DistributeCredits(ctx context.Context, actor Actor, req credit.AllocateRequest) (credit.Balance, error) {
	if err := actor.require(PermAdmin, "distribute credits"); err != nil {
		return credit.Balance{}, err
	}
	if e.o.Credits == nil {
		return credit.Balance{}, fmt.Errorf("%w: the engine has no credit ledger", ErrInvalid)
	}
	if req.User == "" {
		req.User = actor.UserID
	}
	if req.At.IsZero() {
		req.At = e.o.Clock.Now()
	}
	return e.o.Credits.Allocate(ctx, true, req)
}

// noteLowCredits posts a "credits low" notification, once per pool, when
// the audience workflows' balance is low by the ledger's thresholds.
func (e *Engine) noteLowCredits(ctx context.Context, w store.Workflow, rec store.Run) {
	if e.o.Credits == nil {
		return
	}
	st, err := e.o.Credits.Low(ctx, credit.AppAudienceWorkflows, rec.Now)
	if err != nil || !st.Notify {
		return
	}
	msg := fmt.Sprintf("Credits for audience workflows are low: %d of %d left in pool %s.", st.Balance.Available, st.Balance.Allocated, st.Pool.ID)
	var ns []store.Notification
	for _, u := range uniqueUsers(w.Owner, rec.Actor) {
		ns = append(ns, store.Notification{User: u, Kind: store.NoteCreditsLow, Workflow: w.ID, Run: rec.ID, Message: msg, At: rec.EndedAt})
	}
	if len(ns) > 0 {
		if err := e.st.PostNotifications(ctx, ns); err != nil {
			e.o.Logger.Warn("playgraph: post notification", "err", err)
		}
	}
}

// releaseKeys releases the credits held under intents dropped outside a
// run (publish migration, removal, forgetting).
func (e *Engine) releaseKeys(ctx context.Context, keys []string) error {
	if e.o.Credits == nil {
		return nil
	}
	for _, k := range keys {
		if _, err := e.o.Credits.Release(ctx, k, e.o.Clock.Now()); err != nil && !errors.Is(err, credit.ErrNotFound) {
			return fmt.Errorf("releasing credits of %s: %w", k, err)
		}
	}
	return nil
}
