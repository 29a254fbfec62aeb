package fake_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
)

var ctx = context.Background()

func acct(id string) *audience.Account {
	return &audience.Account{ID: id, Name: "Co " + id, Domain: id + ".com"}
}

func items(ids ...string) []connector.AccountItem {
	out := make([]connector.AccountItem, len(ids))
	for i, id := range ids {
		out[i] = connector.AccountItem{Key: "k-" + id, Account: acct(id)}
	}
	return out
}

func TestRecordsCallsAndItems(t *testing.T) {
	f := fake.New("ads")
	if f.Name() != "ads" || len(connector.Capabilities(f)) != len(connector.AllCapabilities()) {
		t.Fatalf("capabilities: %v", connector.Capabilities(f))
	}
	rs, err := f.AddToAudience(ctx, "aud1", items("a", "b"))
	if err != nil || len(rs) != 2 || !rs[0].OK() || !rs[1].OK() {
		t.Fatal(rs, err)
	}
	if _, err := f.ReadEngagement(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.RemoveFromAudience(ctx, "aud1", items("a")); err != nil {
		t.Fatal(err)
	}
	if got := f.Audience("aud1"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("Audience = %v", got)
	}
	calls := f.Calls()
	if len(calls) != 3 || calls[0].Seq != 1 || calls[0].Op != fake.OpAddToAudience || !slices.Equal(calls[0].Keys, []string{"k-a", "k-b"}) {
		t.Errorf("Calls = %+v", calls)
	}
	if r := f.Reads(); len(r) != 1 || r[0].Op != fake.OpReadEngagement {
		t.Errorf("Reads = %+v", r)
	}
	if w := f.Writes(); len(w) != 2 {
		t.Errorf("Writes = %+v", w)
	}
	if got := f.Items(fake.OpAddToAudience); len(got) != 2 || got[1].AccountID != "b" || got[1].Target != "aud1" {
		t.Errorf("Items = %+v", got)
	}
	if len(f.Items("")) != 3 {
		t.Error("Items(all)")
	}
	if f.Count("k-a") != 2 || f.Count("k-b") != 1 {
		t.Errorf("Count: %d %d", f.Count("k-a"), f.Count("k-b"))
	}
	if fake.OpPurchase.Capability() != connector.CapContactPurchase || !fake.OpFindRecords.IsRead() || fake.OpEndRun.IsRead() {
		t.Error("Op helpers")
	}
	// Empty key: permanent.
	rs, _ = f.AddToAudience(ctx, "aud1", []connector.AccountItem{{Account: acct("z")}})
	if rs[0].Status != connector.StatusPermanent || !errors.Is(rs[0].Err, connector.ErrMissingKey) {
		t.Errorf("no key: %+v", rs[0])
	}
}

func TestDedupe(t *testing.T) {
	profile := &connector.MappingProfile{Name: "p", Kind: connector.KindContact, Environment: connector.Production,
		Fields: []connector.FieldMapping{{From: "contact.email", To: "Email"}}}
	rec := func(key, email string) connector.RecordItem {
		return connector.RecordItem{Key: key, Record: connector.NewRecord("", connector.KindContact, map[string]any{"Email": email})}
	}
	for _, dedupe := range []bool{false, true} {
		t.Run(fmt.Sprint("dedupe=", dedupe), func(t *testing.T) {
			var opts []fake.Option
			if dedupe {
				opts = append(opts, fake.WithDedupe())
			}
			f := fake.New("crm", opts...)
			batch := []connector.RecordItem{rec("c1", "a@x.com"), rec("c2", "b@x.com")}
			r1, err := f.WriteRecords(ctx, profile, batch)
			if err != nil {
				t.Fatal(err)
			}
			r2, err := f.WriteRecords(ctx, profile, batch)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Received(fake.OpWriteRecords)) != 4 || len(f.Delivered(fake.OpWriteRecords)) != 2 || f.Repeats() != 2 {
				t.Errorf("received %d delivered %d", len(f.Received(fake.OpWriteRecords)), len(f.Delivered(fake.OpWriteRecords)))
			}
			wantStored := 4
			if dedupe {
				wantStored = 2
				if r1[0].ID != r2[0].ID {
					t.Errorf("dedupe gave new ids: %q %q", r1[0].ID, r2[0].ID)
				}
			}
			if got := len(f.Records(connector.KindContact)); got != wantStored {
				t.Errorf("stored %d records, want %d", got, wantStored)
			}
		})
	}
}

