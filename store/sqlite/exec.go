package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// stmtKey names a statement: head + rows groups of cols placeholders (or
// an IN list of rows marks when cols is 0; nothing when rows is 0) + tail.
type stmtKey struct {
	head, tail string
	rows, cols int
}

var texts sync.Map // stmtKey → string

func (k stmtKey) text() string {
	if k.rows == 0 {
		return k.head + k.tail
	}
	if t, ok := texts.Load(k); ok {
		return t.(string)
	}
	var t string
	if k.cols == 0 {
		t = k.head + list(k.rows) + k.tail
	} else {
		t = k.head + placeholders(k.rows, k.cols) + k.tail
	}
	texts.Store(k, t)
	return t
}

// q is a statement without a list.
func q(text string) stmtKey { return stmtKey{head: text} }

// runner runs statements in one transaction: a write transaction on the
// Store's write connection (statements prepared once per connection) or a
// read transaction on the read pool.
type runner interface {
	query(ctx context.Context, k stmtKey, args ...any) (*sql.Rows, error)
	exec(ctx context.Context, k stmtKey, args ...any) (sql.Result, error)
	row(ctx context.Context, k stmtKey, args ...any) *sql.Row
}

// wtx is the write transaction in progress. The Store's write mutex is
// held while it lives.
type wtx struct{ s *Store }

func (t wtx) stmt(ctx context.Context, k stmtKey) (*sql.Stmt, error) {
	s := t.s
	if st := s.wstmts[k]; st != nil {
		return st, nil
	}
	st, err := s.wc.PrepareContext(ctx, k.text())
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.wstmts[k] = st
	return st, nil
}

func (t wtx) query(ctx context.Context, k stmtKey, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, k)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t wtx) exec(ctx context.Context, k stmtKey, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, k)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t wtx) row(ctx context.Context, k stmtKey, args ...any) *sql.Row {
	st, err := t.stmt(ctx, k)
	if err != nil {
		// A Row carrying the error: QueryRowContext on a closed
		// connection's statement reports it at Scan.
		return t.s.wc.QueryRowContext(ctx, k.text(), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// rtx is a read transaction.
type rtx struct{ tx *sql.Tx }

func (t rtx) query(ctx context.Context, k stmtKey, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, k.text(), args...)
}

func (t rtx) exec(ctx context.Context, k stmtKey, args ...any) (sql.Result, error) {
	return nil, errors.New("sqlite: write in a read transaction")
}

func (t rtx) row(ctx context.Context, k stmtKey, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, k.text(), args...)
}

// maxRows is the most rows one multi-row statement of cols columns binds:
// the largest power of two keeping it under 1000 parameters.
func maxRows(cols int) int {
	k := 1
	for 2*k*cols < 1000 {
		k *= 2
	}
	return k
}

// execRows writes n rows with multi-row statements head (…),(…) tail, in
// chunks of maxRows(cols) rows and then powers of two, so that a handful of
// prepared statements serve every batch size. row appends row i's cols
// values to args.
func execRows(ctx context.Context, t runner, head, tail string, cols, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	mr := maxRows(cols)
	args := make([]any, 0, min(n, mr)*cols)
	for i := 0; i < n; {
		k := mr
		for k > n-i {
			k >>= 1
		}
		args = args[:0]
		for j := i; j < i+k; j++ {
			args = row(j, args)
		}
		if _, err := t.exec(ctx, stmtKey{head: head, tail: tail, rows: k, cols: cols}, args...); err != nil {
			return err
		}
		i += k
	}
	return nil
}

// inRows is the most marks of one IN list.
const inRows = 256

// queryIn runs head ?,?,… tail over n values in IN lists of up to inRows
// marks (then powers of two), with fixed arguments before the list, and
// calls scan for each row.
func queryIn(ctx context.Context, t runner, head, tail string, fixed []any, n int, val func(i int) any, scan func(*sql.Rows) error) error {
	args := make([]any, 0, len(fixed)+min(n, inRows))
	for i := 0; i < n; {
		k := inRows
		for k > n-i {
			k >>= 1
		}
		args = append(args[:0], fixed...)
		for j := i; j < i+k; j++ {
			args = append(args, val(j))
		}
		rows, err := t.query(ctx, stmtKey{head: head, tail: tail, rows: k}, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		i += k
	}
	return nil
}

// execIn runs head ?,?,… tail over n values as queryIn does, for
// statements that return no rows (DELETE … WHERE key IN (…)).
func execIn(ctx context.Context, t runner, head, tail string, fixed []any, n int, val func(i int) any) error {
	args := make([]any, 0, len(fixed)+min(n, inRows))
	for i := 0; i < n; {
		k := inRows
		for k > n-i {
			k >>= 1
		}
		args = append(args[:0], fixed...)
		for j := i; j < i+k; j++ {
			args = append(args, val(j))
		}
		if _, err := t.exec(ctx, stmtKey{head: head, tail: tail, rows: k}, args...); err != nil {
			return err
		}
		i += k
	}
	return nil
}
