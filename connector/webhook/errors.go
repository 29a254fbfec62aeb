package webhook

import (
	"errors"
	"fmt"
)

// Sentinel errors of package webhook.
var (
	// ErrConfig: an invalid Config.
	ErrConfig = errors.New("webhook: invalid config")
	// ErrSignature: a request whose signature is missing, malformed, stale
	// or wrong (receiver side, see Verify).
	ErrSignature = errors.New("webhook: bad signature")
	// ErrNotAcknowledged: a 2xx response whose results leave an item out;
	// the item is transient (sent again under the same key).
	ErrNotAcknowledged = errors.New("webhook: item not acknowledged")
	// ErrBadResponse: a 2xx response the connector cannot read, or an item
	// result with an unknown status; the items concerned are transient.
	ErrBadResponse = errors.New("webhook: unreadable response")
	// ErrRejected: the receiver reported an item failed; the item result's
	// error text follows.
	ErrRejected = errors.New("webhook: item rejected")
)

// StatusError is a non-2xx HTTP response. It never holds the URL's query,
// user info or the secret.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Endpoint is the URL without user info, query or fragment.
	Endpoint string
	// Body is the start of the response body (at most 256 bytes).
	Body string
}

// Error implements error.
func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("webhook %s: HTTP %d", e.Endpoint, e.Code)
	}
	return fmt.Sprintf("webhook %s: HTTP %d: %s", e.Endpoint, e.Code, e.Body)
}

// Transient reports whether the status is worth retrying: 408, 429, 5xx.
func (e *StatusError) Transient() bool {
	return e.Code == 408 || e.Code == 429 || e.Code >= 500
}
