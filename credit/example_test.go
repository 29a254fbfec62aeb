package credit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store/memstore"
)

// A purchase reserves before buying, commits what it bought, and a retry
// under the same key spends nothing more.
func Example() {
	ctx := context.Background()
	now := time.Date(2021, 3, 10, 9, 0, 0, 0, time.UTC)
	l := credit.NewLedger(memstore.New(), credit.Options{})

	// An administrator sets up the contract period and distributes credits.
	_ = l.CreatePool(ctx, true, credit.Pool{ID: "q1", Start: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), Total: 1000})
	_, _ = l.Allocate(ctx, true, credit.AllocateRequest{Pool: "q1", App: credit.AppAudienceWorkflows, Amount: 100, User: "admin", At: now})

	// Purchase up to 5 contacts at 4 credits each; 3 were found.
	req := credit.ReserveRequest{App: credit.AppAudienceWorkflows, Key: "wf1/acme/purchase", Credits: 20, Contacts: 5,
		User: "ann", UserType: "rep", At: now}
	r, _ := l.Reserve(ctx, req)
	fmt.Println(r.State, r.Credits)
	_, _ = l.Commit(ctx, credit.CommitRequest{Key: r.Key, Credits: 12, Contacts: 3, At: now})

	// The run crashed before recording the outcome and is retried.
	r, _ = l.Reserve(ctx, req)
	fmt.Println(r.State, r.Spent)

	b, _ := l.Balance(ctx, credit.AppAudienceWorkflows, now)
	fmt.Printf("allocated %d, spent %d, available %d\n", b.Allocated, b.Spent, b.Available)
	// Output:
	// held 20
	// committed 12
	// allocated 100, spent 12, available 88
}

// Running out of credits is a typed error carrying the amounts.
func ExampleInsufficientError() {
	ctx := context.Background()
	now := time.Date(2021, 3, 10, 9, 0, 0, 0, time.UTC)
	l := credit.NewLedger(memstore.New(), credit.Options{})
	_ = l.CreatePool(ctx, true, credit.Pool{ID: "march", Start: time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), Total: 10})
	_, _ = l.Allocate(ctx, true, credit.AllocateRequest{Pool: "march", App: credit.AppAudienceWorkflows, Amount: 10, At: now})

	_, err := l.Reserve(ctx, credit.ReserveRequest{App: credit.AppAudienceWorkflows, Key: "k", Credits: 25, At: now})
	var ie *credit.InsufficientError
	if errors.Is(err, credit.ErrInsufficientCredits) && errors.As(err, &ie) {
		fmt.Println("requested", ie.Requested, "available", ie.Available)
	}
	// Output:
	// requested 25 available 10
}

// Only administrators distribute credits; the caller maps its roles to
// the admin flag.
func ExampleLedger_Allocate() {
	ctx := context.Background()
	now := time.Date(2021, 3, 10, 9, 0, 0, 0, time.UTC)
	l := credit.NewLedger(memstore.New(), credit.Options{})
	_ = l.CreatePool(ctx, true, credit.Pool{ID: "march", Start: time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), Total: 100})

	req := credit.AllocateRequest{Pool: "march", App: credit.AppDataWorkflows, Amount: 60, User: "bob", At: now}
	_, err := l.Allocate(ctx, false, req)
	fmt.Println(errors.Is(err, credit.ErrForbidden))
	b, _ := l.Allocate(ctx, true, req)
	fmt.Println(b.Allocated, b.Available)
	req.App, req.Amount = credit.AppSalesIntelligence, 50
	_, err = l.Allocate(ctx, true, req)
	fmt.Println(errors.Is(err, credit.ErrOverAllocated))
	// Output:
	// true
	// 60 60
	// true
}

// Monthly limits count contacts per UTC calendar month and reset when it
// turns.
func ExampleLimits() {
	ctx := context.Background()
	year := credit.Pool{ID: "2021", Start: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Total: 1000}
	l := credit.NewLedger(memstore.New(), credit.Options{Limits: credit.Limits{PerUserType: map[string]int64{"rep": 10}}})
	_ = l.CreatePool(ctx, true, year)
	_, _ = l.Allocate(ctx, true, credit.AllocateRequest{Pool: "2021", App: credit.AppAudienceWorkflows, Amount: 1000, At: year.Start})

	buy := func(key string, at time.Time) error {
		_, err := l.Reserve(ctx, credit.ReserveRequest{App: credit.AppAudienceWorkflows, Key: key, Credits: 8, Contacts: 8,
			User: "ann", UserType: "rep", At: at})
		return err
	}
	march := time.Date(2021, 3, 31, 12, 0, 0, 0, time.UTC)
	fmt.Println(buy("a", march))
	fmt.Println(errors.Is(buy("b", march), credit.ErrMonthlyLimit))
	fmt.Println(buy("b", march.AddDate(0, 0, 1))) // April
	// Output:
	// <nil>
	// true
	// <nil>
}

// Low says to post the "credits low" notice once per period.
func ExampleLedger_Low() {
	ctx := context.Background()
	now := time.Date(2021, 3, 10, 9, 0, 0, 0, time.UTC)
	l := credit.NewLedger(memstore.New(), credit.Options{LowPercent: 10})
	_ = l.CreatePool(ctx, true, credit.Pool{ID: "march", Start: time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), Total: 100})
	_, _ = l.Allocate(ctx, true, credit.AllocateRequest{Pool: "march", App: credit.AppAudienceWorkflows, Amount: 100, At: now})
	_, _ = l.Reserve(ctx, credit.ReserveRequest{App: credit.AppAudienceWorkflows, Key: "k", Credits: 95, At: now})

	for range 2 {
		st, _ := l.Low(ctx, credit.AppAudienceWorkflows, now)
		fmt.Println(st.Low, st.Notify, st.Balance.Available)
	}
	// Output:
	// true true 5
	// true false 5
}

// Expire ends a period: its unspent credits do not carry over.
func ExampleLedger_Expire() {
	ctx := context.Background()
	start, end := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC)
	l := credit.NewLedger(memstore.New(), credit.Options{})
	_ = l.CreatePool(ctx, true, credit.Pool{ID: "march", Start: start, End: end, Total: 100})
	_, _ = l.Allocate(ctx, true, credit.AllocateRequest{Pool: "march", App: credit.AppAudienceWorkflows, Amount: 70, At: start})

	es, _ := l.Expire(ctx, end)
	for _, e := range es {
		fmt.Println(e.Kind, e.App, e.Amount)
	}
	h, _ := l.History(ctx, credit.HistoryQuery{Pool: "march", App: credit.AppAudienceWorkflows})
	fmt.Printf("%+v\n", credit.Sum(h))
	// Output:
	// expire audience_workflows 70
	// {Pool:march App:audience_workflows Allocated:70 Reserved:0 Spent:0 Expired:70 Available:0}
}
