// Package connector is the contract between the playgraph engine and the
// systems actions talk to — ad channels, email, CRM, MAP, SEP, data
// providers, files — plus mapping profiles and match rules, and reference
// connectors in sub-packages (csv, webhook, fake).
//
// # Connectors and capabilities
//
// A [Connector] has a name and [Limits]; every implementation embeds [Base]
// (made with [NewBase]) so the core can grow without breaking it. What a
// connector can do is told by the small capability interfaces it also
// implements, one per [Capability]:
//
//	AudienceSyncer    AddToAudience / RemoveFromAudience (accounts)
//	EmailEnroller     EnrollEmail (contacts)
//	CampaignPusher    PushAccounts / PushContacts
//	ContactPurchaser  CountAvailable / Purchase
//	RecordWriter      CheckProfile / WriteRecords (records from a profile)
//	RecordFinder      FindRecords (existing records, to feed a MatchIndex)
//	EngagementReader  ReadEngagement (events since a time)
//	RunFinisher       EndRun (publish once a run is over)
//
// A [Registry] holds connectors by name; [Registry.Require] answers the
// engine's publish-time capability checks and [Lookup] fetches a connector
// as a capability interface.
//
// # Items, keys and results
//
// Every write takes a batch of items, each carrying an idempotency Key the
// engine builds: one per account for account-level actions ([AccountItem]),
// one per contact for people-level actions ([ContactItem]), one per record
// for record writes ([RecordItem]). A connector passes the key to its
// target so a repeat is recognised; an item without a key is refused
// permanently ([ErrMissingKey]).
//
// A call returns ([]Result, error):
//
//   - error == nil: one [Result] per item, in order. Each is Done,
//     Transient (send again later with the same key, no sooner than
//     RetryAfter) or Permanent (never retried), with the cause in Err. One
//     bad item never fails the others.
//   - error != nil: the whole call failed and the results are ignored;
//     every item shares the error. It is permanent when it wraps
//     [ErrPermanent] (see [MarkPermanent]), transient otherwise; a
//     [*CallError] built by [WithRetryAfter] carries a retry hint.
//
// The engine reads every call through [Resolve] (or [ResolvePurchases]),
// which always yields exactly one Result per item and treats a wrong
// number of results as a permanent connector bug. Connectors build results
// with [Done], [DoneID], [Transient], [TransientAfter], [Permanent] and
// [AllResults].
//
// # Limits
//
// [Limits] declares the most items per call (MaxBatch), a
// golang.org/x/time/rate limiter the engine waits on once per call (shared
// by every workflow using the connector) and, for ad channels, a segment
// sync quota.
//
// # Mapping profiles
//
// A [MappingProfile] maps catalogue fields (package audience: "name",
// "domain", "contact.email", "crm.owner") to target fields for one object
// kind (lead, contact, account) and one environment (production, sandbox).
// [MappingProfile.Validate] lists every problem, including unmapped
// required fields; [MappingProfile.Compile] yields a [Mapper] whose Apply
// builds one [Record] per account or contact, or a per-record error. A
// RecordWriter refuses a profile for another environment
// ([CheckEnvironment], [ErrEnvironment]).
//
// # Match rules
//
// [MatchRules] decide whether an account or contact already exists in the
// target: blocks of (our field, their field, [MatchType]), fields within a
// block ANDed, blocks ORed; no blocks means the default logic
// ([DefaultMatchRules]). A [MatchIndex] holds known target records in hash
// maps per block; the engine fills it from a [RecordFinder] and from what
// it writes, and skips creating an account or saving a contact that
// matches.
//
// The package doc example shows a complete custom connector. (Using it
// from a workflow graph is shown in package playgraph's examples.)
package connector
