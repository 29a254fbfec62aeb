package playgraph

import (
	"net/url"
	"strconv"
	"strings"
)

// ActionKey returns the idempotency key of an account-level action: stable
// across retries, crashes and publishes (it does not include the version),
// unique per (workflow, node, account, entry number).
//
// Keys read "pg1:<workflow>:<node>:<entry>:<account>" with the account id
// query-escaped, so ids holding ':' cannot collide.
func ActionKey(workflowID, nodeID, accountID string, entry uint32) string {
	var b strings.Builder
	acct := url.QueryEscape(accountID)
	b.Grow(8 + len(workflowID) + len(nodeID) + len(acct) + 10)
	b.WriteString("pg1:")
	b.WriteString(workflowID)
	b.WriteByte(':')
	b.WriteString(nodeID)
	b.WriteByte(':')
	b.WriteString(strconv.FormatUint(uint64(entry), 10))
	b.WriteByte(':')
	b.WriteString(acct)
	return b.String()
}

// ContactKey returns the idempotency key of one contact's item in a
// people-level action: the account-level key plus ":c:" and the escaped
// contact id, so each contact has its own key.
func ContactKey(actionKey, contactID string) string {
	return actionKey + ":c:" + url.QueryEscape(contactID)
}
