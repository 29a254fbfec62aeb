package playgraph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/store"
)

// act runs an action node for a bucket of accounts: intents are recorded
// (atomically with the states so far), the items are sent in batches with
// retries, and each account moves on, fails or leaves according to its
// items' outcomes.
func (c *chunk) act(ctx context.Context, pn *pnode, b []*item) error {
	if pn.people {
		fresh := c.fresh[:0]
		for _, it := range b {
			if it.intent == nil {
				fresh = append(fresh, it)
			}
		}
		c.fresh = fresh
		if err := c.loadContacts(ctx, fresh); err != nil {
			return err
		}
		if err := c.loadBought(ctx, fresh); err != nil {
			return err
		}
	}
	// Intents live in a chunk arena: reserve room for the whole bucket so
	// that pointers into it stay valid (a full arena is replaced, never
	// grown in place).
	if cap(c.inArena)-len(c.inArena) < len(b) {
		c.inArena = make([]store.Intent, 0, max(len(b), len(c.backing)))
	}
	if !pn.people && cap(c.itemArena)-len(c.itemArena) < len(b) {
		c.itemArena = make([]store.Item, 0, max(len(b), len(c.backing)))
	}
	send := c.scratch[:0]
	for _, it := range b {
		if it.missing {
			// The source no longer knows the account: nothing sensible
			// can be sent for it.
			c.dropIntent(it, "account no longer known to the segment source")
			c.exit(it, "account no longer known to the segment source")
			continue
		}
		if it.intent == nil {
			c.inArena = append(c.inArena, store.Intent{})
			in := &c.inArena[len(c.inArena)-1]
			c.newIntent(pn, it, in)
			if len(in.Items) == 0 {
				*in = store.Intent{} // release clears the arena to its length only
				c.inArena = c.inArena[:len(c.inArena)-1]
				c.auditRow(it, "skipped", "no contact matches the persona")
				c.move(it, 0)
				continue
			}
			it.intent = in
			c.addIntent(it, in)
		}
		it.st.Status = store.StatusActive
		it.dirty = true
		send = append(send, it)
	}
	c.scratch = send
	if len(send) == 0 {
		return nil
	}
	// Record the intents (and every state change so far) before sending.
	if err := c.apply(ctx); err != nil {
		return err
	}
	if pn.spends() || pn.writesRecords() {
		var err error
		if send, err = c.prepareSpend(ctx, pn, send); err != nil {
			return err
		}
	}
	if err := c.dispatch(ctx, pn, send); err != nil {
		return err
	}
	if pn.spends() || pn.writesRecords() {
		if err := c.settleSpend(ctx, pn, send); err != nil {
			return err
		}
	}
	for _, it := range send {
		in := it.intent
		var pending, done, failed int
		var lastErr string
		for k := range in.Items {
			switch in.Items[k].Status {
			case store.ItemPending:
				pending++
				lastErr = in.Items[k].Err
			case store.ItemDone:
				done++
			case store.ItemFailed:
				failed++
				if lastErr == "" {
					lastErr = in.Items[k].Err
				}
			}
		}
		in.Attempts++
		switch {
		case pending > 0:
			c.fail(it, fmt.Errorf("%s: %d of %d item(s) not delivered: %s", pn.id, pending, len(in.Items), lastErr))
		case done == 0:
			c.addResolve(it, in.Key)
			c.toRelease = append(c.toRelease, in.Key)
			c.rs.addError(pn.id, it.st.Account, fmt.Errorf("%s: failed permanently: %s", pn.id, lastErr))
			c.counts[it.node].Failed++
			c.exit(it, fmt.Sprintf("action %s failed permanently: %s", pn.id, lastErr))
		default:
			if failed > 0 {
				c.rs.addError(pn.id, it.st.Account, fmt.Errorf("%s: %d of %d contact(s) failed permanently: %s", pn.id, failed, len(in.Items), lastErr))
			}
			c.addResolve(it, in.Key)
			c.move(it, 0)
		}
	}
	return nil
}

