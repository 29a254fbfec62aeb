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
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/sqlite"
)

// The kill test: the test binary runs itself as a child (TestKillChild)
// that applies batches in a loop against a file store and prints a line
// after each Apply returns; the parent SIGKILLs it at random moments and,
// after each kill, opens the file and checks that it is sound, that every
// batch the child reported is there, and that no batch is there by half.

const (
	killChildEnv = "PLAYGRAPH_SQLITE_KILL_CHILD"
	killSyncEnv  = "PLAYGRAPH_SQLITE_KILL_SYNC"
	killWF       = "wf"
	killShared   = 32 // accounts every batch updates
	killNew      = 64 // accounts every batch adds
	killIntents  = 8  // intents every batch writes (and the next resolves)
	killRunEvery = 50 // batches per run id
)

func killRun(i int) string { return fmt.Sprintf("run-%d", i/killRunEvery) }

// killBatch is batch i: the counter account's Entry becomes i, every
// shared account's Entry becomes i, killNew accounts enter, killIntents
// intents are written and batch i-1's resolved, and killNew audit rows
// are appended to run killRun(i).
func killBatch(i int, fence uint64) *store.Batch {
	t := time.Unix(1_700_000_000+int64(i), 0)
	b := &store.Batch{Fence: fence}
	b.States = append(b.States, store.AccountState{Account: "counter", Status: store.StatusActive, Node: "count", Entry: uint32(i), EnteredAt: t})
	for j := range killShared {
		b.States = append(b.States, store.AccountState{Account: fmt.Sprintf("s%02d", j), Status: store.StatusWaiting,
			Node: fmt.Sprintf("node-%d", i%7), Entry: uint32(i), EnteredAt: t, WakeAt: t.Add(time.Hour),
			Path: []store.Step{{Node: "start", At: t, Out: "next"}, {Node: fmt.Sprintf("node-%d", i%7), At: t}}})
	}
	for j := range killNew {
		id := fmt.Sprintf("b%d-%d", i, j)
		b.States = append(b.States, store.AccountState{Account: id, Status: store.StatusWaiting, Node: "timer", Entry: 1,
			EnteredAt: t, Path: []store.Step{{Node: "start", At: t, Out: "next"}, {Node: "timer", At: t}}})
		b.Audit = append(b.Audit, store.AuditRow{Run: killRun(i), Account: id, Node: "start", Event: "took", Detail: fmt.Sprintf("%d-%d", i, j), At: t})
	}
	for j := range killIntents {
		key := fmt.Sprintf("k%d-%d", i, j)
		b.Intents = append(b.Intents, store.Intent{Key: key, Node: "sep", Account: fmt.Sprintf("s%02d", j), Entry: uint32(i), Created: t,
			Items: []store.Item{{Key: key}}})
		if i > 1 {
			b.Resolved = append(b.Resolved, fmt.Sprintf("k%d-%d", i-1, j))
		}
	}
	return b
}

// The ledger: before batch i the child reserves killCredits(i) credits
// under key killKey(i) (again after a restart: the same reservation comes
// back), and after it settles them: batch i%4 == 0 releases, the others
// commit killSpent(i). A restarted child first settles the reservation of
// the last batch in the file.

var (
	killPool = credit.Pool{ID: "kill", Start: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), Total: 1 << 40}
	killAt   = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
)

const killApp = credit.AppAudienceWorkflows

func killKey(i int) string     { return fmt.Sprintf("c%d", i) }
func killCredits(i int) int64  { return int64(1 + i%7) }
func killContacts(i int) int64 { return int64(i % 3) }
func killSpent(i int) int64    { return int64(i % 5 % (1 + i%7)) }
func killReleases(i int) bool  { return i%4 == 0 }
func killBought(i int) int64   { return int64(i % 2 % (1 + i%3)) }

