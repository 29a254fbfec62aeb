package playgraph

import (
	"testing"

	"github.com/playgraph/playgraph/store"
)

// TestChunkActionKeyMatchesActionKey: the hot path's key builder agrees
// with ActionKey, escaping included.
func TestChunkActionKeyMatchesActionKey(t *testing.T) {
	c := &chunk{rs: &runState{w: store.Workflow{ID: "wf-1"}}}
	for _, id := range []string{"acct-0000001", "a", "A.b_c~d-9", "a:b", "a b", "é", "a/b?c=d&e", "%41", "+"} {
		for _, entry := range []uint32{1, 7, 4294967295} {
			if got, want := c.actionKey("node_1", id, entry), ActionKey("wf-1", "node_1", id, entry); got != want {
				t.Errorf("actionKey(%q, %d) = %q, want %q", id, entry, got, want)
			}
		}
	}
}
