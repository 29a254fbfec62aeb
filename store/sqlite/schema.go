package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migrations are the schema's versions: migrations[i] brings a file from
// version i to version i+1. A released migration is never edited; a
// change to the schema is a new migration at the end.
var migrations = [...]string{
	// 1: workflows, versions, account state, intents, runs and audit,
	// leases.
	`
CREATE TABLE wfs (
	wid   INTEGER PRIMARY KEY AUTOINCREMENT, -- dense workflow key; never reused
	id    TEXT NOT NULL UNIQUE,
	tombs INTEGER NOT NULL DEFAULT 0,        -- tombstones among its accounts
	iseq  INTEGER NOT NULL DEFAULT 0         -- intents ever written
);
CREATE TABLE workflows (
	wid       INTEGER PRIMARY KEY REFERENCES wfs(wid) ON DELETE CASCADE,
	revision  INTEGER NOT NULL,
	name      TEXT NOT NULL,
	owner     TEXT NOT NULL,
	segment   TEXT NOT NULL,
	tz        TEXT NOT NULL,
	status    INTEGER NOT NULL,
	published INTEGER NOT NULL,
	draft     INTEGER NOT NULL,
	schedule  BLOB,
	options   BLOB,
	reason    TEXT NOT NULL,
	created   INTEGER,
	updated   INTEGER,
	last_run  TEXT NOT NULL
);
CREATE TABLE versions (
	wid        INTEGER NOT NULL REFERENCES wfs(wid) ON DELETE CASCADE,
	number     INTEGER NOT NULL,
	graph      BLOB,
	created    INTEGER,
	created_by TEXT NOT NULL,
	PRIMARY KEY (wid, number)
) WITHOUT ROWID;
-- Node ids, output paths and audit events, interned per workflow.
CREATE TABLE names (
	wid  INTEGER NOT NULL REFERENCES wfs(wid) ON DELETE CASCADE,
	n    INTEGER NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (wid, n),
	UNIQUE (wid, name)
) WITHOUT ROWID;
-- ref = wid<<40 | sequence: a workflow's accounts are one rowid range, in
-- first-insertion order. A tombstone keeps its row with account = HashID.
CREATE TABLE accounts (
	ref     INTEGER PRIMARY KEY,
	wid     INTEGER NOT NULL REFERENCES wfs(wid) ON DELETE CASCADE,
	account TEXT NOT NULL,
	status  INTEGER NOT NULL,
	node    INTEGER NOT NULL,
	state   BLOB NOT NULL -- entry, failures, times, reason and path (codec.go)
);
CREATE UNIQUE INDEX accounts_id ON accounts (wid, account);
-- Pending intents only: an intent is deleted when resolved. seq orders
-- intents by first write (wfs.iseq counts them); a replaced intent keeps
-- its seq.
CREATE TABLE intents (
	wid     INTEGER NOT NULL REFERENCES wfs(wid) ON DELETE CASCADE,
	key     TEXT NOT NULL,
	seq     INTEGER NOT NULL,
	account TEXT NOT NULL,
	created INTEGER NOT NULL,
	intent  BLOB NOT NULL, -- node, entry, attempts and items (codec.go)
	PRIMARY KEY (wid, key)
) WITHOUT ROWID;
-- record is NULL for a run known only from its audit rows.
CREATE TABLE runs (
	rk      INTEGER PRIMARY KEY,
	id      TEXT NOT NULL UNIQUE,
	wid     INTEGER NOT NULL REFERENCES wfs(wid) ON DELETE CASCADE,
	started INTEGER,
	ended   INTEGER,
	record  BLOB
);
CREATE INDEX runs_wf ON runs (wid, started, id);
-- id = rk<<32 | sequence: a run's rows are one rowid range, in append order.
CREATE TABLE audit (
	id      INTEGER PRIMARY KEY,
	account TEXT NOT NULL,
	row     BLOB NOT NULL -- node, event, time and detail (codec.go)
);
CREATE TRIGGER runs_audit AFTER DELETE ON runs BEGIN
	DELETE FROM audit WHERE id BETWEEN old.rk << 32 AND (old.rk << 32) + 4294967295;
END;
CREATE TABLE leases (
	name    TEXT PRIMARY KEY,
	holder  TEXT NOT NULL,  -- '' when released
	token   INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	last    INTEGER NOT NULL -- highest token ever granted
) WITHOUT ROWID;
`,
	// 2: engagement events and the inbox.
	`
CREATE TABLE events (
	account  TEXT NOT NULL,
	at       INTEGER NOT NULL,
	contact  TEXT NOT NULL,
	channel  TEXT NOT NULL,
	campaign TEXT NOT NULL,
	kind     TEXT NOT NULL,
	PRIMARY KEY (account, at, contact, channel, campaign, kind)
) WITHOUT ROWID;
CREATE TABLE notes (
	nk       INTEGER PRIMARY KEY,
	user     TEXT NOT NULL,
	id       TEXT NOT NULL,
	kind     TEXT NOT NULL,
	workflow TEXT NOT NULL,
	run      TEXT NOT NULL,
	message  TEXT NOT NULL,
	at       INTEGER NOT NULL,
	read     INTEGER NOT NULL,
	UNIQUE (user, id)
);
CREATE INDEX notes_user ON notes (user, at);
`,
	// 3: contacts bought by workflows (store.PurchasedStore).
	`
-- One row per (workflow, account, contact); putting a contact again
-- updates its row, so pk orders an account's contacts by first store.
-- fields: the contact's other fields (codec.go). Deleting the workflow
-- deletes them.
CREATE TABLE purchased (
	pk      INTEGER PRIMARY KEY,
	wid     INTEGER NOT NULL REFERENCES wfs(wid) ON DELETE CASCADE,
	account TEXT NOT NULL,
	contact TEXT NOT NULL,
	fields  BLOB NOT NULL,
	UNIQUE (wid, account, contact)
);
`,
	// 4: the credit ledger (credit.Store).
	`
-- Times are Unix nanoseconds (the zero time: the smallest integer).
CREATE TABLE credit_pools (
	pk      INTEGER PRIMARY KEY,
	id      TEXT NOT NULL UNIQUE,
	starts  INTEGER NOT NULL,
	ends    INTEGER NOT NULL,
	total   INTEGER NOT NULL CHECK (total >= 0),
	expired INTEGER NOT NULL DEFAULT 0 -- 1 once Expire ended it
);
CREATE INDEX credit_pools_starts ON credit_pools (starts);
-- An application's allocation in a pool. The CHECK makes the file itself
-- refuse an overspent or unbalanced row.
CREATE TABLE credit_balances (
	pool      INTEGER NOT NULL REFERENCES credit_pools(pk),
	app       TEXT NOT NULL,
	allocated INTEGER NOT NULL,
	reserved  INTEGER NOT NULL,
	spent     INTEGER NOT NULL,
	expired   INTEGER NOT NULL,
	available INTEGER NOT NULL,
	PRIMARY KEY (pool, app),
	CHECK (reserved >= 0 AND spent >= 0 AND expired >= 0 AND available >= 0
		AND available = allocated - reserved - spent - expired)
) WITHOUT ROWID;
-- The history: seq is Entry.Seq (never reused). kind: 1 allocate,
-- 2 reserve, 3 commit, 4 release, 5 expire.
CREATE TABLE credit_entries (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	pool   INTEGER NOT NULL REFERENCES credit_pools(pk),
	app    TEXT NOT NULL,
	kind   INTEGER NOT NULL,
	key    TEXT NOT NULL,
	amount INTEGER NOT NULL,
	user   TEXT NOT NULL,
	at     INTEGER NOT NULL
);
CREATE INDEX credit_entries_pool ON credit_entries (pool);
CREATE INDEX credit_entries_app ON credit_entries (pool, app);
-- state: 1 held, 2 committed, 3 released.
CREATE TABLE credit_reservations (
	key       TEXT PRIMARY KEY,
	pool      INTEGER NOT NULL REFERENCES credit_pools(pk),
	app       TEXT NOT NULL,
	user      TEXT NOT NULL,
	user_type TEXT NOT NULL,
	credits   INTEGER NOT NULL,
	contacts  INTEGER NOT NULL,
	at        INTEGER NOT NULL,
	state     INTEGER NOT NULL,
	spent     INTEGER NOT NULL,
	bought    INTEGER NOT NULL,
	settled   INTEGER NOT NULL
) WITHOUT ROWID;
-- Contacts bought or held per UTC month (year*12 + month - 1) and user
-- type; the organisation's count is their sum.
CREATE TABLE credit_usage (
	month     INTEGER NOT NULL,
	user_type TEXT NOT NULL,
	contacts  INTEGER NOT NULL,
	PRIMARY KEY (month, user_type)
) WITHOUT ROWID;
CREATE TABLE credit_notices (
	pool INTEGER NOT NULL REFERENCES credit_pools(pk),
	app  TEXT NOT NULL,
	kind TEXT NOT NULL,
	PRIMARY KEY (pool, app, kind)
) WITHOUT ROWID;
`,
	// 5: a tombstone's hashed id and a live account whose id happens to
	// equal it may both be in a workflow: the account index tells
	// tombstones (status 6) apart.
	`
DROP INDEX accounts_id;
CREATE UNIQUE INDEX accounts_id ON accounts (wid, account, status = 6);
`,
}

