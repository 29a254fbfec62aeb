// Package webhook is a connector that posts JSON batches to an HTTP
// endpoint. It implements audience sync, email enrolment, campaign push and
// record writing; the body's "action" says which.
//
// # Request
//
// POST to the configured URL, Content-Type application/json, body a
// [Request]:
//
//	{"action": "audience.add", "target": "aud-42", "connector": "hooks",
//	 "items": [{"key": "wf1/n3/acct-1/1", "account": {"id": "acct-1", ...}}]}
//
// Actions: audience.add, audience.remove (account items), email.enroll,
// campaign.push_accounts, campaign.push_contacts (contact items carry the
// contact and its account), records.write (items carry the mapped record;
// the request carries the profile). Every item carries its idempotency key;
// items without one are refused (permanent) and not sent.
//
// Headers:
//
//   - Idempotency-Key: the batch key, hex SHA-256 of the item keys sorted
//     and joined by "\n" ([BatchKey]): a resent batch has the same key.
//   - X-Playgraph-Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256>", the
//     MAC keyed with the shared secret over the decimal timestamp, a '.',
//     and the exact body bytes ([Sign]). Receivers check it with [Verify]
//     or [VerifyBody], which also reject timestamps more than 5 minutes
//     away from their clock (replays).
//   - X-Playgraph-Action: the action, for routing.
//
// # Response
//
//   - 2xx with an empty body, or a JSON body without "results": every item
//     is done.
//   - 2xx with a [Response] body {"results": [{"key": "...", "status":
//     "done"|"transient"|"permanent", "error": "...", "retry_after": 30,
//     "id": "..."}]}: each item gets the result for its key; an item left
//     out is transient ([ErrNotAcknowledged]) and will be resent under the
//     same key, which a deduping receiver ignores. An unknown status, or a
//     body that is not JSON, is transient ([ErrBadResponse]).
//   - 408, 429 and 5xx: the whole call failed transiently; a Retry-After
//     header (seconds or an HTTP date) becomes the results' RetryAfter.
//   - Any other status (other 4xx, an unfollowed 3xx): the whole call
//     failed permanently.
//   - No response (refused, reset, timed out after Config.Timeout): the
//     whole call failed transiently.
//
// Whole-call failures are returned as errors, per the connector contract
// (see connector.Resolve).
//
// # Secrets
//
// The secret, the extra headers and the URL's user info, query and
// fragment never appear in errors or logs; errors name the endpoint as
// scheme://host/path.
package webhook
