package node

import (
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
)

// Action is a THEN node: it does something for each account that reaches
// it, through a connector named in its Config, and then moves the account
// on along [PathNext]. Config holds the per-kind configuration; its dynamic
// type fixes the action kind:
//
//	kind               Config               level    capabilities
//	ad_audience        *AdAudience          account  audience_sync
//	email              *Email               people   email
//	campaign_push      *CampaignPush        Scope    campaign_push
//	purchase_contacts  *PurchaseContacts    account  contact_purchase
//	save_contacts      *SaveContacts        people   record_find, record_write
//	create_account     *CreateAccount       account  record_find, record_write
//	remove_audience    *RemoveAudience      account  audience_sync (the named ad node's connector)
//
// Connectors, mapping profiles and match rules are named, not held: the
// engine resolves the names when the workflow is published.
type Action struct {
	// ID is the node id (see [ValidID]).
	ID string `json:"-"`
	// Label is the name people see.
	Label string `json:"-"`
	// Description says what the action is for, for people.
	Description string `json:"-"`
	// Config is the per-kind configuration.
	Config ActionConfig `json:"-"`
}

// ActionConfig is the configuration of one action kind: [*AdAudience],
// [*Email], [*CampaignPush], [*PurchaseContacts], [*SaveContacts],
// [*CreateAccount] or [*RemoveAudience]. The set is closed.
type ActionConfig interface {
	// ActionKind returns the action kind.
	ActionKind() Kind
	// Level says whether the action acts on the account or on its contacts.
	Level() Level
	// Capabilities lists what the action's connector must be able to do.
	Capabilities() []Capability
	// Refs returns the names the action refers to.
	Refs() Refs
	// MaxCredits is the most credits the action may spend for one account.
	MaxCredits() int

	validate(ps *problems)
	cloneConfig() ActionConfig
}

// Refs are the names of environment objects an action refers to; empty
// where the action has none.
type Refs struct {
	Connector      string
	MappingProfile string
	MatchRules     string
}

// NewAction returns an action with the given configuration.
func NewAction(id, label string, cfg ActionConfig) *Action {
	return &Action{ID: id, Label: label, Config: cfg}
}

// NewAdAudience returns an ad audience action.
func NewAdAudience(id, label string, cfg AdAudience) *Action { return NewAction(id, label, &cfg) }

// NewEmail returns a conversational email action.
func NewEmail(id, label string, cfg Email) *Action { return NewAction(id, label, &cfg) }

// NewCampaignPush returns a CRM / MAP / SEP campaign push action.
func NewCampaignPush(id, label string, cfg CampaignPush) *Action { return NewAction(id, label, &cfg) }

// NewPurchaseContacts returns a purchase contacts action.
func NewPurchaseContacts(id, label string, cfg PurchaseContacts) *Action {
	return NewAction(id, label, &cfg)
}

// NewSaveContacts returns a save purchased contacts action.
func NewSaveContacts(id, label string, cfg SaveContacts) *Action { return NewAction(id, label, &cfg) }

// NewCreateAccount returns a create account in CRM action.
func NewCreateAccount(id, label string, cfg CreateAccount) *Action { return NewAction(id, label, &cfg) }

// NewRemoveAudience returns a remove audience action taking accounts out of
// the audience of the ad node adNodeID.
func NewRemoveAudience(id, label, adNodeID string) *Action {
	return NewAction(id, label, &RemoveAudience{AdNode: adNodeID})
}

// Describe sets the description and returns a, for chaining.
func (a *Action) Describe(text string) *Action {
	a.Description = text
	return a
}

// NodeID returns a.ID.
func (a *Action) NodeID() string { return a.ID }

// NodeLabel returns a.Label.
func (a *Action) NodeLabel() string { return a.Label }

// Kind returns the action kind of a.Config, or "" when it has none.
func (a *Action) Kind() Kind {
	if a.Config == nil {
		return ""
	}
	return a.Config.ActionKind()
}

// Outputs returns [PathNext].
func (a *Action) Outputs() []string { return []string{PathNext} }

// Level returns the action's level ("" when it has no Config).
func (a *Action) Level() Level {
	if a.Config == nil {
		return ""
	}
	return a.Config.Level()
}

