package store

import (
	"net/url"
	"strconv"
	"strings"
)

// ActionKey returns the idempotency key of an account-level action: stable
// across retries, crashes and publishes (it does not include the version),
// unique per (workflow, node, account, entry number). The engine keys its
// intents with it (playgraph.ActionKey is this function).
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

// ActionKeyAccount returns the account id named by key when key reads like
// an [ActionKey] ("pg1:", then fields separated by ':', the last two a
// decimal entry number and a non-empty account id) whose account id needed
// no escaping (generated ids and most real ones); otherwise ok is false.
// It reads the form loosely (it does not check the other fields), but a
// [ContactKey] is never read as one. It depends on key alone and never
// allocates, so a store may use it to keep an intent beside its account's
// state and to find it again from the key.
func ActionKeyAccount(key string) (account string, ok bool) {
	if !strings.HasPrefix(key, "pg1:") {
		return "", false
	}
	i := strings.LastIndexByte(key, ':')
	if i == len(key)-1 {
		return "", false
	}
	j := strings.LastIndexByte(key[:i], ':') // the entry lies between j and i
	if j < len("pg1:")-1 || j+1 == i {
		return "", false
	}
	for k := j + 1; k < i; k++ {
		if key[k] < '0' || key[k] > '9' {
			return "", false
		}
	}
	account = key[i+1:]
	for k := 0; k < len(account); k++ {
		if !unreserved[account[k]] {
			return "", false
		}
	}
	return account, true
}

// ContactKey returns the idempotency key of one contact's item in a
// people-level action: the account-level key plus ":c:" and the escaped
// contact id, so each contact has its own key.
func ContactKey(actionKey, contactID string) string {
	return actionKey + ":c:" + url.QueryEscape(contactID)
}

// Unreserved reports whether url.QueryEscape leaves ch as it is: an id made
// of such bytes appears in an [ActionKey] as it is.
func Unreserved(ch byte) bool { return unreserved[ch] }

var unreserved = func() (t [256]bool) {
	for ch := range 256 {
		c := byte(ch)
		t[ch] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~'
	}
	return t
}()
