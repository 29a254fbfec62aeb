package playgraph_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

type spendWorld struct {
	e        *playgraph.Engine
	st       *memstore.Store
	ledger   *credit.Ledger
	provider *fake.Connector
	crm      *fake.Connector
	src      *audience.MemorySource
	wf       playgraph.Workflow
	opts     *playgraph.Options
	clk      *clock.Fake
}

var crmProfile = &connector.MappingProfile{
	Name: "crm-contacts", Kind: connector.KindContact, Environment: connector.Production,
	Fields: []connector.FieldMapping{{From: "contact.email", To: "Email"}, {From: "contact.last_name", To: "LastName"}, {From: "name", To: "Company"}},
}

// newSpendWorld runs the New Audience Creation template (purchase contacts
// → save to CRM → timer) over n accounts, with stock contacts at the
// provider and a pool of credits.
func newSpendWorld(t *testing.T, st store.Store, n, stock int, pool int64) *spendWorld {
	return newSpendWorldOpts(t, st, n, stock, pool, credit.Options{})
}

func newSpendWorldOpts(t *testing.T, st store.Store, n, stock int, pool int64, copts credit.Options) *spendWorld {
	t.Helper()
	ctx := context.Background()
	w := &spendWorld{clk: clock.NewFake(day0), src: &audience.MemorySource{}}
	w.clk.AutoAdvance = true
	w.st, _ = st.(*memstore.Store)
	cst, ok := st.(credit.Store)
	if !ok {
		cst = memstore.New()
	}
	w.ledger = credit.NewLedger(cst, copts)
	require.NoError(t, w.ledger.CreatePool(ctx, true, credit.Pool{ID: "2026", Start: day0.AddDate(0, -2, 0), End: day0.AddDate(1, 0, 0), Total: pool}))
	_, err := w.ledger.Allocate(ctx, true, credit.AllocateRequest{Pool: "2026", App: credit.AppAudienceWorkflows, Amount: pool, User: "ada", At: day0})
	require.NoError(t, err)
	w.provider = fake.New("provider", fake.WithDedupe())
	w.crm = fake.New("crm", fake.WithDedupe())
	for i := range n {
		id := fmt.Sprintf("acct-%02d", i)
		require.NoError(t, w.src.Add(&audience.Account{ID: id, Name: "Company " + id, Domain: id + ".example"}))
		for j := range stock {
			w.provider.AddStock(id, audience.Contact{ID: fmt.Sprintf("%s-p%d", id, j), FirstName: "Bo", LastName: fmt.Sprintf("Buyer%d", j),
				Email: fmt.Sprintf("p%d@%s.example", j, id), Title: "VP Marketing", JobLevel: "VP"})
		}
	}
	reg, err := connector.NewRegistry(w.provider, w.crm)
	require.NoError(t, err)
	rules := connector.DefaultMatchRulesFor(crmProfile)
	w.opts = &playgraph.Options{
		Store: st, Clock: w.clk, Connectors: reg, Credits: w.ledger,
		Segments:   playgraph.SegmentMap{"seg": w.src},
		Profiles:   map[string]*connector.MappingProfile{"crm-contacts": crmProfile},
		MatchRules: map[string]*connector.MatchRules{"crm-dedupe": &rules},
		Retry:      playgraph.RetryPolicy{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxFailures: 50},
		BatchSize:  4, LeaseTTL: time.Minute,
	}
	w.e, err = playgraph.New(w.opts)
	require.NoError(t, err)
	tpl, _ := playgraph.TemplateByName(playgraph.TemplateNewAudienceCreation)
	g, err := tpl.Fill(map[string]string{"segment": "seg", "provider_connector": "provider", "crm_connector": "crm", "mapping_profile": "crm-contacts", "match_rules": "crm-dedupe"})
	require.NoError(t, err)
	w.wf, err = w.e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	require.NoError(t, err)
	_, err = w.e.Publish(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	return w
}

func (w *spendWorld) balance(t *testing.T) credit.Balance {
	b, err := w.ledger.Balance(context.Background(), credit.AppAudienceWorkflows, w.clk.Now())
	require.NoError(t, err)
	return b
}

func (w *spendWorld) atNodes(t *testing.T) map[string]int {
	out := map[string]int{}
	for a := range w.src.Members(context.Background()) {
		pos, err := w.e.Where(context.Background(), viewer, w.wf.ID, a.ID)
		if errors.Is(err, playgraph.ErrNotFound) {
			out["none"]++
			continue
		}
		require.NoError(t, err)
		out[pos.Node+"/"+pos.Status.String()]++
	}
	return out
}

func TestPurchaseSaveTimerChain(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 10, 4, 100)
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RunCompletedWithTimer, rep.Status)
	// 10 accounts × 3 contacts (max per account) × 1 credit.
	assert.EqualValues(t, 30, rep.CreditsSpent)
	b := w.balance(t)
	assert.EqualValues(t, 30, b.Spent)
	assert.EqualValues(t, 70, b.Available)
	assert.Len(t, w.crm.Delivered(fake.OpWriteRecords), 30, "every purchased contact saved once")
	assert.Equal(t, map[string]int{"wait/waiting": 10}, w.atNodes(t))

	// Runs later change nothing: nothing bought or saved again.
	for range 2 {
		rep, err = w.e.Run(ctx, admin, w.wf.ID)
		require.NoError(t, err)
		assert.Zero(t, rep.CreditsSpent)
	}
	assert.Len(t, w.provider.Received(fake.OpPurchase), 10)
	assert.Len(t, w.crm.Received(fake.OpWriteRecords), 30)
	assert.EqualValues(t, 30, w.balance(t).Spent)
	w.clk.Set(day0.AddDate(0, 0, 8))
	rep, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RunCompleted, rep.Status)
}