// Persona returns the persona the action selects or buys contacts with,
// and whether it has one (people-level actions and purchase contacts).
// The zero Persona matches every contact.
func (a *Action) Persona() (audience.Persona, bool) {
	switch c := a.Config.(type) {
	case *Email:
		return c.Persona, true
	case *CampaignPush:
		return c.Persona, c.Scope == LevelPeople
	case *PurchaseContacts:
		return c.Persona, true
	case *SaveContacts:
		return c.Persona, true
	}
	return audience.Persona{}, false
}

// Validate reports every configuration problem as a *[ConfigError].
func (a *Action) Validate() error {
	var ps problems
	checkID(&ps, a.ID)
	checkLabel(&ps, a.Label)
	checkDesc(&ps, "description", a.Description)
	if a.Config == nil {
		ps.add("config", "is missing")
	} else {
		a.Config.validate(&ps)
	}
	return ps.err(a.ID, a.Kind())
}

func (a *Action) clone() Node {
	c := *a
	if a.Config != nil {
		c.Config = a.Config.cloneConfig()
	}
	return &c
}

// Channel is an ad channel. Its string is also the channel engagement
// events from that channel carry.
type Channel string

// Ad channels.
const (
	Channel6sense   Channel = "6sense" // 6sense display advertising
	ChannelLinkedIn Channel = "linkedin"
	ChannelGoogle   Channel = "google"
	ChannelMeta     Channel = "meta"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	return c == Channel6sense || c == ChannelLinkedIn || c == ChannelGoogle || c == ChannelMeta
}

// AdAudience adds each account to an audience on an ad channel. An ad
// audience action needs a decision upstream on every path into it.
type AdAudience struct {
	// Channel is the ad channel.
	Channel Channel `json:"channel"`
	// Connector names the connector that syncs the audience.
	Connector string `json:"connector"`
	// Audience names the audience (or campaign) on the channel.
	Audience string `json:"audience"`
}

// ActionKind returns [KindAdAudience].
func (c *AdAudience) ActionKind() Kind { return KindAdAudience }

// Level returns [LevelAccount].
func (c *AdAudience) Level() Level { return LevelAccount }

// Capabilities returns [CapAudienceSync].
func (c *AdAudience) Capabilities() []Capability { return []Capability{CapAudienceSync} }

// Refs returns the connector name.
func (c *AdAudience) Refs() Refs { return Refs{Connector: c.Connector} }

// MaxCredits returns 0.
func (c *AdAudience) MaxCredits() int { return 0 }

// AdRef returns what engagement with this audience looks like, for
// engaged() in filters.
func (c *AdAudience) AdRef() eval.AdRef {
	return eval.AdRef{Channel: string(c.Channel), Campaign: c.Audience}
}

func (c *AdAudience) validate(ps *problems) {
	switch {
	case c.Channel == "":
		ps.add("config.channel", "is empty")
	case !c.Channel.Valid():
		ps.add("config.channel", "%q is not an ad channel (want 6sense, linkedin, google or meta)", c.Channel)
	}
	checkText(ps, "config.connector", c.Connector, MaxNameLen, true)
	checkText(ps, "config.audience", c.Audience, MaxNameLen, true)
}

func (c *AdAudience) cloneConfig() ActionConfig { d := *c; return &d }

// Email enrols the account's contacts that match Persona in a
// conversational email campaign.
type Email struct {
	// Connector names the email connector.
	Connector string `json:"connector"`
	// Campaign names the email campaign.
	Campaign string `json:"campaign"`
	// Persona selects the contacts; the zero Persona takes all.
	Persona audience.Persona `json:"persona,omitzero"`
}

// ActionKind returns [KindEmail].
func (c *Email) ActionKind() Kind { return KindEmail }

// Level returns [LevelPeople].
func (c *Email) Level() Level { return LevelPeople }

// Capabilities returns [CapEmail].
func (c *Email) Capabilities() []Capability { return []Capability{CapEmail} }

// Refs returns the connector name.
func (c *Email) Refs() Refs { return Refs{Connector: c.Connector} }

// MaxCredits returns 0.
func (c *Email) MaxCredits() int { return 0 }

func (c *Email) validate(ps *problems) {
	checkText(ps, "config.connector", c.Connector, MaxNameLen, true)
	checkText(ps, "config.campaign", c.Campaign, MaxNameLen, true)
	checkPersona(ps, "config.persona", c.Persona)
}

func (c *Email) cloneConfig() ActionConfig { d := *c; d.Persona = clonePersona(c.Persona); return &d }

// System is the kind of system a campaign push goes to.
type System string

