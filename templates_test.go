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
	"github.com/playgraph/playgraph/internal/clock"
	"github.com/playgraph/playgraph/store"
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
			reg, err := connector.NewRegistry(conns...)
			require.NoError(t, err)
			e, err := playgraph.New(&playgraph.Options{Clock: clock.NewFake(day0), Connectors: reg, Segments: playgraph.SegmentMap{"seg": src}})
			require.NoError(t, err)
			wf, err := e.Create(ctx, admin, playgraph.WorkflowSpec{Graph: g})
			require.NoError(t, err)
			if _, err := e.Publish(ctx, admin, wf.ID); err != nil {
				var pe *playgraph.PublishError
				if errors.As(err, &pe) && pe.Problems[0].Rule == "action-supported" {
					t.Skipf("engine does not run %s yet: %v", tpl.Name, err)
				}
				require.NoError(t, err)
			}
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
			case playgraph.TemplatePaidMedia:
				assert.Len(t, fakes["linkedin"].Audience("the linkedin_audience"), 4)
				assert.Len(t, fakes["google"].Audience("the google_audience"), 2)
				assert.Len(t, fakes["display"].Audience("the display_audience"), 4)
			}
		})
	}
}