func TestPurchaseLessThanMaxReleasesTheRest(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 4, 1, 100) // one contact in stock each
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 4, rep.CreditsSpent)
	b := w.balance(t)
	assert.EqualValues(t, 4, b.Spent)
	assert.EqualValues(t, 0, b.Reserved)
	assert.EqualValues(t, 96, b.Available)
}

// purchasedFaultStore adds the purchased-contacts concern to a faultStore.
type purchasedFaultStore struct {
	*faultStore
	ps *memstore.Store
}

func (s *purchasedFaultStore) PutPurchased(ctx context.Context, wf string, cs []audience.Contact) error {
	crash, err := s.step()
	if err != nil {
		return err
	}
	if err := s.ps.PutPurchased(ctx, wf, cs); err != nil {
		return err
	}
	if crash {
		return errCrash
	}
	return nil
}

func (s *purchasedFaultStore) Purchased(ctx context.Context, wf string, ids []string) (map[string][]audience.Contact, error) {
	if _, err := s.step(); err != nil {
		return nil, err
	}
	return s.ps.Purchased(ctx, wf, ids)
}

func (s *purchasedFaultStore) ForgetPurchased(ctx context.Context, wf, a, c string) error {
	return s.ps.ForgetPurchased(ctx, wf, a, c)
}

// TestPurchaseChainSurvivesCrashes crashes the first run at a random store
// operation; after re-running, nothing is spent twice and no contact is
// saved twice.
func TestPurchaseChainSurvivesCrashes(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	ctx := context.Background()
	crashed := 0
	for seed := range seeds {
		ms := memstore.New()
		fs := &faultStore{Store: ms, failAt: -1, itemsOf: map[string][]string{}, done: map[string]bool{}}
		st := &purchasedFaultStore{faultStore: fs, ps: ms}
		w := newSpendWorld(t, st, 8, 4, 1000)
		fs.mu.Lock()
		fs.failAt = fs.ops + 1 + seed%25
		fs.after = seed%2 == 0
		fs.mu.Unlock()
		_, _ = w.e.Run(ctx, admin, w.wf.ID)
		if fs.isDead() {
			crashed++
		}
		fs.heal()
		w.clk.Advance(w.opts.LeaseTTL + time.Minute)
		e2, err := playgraph.New(w.opts)
		require.NoError(t, err)
		for range 3 {
			_, err := e2.Run(ctx, admin, w.wf.ID)
			require.NoError(t, err, "seed %d", seed)
		}
		bought, err := ms.Purchased(ctx, w.wf.ID, idsOf(w.src))
		require.NoError(t, err)
		n := 0
		for _, cs := range bought {
			n += len(cs)
		}
		assert.Equal(t, 24, n, "seed %d: 8 accounts × 3 contacts bought", seed)
		b := w.balance(t)
		assert.EqualValues(t, n, b.Spent, "seed %d: credits spent = contacts bought × price, once", seed)
		assert.EqualValues(t, 0, b.Reserved, "seed %d: nothing left held", seed)
		assert.Len(t, w.crm.Delivered(fake.OpWriteRecords), n, "seed %d: each contact saved once", seed)
		recs := map[string]int{}
		for _, it := range w.crm.Delivered(fake.OpWriteRecords) {
			recs[it.ContactID]++
		}
		for c, k := range recs {
			assert.Equal(t, 1, k, "seed %d: contact %s saved under two keys", seed, c)
		}
	}
	t.Logf("%d seeds, %d crashed runs", seeds, crashed)
}

