package sqlite

import "context"

// OpenAtVersion opens a store migrated only up to schema version v, to
// make fixtures of older files.
func OpenAtVersion(ctx context.Context, path string, v int) (*Store, error) {
	return open(ctx, path, v, nil)
}
