package playtest

// ─── Credits: a clearly marked place for the credit work ───────────────────
//
// TODO(credits): the engine does not take a credit pool yet (purchase
// contacts and create account are refused at publish with rule
// "action-supported"). When the credit work lands, playtest grows:
//
//   - an Option  Credits(pool int64)  that gives New a credit pool (one
//     application allocation, the whole pool) on the engine's credit store,
//     wired through config (see the TODO in playtest.go's config struct);
//   - a fake contact provider with stock: purchase-contacts actions get a
//     *fake.Connector as today, and Account gains an option
//     Stock(n int) that calls fake.Connector.AddStock on the provider(s)
//     the graph names, with contacts built like Contacts(n);
//   - assertions  (p *Play) AssertCreditsSpent(t testing.TB, n int64) bool
//     (sum of RunReport.CreditsSpent over every run, and the pool's balance
//     moved by exactly n) and  (p *Play) AssertCredits(t testing.TB,
//     left int64) bool  (the balance now);
//   - the report in failure messages shows credits spent per run.
//
// The purchase-contacts-csv example (examples/purchase-contacts-csv) comes
// with it.