func idsOf(src *audience.MemorySource) []string {
	var out []string
	for a := range src.Members(context.Background()) {
		out = append(out, a.ID)
	}
	return out
}

func TestCreditsRunOut(t *testing.T) {
	ctx := context.Background()
	// 10 accounts each reserve 3 credits; the pool has 20: six are served.
	w := newSpendWorld(t, memstore.New(), 10, 4, 20)
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, store.RunCompletedWithTimerAndErrors, rep.Status)
	var ie *playgraph.InsufficientCreditsError
	found := false
	for _, f := range rep.Failures {
		if errors.Is(f, credit.ErrInsufficientCredits) {
			found = true
			require.True(t, errors.As(f, &ie))
			assert.Equal(t, "buy", ie.Node)
			assert.EqualValues(t, 3, ie.Credits)
		}
	}
	assert.True(t, found, "an error matching credit.ErrInsufficientCredits")
	b := w.balance(t)
	assert.EqualValues(t, 18, b.Spent)
	assert.LessOrEqual(t, b.Spent, int64(20))
	at := w.atNodes(t)
	assert.Equal(t, map[string]int{"wait/waiting": 6, "buy/blocked": 4}, at, "served + waiting = accounts at the node; none partly served")
	for a := range w.src.Members(ctx) {
		pos, err := w.e.Where(ctx, viewer, w.wf.ID, a.ID)
		require.NoError(t, err)
		if pos.Status == store.StatusBlocked {
			assert.Zero(t, pos.Failures, "waiting for credits is not a failed attempt")
		}
	}
	inbox, err := w.e.Inbox(ctx, admin, true)
	require.NoError(t, err)
	kinds := map[store.NotificationKind]int{}
	for _, n := range inbox {
		kinds[n.Kind]++
	}
	assert.Equal(t, 1, kinds[store.NoteCreditsInsufficient])

	// A second run without a top-up serves nobody and spends nothing.
	rep, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Zero(t, rep.CreditsSpent)

	// Top up: the next run serves the rest; a further run changes nothing.
	_, err = w.ledger.SetPoolTotal(ctx, true, "2026", 40)
	require.NoError(t, err)
	_, err = w.e.DistributeCredits(ctx, admin, credit.AllocateRequest{Pool: "2026", App: credit.AppAudienceWorkflows, Amount: 40})
	require.NoError(t, err)
	rep, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 12, rep.CreditsSpent)
	assert.Equal(t, map[string]int{"wait/waiting": 10}, w.atNodes(t))
	rep, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Zero(t, rep.CreditsSpent)
	assert.EqualValues(t, 30, w.balance(t).Spent)
	assert.Len(t, w.crm.Delivered(fake.OpWriteRecords), 30)

	_, err = w.e.DistributeCredits(ctx, playgraph.Actor{UserID: "m", Role: playgraph.RoleMarketing}, credit.AllocateRequest{Pool: "2026", App: credit.AppAudienceWorkflows, Amount: 1})
	assert.ErrorIs(t, err, playgraph.ErrForbidden)
}

func TestPublishNeedsCredits(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 1, 1, 10)
	e, err := playgraph.New(&playgraph.Options{Store: memstore.New(), Connectors: w.opts.Connectors, Profiles: w.opts.Profiles, MatchRules: w.opts.MatchRules})
	require.NoError(t, err)
	g, err := w.e.Graph(ctx, viewer, w.wf.ID, 1)
	require.NoError(t, err)
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	require.NoError(t, err)
	_, err = e.Publish(ctx, admin, wf.ID)
	var pe *playgraph.PublishError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, "credits", pe.Problems[0].Rule)
	assert.Equal(t, "buy", pe.Problems[0].Node)
}

