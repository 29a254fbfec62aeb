// Package memstore is playgraph's default [store.Store]: everything in
// memory, safe for concurrent use, nothing survives the process.
//
// # Dense account state
//
// Account state is kept per workflow in dense slots rather than in a keyed
// map per concern, so that a million waiting accounts stay small (about 135
// bytes each, id index and a four-step path included; see
// BenchmarkWaitingAccountBytes). A slot (104 bytes, pointer-free, so the
// garbage collector never scans the slot arrays) holds the status, interned
// node name, entry number, failures, entry and wake times as Unix
// nanoseconds, an interned reason, up to four path steps inline (longer
// paths spill into a side table) and the position of the account id in a
// per-workflow byte arena. Account ids are found through a sharded
// open-addressing index (64 shards) that stores only a hash tag and the
// slot number; [store.AccountState.Ref] is the slot number + 1, and
// [Store.Apply] uses it, when it matches the account id, to skip the index.
// Account ids are at most 65535 bytes long.
//
// # Times
//
// Times are stored as instants: what comes back is the same instant in UTC
// (compare with [time.Time.Equal]), without a monotonic clock reading. The
// zero time round-trips as the zero time. Times in account states, intents,
// audit rows and events must lie between the years 1678 and 2262 (int64
// nanoseconds), or the write is [store.ErrInvalid].
//
// # Concurrency
//
// Each workflow has its own read-write lock: [Store.Apply] holds it for
// writing for the whole batch, so a reader never sees half a batch, while
// batches of different workflows run in parallel. Reads take it for
// reading. Iterators ([Store.ScanStates], [Store.PendingIntents]) copy a
// chunk at a time and never hold a lock while the loop body runs, so the
// body may call Apply. Engagement events are sharded by account id.
//
// # Copies
//
// Everything is copied on the way in and on the way out: a caller may reuse
// the slices it passed, and mutating a returned value (a path, an intent's
// items or contacts, a run's counts, a workflow's JSON) never changes what
// the store holds.
package memstore
