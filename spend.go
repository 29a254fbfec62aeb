package playgraph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store"
)

// This file holds what purchase contacts, save purchased contacts and
// create account add to an action: credits reserved before the call and
// committed or released after it, match rules that keep duplicates out of
// the target, records built through the mapping profile, and purchased
// contacts persisted for later nodes.

// loadBought loads the contacts this workflow bought for the accounts.
func (c *chunk) loadBought(ctx context.Context, b []*item) error {
	ps, ok := c.rs.e.st.(store.PurchasedStore)
	if !ok || !c.rs.p.buys {
		for _, it := range b {
			it.haveBought = true
		}
		return nil
	}
	var ids []string
	for _, it := range b {
		if !it.haveBought {
			ids = append(ids, it.st.Account)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m, err := ps.Purchased(ctx, c.rs.w.ID, ids)
	if err != nil {
		return err
	}
	for _, it := range b {
		if !it.haveBought {
			it.bought, it.haveBought = m[it.st.Account], true
		}
	}
	return nil
}

// people returns the contacts a people-level action considers: the
// account's known contacts and those the workflow bought for it (only the
// bought ones for save purchased contacts), without repeats.
func (c *chunk) people(pn *pnode, it *item) []audience.Contact {
	if pn.boughtOnly {
		return it.bought
	}
	if len(it.bought) == 0 {
		return it.contacts
	}
	out := slices.Clone(it.contacts)
	for _, b := range it.bought {
		if !slices.ContainsFunc(out, func(k audience.Contact) bool { return k.ID == b.ID }) {
			out = append(out, b)
		}
	}
	return out
}

// matchIndex returns the run's match index for a node, shared by its
// chunks so that a record written by one chunk is seen by the others.
func (rs *runState) matchIndex(pn *pnode) (*connector.MatchIndex, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.indexes == nil {
		rs.indexes = map[string]*connector.MatchIndex{}
	}
	if x := rs.indexes[pn.id]; x != nil {
		return x, nil
	}
	x, err := connector.NewMatchIndex(pn.rules, rs.e.o.Catalog)
	if err != nil {
		return nil, err
	}
	rs.indexes[pn.id] = x
	return x, nil
}

// creditUser is who a run's spending counts against: the acting user, or
// the workflow's owner for scheduled runs.
func (rs *runState) creditUser() string {
	if rs.actor != "" {
		return rs.actor
	}
	return rs.w.Owner
}

// InsufficientCreditsError says an action could not reserve its credits.
// It wraps the ledger's error (errors.Is(err, credit.ErrInsufficientCredits)
// or credit.ErrMonthlyLimit).
type InsufficientCreditsError struct {
	Node    string
	Account string
	Credits int64
	Err     error
}

func (e *InsufficientCreditsError) Error() string {
	return fmt.Sprintf("node %s: account %s needs %d credit(s): %v", e.Node, e.Account, e.Credits, e.Err)
}

// Unwrap returns the ledger's error.
func (e *InsufficientCreditsError) Unwrap() error { return e.Err }

// block leaves it waiting at its action for something other than a retry
// (credits): not a failed attempt.
func (c *chunk) block(it *item, err error) {
	it.st.Status = store.StatusBlocked
	it.st.Reason = err.Error()
	it.dirty = true
	c.rs.addError(c.rs.p.nodes[it.node].id, it.st.Account, err)
	c.auditRow(it, "blocked", err.Error())
}

// prepareSpend runs before a spending or record-writing action is sent. It
// matches items against the target (matched ones are done without being
// sent), builds records, and reserves credits in a deterministic order
// (by account id): an account whose credits cannot be reserved, and every
// account after it, is blocked at the node, except those whose intent an
// earlier run left holding credits (their Reserve takes nothing more).
// It returns the accounts to send.
func (c *chunk) prepareSpend(ctx context.Context, pn *pnode, send []*item) ([]*item, error) {
	rs := c.rs
	if pn.writesRecords() {
		if err := c.matchAndMap(ctx, pn, send); err != nil {
			return nil, err
		}
	}
	if !pn.spends() {
		return send, nil
	}
	slices.SortFunc(send, func(a, b *item) int { return cmp.Compare(a.st.Account, b.st.Account) })
	per := pn.price
	if pn.call == callPurchase {
		per *= int64(pn.maxPer)
	}
	if rs.dry {
		if err := c.estimate(ctx, pn, send, per); err != nil {
			return nil, err
		}
		return c.previewReserve(ctx, pn, send, per)
	}
	led := rs.e.o.Credits
	user := rs.creditUser()
	var userType string
	if f := rs.e.o.UserType; f != nil {
		userType = f(user)
	}
	out := send[:0]
	var stop error
	for _, it := range send {
		if !pendingItems(it.intent) || per == 0 {
			out = append(out, it) // matched (nothing to buy or create) or free
			continue
		}
		if stop != nil {
			holds, err := c.holds(ctx, it)
			if err != nil {
				return nil, err
			}
			if !holds {
				c.block(it, &InsufficientCreditsError{Node: pn.id, Account: it.st.Account, Credits: per, Err: stop})
				continue
			}
		}
		if led == nil {
			return nil, fmt.Errorf("%w: node %s spends credits but the engine has no ledger", ErrInvalid, pn.id)
		}
		contacts := int64(0)
		if pn.call == callPurchase {
			contacts = int64(pn.maxPer)
		}
		_, err := led.Reserve(ctx, credit.ReserveRequest{App: credit.AppAudienceWorkflows, Key: it.intent.Key,
			Credits: per, Contacts: contacts, User: user, UserType: userType, At: rs.now})
		switch {
		case err == nil:
			if c.reserved == nil {
				c.reserved = map[string]bool{}
			}
			c.reserved[it.intent.Key] = true
			out = append(out, it)
		case errors.Is(err, credit.ErrInsufficientCredits), errors.Is(err, credit.ErrMonthlyLimit):
			if stop == nil {
				stop = err
			}
			c.block(it, &InsufficientCreditsError{Node: pn.id, Account: it.st.Account, Credits: per, Err: err})
			rs.noteInsufficient(pn, err)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			c.fail(it, fmt.Errorf("%s: reserving credits: %w", pn.id, err))
		}
	}
	return out, nil
}

// holds reports whether credits are held (or committed) under it's
// intent key by an earlier, interrupted run: such an account is not
// blocked behind one that could not reserve, since its Reserve takes
// nothing more (its held credits would otherwise wait for credits they are
// themselves). Only an intent an earlier run recorded can hold any, so
// the ledger is asked only about those.
func (c *chunk) holds(ctx context.Context, it *item) (bool, error) {
	in := c.rs.pending[it.st.Account]
	if in == nil || it.intent == nil || in.Key != it.intent.Key || c.rs.e.o.Credits == nil {
		return false, nil
	}
	r, err := c.rs.e.o.Credits.Reservation(ctx, in.Key)
	switch {
	case errors.Is(err, credit.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading reservation %s: %w", in.Key, err)
	}
	return r.State == credit.Held || r.State == credit.Committed, nil
}

func pendingItems(in *store.Intent) bool {
	for i := range in.Items {
		if in.Items[i].Status == store.ItemPending {
			return true
		}
	}
	return false
}

// matchAndMap asks the target for existing records (through its
// RecordFinder, when it is one), marks items whose record exists as done,
// and builds the records of the rest through the mapping profile (a record
// the profile cannot build fails permanently).
func (c *chunk) matchAndMap(ctx context.Context, pn *pnode, send []*item) error {
	x, err := c.rs.matchIndex(pn)
	if err != nil {
		return err
	}
	if f, ok := pn.conn.(connector.RecordFinder); ok {
		var accts []*audience.Account
		var cons []*audience.Contact
		for _, it := range send {
			accts = append(accts, it.acct)
			for k := range it.intent.Items {
				if ct := it.intent.Items[k].Contact; ct != nil {
					cons = append(cons, ct)
				}
			}
		}
		recs, err := f.FindRecords(ctx, connector.NewFindQuery(pn.rules.Kind, accts, cons))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("node %s: finding existing records: %w", pn.id, err)
		}
		x.Add(recs...)
	}
	if c.records == nil {
		c.records = map[string]connector.Record{}
	}
	for _, it := range send {
		for k := range it.intent.Items {
			itm := &it.intent.Items[k]
			if itm.Status != store.ItemPending {
				continue
			}
			if id, ok := x.Match(it.acct, itm.Contact); ok {
				itm.Status, itm.Err = store.ItemDone, ""
				c.auditRow(it, "matched", "existing record "+id)
				continue
			}
			rec, err := pn.mapper.Apply(it.acct, itm.Contact)
			if err != nil {
				itm.Status, itm.Err = store.ItemFailed, err.Error()
				continue
			}
			c.records[itm.Key] = rec
		}
	}
	return nil
}

// settleSpend runs after a spending or record-writing action was sent:
// purchased contacts are stored, credits committed for what was done and
// released for what was not, written records remembered by the match
// index.
func (c *chunk) settleSpend(ctx context.Context, pn *pnode, send []*item) error {
	rs := c.rs
	if rs.dry {
		return nil
	}
	if pn.spends() {
		// A superseded run writes nothing more: the lease holder re-sends
		// under the same keys and settles them. Releasing credits here
		// would take back what the holder holds, and storing purchased
		// contacts could bring back an account the holder erased.
		if err := rs.holdsLease(ctx); err != nil {
			return err
		}
	}
	var x *connector.MatchIndex
	if pn.writesRecords() {
		var err error
		if x, err = rs.matchIndex(pn); err != nil {
			return err
		}
	}
	if pn.call == callPurchase {
		var all []audience.Contact
		for _, it := range send {
			for k := range it.newContacts {
				it.newContacts[k].AccountID = it.st.Account
			}
			all = append(all, it.newContacts...)
		}
		if len(all) > 0 {
			ps, ok := rs.e.st.(store.PurchasedStore)
			if !ok {
				return fmt.Errorf("%w: the store does not keep purchased contacts", ErrInvalid)
			}
			if err := ps.PutPurchased(ctx, rs.w.ID, all); err != nil {
				return err
			}
		}
	}
	for _, it := range send {
		in := it.intent
		done := len(in.Items) > 0 && in.Items[0].Status == store.ItemDone
		if x != nil {
			for k := range in.Items {
				if id := c.written[in.Items[k].Key]; id != "" || in.Items[k].Status == store.ItemDone {
					x.Remember(id, it.acct, in.Items[k].Contact)
				}
			}
		}
		if !pn.spends() || rs.e.o.Credits == nil || pn.price == 0 {
			continue
		}
		if !c.reserved[in.Key] {
			// Matched or blocked: nothing reserved here; settle what an
			// interrupted earlier run may have left held.
			if err := c.settleEarlier(ctx, pn, it, done); err != nil {
				return fmt.Errorf("node %s: settling credits of %s: %w", pn.id, in.Key, err)
			}
			continue
		}
		led := rs.e.o.Credits
		if done {
			n := int64(1)
			if pn.call == callPurchase {
				n = int64(len(it.newContacts))
			}
			var contacts int64
			if pn.call == callPurchase {
				contacts = n
			}
			prev, err := led.Reservation(ctx, in.Key)
			if err != nil {
				return fmt.Errorf("node %s: reading reservation %s: %w", pn.id, in.Key, err)
			}
			// Never commit more than was reserved (a node's price may have
			// changed since an interrupted run reserved).
			spent := min(n*pn.price, prev.Credits)
			if _, err := led.Commit(ctx, credit.CommitRequest{Key: in.Key, Credits: spent, Contacts: contacts, At: rs.now}); err != nil {
				return fmt.Errorf("node %s: committing credits of %s: %w", pn.id, in.Key, err)
			}
			if prev.State != credit.Committed {
				rs.creditsSpent.Add(spent) // not an earlier run's commit found again
			}
		} else if _, err := led.Release(ctx, in.Key, rs.now); err != nil && !errors.Is(err, credit.ErrNotFound) {
			return fmt.Errorf("node %s: releasing credits of %s: %w", pn.id, in.Key, err)
		}
	}
	clear(c.records)
	clear(c.written)
	clear(c.reserved)
	return nil
}

// estimate adds, in a preview, what the accounts would spend: the upper
// bound (every account at its maximum) and, where the provider counts
// available contacts, the expected figure.
func (c *chunk) estimate(ctx context.Context, pn *pnode, send []*item, per int64) error {
	rs := c.rs
	var accts []*audience.Account
	for _, it := range send {
		if pendingItems(it.intent) {
			accts = append(accts, it.acct)
		}
	}
	rs.upper.Add(per * int64(len(accts)))
	switch pn.call {
	case callCreateAccount:
		rs.expected.Add(per * int64(len(accts)))
	case callPurchase:
		cp, ok := pn.conn.(connector.ContactPurchaser)
		if !ok || len(accts) == 0 {
			rs.expected.Add(per * int64(len(accts)))
			return nil
		}
		counts, err := cp.CountAvailable(ctx, connector.PurchaseRequest{Persona: pn.persona, MaxPerAccount: pn.maxPer}, accts)
		if err != nil || len(counts) != len(accts) {
			rs.expectedUnknown.Store(true)
			rs.expected.Add(per * int64(len(accts)))
			return nil
		}
		for _, n := range counts {
			rs.expected.Add(int64(min(max(n, 0), pn.maxPer)) * pn.price)
		}
	}
	return nil
}

// previewReserve is prepareSpend's reservation for a preview: nothing is
// reserved, but the accounts are taken in the same order against the
// credits available to audience workflows when the preview began, so that
// the accounts the run would block for credits are blocked in the preview
// too. Monthly limits per user are not simulated.
func (c *chunk) previewReserve(ctx context.Context, pn *pnode, send []*item, per int64) ([]*item, error) {
	rs := c.rs
	if per == 0 || rs.e.o.Credits == nil {
		return send, nil
	}
	left, err := rs.previewCredits(ctx)
	if err != nil {
		return nil, err
	}
	out := send[:0]
	stop := false
	for _, it := range send {
		if !pendingItems(it.intent) {
			out = append(out, it)
			continue
		}
		// Credits an earlier run holds for the account are not in the
		// balance's Available, and the run takes nothing more for it.
		held, err := c.holds(ctx, it)
		if err != nil {
			return nil, err
		}
		if held {
			out = append(out, it)
			continue
		}
		if !stop && left.Add(-per) < 0 {
			left.Add(per)
			stop = true
		}
		if stop {
			c.block(it, &InsufficientCreditsError{Node: pn.id, Account: it.st.Account, Credits: per, Err: credit.ErrInsufficientCredits})
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// previewCredits returns the credits a preview may still spend, read from
// the ledger the first time it is asked.
func (rs *runState) previewCredits(ctx context.Context) (*atomic.Int64, error) {
	rs.previewMu.Lock()
	defer rs.previewMu.Unlock()
	if !rs.previewRead {
		b, err := rs.e.o.Credits.Balance(ctx, credit.AppAudienceWorkflows, rs.now)
		switch {
		case errors.Is(err, credit.ErrNoPool), errors.Is(err, credit.ErrNotFound):
			// No pool covers now: nothing can be spent.
		case err != nil:
			return nil, fmt.Errorf("preview: reading the credit balance: %w", err)
		default:
			rs.previewLeft.Store(b.Available)
		}
		rs.previewRead = true
	}
	return &rs.previewLeft, nil
}

// noteInsufficient posts, once per run, an inbox notice that credits ran
// out.
func (rs *runState) noteInsufficient(pn *pnode, err error) {
	if rs.dry || !rs.insufficient.CompareAndSwap(false, true) {
		return
	}
	msg := fmt.Sprintf("Workflow %q ran out of credits at %q: %v. Accounts wait there until credits allow.", rs.w.Name, pn.label, err)
	var ns []store.Notification
	for _, u := range uniqueUsers(rs.w.Owner, rs.actor) {
		ns = append(ns, store.Notification{User: u, Kind: store.NoteCreditsInsufficient, Workflow: rs.w.ID, Run: rs.runID, Message: msg, At: rs.now})
	}
	if len(ns) > 0 {
		if err := rs.e.st.PostNotifications(context.Background(), ns); err != nil {
			rs.e.o.Logger.Warn("playgraph: post notification", "err", err)
		}
	}
}

func uniqueUsers(us ...string) []string {
	var out []string
	for _, u := range us {
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// releaseHeld releases the credits held under intents this chunk resolved
// without completing them (a reservation that is already committed, or
// none, is left alone).
func (c *chunk) releaseHeld(ctx context.Context) error {
	led := c.rs.e.o.Credits
	if len(c.toRelease) == 0 || led == nil || c.rs.dry {
		c.toRelease = c.toRelease[:0]
		return nil
	}
	// A superseded run must not release what the lease holder may hold
	// under the same keys.
	if err := c.rs.holdsLease(ctx); err != nil {
		return err
	}
	for _, key := range c.toRelease {
		if _, err := led.Release(ctx, key, c.rs.now); err != nil && !errors.Is(err, credit.ErrNotFound) {
			return fmt.Errorf("releasing credits of %s: %w", key, err)
		}
	}
	clear(c.toRelease)
	c.toRelease = c.toRelease[:0]
	return nil
}

// settleEarlier settles a reservation an earlier, interrupted run left
// held for an intent this chunk completed without reserving (its record
// was found to exist): commit when done, release otherwise.
func (c *chunk) settleEarlier(ctx context.Context, pn *pnode, it *item, done bool) error {
	led := c.rs.e.o.Credits
	r, err := led.Reservation(ctx, it.intent.Key)
	if errors.Is(err, credit.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.State != credit.Held {
		return nil
	}
	if !done {
		_, err := led.Release(ctx, it.intent.Key, c.rs.now)
		return err
	}
	spent := min(pn.price, r.Credits)
	if _, err := led.Commit(ctx, credit.CommitRequest{Key: it.intent.Key, Credits: spent, At: c.rs.now}); err != nil {
		return err
	}
	c.rs.creditsSpent.Add(spent)
	return nil
}