func TestPreviewWritesNothing(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 10, 2, 100)
	countsBefore, err := w.st.Counts(ctx, w.wf.ID)
	require.NoError(t, err)
	balBefore := w.balance(t)

	pre, err := w.e.Preview(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Empty(t, w.provider.Writes(), "no purchase")
	assert.Empty(t, w.crm.Writes(), "no record written")
	assert.NotEmpty(t, w.provider.Reads(), "it may count available contacts")
	assert.Equal(t, balBefore, w.balance(t), "ledger unchanged")
	countsAfter, err := w.st.Counts(ctx, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, countsBefore, countsAfter, "state unchanged")
	runs, err := w.e.Runs(ctx, viewer, w.wf.ID, 0)
	require.NoError(t, err)
	assert.Empty(t, runs, "no run recorded")
	inbox, err := w.e.Inbox(ctx, admin, false)
	require.NoError(t, err)
	require.Len(t, inbox, 1)
	assert.Equal(t, store.NotePreviewReady, inbox[0].Kind)
	// Upper bound: 10 accounts × 3 max × 1 credit; expected: 2 in stock each.
	assert.Equal(t, playgraph.CreditEstimate{UpperBound: 30, Expected: 20, ExpectedKnown: true}, pre.Credits)

	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 20, rep.CreditsSpent)
	for _, id := range []string{"start", "buy", "save", "wait"} {
		assert.Equal(t, rep.Counts[id].Entered, pre.Counts[id].Entered, "%s entered", id)
		assert.Equal(t, rep.Counts[id].Paths, pre.Counts[id].Paths, "%s paths", id)
		assert.Equal(t, rep.Counts[id].Waiting, pre.Counts[id].Waiting, "%s waiting", id)
	}

	_, err = w.e.Preview(ctx, viewer, w.wf.ID)
	assert.ErrorIs(t, err, playgraph.ErrForbidden)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = w.e.Preview(cctx, admin, w.wf.ID)
	assert.ErrorIs(t, err, context.Canceled)
}

// A preview takes the accounts reaching a purchase against the credits
// available, in the run's order, so the accounts the run blocks for
// credits are blocked in the preview too (it let them all through before).
func TestPreviewBlocksForCredits(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 4, 2, 7) // 3 credits held per account: two fit in 7
	pre, err := w.e.Preview(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, playgraph.CreditEstimate{UpperBound: 12, Expected: 8, ExpectedKnown: true}, pre.Credits)
	assert.EqualValues(t, 7, w.balance(t).Available, "the preview reserved nothing")
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Counts["buy"].Sent)
	for _, id := range []string{"start", "buy", "save", "wait"} {
		assert.Equal(t, rep.Counts[id].Entered, pre.Counts[id].Entered, "%s entered", id)
		assert.Equal(t, rep.Counts[id].Paths, pre.Counts[id].Paths, "%s paths", id)
		assert.Equal(t, rep.Counts[id].Waiting, pre.Counts[id].Waiting, "%s waiting", id)
	}
	assert.Equal(t, rep.Counts["buy"].Sent, pre.Counts["buy"].Sent, "buy sent")
}

func TestPreviewMatchesRunOnCompetitorPlay(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, competitorAccounts(40)...)
	for a := range w.src.Members(ctx) {
		w.src.SetContacts(a.ID, seller(a.ID, "1"))
	}
	pre, err := w.e.Preview(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Empty(t, w.sep.Writes())
	assert.Empty(t, w.linkedin.Writes())
	rep := w.run(t)
	for id, c := range rep.Counts {
		assert.Equal(t, c.Entered, pre.Counts[id].Entered, id)
		assert.Equal(t, c.Paths, pre.Counts[id].Paths, id)
		assert.Equal(t, c.Waiting, pre.Counts[id].Waiting, id)
		assert.Equal(t, c.Sent, pre.Counts[id].Sent, id)
	}
}

