package playgraph

import "github.com/playgraph/playgraph/store"

// ActionKey returns the idempotency key of an account-level action: stable
// across retries, crashes and publishes (it does not include the version),
// unique per (workflow, node, account, entry number). It is
// [store.ActionKey].
//
// Keys read "pg1:<workflow>:<node>:<entry>:<account>" with the account id
// query-escaped, so ids holding ':' cannot collide.
func ActionKey(workflowID, nodeID, accountID string, entry uint32) string {
	return store.ActionKey(workflowID, nodeID, accountID, entry)
}

// ContactKey returns the idempotency key of one contact's item in a
// people-level action: the account-level key plus ":c:" and the escaped
// contact id, so each contact has its own key. It is [store.ContactKey].
func ContactKey(actionKey, contactID string) string {
	return store.ContactKey(actionKey, contactID)
}
