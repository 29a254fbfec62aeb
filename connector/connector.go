package connector

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/playgraph/playgraph/audience"
)

// Connector is the core every connector implements: a name and the limits
// the engine honours. What a connector can do is told by which capability
// interfaces it also implements ([AudienceSyncer], [EmailEnroller],
// [CampaignPusher], [ContactPurchaser], [RecordWriter], [RecordFinder],
// [EngagementReader], [RunFinisher]).
//
// Every implementation embeds [Base]: the unexported method makes that
// compulsory, so methods added to Connector later arrive with a default in
// Base and never break an existing connector. A wrapper may instead embed
// the Connector it wraps.
//
// Implementations must be safe for concurrent use: the engine calls one
// connector from many goroutines and many workflows at once.
type Connector interface {
	// Name is the connector's registered name ("linkedin", "crm").
	Name() string
	// Limits are the limits the engine honours when calling it.
	Limits() Limits

	base() *Base
}

// Base is embedded by every [Connector]. It provides Name and Limits, and
// defaults for whatever the core gains later. Make one with [NewBase]; the
// zero Base has an empty name, which a [Registry] refuses.
type Base struct {
	name   string
	limits Limits
}

// NewBase returns a Base for a connector named name with limits l.
func NewBase(name string, l Limits) Base { return Base{name: name, limits: l} }

// Name implements Connector.
func (b *Base) Name() string { return b.name }

// Limits implements Connector.
func (b *Base) Limits() Limits { return b.limits }

func (b *Base) base() *Base { return b }

// Limits are what a connector declares about how it may be called. The
// zero value means no limits.
type Limits struct {
	// MaxBatch is the most items per call; 0 lets the engine choose.
	MaxBatch int
	// Rate, when set, limits calls: the engine takes one token per call
	// (batch) before making it (see [Limits.Wait]). The limiter is shared by
	// every workflow using the connector, so one connector value serves all
	// of them.
	Rate *rate.Limiter
	// SegmentSyncQuota is, for ad channels, how many distinct audiences the
	// channel accepts syncing; publishing a workflow that would make the
	// connector sync more fails. 0 means no quota.
	SegmentSyncQuota int
}

// Wait blocks until the rate limiter allows one call, or ctx is done. It
// returns at once when no rate is set.
func (l Limits) Wait(ctx context.Context) error {
	if l.Rate == nil {
		return ctx.Err()
	}
	return l.Rate.Wait(ctx)
}

// Batch returns the batch size to use given the engine's own default def:
// MaxBatch when set and smaller, def otherwise (at least 1).
func (l Limits) Batch(def int) int {
	if def < 1 {
		def = 1
	}
	if l.MaxBatch > 0 && l.MaxBatch < def {
		return l.MaxBatch
	}
	return def
}

// AccountItem is one account-level item: the account and the idempotency
// key the engine built for it (one per account per action).
type AccountItem struct {
	Key     string
	Account *audience.Account
}

// ContactItem is one people-level item: a contact of an account and its own
// idempotency key (one per contact per action, so a deduping receiver never
// drops contact 2 because contact 1 had the account's key).
type ContactItem struct {
	Key     string
	Account *audience.Account
	Contact *audience.Contact
}

// RecordItem is one record to write: the record a mapping profile produced
// (see [Mapper.Apply]), its idempotency key, and the account and contact it
// came from (ContactID empty for account records).
type RecordItem struct {
	Key       string
	AccountID string
	ContactID string
	Record    Record
}

// AudienceSyncer adds accounts to an ad channel's audience and removes them
// (6sense display, LinkedIn, Google, Meta are instances). audience is the
// channel's audience or campaign id as the action node names it.
type AudienceSyncer interface {
	Connector
	// AddToAudience adds the items' accounts to the audience.
	AddToAudience(ctx context.Context, audience string, items []AccountItem) ([]Result, error)
	// RemoveFromAudience takes the items' accounts out of the audience; an
	// account not in it is Done.
	RemoveFromAudience(ctx context.Context, audience string, items []AccountItem) ([]Result, error)
}

// EmailEnroller enrols contacts in a conversational email campaign.
type EmailEnroller interface {
	Connector
	// EnrollEmail enrols the items' contacts in the campaign.
	EnrollEmail(ctx context.Context, campaign string, items []ContactItem) ([]Result, error)
}

// CampaignPusher pushes accounts or contacts into a CRM, MAP or SEP
// campaign, list, sequence or cadence; campaign is its id in the target.
type CampaignPusher interface {
	Connector
	// PushAccounts adds the items' accounts to the campaign (account-level
	// action: one key per account).
	PushAccounts(ctx context.Context, campaign string, items []AccountItem) ([]Result, error)
	// PushContacts adds the items' contacts to the campaign (people-level
	// action: one key per contact).
	PushContacts(ctx context.Context, campaign string, items []ContactItem) ([]Result, error)
}

// PurchaseRequest is what a purchase-contacts action asks for: contacts
// matching Persona, at most MaxPerAccount per account.
type PurchaseRequest struct {
	Persona       audience.Persona
	MaxPerAccount int
}

// Purchase is the outcome of buying contacts for one account: the Result
// and, when done, the contacts bought (at most MaxPerAccount, possibly
// none; each with a unique ID and AccountID set). The engine charges for
// len(Contacts).
type Purchase struct {
	Result
	Contacts []audience.Contact
}

