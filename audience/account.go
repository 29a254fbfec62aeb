package audience

import (
	"time"
)

// Account is a company: the unit a workflow routes. Its typed fields are the
// firmographic and predictive data 6sense-style sources provide; CRM, MAP and
// Custom hold attributes whose keys are declared, with a type, in a [Catalog]
// before filters or mapping profiles may use them.
//
// An Account handed to the engine must not be modified while a run uses it.
type Account struct {
	ID       string
	Name     string
	Domain   string
	Country  string
	Region   string
	Industry string
	// Employees is the head count.
	Employees int64
	// Revenue is the yearly revenue in US dollars.
	Revenue float64
	// BuyingStage is the predicted stage of the buying journey.
	BuyingStage BuyingStage
	// IntentScore is the predictive intent score, 0–100.
	IntentScore int64
	// ProfileFit is how well the account fits the ideal customer profile.
	ProfileFit ProfileFit
	// Keywords are the intent keywords the account has researched.
	Keywords []string
	// ResearchedCompetitors are the competitors the account has researched.
	ResearchedCompetitors []string
	// LastVisit is the time of the last web visit (zero if none).
	LastVisit time.Time
	// CreatedAt is when the account first appeared in the source.
	CreatedAt time.Time
	// Events are engagement events the source returns with the account.
	Events []Event
	// CRM, MAP and Custom hold declared attributes (see [Catalog]). Values
	// must have the declared type: string, int64, float64, bool, time.Time or
	// []string.
	CRM    map[string]any
	MAP    map[string]any
	Custom map[string]any
}

// Contact is a person at an account.
type Contact struct {
	ID          string
	AccountID   string
	FirstName   string
	LastName    string
	Email       string
	Title       string
	JobLevel    string
	JobFunction string
	Country     string
	Phone       string
}

// Name is the contact's full name.
func (c *Contact) Name() string {
	switch {
	case c.FirstName == "":
		return c.LastName
	case c.LastName == "":
		return c.FirstName
	}
	return c.FirstName + " " + c.LastName
}

// EventKind says what happened in an engagement event.
type EventKind string

// Engagement event kinds. Connectors may report others; filters compare kinds
// as plain strings.
const (
	KindClick      EventKind = "click"
	KindImpression EventKind = "impression"
	KindReply      EventKind = "reply"
	KindOpen       EventKind = "open"
	KindVisit      EventKind = "visit"
	KindFormFill   EventKind = "form_fill"
)

// Event is one engagement: an account (optionally one of its contacts) did
// Kind on a Channel, for a Campaign. Campaign holds the campaign id or the
// workflow node id the engagement is attributed to.
type Event struct {
	AccountID string
	ContactID string
	Channel   string
	Campaign  string
	Kind      EventKind
	At        time.Time
}

// Segment is a named set of accounts. Filter, when set, is the expression that
// defines the segment (in the eval expression language); it is used to tell
// whether the segment depends on behavioural fields.
type Segment struct {
	ID     string
	Name   string
	Filter string
}