// SchemaVersion is the schema version this build writes: the number of
// migrations it knows.
const SchemaVersion = len(migrations)

const versionTable = `CREATE TABLE schema_version (
	version INTEGER PRIMARY KEY,
	applied INTEGER NOT NULL -- Unix seconds
)`

// migrateTo brings the file's schema to version target in one write
// transaction, so that processes opening a file at once migrate it once.
func (s *Store) migrateTo(ctx context.Context, target int) error {
	err := s.write(ctx, func(t wtx) error {
		cur, err := fileVersion(ctx, t)
		if err != nil {
			return err
		}
		if cur > len(migrations) {
			return fmt.Errorf("%w: the file is at version %d, this build knows up to %d; open it with a newer build", ErrSchemaTooNew, cur, len(migrations))
		}
		if cur == 0 {
			if _, err := s.wc.ExecContext(ctx, versionTable); err != nil {
				return err
			}
		}
		for v := cur + 1; v <= target; v++ {
			if _, err := s.wc.ExecContext(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := s.wc.ExecContext(ctx, `INSERT INTO schema_version (version, applied) VALUES (?, ?)`, v, time.Now().Unix()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", s.path, err)
	}
	return nil
}

// fileVersion reads the schema version of the file: 0 for an empty file.
func fileVersion(ctx context.Context, t wtx) (int, error) {
	rows, err := t.s.wc.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return 0, err
	}
	var tables []string
	has := false
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, err
		}
		if n == "schema_version" {
			has = true
		}
		tables = append(tables, n)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if !has {
		if len(tables) > 0 {
			return 0, fmt.Errorf("%w: it has tables (%s) but no schema_version", ErrNotStore, strings.Join(tables, ", "))
		}
		return 0, nil
	}
	var v sql.NullInt64
	if err := t.s.wc.QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}