func TestScriptedFailures(t *testing.T) {
	f := fake.New("crm")
	f.FailKey("k-a", connector.StatusTransient, 2)
	f.Fail(fake.Failure{Match: func(it fake.Item) bool { return it.AccountID == "b" }, Status: connector.StatusPermanent, Times: -1})
	f.Fail(fake.Failure{Match: func(it fake.Item) bool { return it.AccountID == "c" }, RetryAfter: time.Minute, Times: 1})
	for attempt := 1; attempt <= 3; attempt++ {
		rs, err := f.PushAccounts(ctx, "camp", items("a", "b", "c", "d"))
		if err != nil {
			t.Fatal(err)
		}
		wantA := connector.StatusTransient
		if attempt == 3 {
			wantA = connector.StatusDone
		}
		wantC := connector.StatusDone
		if attempt == 1 {
			wantC = connector.StatusTransient
			if rs[2].RetryAfter != time.Minute {
				t.Errorf("RetryAfter %v", rs[2].RetryAfter)
			}
		}
		if rs[0].Status != wantA || rs[1].Status != connector.StatusPermanent || rs[2].Status != wantC || !rs[3].OK() {
			t.Errorf("attempt %d: %+v", attempt, rs)
		}
		if !errors.Is(rs[1].Err, fake.ErrScripted) {
			t.Error(rs[1].Err)
		}
	}
	if got := f.Campaign("camp"); !slices.Equal(got, []string{"a", "c", "d"}) {
		t.Errorf("Campaign = %v", got)
	}

	// Whole-call failures: the next two calls of one op, then a permanent one.
	f.FailCalls(fake.OpEnrollEmail, nil, 2)
	f.FailCalls("", connector.MarkPermanent(errors.New("revoked")), 1)
	ci := []connector.ContactItem{{Key: "p1", Contact: &audience.Contact{ID: "p1", AccountID: "a"}}}
	for i := range 2 {
		if _, err := f.EnrollEmail(ctx, "e", ci); !errors.Is(err, fake.ErrScripted) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := f.PushContacts(ctx, "camp", ci); !errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("permanent call: %v", err)
	}
	rs, err := f.EnrollEmail(ctx, "e", ci)
	if err != nil || !rs[0].OK() {
		t.Fatal(rs, err)
	}
	if got := f.Campaign("email:e"); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("email members %v", got)
	}
	failedCalls := 0
	for _, c := range f.Calls() {
		if c.Err != nil {
			failedCalls++
		}
	}
	if failedCalls != 3 {
		t.Errorf("failed calls recorded: %d", failedCalls)
	}
	// Failed attempts are items too.
	if n := len(f.Items(fake.OpEnrollEmail)); n != 3 {
		t.Errorf("email items %d", n)
	}
	f.Reset()
	f.FailCalls("", nil, 0) // zero times: no effect
	if _, err := f.EnrollEmail(ctx, "e", ci); err != nil {
		t.Error(err)
	}
	// A cancelled context fails the call.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.PushAccounts(cctx, "camp", items("x")); !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
}

func TestPurchase(t *testing.T) {
	f := fake.New("6sense")
	vp := audience.Contact{ID: "c1", Title: "VP Marketing", JobLevel: "VP"}
	f.AddStock("a",
		vp,
		audience.Contact{ID: "c2", Title: "Marketing Director", JobLevel: "Director"},
		audience.Contact{ID: "c3", Title: "VP Sales", JobLevel: "VP"},
		audience.Contact{ID: "c4", Title: "Engineer", JobLevel: "Staff"},
	)
	req := connector.PurchaseRequest{Persona: audience.Persona{TitleKeywords: []string{"marketing"}}, MaxPerAccount: 5}
	n, err := f.CountAvailable(ctx, req, []*audience.Account{acct("a"), acct("none"), nil})
	if err != nil || !slices.Equal(n, []int{2, 0, 0}) {
		t.Fatal(n, err)
	}
	req.MaxPerAccount = 1
	if n, _ := f.CountAvailable(ctx, req, []*audience.Account{acct("a")}); n[0] != 1 {
		t.Errorf("capped count %v", n)
	}
	ps, err := f.Purchase(ctx, req, items("a", "none"))
	if err != nil || len(ps) != 2 || len(ps[0].Contacts) != 1 || ps[0].Contacts[0].ID != "c1" || ps[0].Contacts[0].AccountID != "a" || len(ps[1].Contacts) != 0 {
		t.Fatalf("%+v %v", ps, err)
	}
	if f.Stock("a") != 3 {
		t.Errorf("stock %d", f.Stock("a"))
	}
	// Same key: same contacts, no more stock taken.
	ps, _ = f.Purchase(ctx, req, items("a"))
	if len(ps[0].Contacts) != 1 || ps[0].Contacts[0].ID != "c1" || f.Stock("a") != 3 {
		t.Errorf("repeat: %+v stock %d", ps, f.Stock("a"))
	}
	if b := f.Bought(); len(b) != 1 {
		t.Errorf("Bought %v", b)
	}
	// A new key buys the next match.
	ps, _ = f.Purchase(ctx, req, []connector.AccountItem{{Key: "k-a-2", Account: acct("a")}})
	if len(ps[0].Contacts) != 1 || ps[0].Contacts[0].ID != "c2" {
		t.Errorf("second purchase %+v", ps)
	}
	f.FailKey("k-b", connector.StatusTransient, 1)
	f.AddStock("b", vp)
	ps, _ = f.Purchase(ctx, req, items("b"))
	if ps[0].OK() || ps[0].Contacts != nil || f.Stock("b") != 1 {
		t.Errorf("failed purchase took stock: %+v", ps)
	}
	f.FailCalls(fake.OpCountAvailable, nil, 1)
	if _, err := f.CountAvailable(ctx, req, nil); err == nil {
		t.Error("scripted count failure")
	}
}

