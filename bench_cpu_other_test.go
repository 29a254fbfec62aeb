//go:build !unix

package playgraph_test

// cpuNanos is unavailable here.
func cpuNanos() int64 { return -1 }
