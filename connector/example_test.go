package connector_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
)

// crm is a complete custom connector: it pushes accounts into a CRM
// campaign, deduping on the item key, and refuses accounts with no domain.
type crm struct {
	connector.Base
	mu     sync.Mutex
	pushed map[string]bool
}

func (c *crm) PushAccounts(ctx context.Context, campaign string, items []connector.AccountItem) ([]connector.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // the whole call failed, transiently
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]connector.Result, len(items))
	for i, it := range items {
		switch {
		case it.Account.Domain == "":
			out[i] = connector.Permanent(errors.New("no domain"))
		case !c.pushed[it.Key]: // a repeated key is already done
			c.pushed[it.Key] = true
			fmt.Printf("push %s into %s\n", it.Account.Name, campaign)
		}
	}
	return out, nil
}

func (c *crm) PushContacts(_ context.Context, _ string, items []connector.ContactItem) ([]connector.Result, error) {
	return connector.AllResults(len(items), connector.Permanent(errors.New("accounts only"))), nil
}

// Example shows a complete custom connector (above), registered and called
// the way the engine calls it.
func Example() {
	reg, _ := connector.NewRegistry(&crm{Base: connector.NewBase("crm", connector.Limits{MaxBatch: 100}), pushed: map[string]bool{}})
	fmt.Println(reg.Require("crm", connector.CapCampaignPush))
	fmt.Println(reg.Require("crm", connector.CapAudienceSync))

	pusher, _ := connector.Lookup[connector.CampaignPusher](reg, "crm")
	items := []connector.AccountItem{
		{Key: "wf1/n3/acme/1", Account: &audience.Account{ID: "acme", Name: "Acme", Domain: "acme.com"}},
		{Key: "wf1/n3/nodomain/1", Account: &audience.Account{ID: "nodomain", Name: "Nodomain"}},
		{Key: "wf1/n3/acme/1", Account: &audience.Account{ID: "acme", Name: "Acme", Domain: "acme.com"}},
	}
	rs, err := pusher.PushAccounts(context.Background(), "q3-webinar", items)
	for i, r := range connector.Resolve(len(items), rs, err) {
		fmt.Println(items[i].Account.ID, r.Status, r.Err)
	}
	// Output:
	// <nil>
	// connector "crm": missing capability audience_sync
	// push Acme into q3-webinar
	// acme done <nil>
	// nodomain permanent no domain
	// acme done <nil>
}
