package fake

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
)

// Op names a connector operation.
type Op string

// Operations. The first seven are writes; the rest are reads, except
// OpEndRun.
const (
	OpAddToAudience      Op = "audience.add"
	OpRemoveFromAudience Op = "audience.remove"
	OpEnrollEmail        Op = "email.enroll"
	OpPushAccounts       Op = "campaign.push_accounts"
	OpPushContacts       Op = "campaign.push_contacts"
	OpWriteRecords       Op = "records.write"
	OpPurchase           Op = "contacts.purchase"
	OpCountAvailable     Op = "contacts.count"
	OpFindRecords        Op = "records.find"
	OpReadEngagement     Op = "engagement.read"
	OpEndRun             Op = "run.end"
)

// IsRead reports whether op only reads.
func (op Op) IsRead() bool {
	return op == OpCountAvailable || op == OpFindRecords || op == OpReadEngagement
}

// Capability returns the capability op belongs to.
func (op Op) Capability() connector.Capability {
	switch op {
	case OpAddToAudience, OpRemoveFromAudience:
		return connector.CapAudienceSync
	case OpEnrollEmail:
		return connector.CapEmail
	case OpPushAccounts, OpPushContacts:
		return connector.CapCampaignPush
	case OpWriteRecords:
		return connector.CapRecordWrite
	case OpPurchase, OpCountAvailable:
		return connector.CapContactPurchase
	case OpFindRecords:
		return connector.CapRecordFind
	case OpReadEngagement:
		return connector.CapEngagement
	case OpEndRun:
		return connector.CapRunFinish
	}
	return 0
}

// Call is one recorded call.
type Call struct {
	// Seq numbers calls from 1 in the order they were made.
	Seq int
	Op  Op
	// Target is the audience, campaign or profile name the call named.
	Target string
	// Keys are the item keys of a write call, in order.
	Keys []string
	// AccountIDs are the accounts a call concerned, in order (items'
	// accounts, or the accounts counted).
	AccountIDs []string
	// Err is the whole-call error returned, if any.
	Err error
}

// Item is one recorded item of a write call, with the Result it got.
type Item struct {
	Call      int // the Call's Seq
	Op        Op
	Target    string
	Key       string
	AccountID string
	ContactID string
	// Record is the record written (OpWriteRecords only).
	Record *connector.Record
	Result connector.Result
}

// Failure scripts item failures: every item Match accepts fails its first
// Times attempts (counted per key; Times < 0: always) with Status
// (StatusTransient or StatusPermanent) and RetryAfter.
type Failure struct {
	Match      func(Item) bool
	Status     connector.Status
	Times      int
	RetryAfter time.Duration
}

type failure struct {
	Failure
	used map[string]int
}

type callFailure struct {
	op    Op
	err   error
	times int
}

// Option configures a Connector.
type Option func(*Connector)

// WithLimits sets the limits the connector declares.
func WithLimits(l connector.Limits) Option { return func(f *Connector) { f.limits = l } }

// WithDedupe makes the fake's state apply each (op, key) once, as a
// receiver that dedupes on the key.
func WithDedupe() Option { return func(f *Connector) { f.dedupe = true } }

// WithEnvironment makes the connector refuse mapping profiles of the other
// environment.
func WithEnvironment(env connector.Environment) Option { return func(f *Connector) { f.env = env } }

// WithClock sets the clock recorded with EndRun calls (default time.Now).
func WithClock(now func() time.Time) Option { return func(f *Connector) { f.now = now } }

// Connector is the in-memory connector. Make one with New.
type Connector struct {
	connector.Base
	limits connector.Limits
	dedupe bool
	env    connector.Environment
	now    func() time.Time

	mu        sync.Mutex
	calls     []Call
	items     []Item
	delivered map[opKey]int // index into items of the first Done item
	count     map[string]int
	failures  []*failure
	callFails []*callFailure

	stock     map[string][]audience.Contact
	purchased map[string][]audience.Contact // by key
	events    []audience.Event
	records   []connector.Record
	written   map[opKey]string // record id by key, for dedupe
	audiences map[string]map[string]bool
	campaigns map[string]map[string]bool
	runs      []connector.RunInfo
	sinceRun  int
	nextID    int
}

type opKey struct {
	op  Op
	key string
}