func TestForgetContact(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 2, 3, 100)
	_, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	bought, err := w.st.Purchased(ctx, w.wf.ID, []string{"acct-00"})
	require.NoError(t, err)
	require.Len(t, bought["acct-00"], 3)
	assert.ErrorIs(t, w.e.ForgetContact(ctx, playgraph.Actor{UserID: "m", Role: playgraph.RoleOperations}, "acct-00", "acct-00-p0"), playgraph.ErrForbidden)
	require.NoError(t, w.e.ForgetContact(ctx, admin, "acct-00", "acct-00-p0"))
	bought, err = w.st.Purchased(ctx, w.wf.ID, []string{"acct-00"})
	require.NoError(t, err)
	require.Len(t, bought["acct-00"], 2)
	for _, c := range bought["acct-00"] {
		assert.NotEqual(t, "acct-00-p0", c.ID)
	}
}

func TestForgetContactDropsItsPendingAction(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 1, 3, 100)
	key := playgraph.ContactKey(playgraph.ActionKey(w.wf.ID, "save", "acct-00", 1), "acct-00-p0")
	w.crm.FailKey(key, connector.StatusTransient, -1)
	_, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	pos, err := w.e.Where(ctx, viewer, w.wf.ID, "acct-00")
	require.NoError(t, err)
	require.Equal(t, store.StatusFailed, pos.Status)
	require.NoError(t, w.e.ForgetContact(ctx, admin, "acct-00", "acct-00-p0"))
	attempts := len(w.crm.Items(fake.OpWriteRecords))
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	for _, it := range w.crm.Items(fake.OpWriteRecords)[attempts:] {
		assert.NotEqual(t, key, it.Key, "a forgotten contact is never sent")
	}
	pos, err = w.e.Where(ctx, viewer, w.wf.ID, "acct-00")
	require.NoError(t, err)
	assert.Equal(t, "wait", pos.Node, "the account moves on with its other contacts")
}

func TestLowCreditsNoticeOncePerPool(t *testing.T) {
	ctx := context.Background()
	// 30 credits; low at 10 or fewer left. Four accounts spend 12.
	w := newSpendWorldOpts(t, memstore.New(), 4, 3, 30, credit.Options{LowCredits: 10})
	_, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	low := func() int {
		inbox, err := w.e.Inbox(ctx, admin, false)
		require.NoError(t, err)
		n := 0
		for _, note := range inbox {
			if note.Kind == store.NoteCreditsLow {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 0, low(), "18 left: not low yet")
	for i := range 4 {
		require.NoError(t, w.src.Add(&audience.Account{ID: fmt.Sprintf("more-%d", i), Name: "More", Domain: fmt.Sprintf("more%d.example", i)}))
		for j := range 3 {
			w.provider.AddStock(fmt.Sprintf("more-%d", i), audience.Contact{ID: fmt.Sprintf("more-%d-c%d", i, j), LastName: "L", Email: fmt.Sprintf("c%d@more%d.example", j, i), Title: "VP", JobLevel: "VP"})
		}
	}
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, low(), "6 left after 12 more: low, noticed once")
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, low(), "not repeated in the same period")
}

func TestMonthlyContactLimitBlocks(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorldOpts(t, memstore.New(), 4, 3, 100, credit.Options{Limits: credit.Limits{Organisation: 5}})
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	limited := false
	for _, f := range rep.Failures {
		limited = limited || errors.Is(f, credit.ErrMonthlyLimit)
	}
	assert.True(t, limited, "an error matching credit.ErrMonthlyLimit")
	assert.Equal(t, map[string]int{"wait/waiting": 1, "buy/blocked": 3}, w.atNodes(t), "one account's 3 contacts fit the month's 5")
	// Next month the limit resets and the rest are served.
	w.clk.Set(day0.AddDate(0, 1, 0))
	_, err = w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, w.atNodes(t)["buy/blocked"], "one more account fits the new month")
}

// cancellingProvider cancels the run's context while its purchase is in
// flight, as a host shutting down mid-run would.
type cancellingProvider struct {
	*fake.Connector
	cancel context.CancelFunc
}

func (p *cancellingProvider) Purchase(ctx context.Context, _ connector.PurchaseRequest, _ []connector.AccountItem) ([]connector.Purchase, error) {
	p.cancel()
	return nil, ctx.Err()
}

