package playgraph_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/playgraph/playgraph"
	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/connector"
	"github.com/playgraph/playgraph/connector/fake"
	"github.com/playgraph/playgraph/credit"
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/store"
	"github.com/playgraph/playgraph/store/memstore"
)

func TestTemplateBlanks(t *testing.T) {
	tpl, ok := playgraph.TemplateByName(playgraph.TemplateAudienceActivation)
	require.True(t, ok)
	_, err := tpl.Fill(map[string]string{"segment": "s", "ad_channel": "linkedin", "extra": "x"})
	require.Error(t, err)
	assert.ErrorIs(t, err, playgraph.ErrValidation)
	var te *playgraph.TemplateError
	require.True(t, errors.As(err, &te))
	assert.Equal(t, []string{"ad_connector", "ad_audience"}, te.Missing)
	assert.Equal(t, []string{"extra"}, te.Unknown)
	assert.EqualError(t, err, `playgraph: template "Audience Activation": unfilled blank(s): ad_connector, ad_audience; unknown blank(s): extra`)
	_, ok = playgraph.TemplateByName("nope")
	assert.False(t, ok)
}

// TestTemplatesRun instantiates, fills, publishes and runs each template
// whose actions the engine runs on a small segment.
func TestTemplatesRun(t *testing.T) {
	ctx := context.Background()
	for _, tpl := range playgraph.Templates() {
		t.Run(tpl.Name, func(t *testing.T) {
			values := map[string]string{}
			var conns []connector.Connector
			fakes := map[string]*fake.Connector{}
			for _, b := range tpl.Blanks {
				switch {
				case b.Name == "segment":
					values[b.Name] = "seg"
				case b.Name == "ad_channel":
					values[b.Name] = "linkedin"
				case len(b.Name) > 10 && b.Name[len(b.Name)-10:] == "_connector":
					f := fake.New(b.Name[:len(b.Name)-10])
					values[b.Name] = f.Name()
					fakes[f.Name()] = f
					conns = append(conns, f)
				default:
					values[b.Name] = "the " + b.Name
				}
			}
			g, err := tpl.Fill(values)
			require.NoError(t, err)
			var accts []*audience.Account
			for i, st := range audience.Stages() {
				for j, fit := range []audience.ProfileFit{audience.FitStrong, audience.FitWeak} {
					accts = append(accts, &audience.Account{ID: fmt.Sprintf("a%d%d", i, j), Domain: fmt.Sprintf("a%d%d.example", i, j), BuyingStage: st, ProfileFit: fit})
				}
			}
			src := audience.NewMemorySource(accts...)
			for _, a := range accts {
				src.SetContacts(a.ID, seller(a.ID, "1"))
			}
			if p := fakes["provider"]; p != nil {
				for _, a := range accts {
					p.AddStock(a.ID, audience.Contact{ID: a.ID + "-b", LastName: "Buyer", Email: "b@" + a.Domain, Title: "VP", JobLevel: "VP"})
				}
			}
			reg, err := connector.NewRegistry(conns...)
			require.NoError(t, err)
			st := memstore.New()
			led := credit.NewLedger(st, credit.Options{})
			require.NoError(t, led.CreatePool(ctx, true, credit.Pool{ID: "p", Start: day0.AddDate(0, -1, 0), End: day0.AddDate(1, 0, 0), Total: 100}))
			_, err = led.Allocate(ctx, true, credit.AllocateRequest{Pool: "p", App: credit.AppAudienceWorkflows, Amount: 100, At: day0})
			require.NoError(t, err)
			rules := connector.DefaultMatchRulesFor(crmProfile)
			e, err := playgraph.New(&playgraph.Options{Store: st, Clock: clock.NewFake(day0), Connectors: reg, Segments: playgraph.SegmentMap{"seg": src},
				Credits: led, Profiles: map[string]*connector.MappingProfile{"the mapping_profile": crmProfile},
				MatchRules: map[string]*connector.MatchRules{"the match_rules": &rules}})
			require.NoError(t, err)
			wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
			require.NoError(t, err)
			_, err = e.Publish(ctx, admin, wf.ID)
			require.NoError(t, err)
			rep, err := e.Run(ctx, admin, wf.ID)
			require.NoError(t, err)
			assert.Contains(t, []store.RunStatus{store.RunCompleted, store.RunCompletedWithTimer}, rep.Status)
			total := 0
			for _, f := range fakes {
				total += len(f.Delivered(""))
			}
			assert.Positive(t, total, "the play sent something")
			switch tpl.Name {
			case playgraph.TemplateAudienceActivation:
				assert.Len(t, fakes["ad"].Audience("the ad_audience"), 5, "strong-fit accounts only")
			case playgraph.TemplateGoToMarket:
				assert.Len(t, fakes["display"].Audience("the display_audience"), 4)
				assert.Len(t, fakes["linkedin"].Audience("the linkedin_audience"), 2)
				assert.Len(t, fakes["email"].Delivered(""), 2)
				assert.Len(t, fakes["sep"].Delivered(""), 4)
				assert.Len(t, fakes["crm"].Campaign("the crm_campaign"), 4)
			case playgraph.TemplateNewAudienceCreation:
				assert.EqualValues(t, 10, rep.CreditsSpent, "one contact bought per account")
				assert.Len(t, fakes["crm"].Delivered(""), 10)
			case playgraph.TemplatePaidMedia:
				assert.Len(t, fakes["linkedin"].Audience("the linkedin_audience"), 4)
				assert.Len(t, fakes["google"].Audience("the google_audience"), 2)
				assert.Len(t, fakes["display"].Audience("the display_audience"), 4)
			}
		})
	}
}