var (
	_ connector.AudienceSyncer   = (*Connector)(nil)
	_ connector.EmailEnroller    = (*Connector)(nil)
	_ connector.CampaignPusher   = (*Connector)(nil)
	_ connector.ContactPurchaser = (*Connector)(nil)
	_ connector.RecordWriter     = (*Connector)(nil)
	_ connector.RecordFinder     = (*Connector)(nil)
	_ connector.EngagementReader = (*Connector)(nil)
	_ connector.RunFinisher      = (*Connector)(nil)
)

// New returns a fake connector named name.
func New(name string, opts ...Option) *Connector {
	f := &Connector{
		now:       time.Now,
		delivered: make(map[opKey]int),
		count:     make(map[string]int),
		stock:     make(map[string][]audience.Contact),
		purchased: make(map[string][]audience.Contact),
		written:   make(map[opKey]string),
		audiences: make(map[string]map[string]bool),
		campaigns: make(map[string]map[string]bool),
	}
	for _, o := range opts {
		o(f)
	}
	f.Base = connector.NewBase(name, f.limits)
	return f
}

// Fail scripts item failures (see Failure). A zero Status means
// StatusTransient; a nil Match matches every item.
func (f *Connector) Fail(fl Failure) {
	if fl.Status == connector.StatusDone {
		fl.Status = connector.StatusTransient
	}
	if fl.Match == nil {
		fl.Match = func(Item) bool { return true }
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, &failure{Failure: fl, used: make(map[string]int)})
}

// FailKey makes the first times attempts at the item with key fail with
// status (times < 0: always).
func (f *Connector) FailKey(key string, status connector.Status, times int) {
	f.Fail(Failure{Match: func(it Item) bool { return it.Key == key }, Status: status, Times: times})
}

// FailCalls makes the next times calls of op (any operation when op is "")
// fail as a whole with err (ErrScripted, transient, when err is nil; wrap
// it with connector.MarkPermanent for a permanent failure). times < 0:
// always.
func (f *Connector) FailCalls(op Op, err error, times int) {
	if err == nil {
		err = ErrScripted
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callFails = append(f.callFails, &callFailure{op: op, err: err, times: times})
}

// Reset forgets the scripted failures (not the recordings nor the state).
func (f *Connector) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures, f.callFails = nil, nil
}

// AddStock adds contacts an account's purchase may buy.
func (f *Connector) AddStock(accountID string, contacts ...audience.Contact) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range contacts {
		c.AccountID = accountID
		f.stock[accountID] = append(f.stock[accountID], c)
	}
}

// AddEvents adds engagement events to read.
func (f *Connector) AddEvents(events ...audience.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, events...)
}

// AddRecords adds records that exist in the target (found by FindRecords).
func (f *Connector) AddRecords(recs ...connector.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = append(f.records, recs...)
}

// startCall records the start of a call and returns its whole-call error, if
// one is scripted or ctx is done. f.mu must be held.
func (f *Connector) startCall(ctx context.Context, op Op, target string) (*Call, error) {
	c := Call{Seq: len(f.calls) + 1, Op: op, Target: target}
	if err := ctx.Err(); err != nil {
		c.Err = err
	} else {
		for _, cf := range f.callFails {
			if cf.times != 0 && (cf.op == "" || cf.op == op) {
				if cf.times > 0 {
					cf.times--
				}
				c.Err = cf.err
				break
			}
		}
	}
	f.calls = append(f.calls, c)
	return &f.calls[len(f.calls)-1], c.Err
}

// scripted returns the scripted failure for it, if any. f.mu must be held.
func (f *Connector) scripted(it Item) (connector.Result, bool) {
	for _, fl := range f.failures {
		if !fl.Match(it) {
			continue
		}
		if fl.Times >= 0 && fl.used[it.Key] >= fl.Times {
			continue
		}
		fl.used[it.Key]++
		err := fmt.Errorf("%w: %s %s", ErrScripted, fl.Status, it.Key)
		return connector.Result{Status: fl.Status, Err: err, RetryAfter: fl.RetryAfter}, true
	}
	return connector.Result{}, false
}

