// Package sqlite is playgraph's durable [store.Store]: every concern kept
// in one SQLite file, through modernc.org/sqlite (SQLite translated to Go:
// no cgo). A process that is killed, at any moment, loses nothing it was
// told was written, and a host may run several processes on one file.
//
//	s, err := sqlite.Open(ctx, "/var/lib/myapp/playgraph.db")
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//
// The store passes store/storetest unchanged (the credit ledger's suite
// included) and behaves as store/memstore does wherever the interfaces
// leave a choice (ordering, copies, tombstones, which workflow a run
// belongs to). Besides [store.Store] it implements the optional concerns
// [store.PurchasedStore] (contacts bought by workflows) and
// [credit.Store] (the credit ledger).
//
// # Durability
//
// Every write is one transaction. [Store.Apply], the engine's atomic
// step, writes its whole batch — states, intents, resolved intents and
// audit rows — in one transaction begun with BEGIN IMMEDIATE, and checks
// the batch's fence (the run lease token) inside it; it returns nil only
// once COMMIT has returned. Either the batch is in the file or none of it
// is: after a crash the engine finds the old state with the intent still
// pending (and re-sends it under the same key) or the new state with the
// intent resolved (and never re-sends it).
//
// What a committed transaction survives depends on the synchronous level:
//
//   - [SyncFull] (the default): the write-ahead log is synced at every
//     commit. A committed transaction survives the process being killed
//     (SIGKILL, OOM killer, panic), a kernel crash and a power loss.
//   - [SyncNormal] ([WithSync]): the log is synced only at checkpoints. A
//     commit is written to the log, in the operating system's page cache,
//     before Apply returns, so it survives the process being killed just
//     the same; a kernel crash or a power loss may roll back the last
//     transactions (never half of one, and never corrupting the file).
//     It saves a sync per commit, which matters on disks whose sync is
//     slow and little on those where it is not (see BENCH.txt).
//
// TestKillSafety re-executes the test binary as a child applying batches
// in a loop, reserving credits before each batch and committing or
// releasing them after it, and SIGKILLs it at random moments (24 times,
// with both levels): each time the file opens cleanly, passes
// integrity_check, holds every batch the child reported committed and no
// batch by half, and its ledger balances (the history sums to the
// balance; every reservation's entries are whole).
//
// # Pragmas
//
// Every connection runs with:
//
//   - journal_mode=WAL: readers never block the writer nor the writer
//     readers; a commit appends to the log and a checkpoint (SQLite's
//     automatic one, every 1000 pages, or [Store.Checkpoint]) copies it
//     into the file.
//   - busy_timeout (default 10s, [WithBusyTimeout]): a connection that
//     finds the file's write lock taken waits for it rather than failing.
//   - foreign_keys=ON: a workflow's rows reference its key, and deleting
//     the workflow deletes them (ON DELETE CASCADE).
//   - synchronous=FULL or NORMAL, as above.
//   - temp_store=MEMORY and cache_size (default 32 MiB per connection,
//     [WithCacheSize]).
//
// Read connections also run with query_only=ON.
//
// # Several processes on one file
//
// A Store keeps one write connection and a pool of read connections
// ([WithReaders], default 4). Writes of one process queue on its write
// connection; writes of several processes contend for the file's write
// lock: every write transaction begins with BEGIN IMMEDIATE, which takes
// the lock before the transaction reads anything, so that no transaction
// fails halfway for want of it. A writer that finds the lock taken polls
// for it every 50µs to 1ms (jittered), up to the busy timeout, rather than
// through SQLite's busy handler, whose sleeps grow to 100ms: a process
// sleeping that long against one that writes back to back would rarely
// find the lock free (TestCreditsTwoProcesses checks that two processes
// spending at once interleave). Keep the busy timeout above the longest
// run of transactions any process sharing the file holds the lock for (a
// batch of a few thousand accounts takes tens of milliseconds). Reads see
// the last committed state and never wait for writers.
//
// Everything that must hold across processes is checked inside the
// transaction that acts on it: a lease's grant (holder, expiry, token)
// with its check, an Apply's fence with its writes, a workflow's revision
// with PutWorkflow, a version's write-once rule with PutVersion, a credit
// reservation's balance and monthly limits with its hold. So two engines
// in two processes never run one workflow at once: the second
// AcquireLease fails with [store.ErrLeaseHeld] while the first's lease is
// live, and once it has expired and been granted again, the first's
// writes fail with [store.ErrFenced]. TestLeaseTwoProcesses races two
// processes for a lease and checks that they are never both inside.
//
// # The credit ledger
//
// Every [credit.Store] method is one transaction, the writes begun with
// BEGIN IMMEDIATE. Reserve reads the reservation under its key, the pool
// covering its time, the month's contact usage and the allocation row,
// checks them, and then updates the allocation and the usage, writes the
// reservation and appends its history entry, all before COMMIT; since the
// write lock is taken before the first read, no process can spend the
// same credits between the check and the hold. Commit, Release, Allocate,
// SetPoolTotal, Expire and MarkNotified likewise. The allocation rows
// also carry a CHECK constraint (available >= 0 and available = allocated
// − reserved − spent − expired), so the file itself refuses an overspent
// row. History is table credit_entries in seq order (an AUTOINCREMENT
// key: Entry.Seq is never reused). TestCreditsTwoProcesses runs two
// processes reserving, committing and releasing from one small allocation
// until it is spent: neither overspends, spent + reserved + available
// equals the allocation, and the history's running balance never goes
// negative.
//
// # Purchased contacts
//
// Table purchased keeps one row per (workflow, account, contact id);
// putting a contact again updates its row in place, so an account's
// contacts come back in the order first stored. [Store.Forget] deletes the
// account's contacts in the workflow in its own transaction (the engine
// also calls ForgetPurchased), and deleting a workflow deletes its
// contacts (store/memstore keeps them until ForgetPurchased).
//
// The one thing a process caches is the names it has interned (below),
// which are never renumbered, so the cache cannot go stale.
//
// The file must be on a local file system: WAL mode shares memory (the
// -shm file) between the processes that use the file, which network file
// systems do not provide. Keep the -wal and -shm files beside the
// database; copy a live store with SQLite's backup API or VACUUM INTO, or
// call [Store.Checkpoint] and copy the file while no process writes.
//
// # Schema versions
//
// The schema is a list of migrations; table schema_version records those
// applied (the version and when). [Open] applies the missing ones in one
// write transaction, so an older file is upgraded in place (and two
// processes opening it at once upgrade it once), and refuses a file
// written by a newer build with an error wrapping [ErrSchemaTooNew],
// touching nothing. An empty or new file is version 0; an SQLite file with
// tables but no schema_version is refused with [ErrNotStore]. A released
// migration is never edited: a change is a new migration, and a concern
// added later arrives as one. Version 1 holds workflows, versions,
// states, intents, runs, audit and leases; 2 engagement events and the
// inbox; 3 purchased contacts; 4 the credit ledger; 5 keeps tombstones
// apart from live ids in the account index. [SchemaVersion] is the
// version this build writes; testdata/v1.db is a version-1 file kept to
// test upgrades against.
//
// # Layout
//
// Keys are dense integers, and rows that are read together are stored
// together:
//
//   - A workflow id maps to an integer wid (table wfs; never reused).
//   - An account's row in a workflow has the rowid ref = wid<<40 | n, n
//     counting the workflow's accounts from 1 in first-insertion order, so
//     a workflow's accounts are one contiguous range scanned in order;
//     [store.AccountState.Ref] is this rowid, and Apply uses it, once it
//     has checked that the row holds the account, to skip the id index.
//     A tombstone keeps its row, its id replaced by [store.HashID].
//   - An audit row's rowid is rk<<32 | n, rk the run's key, n its append
//     position: a run's log is one range, deleted with the run.
//   - Node ids, output paths and audit events are interned per workflow
//     (table names) and stored as small integers.
//   - A state's entry, failures, times, reason and path are one BLOB of
//     varints (a path step is its node and output name numbers and its
//     time as a difference from the state's entry time); intents and audit
//     rows likewise. Status and node stay columns, for Counts.
//
// Writes of many rows are multi-row INSERTs (up to a thousand bound
// values a statement), prepared once per write connection. A waiting
// account with a four-step path takes about 105 bytes of file.
//
// # Times
//
// Times are stored as Unix nanoseconds: what comes back is the same
// instant in UTC, without a monotonic reading; the zero time round-trips.
// Times must lie between the years 1678 and 2262, or the write is
// [store.ErrInvalid].
//
// # Iterators
//
// [Store.ScanStates] and [Store.PendingIntents] read a chunk (256) at a
// time, each in its own read transaction, and hold no transaction while
// the loop body runs, so the body may call Apply. They are not snapshots:
// a state changed during the scan may be seen before or after the change.
package sqlite
