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
	"testing"
	"time"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store/sqlite"
)

// Two processes spend from one allocation on one file. Each reserves 1 to
// 8 credits (and up to 2 contacts) under its own keys, commits part of a
// reservation, releases it or keeps holding it (up to 4 at once), until
// the allocation has refused it creditRefusals times; then it releases
// what it holds. Every call is reported on stdout once it has returned.

const (
	creditChildEnv = "PLAYGRAPH_SQLITE_CREDIT_CHILD"
	creditProcEnv  = "PLAYGRAPH_SQLITE_CREDIT_PROC"
	creditAlloc    = 300
	creditRefusals = 20
)

var (
	spendPool = credit.Pool{ID: "2030", Start: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), Total: 1000}
	spendAt   = time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
)

// spend runs one process's loop, reporting "reserved KEY N", "spent KEY
// N BOUGHT", "released KEY" and "refused".
func spend(ctx context.Context, s *sqlite.Store, proc string, report func(format string, args ...any)) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(len(proc))))
	var held []credit.Reservation
	deadline := time.Now().Add(30 * time.Second) // never run away
	for n, refused := 0, 0; refused < creditRefusals; n++ {
		if time.Now().After(deadline) {
			return errors.New("the allocation was never spent")
		}
		if len(held) == 0 || (len(held) < 4 && rng.IntN(2) == 0) {
			key := fmt.Sprintf("%s-%d", proc, n)
			r, err := s.Reserve(ctx, credit.ReserveRequest{App: credit.AppAudienceWorkflows, Key: key, Credits: 1 + rng.Int64N(8),
				Contacts: rng.Int64N(3), User: proc, UserType: "rep", At: spendAt}, credit.Limits{})
			var ie *credit.InsufficientError
			switch {
			case errors.As(err, &ie):
				if ie.Available >= ie.Requested || ie.Available < 0 {
					return fmt.Errorf("refused %d credits with %d available", ie.Requested, ie.Available)
				}
				refused++
				report("refused")
				continue
			case err != nil:
				return err
			}
			held = append(held, r)
			report("reserved %s %d", r.Key, r.Credits)
			continue
		}
		j := rng.IntN(len(held))
		r := held[j]
		held = append(held[:j], held[j+1:]...)
		if rng.IntN(3) == 0 {
			if _, err := s.Release(ctx, credit.ReleaseRequest{Key: r.Key, At: spendAt}); err != nil {
				return err
			}
			report("released %s", r.Key)
			continue
		}
		c, err := s.Commit(ctx, credit.CommitRequest{Key: r.Key, Credits: 1 + rng.Int64N(r.Credits), Contacts: rng.Int64N(r.Contacts + 1), At: spendAt})
		if err != nil {
			return err
		}
		report("spent %s %d %d", c.Key, c.Spent, c.Bought)
	}
	for _, r := range held {
		if _, err := s.Release(ctx, credit.ReleaseRequest{Key: r.Key, At: spendAt}); err != nil {
			return err
		}
		report("released %s", r.Key)
	}
	return nil
}

// TestCreditChild is a spending process of TestCreditsTwoProcesses.
func TestCreditChild(t *testing.T) {
	path := os.Getenv(creditChildEnv)
	if path == "" {
		t.Skip("run by TestCreditsTwoProcesses")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	// Start together: report ready, wait for the parent's go.
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fmt.Printf("error waiting for go: %v\n", err)
		os.Exit(1)
	}
	if err := spend(ctx, s, os.Getenv(creditProcEnv), func(format string, args ...any) { fmt.Printf(format+"\n", args...) }); err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	s.Close()
	os.Exit(0)
}

// spendLog is what the processes reported.
type spendLog struct {
	mu       sync.Mutex
	reserved map[string]int64 // key → credits held
	spent    map[string]int64 // key → credits spent
	bought   int64
	released map[string]bool
	refused  map[string]int // by process
}

func (l *spendLog) line(proc, line string) error {
	f := strings.Fields(line)
	l.mu.Lock()
	defer l.mu.Unlock()
	num := func(i int) int64 {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return n
	}
	switch {
	case f[0] == "reserved" && len(f) == 3:
		if _, ok := l.reserved[f[1]]; ok {
			return fmt.Errorf("%s reserved %s twice", proc, f[1])
		}
		l.reserved[f[1]] = num(2)
	case f[0] == "spent" && len(f) == 4:
		l.spent[f[1]] = num(2)
		l.bought += num(3)
	case f[0] == "released" && len(f) == 2:
		l.released[f[1]] = true
	case f[0] == "refused":
		l.refused[proc]++
	default:
		return fmt.Errorf("%s: %s", proc, line)
	}
	return nil
}