// write runs one write call: records it and its items, applies scripted
// failures, and calls apply for each item that gets through (first says
// whether its (op, key) was not delivered before). f.mu must be held.
func (f *Connector) write(ctx context.Context, op Op, target string, items []Item, apply func(i int, first bool) connector.Result) ([]connector.Result, error) {
	call, err := f.startCall(ctx, op, target)
	for _, it := range items {
		call.Keys = append(call.Keys, it.Key)
		call.AccountIDs = append(call.AccountIDs, it.AccountID)
	}
	if err != nil {
		r := connector.FromError(err)
		for _, it := range items {
			it.Call, it.Op, it.Target, it.Result = call.Seq, op, target, r
			f.items = append(f.items, it)
		}
		return nil, err
	}
	out := make([]connector.Result, len(items))
	for i, it := range items {
		it.Call, it.Op, it.Target = call.Seq, op, target
		r, failed := f.scripted(it)
		switch {
		case failed:
		case it.Key == "":
			r = connector.Permanent(connector.ErrMissingKey)
		default:
			_, seen := f.delivered[opKey{op, it.Key}]
			if apply != nil {
				r = apply(i, !seen)
			}
		}
		it.Result = r
		f.items = append(f.items, it)
		if r.OK() {
			f.count[it.Key]++
			f.sinceRun++
			if _, seen := f.delivered[opKey{op, it.Key}]; !seen {
				f.delivered[opKey{op, it.Key}] = len(f.items) - 1
			}
		}
		out[i] = r
	}
	return out, nil
}

func accountItems(items []connector.AccountItem) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{Key: it.Key}
		if it.Account != nil {
			out[i].AccountID = it.Account.ID
		}
	}
	return out
}

func contactItems(items []connector.ContactItem) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{Key: it.Key}
		if it.Account != nil {
			out[i].AccountID = it.Account.ID
		}
		if it.Contact != nil {
			out[i].ContactID = it.Contact.ID
			if out[i].AccountID == "" {
				out[i].AccountID = it.Contact.AccountID
			}
		}
	}
	return out
}

func (f *Connector) member(m map[string]map[string]bool, target string) map[string]bool {
	s := m[target]
	if s == nil {
		s = make(map[string]bool)
		m[target] = s
	}
	return s
}

// AddToAudience implements connector.AudienceSyncer.
func (f *Connector) AddToAudience(ctx context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := accountItems(items)
	return f.write(ctx, OpAddToAudience, aud, recs, func(i int, first bool) connector.Result {
		if first || !f.dedupe {
			f.member(f.audiences, aud)[recs[i].AccountID] = true
		}
		return connector.Done()
	})
}

// RemoveFromAudience implements connector.AudienceSyncer.
func (f *Connector) RemoveFromAudience(ctx context.Context, aud string, items []connector.AccountItem) ([]connector.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := accountItems(items)
	return f.write(ctx, OpRemoveFromAudience, aud, recs, func(i int, first bool) connector.Result {
		if first || !f.dedupe {
			delete(f.member(f.audiences, aud), recs[i].AccountID)
		}
		return connector.Done()
	})
}

// EnrollEmail implements connector.EmailEnroller.
func (f *Connector) EnrollEmail(ctx context.Context, campaign string, items []connector.ContactItem) ([]connector.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := contactItems(items)
	return f.write(ctx, OpEnrollEmail, campaign, recs, func(i int, _ bool) connector.Result {
		f.member(f.campaigns, "email:"+campaign)[recs[i].ContactID] = true
		return connector.Done()
	})
}

// PushAccounts implements connector.CampaignPusher.
func (f *Connector) PushAccounts(ctx context.Context, campaign string, items []connector.AccountItem) ([]connector.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := accountItems(items)
	return f.write(ctx, OpPushAccounts, campaign, recs, func(i int, _ bool) connector.Result {
		f.member(f.campaigns, campaign)[recs[i].AccountID] = true
		return connector.Done()
	})
}

// PushContacts implements connector.CampaignPusher.
func (f *Connector) PushContacts(ctx context.Context, campaign string, items []connector.ContactItem) ([]connector.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := contactItems(items)
	return f.write(ctx, OpPushContacts, campaign, recs, func(i int, _ bool) connector.Result {
		f.member(f.campaigns, campaign)[recs[i].ContactID] = true
		return connector.Done()
	})
}

// CheckProfile implements connector.RecordWriter.
func (f *Connector) CheckProfile(p *connector.MappingProfile) error {
	return connector.CheckEnvironment(f.env, p)
}