// killSettle settles batch i's reservation (a no-op once settled).
func killSettle(ctx context.Context, s *sqlite.Store, i int) error {
	var err error
	if killReleases(i) {
		_, err = s.Release(ctx, credit.ReleaseRequest{Key: killKey(i), At: killAt})
	} else {
		_, err = s.Commit(ctx, credit.CommitRequest{Key: killKey(i), Credits: killSpent(i), Contacts: killBought(i), At: killAt})
	}
	return err
}

// TestKillChild is the child of TestKillSafety; it does nothing unless
// started by it.
func TestKillChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("run by TestKillSafety")
	}
	ctx := context.Background()
	var opts []sqlite.Option
	if os.Getenv(killSyncEnv) == "NORMAL" {
		opts = append(opts, sqlite.WithSync(sqlite.SyncNormal))
	}
	s, err := sqlite.Open(ctx, path, opts...)
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	// The lease: a killed child's lease is still live, and the next
	// child (the same holder) takes it over with the same token.
	l, err := s.AcquireLease(ctx, killWF, "child", time.Now(), time.Hour)
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	st, err := s.GetStates(ctx, killWF, []string{"counter"})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	// The pool and the allocation: each step is atomic and idempotent.
	if err := s.CreatePool(ctx, killPool); err != nil && !errors.Is(err, credit.ErrConflict) {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	if _, err := s.Allocate(ctx, credit.AllocateRequest{Pool: killPool.ID, App: killApp, Amount: 1 << 30, At: killPool.Start}); err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	last := int(st[0].Entry)
	if last > 0 {
		if err := killSettle(ctx, s, last); err != nil {
			fmt.Printf("error %v\n", err)
			os.Exit(1)
		}
	}
	deadline := time.Now().Add(time.Minute) // never run away
	for i := last + 1; time.Now().Before(deadline); i++ {
		r, err := s.Reserve(ctx, credit.ReserveRequest{App: killApp, Key: killKey(i), Credits: killCredits(i), Contacts: killContacts(i),
			User: "owner", UserType: "rep", At: killAt}, credit.Limits{})
		if err != nil || r.State != credit.Held {
			fmt.Printf("error reserve %d: %+v, %v\n", i, r, err)
			os.Exit(1)
		}
		if err := s.Apply(ctx, killWF, killBatch(i, l.Token)); err != nil {
			fmt.Printf("error %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("committed %d\n", i)
		if err := killSettle(ctx, s, i); err != nil {
			fmt.Printf("error %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("settled %d\n", i)
	}
	os.Exit(0)
}

func TestKillSafety(t *testing.T) {
	t.Parallel()
	kills := 24
	if testing.Short() {
		kills = 5
	}
	path := filepath.Join(t.TempDir(), "kill.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	reported := 0              // highest batch any child reported committed
	settled := 0               // highest batch whose reservation a child reported settled
	midOpen := 0               // kills before the child's first commit
	unreported := 0            // kills after a commit and before its report
	ledger := map[string]int{} // where the kills left the ledger
	for round := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
		syncMode := "FULL"
		if round%2 == 1 {
			syncMode = "NORMAL"
		}
		cmd.Env = append(os.Environ(), killChildEnv+"="+path, killSyncEnv+"="+syncMode)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var childErr string
		first := make(chan struct{})
		var once sync.Once
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer once.Do(func() { close(first) })
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				mu.Lock()
				switch {
				case strings.HasPrefix(line, "committed "):
					n, _ := strconv.Atoi(strings.TrimPrefix(line, "committed "))
					reported = max(reported, n)
					once.Do(func() { close(first) })
				case strings.HasPrefix(line, "settled "):
					n, _ := strconv.Atoi(strings.TrimPrefix(line, "settled "))
					settled = max(settled, n)
				case strings.HasPrefix(line, "error "):
					childErr = line
				}
				mu.Unlock()
			}
		}()
		if round%4 == 3 {
			// Kill early: while the child opens the file, migrates or
			// takes the lease, or during its first batches.
			time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		} else {
			select {
			case <-first:
			case <-time.After(30 * time.Second):
				t.Fatal("the child committed nothing in 30s")
			}
			time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
		}
		mu.Lock()
		before := reported
		mu.Unlock()
		if before == 0 || round%4 == 3 {
			midOpen++
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		err = cmd.Wait()
		if childErr != "" {
			t.Fatalf("round %d: child: %s", round, childErr)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child ended before the kill: %v", round, err)
		}
		c, at := checkKilled(t, path, round, reported, settled)
		if c > reported {
			unreported++
		}
		ledger[at]++
	}
	t.Logf("%d kills, %d batches committed, %d kills early, %d between a commit and its report; the ledger at the kills: %v",
		kills, reported, midOpen, unreported, ledger)
	// Every round that waited for a commit saw one (early ones may not).
	if reported < kills-midOpen {
		t.Fatalf("only %d batches committed over %d kills", reported, kills)
	}
}

// checkKilled opens the file a killed child left, checks it and returns
// the number of batches it holds and where the ledger was
// (checkKilledLedger).
func checkKilled(t *testing.T, path string, round, reported, settled int) (int, string) {
	t.Helper()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("round %d: open after kill: %v", round, err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	ids := []string{"counter"}
	for j := range killShared {
		ids = append(ids, fmt.Sprintf("s%02d", j))
	}
	got, err := s.GetStates(ctx, killWF, ids)
	if err != nil {
		t.Fatal(err)
	}
	c := int(got[0].Entry)
	// The batch in flight when the kill came may have committed without
	// being reported; nothing reported may be missing.
	if c < reported || c > reported+1 {
		t.Fatalf("round %d: the file holds %d batches, the child reported %d committed", round, c, reported)
	}
	for _, st := range got[1:] {
		if int(st.Entry) != c || (c > 0 && st.Node != fmt.Sprintf("node-%d", c%7)) {
			t.Fatalf("round %d: half a batch: counter at %d, %s at entry %d node %s", round, c, st.Account, st.Entry, st.Node)
		}
	}
	at := checkKilledLedger(t, s, round, c, settled)
	if c == 0 {
		return 0, at
	}
	// Every batch's new accounts, and none of the next.
	for _, i := range []int{1, c / 2, c, c + 1} {
		if i < 1 {
			continue
		}
		var bids []string
		for j := range killNew {
			bids = append(bids, fmt.Sprintf("b%d-%d", i, j))
		}
		sts, err := s.GetStates(ctx, killWF, bids)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			if (st.Status == store.StatusWaiting) != (i <= c) {
				t.Fatalf("round %d: batch %d (of %d): %s is %v", round, i, c, st.Account, st.Status)
			}
		}
	}
	counts, err := s.Counts(ctx, killWF)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, nc := range counts {
		total += nc.Total()
	}
	if want := 1 + killShared + killNew*c; total != want {
		t.Fatalf("round %d: %d accounts after %d batches, want %d", round, total, c, want)
	}
	// Exactly the last batch's intents are pending.
	var keys []string
	for in, err := range s.PendingIntents(ctx, killWF) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, in.Key)
	}
	if len(keys) != killIntents || keys[0] != fmt.Sprintf("k%d-0", c) || keys[killIntents-1] != fmt.Sprintf("k%d-%d", c, killIntents-1) {
		t.Fatalf("round %d: pending intents %v after batch %d", round, keys, c)
	}
	// The last run's audit rows: killNew per batch of it, in order.
	rows, err := s.Audit(ctx, killRun(c), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	firstOfRun := max(1, c/killRunEvery*killRunEvery)
	if want := killNew * (c - firstOfRun + 1); len(rows) != want {
		t.Fatalf("round %d: run %s has %d audit rows after batch %d, want %d", round, killRun(c), len(rows), c, want)
	}
	if last := rows[len(rows)-1].Detail; last != fmt.Sprintf("%d-%d", c, killNew-1) {
		t.Fatalf("round %d: last audit row %q after batch %d", round, last, c)
	}
	return c, at
}

// checkKilledLedger checks the ledger a killed child left after c batches:
// the history sums to the balance, every reservation's entries are whole
// (reserve; reserve, commit and the rest released; or reserve and
// release), batches before c are settled, c may still be held, c+1 may be
// held (reserved before its batch), none after; and what the child
// reported settled is. It returns where the kill left the ledger: "no
// pool", "reserved before its batch", "held after its batch" or
// "settled".
func checkKilledLedger(t *testing.T, s *sqlite.Store, round, c, settled int) string {
	t.Helper()
	ctx := t.Context()
	b, err := s.Balance(ctx, killPool.ID, killApp)
	if errors.Is(err, credit.ErrNotFound) && c == 0 {
		return "no pool" // killed before the pool was created
	}
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if b.Available < 0 || b.Available != b.Allocated-b.Reserved-b.Spent-b.Expired {
		t.Fatalf("round %d: balance %+v", round, b)
	}
	h, err := s.History(ctx, credit.HistoryQuery{Pool: killPool.ID, App: killApp})
	if err != nil {
		t.Fatal(err)
	}
	if sum := credit.Sum(h); sum != b {
		t.Fatalf("round %d: history sums to %+v, balance %+v", round, sum, b)
	}
	byKey := map[string][]credit.Entry{}
	for _, e := range h {
		if e.Kind != credit.KindAllocate {
			byKey[e.Key] = append(byKey[e.Key], e)
		}
	}
	var held, spent int64
	at := "settled"
	for i := 1; i <= c+2; i++ {
		es := byKey[killKey(i)]
		delete(byKey, killKey(i))
		state := "none"
		switch {
		case len(es) == 0:
		case len(es) == 1 && es[0].Kind == credit.KindReserve && es[0].Amount == killCredits(i):
			state, held = "held", held+killCredits(i)
		case killReleases(i) && len(es) == 2 && es[0].Kind == credit.KindReserve && es[1].Kind == credit.KindRelease &&
			es[1].Amount == killCredits(i):
			state = "settled"
		case !killReleases(i) && len(es) >= 2 && es[0].Kind == credit.KindReserve && es[1].Kind == credit.KindCommit &&
			es[1].Amount == killSpent(i) && (len(es) == 2) == (killSpent(i) == killCredits(i)) &&
			(len(es) == 2 || (len(es) == 3 && es[2].Kind == credit.KindRelease && es[2].Amount == killCredits(i)-killSpent(i))):
			state, spent = "settled", spent+killSpent(i)
		default:
			t.Fatalf("round %d: reservation %s half written: %+v", round, killKey(i), es)
		}
		var want []string
		switch {
		case i < c || i <= settled:
			want = []string{"settled"}
		case i == c:
			want = []string{"held", "settled"}
		case i == c+1:
			want = []string{"none", "held"}
		default:
			want = []string{"none"}
		}
		if state == "held" {
			at = map[bool]string{true: "held after its batch", false: "reserved before its batch"}[i == c]
		}
		if !slices.Contains(want, state) {
			t.Fatalf("round %d: after %d batches (%d settled), reservation %s is %s, want %v", round, c, settled, killKey(i), state, want)
		}
		if i >= c-1 { // the store's record agrees with its history
			r, err := s.Reservation(ctx, killKey(i))
			switch {
			case state == "none" && !errors.Is(err, credit.ErrNotFound),
				state == "held" && (err != nil || r.State != credit.Held),
				state == "settled" && (err != nil || r.State == credit.Held):
				t.Fatalf("round %d: reservation %s is %s by its history, stored %+v (%v)", round, killKey(i), state, r, err)
			}
		}
	}
	if len(byKey) != 0 || b.Reserved != held || b.Spent != spent {
		t.Fatalf("round %d: balance %+v; history: %d credits held, %d spent, other keys %v", round, b, held, spent, byKey)
	}
	return at
}