func TestFindEngagementEndRun(t *testing.T) {
	f := fake.New("crm", fake.WithEnvironment(connector.Sandbox))
	f.AddRecords(
		connector.NewRecord("001", connector.KindAccount, map[string]any{"Name": "Acme", "Website": "https://www.acme.com"}),
		connector.NewRecord("002", connector.KindAccount, map[string]any{"Name": "Globex"}),
		connector.NewRecord("003", connector.KindContact, map[string]any{"Email": "BOB@acme.com"}),
	)
	got, err := f.FindRecords(ctx, connector.FindQuery{Kind: connector.KindAccount, Domains: []string{"acme.com"}})
	if err != nil || len(got) != 1 || got[0].ID != "001" {
		t.Errorf("by domain: %+v %v", got, err)
	}
	got, _ = f.FindRecords(ctx, connector.FindQuery{Kind: connector.KindContact, Emails: []string{"bob@acme.com"}})
	if len(got) != 1 || got[0].ID != "003" {
		t.Errorf("by email: %+v", got)
	}
	got, _ = f.FindRecords(ctx, connector.FindQuery{Kind: connector.KindAccount})
	if len(got) != 2 {
		t.Errorf("all: %+v", got)
	}
	// Feeding a match index.
	idx, err := connector.NewMatchIndex(connector.MatchRules{Kind: connector.KindAccount, Blocks: []connector.MatchBlock{{Fields: []connector.MatchField{{Ours: "domain", Theirs: "Website", Type: connector.MatchDomain}}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.Add(got...)
	if id, ok := idx.Match(&audience.Account{Domain: "acme.com"}, nil); !ok || id != "001" {
		t.Errorf("index: %q %v", id, ok)
	}

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.AddEvents(
		audience.Event{AccountID: "a", Kind: audience.KindClick, At: t0.Add(2 * time.Hour)},
		audience.Event{AccountID: "b", Kind: audience.KindReply, At: t0.Add(time.Hour)},
		audience.Event{AccountID: "c", Kind: audience.KindVisit, At: t0.Add(-time.Hour)},
	)
	ev, err := f.ReadEngagement(ctx, t0)
	if err != nil || len(ev) != 2 || ev[0].AccountID != "b" {
		t.Errorf("events %+v %v", ev, err)
	}

	p := &connector.MappingProfile{Name: "prod", Kind: connector.KindAccount, Environment: connector.Production, Fields: []connector.FieldMapping{{From: "name", To: "Name"}}}
	if err := f.CheckProfile(p); !errors.Is(err, connector.ErrEnvironment) {
		t.Errorf("CheckProfile: %v", err)
	}
	if _, err := f.WriteRecords(ctx, p, nil); !errors.Is(err, connector.ErrPermanent) || !errors.Is(err, connector.ErrEnvironment) {
		t.Errorf("WriteRecords wrong env: %v", err)
	}
	p.Environment = connector.Sandbox
	rs, err := f.WriteRecords(ctx, p, []connector.RecordItem{{Key: "w1", Record: connector.Record{Fields: []string{"Name"}, Values: []any{"Hooli"}}}})
	if err != nil || rs[0].ID == "" {
		t.Fatal(rs, err)
	}
	pub, err := f.EndRun(ctx, connector.RunInfo{Workflow: "wf", Run: "r1"})
	if err != nil || pub.Items != 1 || pub.Location == "" || len(f.Runs()) != 1 {
		t.Errorf("EndRun %+v %v", pub, err)
	}
	if pub, _ := f.EndRun(ctx, connector.RunInfo{Run: "r2"}); pub.Items != 0 {
		t.Errorf("second EndRun %+v", pub)
	}
	if f.String() == "" {
		t.Error("String")
	}
}

func TestConcurrent(t *testing.T) {
	f := fake.New("ads", fake.WithDedupe(), fake.WithLimits(connector.Limits{MaxBatch: 10}))
	if f.Limits().MaxBatch != 10 {
		t.Error("limits")
	}
	f.Fail(fake.Failure{Match: func(it fake.Item) bool { return it.AccountID[len(it.AccountID)-1] == '7' }, Times: 1})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprintf("a%d", i)
				for {
					rs, err := f.AddToAudience(ctx, "aud", items(id))
					if err == nil && rs[0].OK() {
						break
					}
				}
				_ = g
				f.Calls()
				f.Delivered("")
			}
		})
	}
	wg.Wait()
	if n := len(f.Delivered(fake.OpAddToAudience)); n != 50 {
		t.Errorf("delivered %d", n)
	}
	if n := len(f.Received(fake.OpAddToAudience)); n != 400 {
		t.Errorf("received %d", n)
	}
	if n := len(f.Audience("aud")); n != 50 {
		t.Errorf("members %d", n)
	}
}