// WriteRecords implements connector.RecordWriter: records are stored with
// ids "<name>-<n>" (with WithDedupe, a repeated key returns the first id
// and stores nothing).
func (f *Connector) WriteRecords(ctx context.Context, p *connector.MappingProfile, items []connector.RecordItem) ([]connector.Result, error) {
	if err := f.CheckProfile(p); err != nil {
		return nil, connector.MarkPermanent(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := make([]Item, len(items))
	for i, it := range items {
		r := it.Record
		recs[i] = Item{Key: it.Key, AccountID: it.AccountID, ContactID: it.ContactID, Record: &r}
	}
	return f.write(ctx, OpWriteRecords, p.Name, recs, func(i int, first bool) connector.Result {
		k := opKey{OpWriteRecords, recs[i].Key}
		if id, ok := f.written[k]; ok && f.dedupe {
			return connector.DoneID(id)
		}
		f.nextID++
		rec := *recs[i].Record
		rec.ID = f.Name() + "-" + strconv.Itoa(f.nextID)
		if rec.Kind == 0 {
			rec.Kind = p.Kind
		}
		f.records = append(f.records, rec)
		if first {
			f.written[k] = rec.ID
		}
		return connector.DoneID(rec.ID)
	})
}

// CountAvailable implements connector.ContactPurchaser (a read).
func (f *Connector) CountAvailable(ctx context.Context, req connector.PurchaseRequest, accounts []*audience.Account) ([]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call, err := f.startCall(ctx, OpCountAvailable, "")
	for _, a := range accounts {
		if a != nil {
			call.AccountIDs = append(call.AccountIDs, a.ID)
		} else {
			call.AccountIDs = append(call.AccountIDs, "")
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]int, len(accounts))
	for i, a := range accounts {
		if a == nil {
			continue
		}
		for _, c := range f.stock[a.ID] {
			if out[i] >= req.MaxPerAccount {
				break
			}
			if req.Persona.Matches(&c) {
				out[i]++
			}
		}
	}
	return out, nil
}

// Purchase implements connector.ContactPurchaser: it takes up to
// MaxPerAccount contacts matching the persona out of the account's stock.
// A key already served returns the same contacts and takes nothing more.
func (f *Connector) Purchase(ctx context.Context, req connector.PurchaseRequest, items []connector.AccountItem) ([]connector.Purchase, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := accountItems(items)
	bought := make([][]audience.Contact, len(items))
	rs, err := f.write(ctx, OpPurchase, "", recs, func(i int, _ bool) connector.Result {
		key := recs[i].Key
		if cs, ok := f.purchased[key]; ok {
			bought[i] = slices.Clone(cs)
			return connector.Done()
		}
		var got, left []audience.Contact
		for _, c := range f.stock[recs[i].AccountID] {
			if len(got) < req.MaxPerAccount && req.Persona.Matches(&c) {
				got = append(got, c)
			} else {
				left = append(left, c)
			}
		}
		f.stock[recs[i].AccountID] = left
		f.purchased[key] = got
		bought[i] = slices.Clone(got)
		return connector.Done()
	})
	if err != nil {
		return nil, err
	}
	out := make([]connector.Purchase, len(rs))
	for i, r := range rs {
		out[i] = connector.Purchase{Result: r}
		if r.OK() {
			out[i].Contacts = bought[i]
		}
	}
	return out, nil
}

// FindRecords implements connector.RecordFinder: it returns the records of
// q.Kind (any kind when zero) having a value equal, ignoring case, to one
// of the query's names or emails, or the same host as one of its domains.
// An empty query returns every record of the kind.
func (f *Connector) FindRecords(ctx context.Context, q connector.FindQuery) ([]connector.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.startCall(ctx, OpFindRecords, q.Kind.String()); err != nil {
		return nil, err
	}
	want := make(map[string]bool)
	for _, s := range append(slices.Clone(q.Names), q.Emails...) {
		want[connector.NormalizeStrict(s)] = true
	}
	domains := make(map[string]bool)
	for _, d := range q.Domains {
		domains[connector.NormalizeDomain(d)] = true
	}
	all := len(want) == 0 && len(domains) == 0
	out := []connector.Record{}
	for _, r := range f.records {
		if q.Kind != 0 && r.Kind != q.Kind {
			continue
		}
		hit := all
		for _, v := range r.Values {
			s := connector.FormatValue(v)
			if hit || want[connector.NormalizeStrict(s)] || domains[connector.NormalizeDomain(s)] {
				hit = true
				break
			}
		}
		if hit {
			out = append(out, r)
		}
	}
	return out, nil
}

// ReadEngagement implements connector.EngagementReader: the events added
// at or after since, in time order.
func (f *Connector) ReadEngagement(ctx context.Context, since time.Time) ([]audience.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.startCall(ctx, OpReadEngagement, ""); err != nil {
		return nil, err
	}
	out := []audience.Event{}
	for _, e := range f.events {
		if !e.At.Before(since) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b audience.Event) int { return a.At.Compare(b.At) })
	return out, nil
}

// EndRun implements connector.RunFinisher: it records the run and reports
// how many items were acknowledged since the previous EndRun.
func (f *Connector) EndRun(ctx context.Context, run connector.RunInfo) (connector.Published, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.startCall(ctx, OpEndRun, run.Run); err != nil {
		return connector.Published{}, err
	}
	f.runs = append(f.runs, run)
	p := connector.Published{Location: "fake://" + f.Name(), Items: f.sinceRun}
	f.sinceRun = 0
	return p, nil
}

// Calls returns every call so far, in order.
func (f *Connector) Calls() []Call {
	return f.filterCalls(func(Call) bool { return true })
}

// Reads returns the read calls (CountAvailable, FindRecords,
// ReadEngagement).
func (f *Connector) Reads() []Call { return f.filterCalls(func(c Call) bool { return c.Op.IsRead() }) }

// Writes returns the calls that are not reads (EndRun included).
func (f *Connector) Writes() []Call {
	return f.filterCalls(func(c Call) bool { return !c.Op.IsRead() })
}

func (f *Connector) filterCalls(keep func(Call) bool) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if keep(c) {
			c.Keys = slices.Clone(c.Keys)
			c.AccountIDs = slices.Clone(c.AccountIDs)
			out = append(out, c)
		}
	}
	return out
}