// Systems.
const (
	SystemCRM System = "crm" // customer relationship management
	SystemMAP System = "map" // marketing automation platform
	SystemSEP System = "sep" // sales engagement platform
)

// TargetKind says what a campaign push targets in its system.
type TargetKind string

// Target kinds: CRM and MAP take campaigns and lists, SEP sequences and
// cadences.
const (
	TargetCampaign TargetKind = "campaign"
	TargetList     TargetKind = "list"
	TargetSequence TargetKind = "sequence"
	TargetCadence  TargetKind = "cadence"
)

// CampaignPush pushes the account (Scope account) or its contacts that
// match Persona (Scope people) to a campaign, list, sequence or cadence in
// a CRM, MAP or SEP. SEP pushes are people-level.
type CampaignPush struct {
	// System is the kind of system.
	System System `json:"system"`
	// Connector names the connector to the system.
	Connector string `json:"connector"`
	// TargetKind is what Target names.
	TargetKind TargetKind `json:"target_kind"`
	// Target names the campaign, list, sequence or cadence.
	Target string `json:"target"`
	// Scope is LevelAccount or LevelPeople.
	Scope Level `json:"scope"`
	// Persona selects the contacts of a people-level push; the zero Persona
	// takes all. Account-level pushes have none.
	Persona audience.Persona `json:"persona,omitzero"`
}

// ActionKind returns [KindCampaignPush].
func (c *CampaignPush) ActionKind() Kind { return KindCampaignPush }

// Level returns c.Scope.
func (c *CampaignPush) Level() Level { return c.Scope }

// Capabilities returns [CapCampaignPush].
func (c *CampaignPush) Capabilities() []Capability { return []Capability{CapCampaignPush} }

// Refs returns the connector name.
func (c *CampaignPush) Refs() Refs { return Refs{Connector: c.Connector} }

// MaxCredits returns 0.
func (c *CampaignPush) MaxCredits() int { return 0 }

func (c *CampaignPush) validate(ps *problems) {
	var kinds []TargetKind
	switch c.System {
	case SystemCRM, SystemMAP:
		kinds = []TargetKind{TargetCampaign, TargetList}
	case SystemSEP:
		kinds = []TargetKind{TargetSequence, TargetCadence}
		if c.Scope == LevelAccount {
			ps.add("config.scope", "a SEP push is people-level")
		}
	case "":
		ps.add("config.system", "is empty")
	default:
		ps.add("config.system", "%q is not a system (want crm, map or sep)", c.System)
	}
	checkText(ps, "config.connector", c.Connector, MaxNameLen, true)
	switch {
	case c.TargetKind == "":
		ps.add("config.target_kind", "is empty")
	case kinds != nil && !contains(kinds, c.TargetKind):
		ps.add("config.target_kind", "%q is not a target of a %s push (want %s or %s)", c.TargetKind, c.System, kinds[0], kinds[1])
	case kinds == nil && !contains([]TargetKind{TargetCampaign, TargetList, TargetSequence, TargetCadence}, c.TargetKind):
		ps.add("config.target_kind", "%q is not a target kind", c.TargetKind)
	}
	checkText(ps, "config.target", c.Target, MaxNameLen, true)
	switch c.Scope {
	case LevelAccount:
		if !c.Persona.IsZero() {
			ps.add("config.persona", "an account-level push has no persona")
		}
	case LevelPeople:
	case "":
		ps.add("config.scope", "is empty (want account or people)")
	default:
		ps.add("config.scope", "%q is not a level (want account or people)", c.Scope)
	}
	checkPersona(ps, "config.persona", c.Persona)
}

func (c *CampaignPush) cloneConfig() ActionConfig {
	d := *c
	d.Persona = clonePersona(c.Persona)
	return &d
}

// PurchaseContacts buys up to MaxPerAccount contacts matching Persona for
// each account from a data provider, spending CreditsPerContact credits
// for each contact bought. Bought contacts join the account's contacts for
// the rest of the workflow.
type PurchaseContacts struct {
	// Connector names the data provider's connector.
	Connector string `json:"connector"`
	// Persona says which contacts to buy; the zero Persona buys any.
	Persona audience.Persona `json:"persona,omitzero"`
	// MaxPerAccount caps the contacts bought per account (1 to
	// [MaxPerAccount]).
	MaxPerAccount int `json:"max_per_account"`
	// CreditsPerContact is the price of one contact (0 to [MaxCreditsItem]).
	CreditsPerContact int `json:"credits_per_contact"`
}

