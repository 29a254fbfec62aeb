package csv

import (
	"bytes"
	"context"
	encsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/playgraph/playgraph/connector"
)

// KeyColumn is the name of the last column, holding each row's
// idempotency key.
const KeyColumn = "_key"

// PendingSuffix is appended to the file path to name the staging sidecar.
const PendingSuffix = ".pending"

// Config configures a Connector.
type Config struct {
	// Name is the connector's registered name.
	Name string
	// Path is the published CSV file. Its directory must exist.
	Path string
	// Environment, when set, makes the connector refuse profiles of the
	// other environment.
	Environment connector.Environment
	// Limits are declared to the engine.
	Limits connector.Limits
}

// Connector writes records to one CSV file. Make one with New. It is safe
// for concurrent use.
type Connector struct {
	connector.Base
	path string
	env  connector.Environment

	mu      sync.Mutex
	header  []string // target fields, without the key column; nil until known
	kind    connector.ObjectKind
	keys    map[string]bool // published and staged
	pending [][]string      // staged rows, key last

	// beforeRename, when set (by tests), runs after the temporary file is
	// written and before it is renamed; an error aborts the publication.
	beforeRename func(tmp string) error
}

var (
	_ connector.RecordWriter = (*Connector)(nil)
	_ connector.RunFinisher  = (*Connector)(nil)
	_ connector.RecordFinder = (*Connector)(nil)
)

// New returns a connector for cfg.Path, loading the keys of the rows
// already published and staged there. The error wraps ErrConfig,
// ErrNoKeyColumn, or the error reading the files.
func New(cfg Config) (*Connector, error) {
	if cfg.Name == "" || cfg.Path == "" {
		return nil, fmt.Errorf("%w: name and path are required", ErrConfig)
	}
	c := &Connector{Base: connector.NewBase(cfg.Name, cfg.Limits), path: cfg.Path, env: cfg.Environment, keys: make(map[string]bool)}
	header, rows, err := readFile(c.path, false)
	if err != nil {
		return nil, err
	}
	c.header = header
	for _, r := range rows {
		c.keys[rowKey(r)] = true
	}
	ph, prow, err := readFile(c.path+PendingSuffix, true)
	if err != nil {
		return nil, err
	}
	if ph != nil {
		if c.header != nil && !slices.Equal(ph, c.header) {
			return nil, fmt.Errorf("%w: %s has columns %q, %s has %q", ErrHeaderMismatch, c.path+PendingSuffix, ph, c.path, c.header)
		}
		c.header = ph
		for _, r := range prow {
			if k := rowKey(r); !c.keys[k] {
				c.keys[k] = true
				c.pending = append(c.pending, r)
			}
		}
	}
	return c, nil
}

// Path returns the published file's path.
func (c *Connector) Path() string { return c.path }

// readFile reads a file written by this package: its header (without the
// key column) and rows (key last). A missing or empty file gives nils.
// For the staging file (torn true), a last row cut short by a crash —
// never acknowledged — is dropped, even one that a quoted value spreads
// over several lines.
func readFile(path string, torn bool) (header []string, rows [][]string, err error) {
	var end int64 // input offset just past the last whole record read
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("csv: %w", err)
	}
	if torn {
		data = data[:bytes.LastIndexByte(data, '\n')+1]
	}
	r := encsv.NewReader(bytes.NewReader(data))
	if torn {
		r.FieldsPerRecord = -1
	}
	var all [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A quoted value may hold newlines: a crash can cut a row
			// inside one, after such a newline. What is left after the
			// last whole record then opens a quote it never closes (an
			// odd number of quote characters; a whole quoted value has an
			// even number). That torn row is dropped; any other error is
			// a damaged file.
			if torn && bytes.Count(data[end:], []byte{'"'})%2 == 1 {
				break
			}
			return nil, nil, fmt.Errorf("csv: reading %s: %w", path, err)
		}
		all = append(all, rec)
		end = r.InputOffset()
	}
	if len(all) == 0 {
		return nil, nil, nil
	}
	h := all[0]
	if len(h) == 0 || h[len(h)-1] != KeyColumn {
		return nil, nil, fmt.Errorf("%w: %s", ErrNoKeyColumn, path)
	}
	rows = all[1:]
	if torn {
		rows = slices.DeleteFunc(rows, func(r []string) bool { return len(r) != len(h) })
	}
	return h[:len(h)-1], rows, nil
}