// A run cut short during a purchase leaves its credits held for the run
// that finishes the action. An archived workflow never runs again:
// archiving gives its pending actions up and releases what they held (it
// kept them held for good before).
func TestArchiveReleasesHeldCredits(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 2, 3, 100)
	w.cutRun(t)
	require.Positive(t, w.balance(t).Reserved, "the cut run holds credits")

	_, err := w.e.Archive(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	b := w.balance(t)
	require.Zero(t, b.Reserved)
	require.EqualValues(t, 100, b.Available)
	for in, err := range w.st.PendingIntents(ctx, w.wf.ID) {
		require.NoError(t, err)
		t.Errorf("intent %s still pending", in.Key)
	}
	_, err = w.e.Archive(ctx, admin, w.wf.ID)
	require.ErrorIs(t, err, playgraph.ErrState)
}

// An account whose credits an interrupted run left held is not blocked
// "for credits" behind an account that sorts before it and cannot
// reserve: its Reserve holds nothing more. It was, for ever, since the
// held reservation was what the other one lacked.
func TestHeldCreditsNotBlockedBehindOthers(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(day0)
	clk.AutoAdvance = true
	ms := memstore.New()
	led := credit.NewLedger(ms, credit.Options{})
	require.NoError(t, led.CreatePool(ctx, true, credit.Pool{ID: "2026", Start: day0.AddDate(0, -2, 0), End: day0.AddDate(1, 0, 0), Total: 3}))
	_, err := led.Allocate(ctx, true, credit.AllocateRequest{Pool: "2026", App: credit.AppAudienceWorkflows, Amount: 3, User: "ada", At: day0})
	require.NoError(t, err)
	provider := fake.New("provider", fake.WithDedupe())
	src := &audience.MemorySource{}
	for _, id := range []string{"acct-00", "acct-01"} {
		provider.AddStock(id, audience.Contact{ID: id + "-p", LastName: "B", Email: "p@" + id + ".example", Title: "VP", JobLevel: "VP"})
	}
	persona := audience.Persona{JobLevels: []string{"VP"}}
	g, err := graph.New("held").Add(
		node.NewStart("start", "Start", "seg"),
		node.NewTimer("wait", "Wait", schedule.Span{Hours: 24}),
		node.NewPurchaseContacts("buy", "Buy", node.PurchaseContacts{Connector: "provider", Persona: persona, MaxPerAccount: 3, CreditsPerContact: 1}),
	).Connect("start", node.PathNext, "wait").Connect("wait", node.PathNext, "buy").Build()
	require.NoError(t, err)
	newEngine := func(c connector.Connector) *playgraph.Engine {
		reg, err := connector.NewRegistry(c)
		require.NoError(t, err)
		e, err := playgraph.New(&playgraph.Options{Store: ms, Clock: clk, Connectors: reg, Credits: led,
			Segments: playgraph.SegmentMap{"seg": src}, BatchSize: 4, LeaseTTL: time.Minute,
			Retry: playgraph.RetryPolicy{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxFailures: 50}})
		require.NoError(t, err)
		return e
	}
	e := newEngine(provider)
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	require.NoError(t, err)
	_, err = e.Publish(ctx, admin, wf.ID)
	require.NoError(t, err)

	require.NoError(t, src.Add(&audience.Account{ID: "acct-01"}))
	_, err = e.Run(ctx, admin, wf.ID) // acct-01 waits until day0+24h
	require.NoError(t, err)
	clk.Set(day0.Add(time.Hour))
	require.NoError(t, src.Add(&audience.Account{ID: "acct-00"}))
	_, err = e.Run(ctx, admin, wf.ID) // acct-00 waits until day0+25h
	require.NoError(t, err)

	// acct-01 reaches the purchase; the host shuts down mid-call.
	clk.Set(day0.Add(24*time.Hour + 30*time.Minute))
	cctx, cancel := context.WithCancel(ctx)
	cut := newEngine(&cancellingProvider{Connector: provider, cancel: cancel})
	_, err = cut.Run(cctx, admin, wf.ID)
	require.ErrorIs(t, err, context.Canceled)
	b, _ := led.Balance(ctx, credit.AppAudienceWorkflows, clk.Now())
	require.EqualValues(t, 3, b.Reserved, "acct-01's credits are held for the run that finishes it")

	// Later runs: acct-00 arrives at the purchase beside acct-01.
	clk.Set(day0.Add(26 * time.Hour))
	for range 3 {
		_, err = e.Run(ctx, admin, wf.ID)
		require.NoError(t, err)
		clk.Advance(time.Hour)
	}
	b, _ = led.Balance(ctx, credit.AppAudienceWorkflows, clk.Now())
	require.EqualValues(t, 1, b.Spent, "acct-01's one contact in stock, bought with the credits it held")
	require.Zero(t, b.Reserved, "the rest of its hold released")
	pos, err := e.Where(ctx, admin, wf.ID, "acct-01")
	require.NoError(t, err)
	require.NotEqual(t, store.StatusBlocked, pos.Status, "acct-01 already holds its credits, yet waits for credits")
	require.NotEmpty(t, provider.Delivered(""), "acct-01's paid-for purchase is never sent")
}