// ActionKind returns [KindPurchaseContacts].
func (c *PurchaseContacts) ActionKind() Kind { return KindPurchaseContacts }

// Level returns [LevelAccount]: one purchase per account.
func (c *PurchaseContacts) Level() Level { return LevelAccount }

// Capabilities returns [CapContactPurchase].
func (c *PurchaseContacts) Capabilities() []Capability {
	return []Capability{CapContactPurchase}
}

// Refs returns the connector name.
func (c *PurchaseContacts) Refs() Refs { return Refs{Connector: c.Connector} }

// MaxCredits returns MaxPerAccount × CreditsPerContact.
func (c *PurchaseContacts) MaxCredits() int { return c.MaxPerAccount * c.CreditsPerContact }

func (c *PurchaseContacts) validate(ps *problems) {
	checkText(ps, "config.connector", c.Connector, MaxNameLen, true)
	checkPersona(ps, "config.persona", c.Persona)
	if c.MaxPerAccount < 1 || c.MaxPerAccount > MaxPerAccount {
		ps.add("config.max_per_account", "%d is out of range 1-%d", c.MaxPerAccount, MaxPerAccount)
	}
	if c.CreditsPerContact < 0 || c.CreditsPerContact > MaxCreditsItem {
		ps.add("config.credits_per_contact", "%d is out of range 0-%d", c.CreditsPerContact, MaxCreditsItem)
	}
}

func (c *PurchaseContacts) cloneConfig() ActionConfig {
	d := *c
	d.Persona = clonePersona(c.Persona)
	return &d
}

// SaveTarget is where purchased contacts are saved.
type SaveTarget string

// Save targets.
const (
	SaveCRM SaveTarget = "crm"
	SaveMAP SaveTarget = "map"
	SaveCSV SaveTarget = "csv"
)

// SaveContacts saves the contacts this workflow bought for the account
// (those matching Persona) to a CRM, MAP or CSV file, through a mapping
// profile, with match rules deciding which already exist.
type SaveContacts struct {
	// Target is crm, map or csv.
	Target SaveTarget `json:"target"`
	// Connector names the connector to the target.
	Connector string `json:"connector"`
	// MappingProfile names the mapping profile.
	MappingProfile string `json:"mapping_profile"`
	// MatchRules names the match rules.
	MatchRules string `json:"match_rules"`
	// Persona selects which purchased contacts to save; the zero Persona
	// saves all.
	Persona audience.Persona `json:"persona,omitzero"`
}

// ActionKind returns [KindSaveContacts].
func (c *SaveContacts) ActionKind() Kind { return KindSaveContacts }

// Level returns [LevelPeople].
func (c *SaveContacts) Level() Level { return LevelPeople }

// Capabilities returns [CapRecordFind] and [CapRecordWrite].
func (c *SaveContacts) Capabilities() []Capability {
	return []Capability{CapRecordFind, CapRecordWrite}
}

// Refs returns the connector, mapping profile and match rules names.
func (c *SaveContacts) Refs() Refs {
	return Refs{Connector: c.Connector, MappingProfile: c.MappingProfile, MatchRules: c.MatchRules}
}

// MaxCredits returns 0.
func (c *SaveContacts) MaxCredits() int { return 0 }

func (c *SaveContacts) validate(ps *problems) {
	switch c.Target {
	case SaveCRM, SaveMAP, SaveCSV:
	case "":
		ps.add("config.target", "is empty")
	default:
		ps.add("config.target", "%q is not a save target (want crm, map or csv)", c.Target)
	}
	checkText(ps, "config.connector", c.Connector, MaxNameLen, true)
	checkText(ps, "config.mapping_profile", c.MappingProfile, MaxNameLen, true)
	checkText(ps, "config.match_rules", c.MatchRules, MaxNameLen, true)
	checkPersona(ps, "config.persona", c.Persona)
}

func (c *SaveContacts) cloneConfig() ActionConfig {
	d := *c
	d.Persona = clonePersona(c.Persona)
	return &d
}

