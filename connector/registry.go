package connector

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
)

// Registry holds connectors by name and answers capability questions; the
// engine's publish checks use it. The zero value is empty and ready to use;
// a Registry is safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Connector
}

// NewRegistry returns a registry holding cs (see Register).
func NewRegistry(cs ...Connector) (*Registry, error) {
	r := &Registry{}
	if err := r.Register(cs...); err != nil {
		return nil, err
	}
	return r, nil
}

// Register adds connectors under their names. A nil connector or an empty
// name is an error wrapping ErrInvalidConnector, a taken name one wrapping
// ErrDuplicate; on error nothing is added.
func (r *Registry) Register(cs ...Connector) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]bool, len(cs))
	for i, c := range cs {
		if isNil(c) {
			return fmt.Errorf("%w: connector %d is nil", ErrInvalidConnector, i)
		}
		n := c.Name()
		if n == "" {
			return fmt.Errorf("%w: connector %d has no name (use connector.NewBase)", ErrInvalidConnector, i)
		}
		if _, dup := r.m[n]; dup || seen[n] {
			return fmt.Errorf("%w: %q", ErrDuplicate, n)
		}
		seen[n] = true
	}
	if r.m == nil {
		r.m = make(map[string]Connector, len(cs))
	}
	for _, c := range cs {
		r.m[c.Name()] = c
	}
	return nil
}

// Get returns the connector registered as name, or an error wrapping
// ErrNotRegistered.
func (r *Registry) Get(name string) (Connector, error) {
	r.mu.RLock()
	c, ok := r.m[name]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotRegistered, name)
	}
	return c, nil
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	r.mu.RUnlock()
	slices.Sort(out)
	return out
}

// Require checks that name is registered and has every capability in caps.
// It returns an error wrapping ErrNotRegistered, or a *CapabilityError
// (wrapping ErrMissingCapability) listing every capability missing.
func (r *Registry) Require(name string, caps ...Capability) error {
	c, err := r.Get(name)
	if err != nil {
		return err
	}
	var missing []Capability
	for _, cp := range caps {
		if !Has(c, cp) && !slices.Contains(missing, cp) {
			missing = append(missing, cp)
		}
	}
	if len(missing) > 0 {
		return &CapabilityError{Connector: name, Missing: missing}
	}
	return nil
}

// Lookup returns the connector registered as name as capability interface
// T (for instance connector.AudienceSyncer). The error wraps
// ErrNotRegistered, or ErrMissingCapability when the connector does not
// implement T.
func Lookup[T Connector](r *Registry, name string) (T, error) {
	var zero T
	c, err := r.Get(name)
	if err != nil {
		return zero, err
	}
	t, ok := c.(T)
	if !ok {
		return zero, fmt.Errorf("%w: connector %q is not a %T", ErrMissingCapability, name, (*T)(nil))
	}
	return t, nil
}

// isNil reports whether c is nil, or an interface holding a nil pointer
// (or other nil reference), whose methods would panic.
func isNil(c Connector) bool {
	if c == nil {
		return true
	}
	switch v := reflect.ValueOf(c); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}
