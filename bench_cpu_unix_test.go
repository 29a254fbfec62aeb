//go:build unix

package playgraph_test

import "syscall"

// cpuNanos returns the process's user+system CPU time so far, or -1.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