// gatedProvider signals when its Purchase is entered, waits for go, then
// either fails the items transiently or delegates to the fake.
type gatedProvider struct {
	*fake.Connector
	in, release chan struct{}
	fail        bool
}

func (p *gatedProvider) Purchase(ctx context.Context, req connector.PurchaseRequest, items []connector.AccountItem) ([]connector.Purchase, error) {
	close(p.in)
	<-p.release
	if p.fail {
		out := make([]connector.Purchase, len(items))
		for i := range out {
			out[i] = connector.Purchase{Result: connector.Transient(context.DeadlineExceeded)}
		}
		return out, nil
	}
	return p.Connector.Purchase(ctx, req, items)
}

// A run whose lease expired mid-call (slow provider) and was taken over
// leaves the credit ledger alone: its late Release of the shared
// reservation made the lease holder's Commit fail, and the holder, whose
// purchase succeeded, failed its run.
func TestSupersededRunLeavesCreditsAlone(t *testing.T) {
	ctx := context.Background()
	w := newBuyWorld(t, "acct-00")
	p1 := &gatedProvider{Connector: w.provider, in: make(chan struct{}), release: make(chan struct{}), fail: true}
	p2 := &gatedProvider{Connector: w.provider, in: make(chan struct{}), release: make(chan struct{})}
	e1, e2 := w.engine(t, p1, nil), w.engine(t, p2, nil)
	wf := createPublished(t, e1, playgraph.WorkflowSpec{Graph: w.g})

	err1 := make(chan error, 1)
	go func() { _, err := e1.Run(ctx, admin, wf.ID); err1 <- err }()
	<-p1.in                        // engine 1 reserved and is in its (slow) call
	w.clk.Advance(2 * time.Minute) // its lease expires
	err2 := make(chan error, 1)
	go func() { _, err := e2.Run(ctx, admin, wf.ID); err2 <- err }()
	<-p2.in // engine 2 took the lease over and re-sends the pending intent
	close(p1.release)
	require.ErrorIs(t, <-err1, store.ErrFenced)
	close(p2.release)
	require.NoError(t, <-err2, "the lease holder's successful purchase is recorded")
	b, _ := w.led.Balance(ctx, credit.AppAudienceWorkflows, w.clk.Now())
	require.EqualValues(t, 1, b.Spent, "one contact bought, once")
	require.Zero(t, b.Reserved)
	require.Len(t, w.provider.Delivered(""), 1)
}

// buyWorld is a one-node purchase play (start, then buy up to 3 VP
// contacts at 1 credit each from "provider") on a memstore with a pool of
// 30 credits, each account with one VP contact in stock: for tests that
// put a slow or failing provider in front of the fake one.
type buyWorld struct {
	clk      *clock.Fake
	ms       *memstore.Store
	led      *credit.Ledger
	provider *fake.Connector
	src      *audience.MemorySource
	g        *graph.Graph
}

