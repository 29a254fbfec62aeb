package playtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/store"
)

// MaxSteps bounds [Play.Advance] (scheduled runs on the way) and
// [Play.RunUntilIdle] (runs); past it the test fails rather than loop.
const MaxSteps = 10_000

// Run runs the workflow now, as a person pressing Run would, and returns
// the run's report. A run that fails (the engine returned an error) fails
// the test; a run that completed with errors does not — check
// report.Status or [Play.AssertRuns].
func (p *Play) Run() playgraph.RunReport {
	p.tb.Helper()
	if !p.live() {
		return playgraph.RunReport{}
	}
	rep, err := p.e.Run(context.Background(), Actor, p.wf.ID)
	if err != nil {
		p.tb.Fatalf("playtest: run at %s: %v", p.clk.Now().Format(time.RFC3339), err)
	}
	return rep
}

// Advance moves the clock forward by d; see [Play.AdvanceTo].
func (p *Play) Advance(d time.Duration) []playgraph.RunReport {
	p.tb.Helper()
	if d < 0 {
		p.tb.Fatalf("playtest: Advance(%v): the clock never moves backwards", d)
		return nil
	}
	return p.AdvanceTo(p.Now().Add(d))
}

// AdvanceTo moves the clock to t, running the scheduler on the way as a
// deployment serving the engine would: for a scheduled workflow (see
// [Schedule]) every run due up to and including t happens at its due time,
// in order; an on-demand workflow just sees time pass (call [Play.Run]).
// It returns the reports of the runs made. A t before now fails the test.
func (p *Play) AdvanceTo(t time.Time) []playgraph.RunReport {
	p.tb.Helper()
	if !p.live() {
		return nil
	}
	if t.Before(p.clk.Now()) {
		p.tb.Fatalf("playtest: AdvanceTo(%s): the clock is at %s and never moves backwards",
			t.Format(time.RFC3339), p.clk.Now().Format(time.RFC3339))
		return nil
	}
	ctx := context.Background()
	var reports []playgraph.RunReport
	for range MaxSteps {
		reps, next, ok, err := p.e.RunDue(ctx)
		reports = append(reports, reps...)
		if err != nil {
			p.tb.Fatalf("playtest: scheduler at %s: %v", p.clk.Now().Format(time.RFC3339), err)
			return reports
		}
		if !ok || next.After(t) {
			p.clk.Set(t)
			return reports
		}
		if !next.After(p.clk.Now()) {
			// Due now yet not run (another lease holder?): step past it.
			next = p.clk.Now().Add(time.Nanosecond)
			if next.After(t) {
				p.clk.Set(t)
				return reports
			}
		}
		p.clk.Set(next)
	}
	p.tb.Fatalf("playtest: AdvanceTo(%s): more than %d scheduler steps", t.Format(time.RFC3339), MaxSteps)
	return reports
}

// RunUntilIdle runs the workflow now and then, while accounts wait at
// timers, moves the clock to the earliest wake time and runs again; while
// accounts whose action failed are due a retry it runs again at once. It
// stops when no account waits or is to be retried (accounts waiting for
// credits do not count) and returns the reports. A play that never settles
// within [MaxSteps] runs fails the test, naming the accounts still
// waiting.
//
// It calls Run directly, whatever the schedule: use [Play.AdvanceTo] to
// follow the scheduler instead.
func (p *Play) RunUntilIdle() []playgraph.RunReport {
	p.tb.Helper()
	if !p.live() {
		return nil
	}
	ctx := context.Background()
	var reports []playgraph.RunReport
	for range MaxSteps {
		rep, err := p.e.Run(ctx, Actor, p.wf.ID)
		reports = append(reports, rep)
		if err != nil {
			p.tb.Fatalf("playtest: RunUntilIdle: run at %s: %v", p.clk.Now().Format(time.RFC3339), err)
			return reports
		}
		counts, err := p.e.Counts(ctx, Actor, p.wf.ID)
		if err != nil {
			p.tb.Fatalf("playtest: RunUntilIdle: %v", err)
			return reports
		}
		waiting, retry := 0, 0
		for _, c := range counts {
			waiting += c.Waiting
			retry += c.Active + c.Failed
		}
		if retry > 0 {
			continue // failed actions due a retry: run again at once
		}
		if waiting == 0 {
			return reports
		}
		wake, ok, err := p.e.NextWake(ctx, Actor, p.wf.ID)
		if err != nil {
			p.tb.Fatalf("playtest: RunUntilIdle: %v", err)
			return reports
		}
		if !ok || !wake.After(p.clk.Now()) {
			break // waiting with no wake-up ahead: it will never settle
		}
		p.clk.Set(wake)
	}
	pending, err := p.states(store.StatusWaiting, store.StatusActive, store.StatusFailed)
	if err != nil {
		p.tb.Fatalf("playtest: RunUntilIdle: %v", err)
		return reports
	}
	var b strings.Builder
	for i, st := range pending {
		if i == 10 {
			fmt.Fprintf(&b, "\n    … and %d more", len(pending)-i)
			break
		}
		fmt.Fprintf(&b, "\n    %q %s at %s", st.Account, st.Status, p.describeNode(st.Node))
		if !st.WakeAt.IsZero() {
			fmt.Fprintf(&b, " (wakes %s)", st.WakeAt.Format(time.RFC3339))
		}
		if st.Reason != "" {
			fmt.Fprintf(&b, ": %s", st.Reason)
		}
	}
	p.tb.Fatalf("playtest: RunUntilIdle: %v after %d runs (clock at %s); still pending:%s",
		errNeverSettles, len(reports), p.clk.Now().Format(time.RFC3339), b.String())
	return reports
}

