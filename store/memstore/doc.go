// Package memstore is playgraph's default [store.Store]: everything in
// memory, safe for concurrent use, nothing survives the process.
//
// # Dense account state
//
// Account state is kept per workflow in dense slots rather than in a keyed
// map per concern, so that a million waiting accounts stay small (about 100
// bytes each, id index and a four-step path included; see
// BenchmarkWaitingAccountBytes). A slot (64 bytes, pointer-free, so the
// garbage collector never scans the slot arrays) holds the status, interned
// node name, entry number, failures, an interned reason, the entry and wake
// times and up to four path steps inline (longer paths spill into a side
// table), and the position of the account id in a per-workflow byte arena.
// Times are interned too: each is an index into the workflow's table of
// distinct instants (a run writes one "now" and the wake times computed
// from it, so the table stays small; it only grows, so a host writing its
// own per-account times through Apply pays about 20 bytes per distinct
// instant). Slots and ids live in chunks of at most 16 KiB (the first slot
// chunk grows by copying up to 256 slots) that are never copied or moved
// afterwards, so a big entry run grows the heap by small allocations.
// Account ids are found through a sharded open-addressing index (256
// shards, each table in chunks of at most 16 KiB too) that stores only a
// hash tag and the slot number;
// [store.AccountState.Ref] is the slot number + 1, and [Store.Apply] uses
// it, when it matches the account id, to skip the index.
//
// Limits: account ids are at most 65535 bytes long; a workflow holds at
// most 65535 distinct node and path names and 2³²−1 distinct times, and
// about 2³² accounts and 16 GiB of account ids (far beyond what a process
// holds at about 100 bytes per account). An Apply beyond any of these is
// [store.ErrInvalid] and writes nothing (a refused batch's names and times
// are not kept either); so is a [Store.Forget] whose tombstone (the hashed
// id, 32 bytes, written in the id's place when the id is at least as long)
// finds no room in its shard's id arena.
//
// # Pending intents
//
// A pending intent keyed by a [store.ActionKey] whose account id needed no
// escaping ([store.ActionKeyAccount] reads it), whose Account is that
// account, and whose account has a state, is kept beside the account's
// slot: one 64-byte record in a chunk that mirrors the slot chunk,
// allocated when one of its slots first records an intent and let go when
// its last one is resolved (each shard keeps at most two empty chunks of
// 16 KiB for reuse: 512 KiB per workflow). The batch's state hints
// ([store.Batch] IntentStates and ResolvedStates) lead Apply to the slot
// without an id look-up; without them, or when one is wrong, the account is
// looked up. Two chunks of a run applied on two cores write the records of
// their own accounts only, where a shared keyed map made them write each
// other's cache lines. Every other intent (a second pending intent of an
// account, an escaped id, an Account other than the key's, no state yet) is
// kept by value in a map of its shard. A key is in one place at a time, so
// either way it is found from the key alone. Recording and resolving an
// account-level intent (one item, the account itself, under the intent's
// own key) allocates nothing.
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
// Each workflow has its own read-write lock. [Store.Apply] holds it in read
// mode and every reader (states, counts, intents, runs, audit) in write
// mode, so a reader never sees half a batch, while two Applies of one
// workflow (two chunks of one run) proceed in parallel: account state and
// pending intents are split into 16 shards by hash, each under its own
// mutex, and an Apply writes its batch shard by shard, starting at a
// different shard each time. Names, times and reasons an Apply has seen
// before are found without a lock. Iterators ([Store.ScanStates],
// [Store.PendingIntents]) copy a chunk at a time and never hold a lock
// while the loop body runs, so the body may call Apply. Engagement events
// are sharded by account id.
//
// # Copies
//
// Everything is copied on the way in and on the way out: a caller may reuse
// the slices it passed, and mutating a returned value (a path, an intent's
// items or contacts, a run's counts, a workflow's JSON) never changes what
// the store holds.
package memstore