// newIntent fills in with the intent of pn for it. Account-level intents
// take their single item from the chunk's item arena.
func (c *chunk) newIntent(pn *pnode, it *item, in *store.Intent) {
	if pn.people && !c.anyMatch(pn, it) {
		// No items: no key to build (the account moves on, skipped).
		*in = store.Intent{Node: pn.id, Account: it.st.Account, Entry: it.st.Entry, Created: c.rs.now}
		return
	}
	key := c.actionKey(pn.id, it.st.Account, it.st.Entry)
	// Field by field, like every hot write (see appendStep).
	in.Key, in.Node, in.Account, in.Entry, in.Created = key, pn.id, it.st.Account, it.st.Entry, c.rs.now
	in.Items, in.Attempts = nil, 0
	if !pn.people {
		// act reserved room for every item of the bucket.
		n := len(c.itemArena) + 1
		c.itemArena = c.itemArena[:n]
		item := &c.itemArena[n-1]
		item.Key, item.Contact, item.Status, item.Err = key, nil, store.ItemPending, ""
		in.Items = c.itemArena[n-1 : n : n]
		return
	}
	cs := c.people(pn, it)
	for k := range cs {
		ct := &cs[k]
		if ct.ID == "" || !pn.persona.Matches(ct) {
			continue
		}
		cc := *ct
		in.Items = append(in.Items, store.Item{Key: ContactKey(key, ct.ID), Contact: &cc})
	}
}

// anyMatch reports whether one of it's contacts matches pn's persona.
func (c *chunk) anyMatch(pn *pnode, it *item) bool {
	if !pn.boughtOnly {
		for k := range it.contacts {
			if ct := &it.contacts[k]; ct.ID != "" && pn.persona.Matches(ct) {
				return true
			}
		}
	}
	for k := range it.bought {
		if ct := &it.bought[k]; ct.ID != "" && pn.persona.Matches(ct) {
			return true
		}
	}
	return false
}

// actionKey is ActionKey built with one allocation when the account id
// needs no escaping (generated and most real ids), checking the id's bytes
// as it copies them; otherwise it is ActionKey itself.
func (c *chunk) actionKey(nodeID, accountID string, entry uint32) string {
	b := append(c.keyBuf[:0], "pg1:"...)
	b = append(b, c.rs.w.ID...)
	b = append(b, ':')
	b = append(b, nodeID...)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(entry), 10)
	b = append(b, ':')
	b = slices.Grow(b, len(accountID))
	for i := 0; i < len(accountID); i++ {
		ch := accountID[i]
		if !store.Unreserved(ch) {
			c.keyBuf = b
			return ActionKey(c.rs.w.ID, nodeID, accountID, entry)
		}
		b = append(b, ch)
	}
	c.keyBuf = b
	return string(b)
}

// ref points at one pending item of one account's intent.
type ref struct {
	it *item
	k  int
}