// rowKey returns a row's idempotency key, as given (neutralisation undone).
func rowKey(r []string) string { return unneutralize(r[len(r)-1]) }

func unneutralize(v string) string {
	if len(v) >= 2 && v[0] == '\'' {
		switch v[1] {
		case '=', '+', '-', '@', '\t', '\r', '\'':
			return v[1:]
		}
	}
	return v
}

// Neutralize returns v made safe against spreadsheet formula injection: a
// value starting with '=', '+', '-', '@', a tab or a carriage return gets a
// leading single quote. So does one starting with a single quote followed
// by one of those or by another quote, so that every value reads back as
// it was given:
//
//	=k    is written   '=k
//	'=k   is written   ''=k
func Neutralize(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	case '\'':
		if unneutralize(v) != v {
			return "'" + v
		}
	}
	return v
}

// CheckProfile implements connector.RecordWriter: the profile must be for
// the connector's environment and, once the file has a header, have the
// same target fields.
func (c *Connector) CheckProfile(p *connector.MappingProfile) error {
	if err := connector.CheckEnvironment(c.env, p); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checkHeader(p)
}

func (c *Connector) checkHeader(p *connector.MappingProfile) error {
	want := neutralizeAll(p.Targets())
	if c.header != nil && !slices.Equal(c.header, want) {
		return fmt.Errorf("%w: file has %q, profile %q maps %q", ErrHeaderMismatch, c.header, p.Name, want)
	}
	return nil
}

func neutralizeAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = Neutralize(v)
	}
	return out
}

// WriteRecords implements connector.RecordWriter: it stages one row per
// new key (see the package doc) and acknowledges items whose key is
// already published or staged without adding a row. Result.ID is the key.
// A profile for the other environment or with other fields is a permanent
// whole-call error; failing to stage is a transient one.
func (c *Connector) WriteRecords(ctx context.Context, p *connector.MappingProfile, items []connector.RecordItem) ([]connector.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := connector.CheckEnvironment(c.env, p); err != nil {
		return nil, connector.MarkPermanent(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkHeader(p); err != nil {
		return nil, connector.MarkPermanent(err)
	}
	targets := p.Targets()
	out := make([]connector.Result, len(items))
	var rows [][]string
	batch := make(map[string]bool)
	for i, it := range items {
		switch {
		case it.Key == "":
			out[i] = connector.Permanent(connector.ErrMissingKey)
		case c.keys[it.Key] || batch[it.Key]:
			out[i] = connector.DoneID(it.Key)
		default:
			batch[it.Key] = true
			rows = append(rows, row(targets, it))
			out[i] = connector.DoneID(it.Key)
		}
	}
	if len(rows) == 0 {
		return out, nil
	}
	header := c.header
	if header == nil {
		header = neutralizeAll(targets)
	}
	if err := appendPending(c.path+PendingSuffix, header, rows); err != nil {
		return nil, err
	}
	c.header = header
	if c.kind == 0 {
		c.kind = p.Kind
	}
	for k := range batch {
		c.keys[k] = true
	}
	c.pending = append(c.pending, rows...)
	return out, nil
}

// row renders an item in the order of targets, key last.
func row(targets []string, it connector.RecordItem) []string {
	out := make([]string, len(targets)+1)
	same := slices.Equal(it.Record.Fields, targets) && len(it.Record.Values) == len(targets)
	for i, t := range targets {
		var v any
		if same {
			v = it.Record.Values[i]
		} else {
			v, _ = it.Record.Get(t)
		}
		out[i] = Neutralize(connector.FormatValue(v))
	}
	out[len(targets)] = Neutralize(it.Key)
	return out
}

// appendPending appends rows to the staging file (writing the header
// first if it is new) and syncs it. On error the staged file may hold a
// partial row; readers skip nothing, so it is truncated back.
func appendPending(path string, header []string, rows [][]string) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("csv: staging: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("csv: staging: %w", err)
	}
	size := st.Size()
	defer func() {
		if err != nil {
			_ = f.Truncate(size)
		}
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("csv: staging: %w", cerr)
		}
	}()
	var buf bytes.Buffer
	w := encsv.NewWriter(&buf)
	if size == 0 {
		_ = w.Write(append(slices.Clone(header), KeyColumn))
	}
	_ = w.WriteAll(rows) // into a bytes.Buffer: cannot fail
	if _, err = f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("csv: staging: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("csv: staging: %w", err)
	}
	return nil
}