// CreateAccount creates the account in the CRM when its match rules find no
// existing record, through a mapping profile, spending CreditsPerAccount
// credits for each account created.
type CreateAccount struct {
	// Connector names the CRM connector.
	Connector string `json:"connector"`
	// MappingProfile names the mapping profile.
	MappingProfile string `json:"mapping_profile"`
	// MatchRules names the match rules that decide which accounts are new.
	MatchRules string `json:"match_rules"`
	// CreditsPerAccount is the price of one account created (0 to
	// [MaxCreditsItem]).
	CreditsPerAccount int `json:"credits_per_account"`
}

// ActionKind returns [KindCreateAccount].
func (c *CreateAccount) ActionKind() Kind { return KindCreateAccount }

// Level returns [LevelAccount].
func (c *CreateAccount) Level() Level { return LevelAccount }

// Capabilities returns [CapRecordFind] and [CapRecordWrite].
func (c *CreateAccount) Capabilities() []Capability {
	return []Capability{CapRecordFind, CapRecordWrite}
}

// Refs returns the connector, mapping profile and match rules names.
func (c *CreateAccount) Refs() Refs {
	return Refs{Connector: c.Connector, MappingProfile: c.MappingProfile, MatchRules: c.MatchRules}
}

// MaxCredits returns CreditsPerAccount.
func (c *CreateAccount) MaxCredits() int { return c.CreditsPerAccount }

func (c *CreateAccount) validate(ps *problems) {
	checkText(ps, "config.connector", c.Connector, MaxNameLen, true)
	checkText(ps, "config.mapping_profile", c.MappingProfile, MaxNameLen, true)
	checkText(ps, "config.match_rules", c.MatchRules, MaxNameLen, true)
	if c.CreditsPerAccount < 0 || c.CreditsPerAccount > MaxCreditsItem {
		ps.add("config.credits_per_account", "%d is out of range 0-%d", c.CreditsPerAccount, MaxCreditsItem)
	}
}

func (c *CreateAccount) cloneConfig() ActionConfig { d := *c; return &d }

// RemoveAudience takes each arriving account out of the audience of the
// upstream ad audience node AdNode, through that node's connector. The
// graph requires a timer between the ad node and this one.
type RemoveAudience struct {
	// AdNode is the id of the upstream ad audience node.
	AdNode string `json:"ad_node"`
}

// ActionKind returns [KindRemoveAudience].
func (c *RemoveAudience) ActionKind() Kind { return KindRemoveAudience }

// Level returns [LevelAccount].
func (c *RemoveAudience) Level() Level { return LevelAccount }

// Capabilities returns [CapAudienceSync].
func (c *RemoveAudience) Capabilities() []Capability { return []Capability{CapAudienceSync} }

// Refs returns no names: the connector is the ad node's.
func (c *RemoveAudience) Refs() Refs { return Refs{} }

// MaxCredits returns 0.
func (c *RemoveAudience) MaxCredits() int { return 0 }

func (c *RemoveAudience) validate(ps *problems) {
	switch {
	case c.AdNode == "":
		ps.add("config.ad_node", "is empty")
	case !ValidID(c.AdNode):
		ps.add("config.ad_node", "%q is not a valid node id", c.AdNode)
	}
}

func (c *RemoveAudience) cloneConfig() ActionConfig { d := *c; return &d }

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Compile-time checks.
var (
	_ Node         = (*Start)(nil)
	_ Node         = (*Decision)(nil)
	_ Node         = (*Timer)(nil)
	_ Node         = (*Action)(nil)
	_ ActionConfig = (*AdAudience)(nil)
	_ ActionConfig = (*Email)(nil)
	_ ActionConfig = (*CampaignPush)(nil)
	_ ActionConfig = (*PurchaseContacts)(nil)
	_ ActionConfig = (*SaveContacts)(nil)
	_ ActionConfig = (*CreateAccount)(nil)
	_ ActionConfig = (*RemoveAudience)(nil)
)

// NewConfig returns a new zero configuration for the action kind k, or
// false when k is not an action kind. Decoders use it to pick the type of a
// configuration by kind.
func NewConfig(k Kind) (ActionConfig, bool) {
	switch k {
	case KindAdAudience:
		return &AdAudience{}, true
	case KindEmail:
		return &Email{}, true
	case KindCampaignPush:
		return &CampaignPush{}, true
	case KindPurchaseContacts:
		return &PurchaseContacts{}, true
	case KindSaveContacts:
		return &SaveContacts{}, true
	case KindCreateAccount:
		return &CreateAccount{}, true
	case KindRemoveAudience:
		return &RemoveAudience{}, true
	}
	return nil, false
}
