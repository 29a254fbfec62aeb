package sqlite

import (
	"context"
	"database/sql"

	"github.com/playgraph/playgraph/audience"
)

// Purchased contacts live in table purchased, one row per (workflow,
// account, contact id), the contact's other fields one BLOB of
// length-prefixed strings.

// appendContactFields appends c's fields other than its two ids.
func appendContactFields(dst []byte, c *audience.Contact) []byte {
	fs := contactFields(c)
	for _, f := range fs[2:] {
		dst = appendString(dst, *f)
	}
	return dst
}

func decodeContactFields(b []byte, c *audience.Contact) error {
	var err error
	fs := contactFields(c)
	for _, f := range fs[2:] {
		if *f, b, err = readString(b); err != nil {
			return err
		}
	}
	if len(b) != 0 {
		return errCorrupt
	}
	return nil
}

// PutPurchased implements [store.PurchasedStore], in one write
// transaction with multi-row upserts: a contact already stored for the
// account is replaced and keeps its place. A contact without an id or an
// account id is [store.ErrInvalid], and then none is stored.
func (s *Store) PutPurchased(ctx context.Context, workflowID string, contacts []audience.Contact) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	if workflowID == "" {
		return invalid("purchased: empty workflow id")
	}
	for _, c := range contacts {
		if c.AccountID == "" || c.ID == "" {
			return invalid("purchased: contact %q of account %q needs both ids", c.ID, c.AccountID)
		}
	}
	if len(contacts) == 0 {
		return nil
	}
	err := s.write(ctx, func(t wtx) error {
		wid, _, err := ensureWF(ctx, t, workflowID)
		if err != nil {
			return err
		}
		var buf []byte
		return execRows(ctx, t, `INSERT INTO purchased (wid, account, contact, fields) VALUES `,
			` ON CONFLICT (wid, account, contact) DO UPDATE SET fields = excluded.fields`,
			4, len(contacts), func(i int, args []any) []any {
				c := &contacts[i]
				start := len(buf)
				buf = appendContactFields(buf, c)
				return append(args, wid, c.AccountID, c.ID, buf[start:len(buf):len(buf)])
			})
	})
	if err != nil {
		return wrap("put purchased", err)
	}
	return nil
}

// Purchased implements [store.PurchasedStore]: accounts with no contacts
// are left out of the map.
func (s *Store) Purchased(ctx context.Context, workflowID string, accountIDs []string) (map[string][]audience.Contact, error) {
	if err := s.live(ctx); err != nil {
		return nil, err
	}
	out := map[string][]audience.Contact{}
	seen := make(map[string]bool, len(accountIDs))
	uniq := make([]string, 0, len(accountIDs))
	for _, id := range accountIDs {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	err := s.read(ctx, func(t rtx) error {
		wid, _, ok, err := wfKey(ctx, t, workflowID)
		if err != nil || !ok {
			return err
		}
		return queryIn(ctx, t, `SELECT account, contact, fields FROM purchased WHERE wid = ? AND account IN (`,
			`) ORDER BY account, pk`, []any{wid}, len(uniq),
			func(i int) any { return uniq[i] },
			func(rows *sql.Rows) error {
				var c audience.Contact
				var fields []byte
				if err := rows.Scan(&c.AccountID, &c.ID, &fields); err != nil {
					return err
				}
				if err := decodeContactFields(fields, &c); err != nil {
					return err
				}
				out[c.AccountID] = append(out[c.AccountID], c)
				return nil
			})
	})
	if err != nil {
		return nil, wrap("purchased", err)
	}
	return out, nil
}

// ForgetPurchased implements [store.PurchasedStore], in one write
// transaction. [Store.Forget] also deletes the account's purchased
// contacts, in its own transaction.
func (s *Store) ForgetPurchased(ctx context.Context, workflowID, accountID, contactID string) error {
	if err := s.live(ctx); err != nil {
		return err
	}
	err := s.write(ctx, func(t wtx) error {
		wid, _, ok, err := wfKey(ctx, t, workflowID)
		if err != nil || !ok {
			return err
		}
		if contactID == "" {
			_, err = t.exec(ctx, q(`DELETE FROM purchased WHERE wid = ? AND account = ?`), wid, accountID)
		} else {
			_, err = t.exec(ctx, q(`DELETE FROM purchased WHERE wid = ? AND account = ? AND contact = ?`), wid, accountID, contactID)
		}
		return err
	})
	if err != nil {
		return wrap("forget purchased", err)
	}
	return nil
}
