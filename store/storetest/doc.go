// Package storetest holds the conformance suites for implementations of
// package store's interfaces, in the manner of testing/fstest: a store
// passes by running them from its own tests.
//
// A store implementing every concern runs them all:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func() store.Store { return mystore.Open(t.TempDir()) })
//	}
//
// A store implementing only some concerns runs the suites of those, each a
// function taking the narrowest interface it needs:
//
//	func TestWorkflows(t *testing.T) {
//		storetest.TestWorkflows(t, func() store.WorkflowStore { return newMyStore(t) })
//	}
//	func TestStates(t *testing.T) {
//		storetest.TestStates(t, func() storetest.StateStore { return newMyStore(t) })
//	}
//
// The constructor is called once per test case and must return an empty
// store (a fresh database, a fresh schema, or a store with everything
// deleted). Suites report failures through t and run their cases as
// subtests, so `go test -run 'Conformance/States/Fencing'` selects one case.
// Where a case needs a second concern (fencing needs a [store.LeaseStore],
// audit rows need [store.StateStore.Apply]) it checks for it with a type
// assertion and is skipped when the store lacks it.
//
// What the suites pin down beyond the interfaces' method docs:
//
//   - Times are instants: a time written in any zone comes back Equal (not
//     necessarily ==), and no behaviour depends on the wall clock.
//   - StateStore.Apply is all or nothing: an invalid batch (an empty
//     account id, intent key, item key, resolved key or audit run; a state
//     with StatusNone or StatusForgotten) is ErrInvalid, and a stale fence
//     ErrFenced, and neither writes anything; concurrent readers
//     (GetStates, Counts) never see half a batch. A batch naming an account
//     twice keeps the last state; intents are written before Resolved keys
//     are removed; an empty batch is a no-op, whatever its fence, but is
//     validated. A wrong Ref never misroutes a write: the account id
//     decides.
//   - ScanStates yields accounts in first-insertion order, and its loop body
//     may call Apply on the same workflow; PendingIntents yields oldest
//     first (by Created, then first written); ListRuns newest first (by
//     StartedAt, then ID descending); Audit in append order;
//     Notifications newest first; ListWorkflows by id.
//   - Results are copies and inputs are copied: mutating either never
//     changes the store.
//   - Leases: tokens strictly increase per name across grants; re-acquiring
//     one's own live lease keeps its token; renewing a superseded or
//     released lease is ErrFenced; releasing a superseded lease is a no-op.
//   - Forget leaves a tombstone: StatusForgotten with the last Entry from
//     GetStates, Account = store.HashID(id) from ScanStates; the id may
//     enter again with a later Entry; a live account whose id equals the
//     hash is another account.
//   - PruneRuns with keep <= 0 sets no count bound, and never prunes a run
//     that has not ended by age.
package storetest