// Click records that an account clicked the ad (or engaged with the
// campaign) of an action node, named by id or label, at the clock's now.
// For an ad audience node the event carries the node's channel and
// audience, so engaged("<node>") holds from then on.
func (p *Play) Click(accountID, actionNode string) {
	p.tb.Helper()
	p.engage(accountID, actionNode, audience.KindClick)
}

// Reply records that an account replied to an action node's campaign
// (email, sequence) or ad, named by id or label, at the clock's now.
func (p *Play) Reply(accountID, actionNode string) {
	p.tb.Helper()
	p.engage(accountID, actionNode, audience.KindReply)
}

func (p *Play) engage(accountID, nodeName string, kind audience.EventKind) {
	p.tb.Helper()
	if !p.live() {
		return
	}
	id, ok := p.nodeID(nodeName)
	if !ok {
		p.tb.Fatalf("playtest: %s by %q: the graph has no node %q (nodes: %s)", kind, accountID, nodeName, p.nodeList())
		return
	}
	ev := audience.Event{AccountID: accountID, Kind: kind, At: p.clk.Now(), Campaign: id}
	if ref, ok := p.g.AdRef(id); ok {
		ev.Channel = ref.Channel
		if ref.Campaign != "" {
			ev.Campaign = ref.Campaign
		}
	} else {
		n, _ := p.g.Node(id)
		a, ok := n.(*node.Action)
		if !ok {
			p.tb.Fatalf("playtest: %s by %q: node %s is a %s, not an action", kind, accountID, p.describeNode(id), n.Kind())
			return
		}
		switch c := a.Config.(type) {
		case *node.Email:
			ev.Channel, ev.Campaign = "email", c.Campaign
		case *node.CampaignPush:
			ev.Channel, ev.Campaign = string(c.System), c.Target
		default:
			ev.Channel = a.Config.Refs().Connector
		}
		if ev.Channel == "" {
			ev.Channel = string(a.Kind())
		}
	}
	if err := p.e.RecordEngagement(context.Background(), ev); err != nil {
		p.tb.Fatalf("playtest: record %s by %q: %v", kind, accountID, err)
	}
}

func (p *Play) nodeList() string {
	var parts []string
	for i := range p.g.Len() {
		n := p.g.At(i)
		parts = append(parts, fmt.Sprintf("%q [%s]", n.NodeLabel(), n.NodeID()))
	}
	return strings.Join(parts, ", ")
}

// sortedCopy returns s sorted.
func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// Retry retries now the action one account failed at, or is blocked at
// for want of credits (Engine.RetryAccount): a run restricted to that
// account, recorded like any run, after which the account moves on as far
// as it can. It returns the run's report; an account that is neither
// failed nor blocked fails the test.
func (p *Play) Retry(accountID string) playgraph.RunReport {
	p.tb.Helper()
	if !p.live() {
		return playgraph.RunReport{}
	}
	rep, err := p.e.RetryAccount(context.Background(), Actor, p.wf.ID, accountID)
	if err != nil {
		p.tb.Fatalf("playtest: retry %q at %s: %v", accountID, p.clk.Now().Format(time.RFC3339), err)
	}
	return rep
}
