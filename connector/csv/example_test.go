package csv_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/csv"
)

// Contacts saved through a mapping profile, published at the end of the
// run; the formula in the title is neutralised.
func Example() {
	dir, _ := os.MkdirTemp("", "csv-example")
	defer os.RemoveAll(dir)
	out, _ := csv.New(csv.Config{Name: "export", Path: filepath.Join(dir, "contacts.csv")})

	p := &connector.MappingProfile{Name: "contacts", Kind: connector.KindContact, Environment: connector.Production,
		Fields: []connector.FieldMapping{{From: "contact.email", To: "Email"}, {From: "contact.title", To: "Title"}, {From: "name", To: "Company"}}}
	cat, _ := audience.NewCatalog()
	m, _ := p.Compile(cat)
	rec, _ := m.Apply(&audience.Account{ID: "a1", Name: "Acme"}, &audience.Contact{ID: "c1", Email: "ann@acme.com", Title: "=1+1"})

	ctx := context.Background()
	_, _ = out.WriteRecords(ctx, p, []connector.RecordItem{{Key: "wf/n5/a1/1/c1", Record: rec}})
	pub, _ := out.EndRun(ctx, connector.RunInfo{Workflow: "wf", Run: "r1"})
	data, _ := os.ReadFile(pub.Location)
	fmt.Print(pub.Items, " row\n", string(data))
	// Output:
	// 1 row
	// Email,Title,Company,_key
	// ann@acme.com,'=1+1,Acme,wf/n5/a1/1/c1
}
