package playgraph

import (
	"runtime"
	"testing"
)

// TestOptionDefaults: the zero Options get the documented defaults, and
// set values are kept.
func TestOptionDefaults(t *testing.T) {
	d := (&Options{}).withDefaults()
	if d.BatchSize != 1024 {
		t.Errorf("default BatchSize = %d, want 1024", d.BatchSize)
	}
	if want := runtime.GOMAXPROCS(0) + 1; d.Concurrency != want {
		t.Errorf("default Concurrency = %d, want GOMAXPROCS+1 = %d", d.Concurrency, want)
	}
	if d.Store == nil || d.Clock == nil || d.Logger == nil {
		t.Errorf("defaults left a nil store, clock or logger: %+v", d)
	}
	set := (&Options{BatchSize: 7, Concurrency: 5}).withDefaults()
	if set.BatchSize != 7 || set.Concurrency != 5 {
		t.Errorf("set values changed: batch %d, concurrency %d", set.BatchSize, set.Concurrency)
	}
}