// TestCreditsTwoProcesses: two processes reserve, commit and release
// credits from one allocation in one file at once, until it is spent.
// Afterwards spent + reserved + available == allocated, nothing is
// reserved, the history sums to the balance and its running available
// balance never went negative, every reservation a process reported is in
// the history once, and what they spent adds up to the ledger's Spent: no
// process overspent, no credit was lost or created.
func TestCreditsTwoProcesses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "credits.db")
	ctx := t.Context()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreatePool(ctx, spendPool); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Allocate(ctx, credit.AllocateRequest{Pool: spendPool.ID, App: credit.AppAudienceWorkflows, Amount: creditAlloc, User: "admin", At: spendPool.Start}); err != nil {
		t.Fatal(err)
	}
	log := &spendLog{reserved: map[string]int64{}, spent: map[string]int64{}, released: map[string]bool{}, refused: map[string]int{}}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	var ready sync.WaitGroup
	var gos []func()
	for _, proc := range []string{"a", "b"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCreditChild$")
		cmd.Env = append(os.Environ(), creditChildEnv+"="+path, creditProcEnv+"="+proc)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		gos = append(gos, func() { fmt.Fprintln(in, "go"); in.Close() })
		ready.Add(1)
		wg.Go(func() {
			sc := bufio.NewScanner(out)
			isReady := false
			defer func() {
				if !isReady {
					ready.Done()
				}
			}()
			for sc.Scan() {
				line := sc.Text()
				if line == "ready" && !isReady {
					isReady = true
					ready.Done()
					continue
				}
				if strings.HasPrefix(line, "error ") {
					errs <- fmt.Errorf("%s: %s", proc, line)
					continue
				}
				if strings.HasPrefix(line, "=== ") || line == "" {
					continue
				}
				if err := log.line(proc, line); err != nil {
					errs <- err
				}
			}
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("%s: %v", proc, err)
			}
		})
	}
	ready.Wait()
	for _, g := range gos {
		g()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	b, err := s.Balance(ctx, spendPool.ID, credit.AppAudienceWorkflows)
	if err != nil {
		t.Fatal(err)
	}
	var spent int64
	for _, n := range log.spent {
		spent += n
	}
	if b.Allocated != creditAlloc || b.Reserved != 0 || b.Expired != 0 || b.Spent != spent ||
		b.Spent+b.Reserved+b.Available != b.Allocated || b.Available < 0 || b.Spent > creditAlloc {
		t.Fatalf("balance %+v; the processes spent %d of %d", b, spent, creditAlloc)
	}
	h, err := s.History(ctx, credit.HistoryQuery{Pool: spendPool.ID})
	if err != nil {
		t.Fatal(err)
	}
	if sum := credit.Sum(h); sum != b {
		t.Fatalf("history sums to %+v, balance %+v", sum, b)
	}
	var run credit.Balance // the balance after each entry
	reserves := map[string]int{}
	turns, last := 0, "" // how often the history changes process
	for k, e := range h {
		if e.Key != "" && e.Key[:1] != last {
			turns, last = turns+1, e.Key[:1]
		}
		run = credit.Sum(h[:k+1])
		if run.Available < 0 || run.Reserved < 0 {
			t.Fatalf("after entry %d (%+v) the balance was %+v", k, e, run)
		}
		switch e.Kind {
		case credit.KindReserve:
			reserves[e.Key]++
			if reserves[e.Key] > 1 || log.reserved[e.Key] != e.Amount {
				t.Fatalf("reserve entry %+v: reserved %d times, reported %d credits", e, reserves[e.Key], log.reserved[e.Key])
			}
		case credit.KindCommit:
			if log.spent[e.Key] != e.Amount {
				t.Fatalf("commit entry %+v, reported %d spent", e, log.spent[e.Key])
			}
		}
	}
	if len(reserves) != len(log.reserved) || len(log.spent)+len(log.released) != len(log.reserved) {
		t.Fatalf("%d reservations in the history, %d reported (%d spent, %d released)", len(reserves), len(log.reserved), len(log.spent), len(log.released))
	}
	u, err := s.Usage(ctx, spendAt)
	if err != nil {
		t.Fatal(err)
	}
	if u.Organisation != log.bought || u.PerUserType["rep"] != log.bought {
		t.Fatalf("usage %+v, the processes bought %d contacts", u, log.bought)
	}
	t.Logf("%d reservations (%d committed, %d released), %d credits of %d spent, refusals %v, the history changes process %d times",
		len(log.reserved), len(log.spent), len(log.released), spent, creditAlloc, log.refused, turns)
	// The two processes must have interleaved for the test to mean
	// anything; how often depends on the machine's load (a loaded machine
	// gave 9 turns where an idle one gives dozens), so ask only that each
	// took a turn after the other.
	if turns < 3 {
		t.Fatalf("the processes did not overlap: the history changes process %d times", turns)
	}
}
