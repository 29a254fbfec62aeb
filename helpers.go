package playgraph

import "github.com/playgraph/playgraph/node"

func timerOf(n node.Node) (*node.Timer, bool) {
	t, ok := n.(*node.Timer)
	return t, ok
}