// ContactPurchaser buys contacts (a 6sense-style data provider).
//
// Purchase must be idempotent on the item key: asked again with a key it
// has already served, it returns the same contacts and charges nothing
// more, so a retried action never buys twice.
type ContactPurchaser interface {
	Connector
	// CountAvailable returns, per account in order, how many contacts
	// matching the request could be bought now (capped at MaxPerAccount).
	// It only reads; Preview uses it for estimates.
	CountAvailable(ctx context.Context, req PurchaseRequest, accounts []*audience.Account) ([]int, error)
	// Purchase buys up to req.MaxPerAccount contacts for each item's account.
	Purchase(ctx context.Context, req PurchaseRequest, items []AccountItem) ([]Purchase, error)
}

// RecordWriter writes records a mapping profile produced into a CRM, a MAP
// or a file: saved contacts or leads, created accounts. The profile tells
// the object kind and the fields; a Result's ID carries the target's id for
// the record when the target gives one.
type RecordWriter interface {
	Connector
	// CheckProfile reports whether the writer accepts p: an error wrapping
	// ErrEnvironment for a profile of the other environment, ErrKindMismatch
	// for a kind it cannot write. Publish calls it; WriteRecords refuses
	// such a profile with a permanent whole-call error.
	CheckProfile(p *MappingProfile) error
	// WriteRecords writes the items' records (made with p) to the target.
	WriteRecords(ctx context.Context, p *MappingProfile, items []RecordItem) ([]Result, error)
}

// FindQuery asks a target for existing records of one kind whose domain,
// name or email is among the values given (any of them). Values are as the
// accounts and contacts hold them; the target normalises as it can.
type FindQuery struct {
	Kind    ObjectKind
	Domains []string
	Names   []string
	Emails  []string
}

// RecordFinder looks existing records up in the target, to feed a
// [MatchIndex]. It may return more than asked (the index decides); each
// record carries the target's ID.
type RecordFinder interface {
	Connector
	// FindRecords returns the target's records that may match q.
	FindRecords(ctx context.Context, q FindQuery) ([]Record, error)
}

// EngagementReader reads engagement (ad clicks, email replies, visits) the
// target recorded at or after since. The engine polls it at the start of a
// run; an event may be returned by more than one poll.
type EngagementReader interface {
	Connector
	// ReadEngagement returns the events at or after since.
	ReadEngagement(ctx context.Context, since time.Time) ([]audience.Event, error)
}

// RunInfo identifies the run that ended.
type RunInfo struct {
	Workflow string
	Run      string
	// Now is the run's logical time.
	Now time.Time
}

// Published is what a connector made visible at the end of a run. The zero
// value means nothing was published.
type Published struct {
	// Location is where: a file path, a URL.
	Location string
	// Items is how many items the publication added.
	Items int
}

// RunFinisher is told once when a run that used the connector ends, to
// flush or finalise (publish a file, send a last batch).
type RunFinisher interface {
	Connector
	// EndRun finalises what the run wrote and says what it published.
	EndRun(ctx context.Context, run RunInfo) (Published, error)
}

// Capability is one thing a connector can do: one capability interface.
type Capability uint8

// Capabilities, one per capability interface.
const (
	CapAudienceSync    Capability = iota + 1 // AudienceSyncer
	CapEmail                                 // EmailEnroller
	CapCampaignPush                          // CampaignPusher
	CapContactPurchase                       // ContactPurchaser
	CapRecordWrite                           // RecordWriter
	CapRecordFind                            // RecordFinder
	CapEngagement                            // EngagementReader
	CapRunFinish                             // RunFinisher
)

var capNames = [...]string{"", "audience_sync", "email", "campaign_push", "contact_purchase", "record_write", "record_find", "engagement", "run_finish"}

// AllCapabilities lists every capability in order.
func AllCapabilities() []Capability {
	return []Capability{CapAudienceSync, CapEmail, CapCampaignPush, CapContactPurchase, CapRecordWrite, CapRecordFind, CapEngagement, CapRunFinish}
}

// String returns the capability's name ("audience_sync").
func (c Capability) String() string {
	if c > 0 && int(c) < len(capNames) {
		return capNames[c]
	}
	return fmt.Sprintf("Capability(%d)", uint8(c))
}

// ParseCapability parses a capability name as String returns it.
func ParseCapability(s string) (Capability, error) {
	for i := 1; i < len(capNames); i++ {
		if capNames[i] == s {
			return Capability(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown capability %q", ErrMissingCapability, s)
}

// Has reports whether c implements capability cp's interface.
func Has(c Connector, cp Capability) bool {
	if c == nil {
		return false
	}
	var ok bool
	switch cp {
	case CapAudienceSync:
		_, ok = c.(AudienceSyncer)
	case CapEmail:
		_, ok = c.(EmailEnroller)
	case CapCampaignPush:
		_, ok = c.(CampaignPusher)
	case CapContactPurchase:
		_, ok = c.(ContactPurchaser)
	case CapRecordWrite:
		_, ok = c.(RecordWriter)
	case CapRecordFind:
		_, ok = c.(RecordFinder)
	case CapEngagement:
		_, ok = c.(EngagementReader)
	case CapRunFinish:
		_, ok = c.(RunFinisher)
	}
	return ok
}

// Capabilities lists what c can do, in the order of AllCapabilities.
func Capabilities(c Connector) []Capability {
	var out []Capability
	for _, cp := range AllCapabilities() {
		if Has(c, cp) {
			out = append(out, cp)
		}
	}
	return out
}
