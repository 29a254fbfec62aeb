// Package store defines playgraph's persistence as small interfaces, one per
// concern, in the manner of hashicorp/raft's LogStore: workflows and versions
// ([WorkflowStore]), account state and the engine's atomic step
// ([StateStore]), action intents ([IntentStore]), runs and audit rows
// ([RunStore]), engagement events ([EngagementStore]), the inbox
// ([InboxStore]), run leases with fencing tokens ([LeaseStore]) and erasure
// of personal data ([Eraser]). [Store] is their union.
//
// Methods work in batches and take a context first. The one atomic step is
// [StateStore.Apply]: an action's outcome is recorded and its account
// advanced together, so a crash leaves either the old state with the intent
// still pending (re-sent under the same key on the next run) or the new
// state with the intent resolved (never re-sent).
//
// Concerns added later (purchased contacts, the credit ledger) arrive as new
// optional interfaces that the engine detects with a type assertion; an
// interface a user already implements never changes.
//
// Package store/memstore is the default in-memory implementation;
// store/storetest holds the conformance suites every implementation runs.
package store
