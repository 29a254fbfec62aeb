package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/sqlite"
	"github.com/playgraph/playgraph/store/storetest"
)

// open opens a fresh store in a temporary file, closed when the test ends.
func open(t testing.TB, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "playgraph.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func() store.Store { return open(t) })
}
