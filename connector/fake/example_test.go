package fake_test

import (
	"context"
	"fmt"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
)

// A deduping fake, scripted to fail one item once: the retry under the
// same key is received twice but delivered once.
func Example() {
	ads := fake.New("linkedin", fake.WithDedupe())
	ads.FailKey("wf/n2/acme/1", connector.StatusTransient, 1)
	items := []connector.AccountItem{
		{Key: "wf/n2/acme/1", Account: &audience.Account{ID: "acme"}},
		{Key: "wf/n2/globex/1", Account: &audience.Account{ID: "globex"}},
	}
	for attempt := 1; attempt <= 2; attempt++ {
		rs, err := ads.AddToAudience(context.Background(), "aud-7", items)
		for i, r := range connector.Resolve(len(items), rs, err) {
			fmt.Println(attempt, items[i].Account.ID, r.Status)
		}
	}
	fmt.Println("received", len(ads.Received(fake.OpAddToAudience)), "delivered", len(ads.Delivered(fake.OpAddToAudience)))
	fmt.Println("audience", ads.Audience("aud-7"))
	// Output:
	// 1 acme transient
	// 1 globex done
	// 2 acme done
	// 2 globex done
	// received 3 delivered 2
	// audience [acme globex]
}
