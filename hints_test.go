package playgraph_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/internal/plays"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

// hintCheckStore checks the state hints of every batch the engine writes.
type hintCheckStore struct {
	*memstore.Store
	mu            sync.Mutex
	bad           []string
	hinted, total int
}

func (h *hintCheckStore) Apply(ctx context.Context, workflowID string, b *store.Batch) error {
	h.mu.Lock()
	check := func(what string, i int, j int32, acct string) {
		h.total++
		last := int32(-1) // the batch's last state of acct
		for k := range b.States {
			if b.States[k].Account == acct {
				last = int32(k)
			}
		}
		switch {
		case j >= 0 && b.States[j].Account != acct:
			h.bad = append(h.bad, fmt.Sprintf("%s %d (%s): hint names the state of %s", what, i, acct, b.States[j].Account))
		case j < 0 && last >= 0:
			h.bad = append(h.bad, fmt.Sprintf("%s %d (%s): no hint, but the batch has its state", what, i, acct))
		case j >= 0:
			h.hinted++
		}
	}
	if len(b.Intents) > 0 && b.IntentStates == nil || len(b.Resolved) > 0 && b.ResolvedStates == nil {
		h.bad = append(h.bad, "a batch without hints")
	}
	for i := range b.Intents {
		check("intent", i, b.IntentStates[i], b.Intents[i].Account)
	}
	for i, k := range b.Resolved {
		acct, ok := store.ActionKeyAccount(k)
		if !ok {
			h.bad = append(h.bad, fmt.Sprintf("resolved %d: %q is not an ActionKey", i, k))
			continue
		}
		check("resolved", i, b.ResolvedStates[i], acct)
	}
	h.mu.Unlock()
	return h.Store.Apply(ctx, workflowID, b)
}

// TestRunBatchHints: the batches a run writes hint, for every intent and
// resolved key, the state of its account in the batch (which memstore uses
// to keep the intent beside the account's slot), through retries,
// people-level actions, failures and timers, and the run's outcome is
// what it is without hints.
func TestRunBatchHints(t *testing.T) {
	ctx := context.Background()
	src := audience.NewMemorySource()
	for i := range 40 {
		comp := "globex" // the LinkedIn ad
		if i%2 == 0 {
			comp = plays.CRTopCompetitor // the SEP push, people-level
		}
		a := &audience.Account{ID: fmt.Sprintf("acct-%02d", i), ResearchedCompetitors: []string{comp}}
		require.NoError(t, src.Add(a))
		src.SetContacts(a.ID, seller(a.ID, "1"), seller(a.ID, "2"))
	}
	st := &hintCheckStore{Store: memstore.New()}
	clk := clock.NewFake(day0)
	clk.AutoAdvance = true
	sep, linkedin := fake.New("outreach", fake.WithDedupe()), fake.New("linkedin", fake.WithDedupe())
	reg, err := connector.NewRegistry(sep, linkedin)
	require.NoError(t, err)
	e, err := playgraph.New(&playgraph.Options{
		Store: st, Clock: clk, Connectors: reg, BatchSize: 8, Concurrency: 2,
		Segments: playgraph.SegmentMap{plays.CRSegment: src},
		Retry:    playgraph.RetryPolicy{Backoff: time.Millisecond, MaxBackoff: time.Millisecond},
	})
	require.NoError(t, err)
	wf := publishCompetitor(t, e)
	// acct-01 fails transiently for longer than one run's attempts;
	// acct-03 fails for good.
	linkedin.FailKey(playgraph.ActionKey(wf.ID, plays.CRLinkedIn, "acct-01", 1), connector.StatusTransient, 4)
	linkedin.FailKey(playgraph.ActionKey(wf.ID, plays.CRLinkedIn, "acct-03", 1), connector.StatusPermanent, 1)
	for _, day := range []int{0, 1, 14} {
		clk.Set(day0.AddDate(0, 0, day))
		_, err := e.Run(ctx, admin, wf.ID)
		require.NoError(t, err)
	}
	require.Empty(t, st.bad)
	require.NotZero(t, st.hinted, "no batch hinted a state")
	n := 0
	for _, err := range st.PendingIntents(ctx, wf.ID) {
		require.NoError(t, err)
		n++
	}
	require.Zero(t, n, "intents left pending")
	require.Equal(t, 1, linkedin.Count(playgraph.ActionKey(wf.ID, plays.CRLinkedIn, "acct-01", 1)), "the retried account's ad was delivered once")
	t.Logf("%d of %d intents and resolutions hinted", st.hinted, st.total)
}
