// Command purchase-contacts-csv buys contacts for high-intent accounts
// against a credit pool and saves them to a CSV file through a mapping
// profile, with match rules keeping out contacts the file already holds.
//
// The play: a yes/no decision on intent score 70 or more; high-intent
// accounts get up to three Director-and-above Sales or Marketing contacts
// bought from a contact provider (an in-memory fake with a stock of
// contacts, 2 credits each), the bought contacts are saved to the CSV
// (connector/csv), and the accounts wait 14 days. The file already holds
// one of those contacts from an earlier export: the match rules (same
// email) keep it from being saved twice.
//
// It runs the play on day 0, again on day 1 — nothing is bought or saved
// twice — and on day 14, when the time is up. It prints the credits
// before and after, one line per run, the CSV's path and rows (read back
// with encoding/csv), where the accounts are, what the provider sold, and
// the graph as Mermaid. The CSV is written to a new temporary directory,
// left in place for you to look at.
//
//	go run ./examples/purchase-contacts-csv
package main

import (
	"context"
	encsv "encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // time zones without a system database

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/csv"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/examples/internal/report"
	"github.com/playgraph/playgraph/graph"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

func main() {
	dir, err := os.MkdirTemp("", "purchase-contacts-csv-")
	if err == nil {
		err = run(os.Stdout, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// accounts are the segment: intent scores, and how many contacts the
// provider has in stock at each (of whom the play's persona matches the
// first stock ones; see stockContact).
var accounts = []struct {
	id     string
	intent int64
	stock  int
}{
	{"northwind.com", 92, 4},
	{"contoso.com", 85, 3},
	{"fabrikam.com", 78, 1}, // the provider has one contact: one bought, 2 credits
	{"tailspin.com", 71, 0}, // none in stock: nothing bought, nothing spent
	{"adatum.com", 70, 2},
	{"litware.com", 64, 5}, // below 70: nothing bought
	{"wingtip.com", 40, 5},
}

// persona is whom the play buys and saves.
var persona = audience.Persona{JobLevels: []string{"C-Level", "VP", "Director"}, JobFunctions: []string{"Sales", "Marketing"}}

// stockContact is the provider's k-th contact at an account.
func stockContact(acct string, k int) audience.Contact {
	people := []struct{ first, last, title, level, function string }{
		{"Avery", "Brooks", "VP Sales", "VP", "Sales"},
		{"Quinn", "Foster", "Director of Marketing", "Director", "Marketing"},
		{"Drew", "Hayes", "Chief Marketing Officer", "C-Level", "Marketing"},
		{"Parker", "Lane", "Head of Demand Generation", "Director", "Marketing"},
		{"Reese", "Moreno", "Sales Manager", "Manager", "Sales"}, // not Director and above
	}
	p := people[k%len(people)]
	return audience.Contact{
		ID: fmt.Sprintf("%s/zi-%d", acct, k+1), FirstName: p.first, LastName: p.last, Title: p.title,
		Email:    strings.ToLower(p.first+"."+p.last) + "@" + acct,
		JobLevel: p.level, JobFunction: p.function, Country: "US",
	}
}

// profile maps a bought contact to a CSV row; rules keep out a contact
// whose email the file already holds.
var (
	profile = &connector.MappingProfile{
		Name: "csv-contacts", Kind: connector.KindContact, Environment: connector.Production,
		Fields: []connector.FieldMapping{
			{From: "contact.email", To: "Email"}, {From: "contact.first_name", To: "First name"},
			{From: "contact.last_name", To: "Last name"}, {From: "contact.title", To: "Title"},
			{From: "name", To: "Company"}, {From: "domain", To: "Domain"},
		},
		Constants: []connector.Constant{{To: "Source", Value: "playgraph"}},
	}
	rules = connector.DefaultMatchRulesFor(profile) // the same email
)

// playGraph builds the play.
func playGraph() (*graph.Graph, error) {
	return graph.New("Buy contacts for high-intent accounts").
		Add(
			node.NewStart("start", "Target accounts", "seg-targets"),
			node.NewYesNo("intent", "Intent 70 or more?", eval.Filter{Expr: `intent_score >= 70`}),
			node.NewPurchaseContacts("buy", "Buy contacts", node.PurchaseContacts{
				Connector: "zoominfo", Persona: persona, MaxPerAccount: 3, CreditsPerContact: 2,
			}),
			node.NewSaveContacts("save", "Save to CSV", node.SaveContacts{
				Target: node.SaveCSV, Connector: "csv-export", MappingProfile: profile.Name, MatchRules: "csv-dedupe", Persona: persona,
			}),
			node.NewTimer("wait", "Wait 14 days", schedule.Span{Days: 14}),
		).
		Connect("start", node.PathNext, "intent").
		Connect("intent", node.PathYes, "buy").
		Connect("buy", node.PathNext, "save").
		Connect("save", node.PathNext, "wait").
		Build()
}

// run plays days 0, 1 and 14, writing the CSV into dir and the report to
// w.
func run(w io.Writer, dir string) error {
	ctx := context.Background()
	admin := playgraph.Actor{UserID: "ada", Role: playgraph.RoleAdmin}
	day0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := playgraph.NewManualClock(day0, true)

	// The segment, and the provider's stock.
	src := audience.NewMemorySource()
	provider := fake.New("zoominfo", fake.WithDedupe(), fake.WithClock(clk.Now))
	for _, a := range accounts {
		if err := src.Add(&audience.Account{ID: a.id, Name: companyName(a.id), Domain: a.id, Country: "US", Employees: 900, IntentScore: a.intent}); err != nil {
			return err
		}
		for k := range a.stock {
			provider.AddStock(a.id, stockContact(a.id, k))
		}
	}

	// The CSV: an earlier export already holds Avery Brooks at
	// northwind.com, whom the provider will sell again.
	path := filepath.Join(dir, "contacts.csv")
	earlier := stockContact("northwind.com", 0)
	if err := writeCSV(path, [][]string{
		append(profile.Targets(), csv.KeyColumn),
		{earlier.Email, earlier.FirstName, earlier.LastName, earlier.Title, "Northwind", "northwind.com", "crm-import", "import/2026-02/1"},
	}); err != nil {
		return err
	}
	out, err := csv.New(csv.Config{Name: "csv-export", Path: path, Environment: connector.Production})
	if err != nil {
		return err
	}

	// Credits: a pool for the year, 40 of them for audience workflows.
	st := memstore.New() // the engine's store, and the ledger's
	ledger := credit.NewLedger(st, credit.Options{})
	if err := ledger.CreatePool(ctx, true, credit.Pool{ID: "FY2026", Start: day0.AddDate(0, -2, 0), End: day0.AddDate(0, 10, 0), Total: 40}); err != nil {
		return err
	}
	if _, err := ledger.Allocate(ctx, true, credit.AllocateRequest{Pool: "FY2026", App: credit.AppAudienceWorkflows, Amount: 40, User: admin.UserID, At: day0}); err != nil {
		return err
	}

	reg, err := connector.NewRegistry(provider, out)
	if err != nil {
		return err
	}
	e, err := playgraph.New(&playgraph.Options{
		Store: st, Clock: clk, Connectors: reg, Credits: ledger,
		Segments:   playgraph.SegmentMap{"seg-targets": src},
		Profiles:   map[string]*connector.MappingProfile{profile.Name: profile},
		MatchRules: map[string]*connector.MatchRules{"csv-dedupe": &rules},
	})
	if err != nil {
		return err
	}
	g, err := playGraph()
	if err != nil {
		return err
	}
	wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
	if err != nil {
		return err
	}
	if wf, err = e.Publish(ctx, admin, wf.ID); err != nil {
		return err
	}
	balance := func() (string, error) {
		b, err := ledger.Balance(ctx, credit.AppAudienceWorkflows, clk.Now())
		return report.Credits(b), err
	}

	fmt.Fprintf(w, "Play %q over %d accounts; contacts at 2 credits, up to 3 per account\n", g.Name(), len(accounts))
	before, err := balance()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Credits before: %s\n", before)
	pre, err := e.Preview(ctx, admin, wf.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Preview:        %d account(s) would reach %q; up to %d credits, expected %d (the provider's stock)\n\n",
		pre.Counts["buy"].Entered, "Buy contacts", pre.Credits.UpperBound, pre.Credits.Expected)

	for _, r := range []struct {
		day  int
		what string
	}{{0, "(buy and save)"}, {1, "(again: nothing twice)"}, {14, "(the time is up)"}} {
		clk.Set(day0.AddDate(0, 0, r.day))
		rep, err := e.Run(ctx, admin, wf.ID)
		if err != nil {
			return err
		}
		rows, err := readCSV(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "day %2d  %-24s %s  saved %d  csv rows %d\n", r.day, r.what, report.RunLine(rep, g, time.UTC), rep.Counts["save"].Sent, len(rows)-1)
		audit, err := e.Audit(ctx, admin, rep.ID, 0, 0)
		if err != nil {
			return err
		}
		for _, a := range audit {
			if a.Node == "save" && a.Event == "matched" {
				fmt.Fprintf(w, "        %s: a bought contact is already in the file (%s): not saved again\n", a.Account, a.Detail)
			}
		}
	}
	after, err := balance()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nCredits after:  %s\n", after)
	fmt.Fprintf(w, "Bought %d contact(s) for %d account(s), once each: %d credits at 2 a contact\n",
		len(provider.Bought()), len(provider.Delivered(fake.OpPurchase)), 2*len(provider.Bought()))

	rows, err := readCSV(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s: %d row(s) under the header\n", path, len(rows)-1)
	for _, r := range rows {
		fmt.Fprintf(w, "  %s\n", strings.Join(r, " | "))
	}
	notes, err := e.Inbox(ctx, admin, true)
	if err != nil {
		return err
	}
	for _, n := range notes {
		if n.Kind == store.NoteFileReady && strings.Contains(n.Message, path) {
			fmt.Fprintf(w, "inbox: %s\n", n.Message)
		}
	}
	fmt.Fprintln(w)

	counts, err := report.Counts(ctx, e, admin, wf.ID, g)
	if err != nil {
		return err
	}
	report.Write(w, g, counts, provider)
	return nil
}

// companyName turns "northwind.com" into "Northwind".
func companyName(domain string) string {
	base, _, _ := strings.Cut(domain, ".")
	return strings.ToUpper(base[:1]) + base[1:]
}

// writeCSV writes rows to path.
func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := encsv.NewWriter(f)
	if err := cw.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readCSV reads every row of path, header first.
func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return encsv.NewReader(f).ReadAll()
}
