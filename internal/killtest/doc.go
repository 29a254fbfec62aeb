// Package killtest holds the engine-level crash test of the durable store:
// the test binary re-executes itself as a child that runs a workflow
// against an SQLite file and posts to a webhook receiver in the parent, and
// the parent kills the child with SIGKILL at random moments. It has no
// non-test code.
package killtest