// Items returns every item of every call of op ("" for all), failed
// attempts included, in order.
func (f *Connector) Items(op Op) []Item {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Item
	for _, it := range f.items {
		if op == "" || it.Op == op {
			out = append(out, it)
		}
	}
	return out
}

// Received returns the items of op ("" for all) acknowledged Done, repeats
// included.
func (f *Connector) Received(op Op) []Item {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Item
	for _, it := range f.items {
		if (op == "" || it.Op == op) && it.Result.OK() {
			out = append(out, it)
		}
	}
	return out
}

// Delivered returns, for op ("" for all), the first Done item per
// (op, key), in delivery order: what a deduping receiver acted on.
func (f *Connector) Delivered(op Op) []Item {
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := make([]int, 0, len(f.delivered))
	for k, i := range f.delivered {
		if op == "" || k.op == op {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	out := make([]Item, len(idx))
	for j, i := range idx {
		out[j] = f.items[i]
	}
	return out
}

// Repeats returns how many acknowledged items repeated an (op, key)
// already delivered: len(Received("")) - len(Delivered("")).
func (f *Connector) Repeats() int {
	return len(f.Received("")) - len(f.Delivered(""))
}

// Count returns how many times items with key were acknowledged Done.
func (f *Connector) Count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[key]
}

// Audience returns the account ids currently in an audience, sorted.
func (f *Connector) Audience(name string) []string { return f.members(f.audiences, name) }

// Campaign returns the members of a campaign, sorted: account ids pushed
// with PushAccounts, contact ids pushed with PushContacts. EnrollEmail
// members are under "email:<campaign>".
func (f *Connector) Campaign(name string) []string { return f.members(f.campaigns, name) }

func (f *Connector) members(m map[string]map[string]bool, name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(m[name]))
	for id := range m[name] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Records returns the records held of kind (every kind when zero): those
// added with AddRecords and those written.
func (f *Connector) Records(kind connector.ObjectKind) []connector.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []connector.Record
	for _, r := range f.records {
		if kind == 0 || r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// Stock returns how many contacts are left to buy for an account.
func (f *Connector) Stock(accountID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.stock[accountID])
}

// Bought returns every contact bought, in purchase order, each once.
func (f *Connector) Bought() []audience.Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []audience.Contact
	for i, it := range f.items {
		if it.Op != OpPurchase {
			continue
		}
		if first, ok := f.delivered[opKey{OpPurchase, it.Key}]; ok && first == i {
			out = append(out, f.purchased[it.Key]...)
		}
	}
	return out
}

// Runs returns the runs EndRun was told of.
func (f *Connector) Runs() []connector.RunInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.runs)
}

// String describes the connector for test failure messages.
func (f *Connector) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "fake %q: %d calls, %d items, %d delivered", f.Name(), len(f.calls), len(f.items), len(f.delivered))
	return b.String()
}
