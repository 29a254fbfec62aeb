package sqlite_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/sqlite"
)

// Two holders race for one lease on one file. Whoever holds it enters a
// critical section marked by a file created with O_EXCL (so that a second
// holder inside at the same time fails to create it), writes a fenced
// batch, leaves and releases; now and then a holder walks away without
// releasing, shortening its lease first, so that the other must wait for
// expiry. The lease TTL is long against the time spent inside, so a
// holder is never inside past its expiry.

const (
	leaseChildEnv  = "PLAYGRAPH_SQLITE_LEASE_CHILD"
	leaseHolderEnv = "PLAYGRAPH_SQLITE_LEASE_HOLDER"
	leaseForEnv    = "PLAYGRAPH_SQLITE_LEASE_FOR"
)

// contend acquires the lease "wf" as holder until stop, entering the
// critical section marked by marker each time it holds it, and reports
// each grant's token.
func contend(ctx context.Context, s *sqlite.Store, holder, marker string, stop time.Time, grant func(token uint64)) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(len(holder))))
	for time.Now().Before(stop) {
		l, err := s.AcquireLease(ctx, "wf", holder, time.Now(), 5*time.Second)
		if errors.Is(err, store.ErrLeaseHeld) {
			time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
			continue
		}
		if err != nil {
			return err
		}
		f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("VIOLATION: %s holds token %d while another holder is inside: %v", holder, l.Token, err)
		}
		f.Close()
		grant(l.Token)
		b := &store.Batch{Fence: l.Token, States: []store.AccountState{{Account: "owner", Status: store.StatusActive, Node: holder, Entry: uint32(l.Token)}}}
		if err := s.Apply(ctx, "wf", b); err != nil {
			return fmt.Errorf("%s: fenced write with the current token: %w", holder, err)
		}
		time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
		walkAway := rng.IntN(25) == 0
		if walkAway {
			// Shorten the lease and leave without releasing it.
			if _, err := s.RenewLease(ctx, l, time.Now(), 20*time.Millisecond); err != nil {
				return err
			}
		}
		if err := os.Remove(marker); err != nil {
			return err
		}
		if !walkAway {
			if err := s.ReleaseLease(ctx, l); err != nil {
				return err
			}
		}
		if !walkAway {
			// A released token is fenced.
			if err := s.Apply(ctx, "wf", &store.Batch{Fence: l.Token, States: b.States}); !errors.Is(err, store.ErrFenced) {
				return fmt.Errorf("%s: write with a released token: %v", holder, err)
			}
		}
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Microsecond)
	}
	return nil
}

// TestLeaseChild is a contender process of TestLeaseTwoProcesses.
func TestLeaseChild(t *testing.T) {
	path := os.Getenv(leaseChildEnv)
	if path == "" {
		t.Skip("run by TestLeaseTwoProcesses")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	d, _ := time.ParseDuration(os.Getenv(leaseForEnv))
	err = contend(ctx, s, os.Getenv(leaseHolderEnv), path+".inside", time.Now().Add(d), func(token uint64) {
		fmt.Printf("grant %d\n", token)
	})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	s.Close()
	os.Exit(0)
}

func leaseDuration() time.Duration {
	if testing.Short() {
		return 700 * time.Millisecond
	}
	return 3 * time.Second
}

// checkGrants checks that every token was granted to one holder (one
// that walked away from its live lease may take it again with the same
// token) and reports how many grants each holder got.
func checkGrants(t *testing.T, grants map[string][]uint64) {
	t.Helper()
	seen := map[uint64]string{}
	for h, toks := range grants {
		for k, tok := range toks {
			if k > 0 && tok == toks[k-1] {
				continue // its own live lease again
			}
			if other, ok := seen[tok]; ok {
				t.Fatalf("token %d granted to %s and %s", tok, other, h)
			}
			seen[tok] = h
			if k > 0 && tok < toks[k-1] {
				t.Fatalf("%s: token %d after %d", h, tok, toks[k-1])
			}
		}
		t.Logf("%s: %d grants", h, len(toks))
	}
	for h, toks := range grants {
		if len(toks) == 0 {
			t.Fatalf("%s never got the lease", h)
		}
	}
}

func TestLeaseTwoProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "lease.db")
	s := func() *sqlite.Store { // create the file before the race
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	s.Close()
	grants := map[string][]uint64{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, holder := range []string{"proc-a", "proc-b"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseChild$")
		cmd.Env = append(os.Environ(), leaseChildEnv+"="+path, leaseHolderEnv+"="+holder, leaseForEnv+"="+leaseDuration().String())
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		grants[holder] = []uint64{}
		mu.Unlock()
		wg.Go(func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				switch {
				case strings.HasPrefix(line, "grant "):
					n, _ := strconv.ParseUint(strings.TrimPrefix(line, "grant "), 10, 64)
					mu.Lock()
					grants[holder] = append(grants[holder], n)
					mu.Unlock()
				case strings.HasPrefix(line, "error "):
					errs <- errors.New(holder + ": " + line)
				}
			}
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("%s: %v", holder, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkGrants(t, grants)
}

// TestLeaseTwoHandles races two Stores of one process on one file (each
// with its own connections, as two processes have): never both inside.
func TestLeaseTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lease.db")
	marker := path + ".inside"
	stop := time.Now().Add(leaseDuration() / 2)
	// Every holder's entry exists before the first goroutine starts
	// appending (under mu) to the map.
	grants := map[string][]uint64{"handle-a": {}, "handle-b": {}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var failed atomic.Value
	for _, holder := range []string{"handle-a", "handle-b"} {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Go(func() {
			err := contend(t.Context(), s, holder, marker, stop, func(tok uint64) {
				mu.Lock()
				grants[holder] = append(grants[holder], tok)
				mu.Unlock()
			})
			if err != nil {
				failed.Store(err)
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		t.Fatal(err)
	}
	checkGrants(t, grants)
}
