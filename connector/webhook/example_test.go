package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/webhook"
)

// A receiver verifies the signature, then answers per item; the
// connector maps the answer back onto the items.
func Example() {
	secret := []byte("shared secret")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.Verify(r, secret)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var req webhook.Request
		_ = json.Unmarshal(body, &req)
		resp := webhook.Response{Results: []webhook.ItemResult{
			{Key: req.Items[0].Key, Status: webhook.StatusDone, ID: "00Q1"},
			{Key: req.Items[1].Key, Status: webhook.StatusPermanent, Error: "no such sequence member"},
		}}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()

	sep, _ := webhook.New(webhook.Config{Name: "sep", URL: srv.URL, Secret: secret})
	items := []connector.AccountItem{
		{Key: "wf/n4/acme/1", Account: &audience.Account{ID: "acme"}},
		{Key: "wf/n4/globex/1", Account: &audience.Account{ID: "globex"}},
	}
	rs, err := sep.PushAccounts(context.Background(), "seq-42", items)
	for i, r := range connector.Resolve(len(items), rs, err) {
		fmt.Println(items[i].Account.ID, r.Status, r.ID, r.Err)
	}
	// Output:
	// acme done 00Q1 <nil>
	// globex permanent  webhook: item rejected: no such sequence member
}