// EndRun implements connector.RunFinisher: it publishes the staged rows
// atomically (see the package doc). Published.Location is the file's
// path and Items the rows added; with nothing staged it publishes nothing
// and returns the zero Published.
func (c *Connector) EndRun(ctx context.Context, _ connector.RunInfo) (connector.Published, error) {
	if err := ctx.Err(); err != nil {
		return connector.Published{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return connector.Published{}, nil
	}
	n, err := c.publish()
	if err != nil {
		return connector.Published{}, err
	}
	c.pending = nil
	// Published: if removing the sidecar fails, its rows are skipped by
	// key next time, so the error only costs a little work.
	_ = os.Remove(c.path + PendingSuffix)
	if n == 0 {
		return connector.Published{}, nil
	}
	return connector.Published{Location: c.path, Items: n}, nil
}

// publish writes the published rows plus the staged rows whose keys the
// published file does not hold yet to a temporary file, and renames it
// over the published file. It returns how many rows it added.
func (c *Connector) publish() (added int, err error) {
	old, err := os.ReadFile(c.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("csv: publishing: %w", err)
	}
	have := make(map[string]bool)
	if len(old) > 0 {
		h, rows, err := readFile(c.path, false)
		if err != nil {
			return 0, err
		}
		if !slices.Equal(h, c.header) {
			return 0, fmt.Errorf("%w: %s changed under the connector", ErrHeaderMismatch, c.path)
		}
		for _, r := range rows {
			have[rowKey(r)] = true
		}
	}
	var buf bytes.Buffer
	buf.Write(old)
	w := encsv.NewWriter(&buf)
	if len(old) == 0 {
		_ = w.Write(append(slices.Clone(c.header), KeyColumn))
	}
	for _, r := range c.pending {
		if k := rowKey(r); !have[k] {
			have[k] = true
			_ = w.Write(r)
			added++
		}
	}
	w.Flush()
	if added == 0 {
		return 0, nil
	}

	dir, base := filepath.Split(c.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("csv: publishing: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(buf.Bytes()); err != nil {
		return 0, fmt.Errorf("csv: publishing: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return 0, fmt.Errorf("csv: publishing: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return 0, fmt.Errorf("csv: publishing: %w", err)
	}
	if c.beforeRename != nil {
		if err = c.beforeRename(tmp.Name()); err != nil {
			return 0, fmt.Errorf("csv: publishing: %w", err)
		}
	}
	if err = os.Rename(tmp.Name(), c.path); err != nil {
		return 0, fmt.Errorf("csv: publishing: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // make the rename durable where the platform allows
		d.Close()
	}
	return added, nil
}

// FindRecords implements connector.RecordFinder: it returns every row
// published or staged (the index decides what matches), each as a record
// of the file's kind (q.Kind when unknown) whose ID is the row's key.
// Values are the file's text, neutralisation included.
func (c *Connector) FindRecords(ctx context.Context, q connector.FindQuery) ([]connector.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, rows, err := readFile(c.path, false)
	if err != nil {
		return nil, err
	}
	rows = append(rows, c.pending...)
	kind := c.kind
	if kind == 0 {
		kind = q.Kind
	}
	fields := slices.Clone(c.header)
	out := make([]connector.Record, 0, len(rows))
	for _, r := range rows {
		if len(r) != len(fields)+1 {
			continue
		}
		vals := make([]any, len(fields))
		for i := range fields {
			vals[i] = r[i]
		}
		out = append(out, connector.Record{ID: rowKey(r), Kind: kind, Fields: fields, Values: vals})
	}
	return out, nil
}
