package memstore

import (
	"context"
	"slices"
	"sync"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/store"
)

var _ store.PurchasedStore = (*Store)(nil)

// purchased is the purchased-contacts table: workflow → account → contacts.
type purchased struct {
	mu sync.RWMutex
	m  map[string]map[string][]audience.Contact
}

// PutPurchased implements store.PurchasedStore.
func (s *Store) PutPurchased(ctx context.Context, workflowID string, contacts []audience.Contact) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if workflowID == "" {
		return invalid("purchased: empty workflow id")
	}
	for _, c := range contacts {
		if c.AccountID == "" || c.ID == "" {
			return invalid("purchased: contact %q of account %q needs both ids", c.ID, c.AccountID)
		}
	}
	p := &s.bought
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]map[string][]audience.Contact{}
	}
	wf := p.m[workflowID]
	if wf == nil {
		wf = map[string][]audience.Contact{}
		p.m[workflowID] = wf
	}
	for _, c := range contacts {
		list := wf[c.AccountID]
		if i := slices.IndexFunc(list, func(o audience.Contact) bool { return o.ID == c.ID }); i >= 0 {
			list[i] = c
		} else {
			list = append(list, c)
		}
		wf[c.AccountID] = list
	}
	return nil
}

// Purchased implements store.PurchasedStore.
func (s *Store) Purchased(ctx context.Context, workflowID string, accountIDs []string) (map[string][]audience.Contact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &s.bought
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := map[string][]audience.Contact{}
	wf := p.m[workflowID]
	for _, id := range accountIDs {
		if cs := wf[id]; len(cs) > 0 {
			out[id] = slices.Clone(cs)
		}
	}
	return out, nil
}

// ForgetPurchased implements store.PurchasedStore.
func (s *Store) ForgetPurchased(ctx context.Context, workflowID, accountID, contactID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &s.bought
	p.mu.Lock()
	defer p.mu.Unlock()
	wf := p.m[workflowID]
	if wf == nil {
		return nil
	}
	if contactID == "" {
		delete(wf, accountID)
		return nil
	}
	wf[accountID] = slices.DeleteFunc(wf[accountID], func(c audience.Contact) bool { return c.ID == contactID })
	return nil
}
