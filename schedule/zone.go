package schedule

import (
	"fmt"
	"sync"
	"time"
)

// zones caches the locations loaded by [LoadLocation], by name. Only
// successful loads are cached, so the cache holds at most one entry per
// zone of the database.
var zones sync.Map // string -> *time.Location

// LoadLocation returns the IANA time zone called name, loading it once per
// process and answering later calls from a cache. "" and "UTC" are
// [time.UTC]. "Local" is refused (it depends on the host), as is any name
// the zone database does not know; the error wraps [ErrUnknownZone].
//
// Where the host has no zone database, the binary must import time/tzdata
// (see the package documentation).
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("%w: %q depends on the host; name an IANA zone such as \"Europe/Berlin\"", ErrUnknownZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrUnknownZone, name, err)
	}
	v, _ := zones.LoadOrStore(name, loc)
	return v.(*time.Location), nil
}
