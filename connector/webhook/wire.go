package webhook

import (
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
)

// Actions: the "action" member of a request, one per capability method.
const (
	ActionAudienceAdd    = "audience.add"
	ActionAudienceRemove = "audience.remove"
	ActionEmailEnroll    = "email.enroll"
	ActionPushAccounts   = "campaign.push_accounts"
	ActionPushContacts   = "campaign.push_contacts"
	ActionWriteRecords   = "records.write"
)

// Item result statuses in a Response.
const (
	StatusDone      = "done"
	StatusTransient = "transient"
	StatusPermanent = "permanent"
)

// Request is the JSON body the connector posts. Receivers decode it after
// Verify.
type Request struct {
	// Action says what to do with the items (ActionAudienceAdd…).
	Action string `json:"action"`
	// Target is the audience, campaign, list, sequence or cadence id, or
	// the mapping profile's name for ActionWriteRecords.
	Target string `json:"target"`
	// Connector is the sending connector's name.
	Connector string `json:"connector"`
	// Profile describes the mapping profile (ActionWriteRecords only).
	Profile *Profile `json:"profile,omitempty"`
	Items   []Item   `json:"items"`
}

// Profile is the mapping profile of a records.write request.
type Profile struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Environment string   `json:"environment"`
	Fields      []string `json:"fields"`
}

// Item is one item of a request; Key is its idempotency key. Account is
// set for account items, Contact (and Account) for contact items, Record
// for record writes.
type Item struct {
	Key     string   `json:"key"`
	Account *Account `json:"account,omitempty"`
	Contact *Contact `json:"contact,omitempty"`
	Record  *Record  `json:"record,omitempty"`
}

// Account is an account on the wire.
type Account struct {
	ID          string  `json:"id"`
	Name        string  `json:"name,omitempty"`
	Domain      string  `json:"domain,omitempty"`
	Country     string  `json:"country,omitempty"`
	Region      string  `json:"region,omitempty"`
	Industry    string  `json:"industry,omitempty"`
	Employees   int64   `json:"employees,omitempty"`
	Revenue     float64 `json:"revenue,omitempty"`
	BuyingStage string  `json:"buying_stage,omitempty"`
	IntentScore int64   `json:"intent_score,omitempty"`
	ProfileFit  string  `json:"profile_fit,omitempty"`
}

// Contact is a contact on the wire.
type Contact struct {
	ID          string `json:"id"`
	AccountID   string `json:"account_id,omitempty"`
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Title       string `json:"title,omitempty"`
	JobLevel    string `json:"job_level,omitempty"`
	JobFunction string `json:"job_function,omitempty"`
	Country     string `json:"country,omitempty"`
	Phone       string `json:"phone,omitempty"`
}

// Record is a mapped record on the wire: target field → value (string,
// number, bool, list of strings, or RFC 3339 time; absent values null).
type Record struct {
	Kind   string         `json:"kind"`
	Fields map[string]any `json:"fields"`
}

// Response is the JSON body a receiver may answer a 2xx with. An empty
// body, or one without "results", means every item is done. With results,
// an item whose key has no result is transient (ErrNotAcknowledged).
type Response struct {
	Results []ItemResult `json:"results"`
}

// ItemResult is the outcome of the item(s) with Key: Status is "done",
// "transient" or "permanent" (anything else is read as transient, with
// ErrBadResponse); Error explains a failure; RetryAfter, in seconds, asks
// for a wait before a transient item is resent; ID is the receiver's id
// for the item, if any.
type ItemResult struct {
	Key        string  `json:"key"`
	Status     string  `json:"status"`
	Error      string  `json:"error,omitempty"`
	RetryAfter float64 `json:"retry_after,omitempty"`
	ID         string  `json:"id,omitempty"`
}

func wireAccount(a *audience.Account) *Account {
	if a == nil {
		return nil
	}
	return &Account{
		ID: a.ID, Name: a.Name, Domain: a.Domain, Country: a.Country, Region: a.Region, Industry: a.Industry,
		Employees: a.Employees, Revenue: a.Revenue, BuyingStage: a.BuyingStage.String(), IntentScore: a.IntentScore,
		ProfileFit: a.ProfileFit.String(),
	}
}

func wireContact(c *audience.Contact) *Contact {
	if c == nil {
		return nil
	}
	return &Contact{
		ID: c.ID, AccountID: c.AccountID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
		Title: c.Title, JobLevel: c.JobLevel, JobFunction: c.JobFunction, Country: c.Country, Phone: c.Phone,
	}
}

func wireRecord(r connector.Record) *Record {
	out := &Record{Kind: r.Kind.String(), Fields: make(map[string]any, len(r.Fields))}
	for i, f := range r.Fields {
		var v any
		if i < len(r.Values) {
			v = r.Values[i]
		}
		switch x := v.(type) {
		case nil, string, int64, int, float64, bool, []string:
			out.Fields[f] = x
		case time.Time:
			if x.IsZero() {
				out.Fields[f] = nil
			} else {
				out.Fields[f] = x.Format(time.RFC3339Nano)
			}
		default:
			out.Fields[f] = connector.FormatValue(x)
		}
	}
	return out
}