func newBuyWorld(t *testing.T, accounts ...string) *buyWorld {
	t.Helper()
	ctx := context.Background()
	w := &buyWorld{clk: clock.NewFake(day0), ms: memstore.New(), provider: fake.New("provider", fake.WithDedupe()), src: &audience.MemorySource{}}
	w.led = credit.NewLedger(w.ms, credit.Options{})
	require.NoError(t, w.led.CreatePool(ctx, true, credit.Pool{ID: "2026", Start: day0.AddDate(0, -2, 0), End: day0.AddDate(1, 0, 0), Total: 30}))
	_, err := w.led.Allocate(ctx, true, credit.AllocateRequest{Pool: "2026", App: credit.AppAudienceWorkflows, Amount: 30, User: "ada", At: day0})
	require.NoError(t, err)
	for _, id := range accounts {
		w.provider.AddStock(id, audience.Contact{ID: "c1", LastName: "B", Email: "p@" + id + ".example", Title: "VP", JobLevel: "VP"})
		require.NoError(t, w.src.Add(&audience.Account{ID: id}))
	}
	w.g, err = graph.New("buy").Add(
		node.NewStart("start", "Start", "seg"),
		node.NewPurchaseContacts("buy", "Buy", node.PurchaseContacts{Connector: "provider", Persona: audience.Persona{JobLevels: []string{"VP"}}, MaxPerAccount: 3, CreditsPerContact: 1}),
	).Connect("start", node.PathNext, "buy").Build()
	require.NoError(t, err)
	return w
}

// engine returns an engine on the world's store with c as the provider:
// lease TTL one minute, one attempt per call; edit changes the options.
func (w *buyWorld) engine(t *testing.T, c connector.Connector, edit func(*playgraph.Options)) *playgraph.Engine {
	t.Helper()
	reg, err := connector.NewRegistry(c)
	require.NoError(t, err)
	o := &playgraph.Options{Store: w.ms, Clock: w.clk, Connectors: reg, Credits: w.led,
		Segments: playgraph.SegmentMap{"seg": w.src}, LeaseTTL: time.Minute,
		Retry: playgraph.RetryPolicy{Attempts: 1, Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxFailures: 50}}
	if edit != nil {
		edit(o)
	}
	e, err := playgraph.New(o)
	require.NoError(t, err)
	return e
}

// reserveCounter counts the credit reservations asked of its store.
type reserveCounter struct {
	*memstore.Store
	n atomic.Int64
}

func (r *reserveCounter) Reserve(ctx context.Context, req credit.ReserveRequest, lim credit.Limits) (credit.Reservation, error) {
	r.n.Add(1)
	return r.Store.Reserve(ctx, req, lim)
}

// Accounts an earlier run blocked for credits stay blocked behind the
// first that cannot reserve, without a reservation asked for each: only
// one that holds credits goes past (the ledger is read to tell which).
func TestBlockedAccountsAskOnce(t *testing.T) {
	ctx := context.Background()
	rc := &reserveCounter{Store: memstore.New()}
	w := newSpendWorld(t, rc, 40, 1, 3) // 3 credits held per account: one fits
	_, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	before := rc.n.Load()
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	require.Positive(t, rep.ErrorCount, "accounts still blocked for credits")
	// Batches of 4: at most one refused reservation per batch.
	require.LessOrEqual(t, rc.n.Load()-before, int64(10))
}

// A preview counts an account an interrupted run left holding credits as
// going through, as the run does: its held credits are not in the
// balance's Available, and it takes nothing more.
func TestPreviewSeesHeldCredits(t *testing.T) {
	ctx := context.Background()
	w := newSpendWorld(t, memstore.New(), 1, 3, 3)
	w.cutRun(t)
	require.EqualValues(t, 3, w.balance(t).Reserved)

	pre, err := w.e.Preview(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	rep, err := w.e.Run(ctx, admin, w.wf.ID)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Counts["buy"].Sent)
	require.Equal(t, rep.Counts["buy"].Sent, pre.Counts["buy"].Sent)
	require.Equal(t, rep.Counts["buy"].Paths, pre.Counts["buy"].Paths)
}

// cutRun runs the workflow with a provider that cancels the run during
// its purchase, as a host shutting down mid-run would: the run ends with
// context.Canceled, its credits held for the run that finishes it.
func (w *spendWorld) cutRun(t *testing.T) {
	t.Helper()
	cctx, cancel := context.WithCancel(context.Background())
	reg, err := connector.NewRegistry(&cancellingProvider{Connector: w.provider, cancel: cancel}, w.crm)
	require.NoError(t, err)
	opts := *w.opts
	opts.Connectors = reg
	cut, err := playgraph.New(&opts)
	require.NoError(t, err)
	_, err = cut.Run(cctx, admin, w.wf.ID)
	require.ErrorIs(t, err, context.Canceled)
}
