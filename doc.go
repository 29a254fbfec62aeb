// Package playgraph runs audience workflows: marketing and sales plays drawn
// as a graph, embedded in a Go service.
//
// # The five-minute tour
//
// A workflow starts from a segment: a set of accounts (companies) that a
// [audience.Source] lists afresh on every run. Each account enters at the
// start node and travels along paths from node to node:
//
//   - A decision node is an IF. A yes/no decision sends the account down its
//     "yes" or "no" path according to a filter; a branching decision has
//     ordered named branches, the account takes the first whose filter
//     matches (at most one) or the "all others" path.
//   - An action node is a THEN. It adds the account to an ad-channel audience
//     (6sense display, LinkedIn, Google, Meta), enrols its contacts in
//     conversational email, pushes it or its contacts to a CRM, MAP or sales
//     engagement platform (SEP), buys contacts for credits and saves them to
//     a CRM, a MAP or a CSV file, or creates the account in a CRM. Actions
//     talk to the outside world through connectors (package connector).
//   - A timer node waits: a span of days, hours and minutes, or until a
//     date-time. A timer may carry conditions: the account moves on as soon
//     as they hold (path "met") or when the time is up (path "time_up").
//
// A path is a named output of a node connected to the next node; an output
// left unconnected means the account leaves the flow there.
//
// Filters are written either as numbered conditions joined by a logic line
// ("1 AND (2 OR NOT 3)") or as expressions
// (`buying_stage in ["Decision","Purchase"] && intent_score >= 70`); both
// compile once, when the graph is built (package eval).
//
// A run is one pass over the workflow at a logical time "now": new segment
// members enter, waiting accounts whose timer is due (or whose conditions
// now hold) resume, and every active account advances until it waits, leaves
// or reaches the end. A schedule decides when runs happen: on demand, daily
// or weekly at a local time, or as a pipeline every few minutes.
//
// Before an action is sent, the engine records its intent with a stable
// idempotency key (workflow, node, account, entry number and, for people,
// the contact). A run that dies is simply run again: every outstanding action
// is delivered at least once, every repeat carries the same key, so a
// receiver that dedupes on the key sees each action exactly once.
//
// Credits pay for data: purchasing contacts and creating CRM accounts
// reserve credits from the pool allocated to audience workflows before the
// call, commit what was spent and release the rest.
//
// # Embedding the engine
//
// [New] makes an [Engine] from [Options]: a store (in memory by default;
// store/sqlite's Open gives a durable one from a file path), where segments
// come from, the connector registry, the credit ledger, mapping profiles
// and match rules, a clock, batch size and concurrency, retry and
// retention policies and an observer. Every mutating call a person makes
// takes an [Actor] (user id and role); roles are enforced. The main calls:
//
//   - [Engine.Create], [Engine.Edit], [Engine.Publish] / [Engine.PublishWith]
//     (graph rules plus environment checks, every problem at once; accounts
//     in flight migrate to the new version), [Engine.Unpublish],
//     [Engine.Archive], [Engine.Duplicate], [Engine.Delete], [Engine.List];
//   - [Engine.Run] (one pass now), [Engine.Serve] / [Engine.RunDue] (the
//     scheduler), [Engine.Preview] (the next run simulated, nothing
//     written, with a credit estimate);
//   - [Engine.Where], [Engine.Counts], [Engine.Runs], [Engine.Audit],
//     [Engine.Inbox], [Engine.Activations];
//   - operator controls: [Engine.RetryAccount], [Engine.RemoveAccount],
//     [Engine.Forget], [Engine.ForgetContact], [Engine.DistributeCredits];
//   - [Engine.RecordEngagement], a data feed that takes no actor.
//
// [Templates] are ready plays with blanks to fill. Package playtest runs
// plays in Go test code with a fake clock and fake connectors.
//
// The packages, bottom up: audience (accounts, contacts, segments, the field
// catalogue), eval (the filter language), schedule (spans and schedules),
// node (node kinds and builders), graph (a validated workflow graph, JSON,
// Mermaid), connector (the connector contract and reference connectors),
// credit (the ledger), store (persistence interfaces and the in-memory
// store), this package (the Engine), and playtest (helpers to unit-test
// plays in Go test code).
package playgraph