// dispatch sends every pending item of the accounts in send, in connector
// batches, retrying transient failures with backoff up to the policy's
// attempts. Item statuses are updated in place. It returns an error only
// when ctx ends (outcomes then stay unrecorded and the intents pending).
func (c *chunk) dispatch(ctx context.Context, pn *pnode, send []*item) error {
	refs := c.refs[:0]
	defer func() { clear(refs); c.refs = refs[:0] }()
	for _, it := range send {
		for k := range it.intent.Items {
			if it.intent.Items[k].Status == store.ItemPending {
				refs = append(refs, ref{it, k})
			}
		}
	}
	if c.rs.dry {
		// A preview sends nothing: every item counts as it would if sent.
		for _, r := range refs {
			r.it.intent.Items[r.k].Status = store.ItemDone
			c.counts[r.it.node].Sent++
		}
		return nil
	}
	size := pn.conn.Limits().Batch(c.rs.e.o.BatchSize)
	pol := c.rs.e.o.Retry
	var rnd = c.rs.e.jitterRand()
	for lo := 0; lo < len(refs); lo += size {
		batch := refs[lo:min(lo+size, len(refs))]
		for attempt := 1; len(batch) > 0; attempt++ {
			if err := c.rs.renewLease(ctx); err != nil {
				return err
			}
			if err := pn.conn.Limits().Wait(ctx); err != nil {
				return err
			}
			results, took, callErr := c.call(ctx, pn, batch)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var retry []ref
			var wait time.Duration
			var done, trans, perm int
			for k, r := range results {
				itm := &batch[k].it.intent.Items[batch[k].k]
				switch r.Status {
				case connector.StatusDone:
					itm.Status, itm.Err = store.ItemDone, ""
					done++
					c.counts[batch[k].it.node].Sent++
					c.auditRow(batch[k].it, "sent", itm.Key)
				case connector.StatusPermanent:
					itm.Status, itm.Err = store.ItemFailed, errString(r.Err)
					perm++
				default:
					itm.Err = errString(r.Err)
					trans++
					retry = append(retry, batch[k])
					wait = max(wait, r.RetryAfter)
				}
			}
			if f := c.rs.e.o.Observer.ActionSent; f != nil {
				f(ctx, ActionEvent{Workflow: c.rs.w.ID, Run: c.rs.runID, Node: pn.id, Connector: pn.conn.Name(),
					Items: len(batch), Done: done, Transient: trans, Permanent: perm, Duration: took, Err: callErr})
			}
			if len(retry) == 0 || attempt >= pol.Attempts {
				break
			}
			d := max(pol.delay(attempt, rnd), wait)
			if err := c.rs.e.o.Clock.Sleep(ctx, d); err != nil {
				return err
			}
			batch = retry
		}
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// call makes one connector call for a batch and normalises its results.
func (c *chunk) call(ctx context.Context, pn *pnode, batch []ref) ([]connector.Result, time.Duration, error) {
	start := c.rs.e.o.Clock.Now()
	var rs []connector.Result
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				rs, err = nil, fmt.Errorf("connector %s panicked: %v", pn.conn.Name(), p)
			}
		}()
		switch pn.call {
		case callAddAudience, callRemoveAudience, callPushAccounts:
			items := make([]connector.AccountItem, len(batch))
			for k, r := range batch {
				items[k] = connector.AccountItem{Key: r.it.intent.Items[r.k].Key, Account: r.it.acct}
			}
			switch pn.call {
			case callAddAudience:
				rs, err = pn.conn.(connector.AudienceSyncer).AddToAudience(ctx, pn.target, items)
			case callRemoveAudience:
				rs, err = pn.conn.(connector.AudienceSyncer).RemoveFromAudience(ctx, pn.target, items)
			default:
				rs, err = pn.conn.(connector.CampaignPusher).PushAccounts(ctx, pn.target, items)
			}
		case callEmail, callPushContacts:
			items := make([]connector.ContactItem, len(batch))
			for k, r := range batch {
				itm := &r.it.intent.Items[r.k]
				ct := itm.Contact
				if ct == nil {
					ct = &audience.Contact{AccountID: r.it.st.Account}
				}
				items[k] = connector.ContactItem{Key: itm.Key, Account: r.it.acct, Contact: ct}
			}
			if pn.call == callEmail {
				rs, err = pn.conn.(connector.EmailEnroller).EnrollEmail(ctx, pn.target, items)
			} else {
				rs, err = pn.conn.(connector.CampaignPusher).PushContacts(ctx, pn.target, items)
			}
		case callPurchase:
			items := make([]connector.AccountItem, len(batch))
			for k, r := range batch {
				items[k] = connector.AccountItem{Key: r.it.intent.Items[r.k].Key, Account: r.it.acct}
			}
			var ps []connector.Purchase
			ps, err = pn.conn.(connector.ContactPurchaser).Purchase(ctx, connector.PurchaseRequest{Persona: pn.persona, MaxPerAccount: pn.maxPer}, items)
			ps = connector.ResolvePurchases(len(batch), ps, err)
			rs = make([]connector.Result, len(batch))
			for k, p := range ps {
				rs[k] = p.Result
				if p.Result.OK() {
					if len(p.Contacts) > pn.maxPer {
						rs[k] = connector.Permanent(fmt.Errorf("provider returned %d contacts, more than the %d asked", len(p.Contacts), pn.maxPer))
						continue
					}
					batch[k].it.newContacts = p.Contacts
				}
			}
			err = nil
		case callSaveContacts, callCreateAccount:
			items := make([]connector.RecordItem, len(batch))
			for k, r := range batch {
				itm := &r.it.intent.Items[r.k]
				ri := connector.RecordItem{Key: itm.Key, AccountID: r.it.st.Account, Record: c.records[itm.Key]}
				if itm.Contact != nil {
					ri.ContactID = itm.Contact.ID
				}
				items[k] = ri
			}
			rs, err = pn.conn.(connector.RecordWriter).WriteRecords(ctx, pn.profile, items)
			if err == nil && len(rs) == len(batch) {
				if c.written == nil {
					c.written = map[string]string{}
				}
				for k, r := range rs {
					if r.OK() && r.ID != "" {
						c.written[items[k].Key] = r.ID
					}
				}
			}
		default:
			err = fmt.Errorf("%w: node %s: no call for action", connector.ErrPermanent, pn.id)
		}
	}()
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return connector.AllResults(len(batch), connector.Transient(err)), c.rs.e.o.Clock.Now().Sub(start), err
	}
	if err == nil && len(rs) == len(batch) && sound(rs) {
		return rs, c.rs.e.o.Clock.Now().Sub(start), nil // what Resolve would return, uncopied
	}
	return connector.Resolve(len(batch), rs, err), c.rs.e.o.Clock.Now().Sub(start), err
}

// sound reports whether connector.Resolve would return rs unchanged: every
// result is Done without a cause, or failed (in range) with one. The engine
// only reads results, so such a slice is used as it is.
func sound(rs []connector.Result) bool {
	for i := range rs {
		r := &rs[i]
		if (r.Status == connector.StatusDone) != (r.Err == nil) || r.Status > connector.StatusPermanent {
			return false
		}
	}
	return true
}
