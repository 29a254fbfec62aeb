package memstore_test

import (
	"testing"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
	"github.com/playgraph/playgraph/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func() store.Store { return memstore.New() })
}
