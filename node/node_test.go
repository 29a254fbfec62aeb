package node_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/playgraph/playgraph/eval"
	"github.com/playgraph/playgraph/node"
	"github.com/playgraph/playgraph/schedule"
)

var f70 = eval.Filter{Expr: "intent_score >= 70"}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		n    node.Node
		want string // "" = valid
	}{
		{"start", node.NewStart("s", "Start", "seg"), ""},
		{"start missing all", node.NewStart("", "", ""), `node "" (start): invalid configuration: id: is empty; label: is empty; config.segment: is empty`},
		{"bad id", node.NewStart("Start 1", "Start", "seg"), `node "Start 1" (start): invalid configuration: id: "Start 1" is not a valid id (1-64 characters of a-z, 0-9, '_', '-')`},
		{"long id", node.NewStart(strings.Repeat("a", 65), "Start", "seg"), `node "` + strings.Repeat("a", 65) + `" (start): invalid configuration: id: "` + strings.Repeat("a", 65) + `" is not a valid id (1-64 characters of a-z, 0-9, '_', '-')`},
		{"label spaces", node.NewStart("s", " Start", "seg"), `node "s" (start): invalid configuration: label: has leading or trailing spaces`},
		{"label control", node.NewStart("s", "St\x01art", "seg"), `node "s" (start): invalid configuration: label: has a non-printable character`},
		{"yes/no", node.NewYesNo("d", "D", f70), ""},
		{"yes/no empty", node.NewYesNo("d", "D", eval.Filter{}), `node "d" (decision): invalid configuration: config.filter: is empty`},
		{"yes/no both forms", node.NewYesNo("d", "D", eval.Filter{Expr: "x", Conditions: []eval.Condition{{Field: "x", Op: eval.Eq}}}), `node "d" (decision): invalid configuration: config.filter: has both conditions and an expression`},
		{"yes/no with branches", &node.Decision{ID: "d", Label: "D", Mode: node.YesNo, Filter: f70, Branches: []node.Branch{{Name: "a", Filter: f70}}}, `node "d" (decision): invalid configuration: config.branches: a yes/no decision has no branches`},
		{"branching", node.NewBranching("d", "D").Branch("a", f70).Branch("b", f70), ""},
		{"branching none", node.NewBranching("d", "D"), `node "d" (decision): invalid configuration: config.branches: has no branch`},
		{"branching bad branches", node.NewBranching("d", "D").Branch("a", f70).Branch("a", eval.Filter{}).Branch(node.PathAllOthers, f70).Branch("", f70),
			`node "d" (decision): invalid configuration: config.branches[1].name: "a" is also the name of branch 1; config.branches[1].filter: is empty; config.branches[2].name: "all_others" is reserved for accounts no branch matches; config.branches[3].name: is empty`},
		{"no mode", &node.Decision{ID: "d", Label: "D"}, `node "d" (decision): invalid configuration: config.mode: is empty (want "yes_no" or "branching")`},
		{"bad mode", &node.Decision{ID: "d", Label: "D", Mode: "maybe"}, `node "d" (decision): invalid configuration: config.mode: "maybe" is not a decision mode (want "yes_no" or "branching")`},
		{"timer", node.NewTimer("t", "T", schedule.Span{Days: 14}).WithConditions(f70), ""},
		{"timer until", node.NewTimerUntil("t", "T", time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)), ""},
		{"timer neither", &node.Timer{ID: "t", Label: "T"}, `node "t" (timer): invalid configuration: config: has neither a span nor an until time`},
		{"timer both", &node.Timer{ID: "t", Label: "T", Span: schedule.Span{Days: 1}, Until: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}, `node "t" (timer): invalid configuration: config: has both a span and an until time`},
		{"timer negative", node.NewTimer("t", "T", schedule.Span{Days: -1, Hours: -2}), `node "t" (timer): invalid configuration: config.span: days is negative (-1); config.span: hours is negative (-2)`},
		{"timer far", node.NewTimerUntil("t", "T", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), `node "t" (timer): invalid configuration: config.until: year 10000 is out of range 2000-9999`},
		{"timer logic without conditions", node.NewTimer("t", "T", schedule.Span{Days: 1}).WithConditions(eval.Filter{Logic: "1"}), `node "t" (timer): invalid configuration: config.conditions: has a logic line but no conditions`},
		{"ad", node.NewAdAudience("a", "A", node.AdAudience{Channel: node.Channel6sense, Connector: "6sense", Audience: "x"}), ""},
		{"ad bad", node.NewAdAudience("a", "A", node.AdAudience{Channel: "tiktok"}), `node "a" (ad_audience): invalid configuration: config.channel: "tiktok" is not an ad channel (want 6sense, linkedin, google or meta); config.connector: is empty; config.audience: is empty`},
		{"email", node.NewEmail("e", "E", node.Email{Connector: "email", Campaign: "c"}), ""},
		{"email bad persona", node.NewEmail("e", "E", node.Email{Connector: "email", Campaign: "c", Persona: audience.Persona{JobLevels: []string{""}}}), `node "e" (email): invalid configuration: config.persona.job_levels[0]: is empty`},
		{"push", node.NewCampaignPush("p", "P", node.CampaignPush{System: node.SystemMAP, Connector: "m", TargetKind: node.TargetList, Target: "l", Scope: node.LevelAccount}), ""},
		{"push sep account", node.NewCampaignPush("p", "P", node.CampaignPush{System: node.SystemSEP, Connector: "o", TargetKind: node.TargetList, Target: "l", Scope: node.LevelAccount}),
			`node "p" (campaign_push): invalid configuration: config.scope: a SEP push is people-level; config.target_kind: "list" is not a target of a sep push (want sequence or cadence)`},
		{"push empty", node.NewCampaignPush("p", "P", node.CampaignPush{}),
			`node "p" (campaign_push): invalid configuration: config.system: is empty; config.connector: is empty; config.target_kind: is empty; config.target: is empty; config.scope: is empty (want account or people)`},
		{"push account persona", node.NewCampaignPush("p", "P", node.CampaignPush{System: node.SystemCRM, Connector: "c", TargetKind: node.TargetCampaign, Target: "t", Scope: node.LevelAccount, Persona: audience.Persona{Countries: []string{"US"}}}),
			`node "p" (campaign_push): invalid configuration: config.persona: an account-level push has no persona`},
		{"purchase", node.NewPurchaseContacts("b", "B", node.PurchaseContacts{Connector: "z", MaxPerAccount: 5, CreditsPerContact: 2}), ""},
		{"purchase bad", node.NewPurchaseContacts("b", "B", node.PurchaseContacts{MaxPerAccount: 5000, CreditsPerContact: -1}),
			`node "b" (purchase_contacts): invalid configuration: config.connector: is empty; config.max_per_account: 5000 is out of range 1-1000; config.credits_per_contact: -1 is out of range 0-1000`},
		{"save", node.NewSaveContacts("sv", "S", node.SaveContacts{Target: node.SaveCSV, Connector: "csv", MappingProfile: "m", MatchRules: "r"}), ""},
		{"save bad", node.NewSaveContacts("sv", "S", node.SaveContacts{Target: "xls"}),
			`node "sv" (save_contacts): invalid configuration: config.target: "xls" is not a save target (want crm, map or csv); config.connector: is empty; config.mapping_profile: is empty; config.match_rules: is empty`},
		{"create", node.NewCreateAccount("c", "C", node.CreateAccount{Connector: "sf", MappingProfile: "m", MatchRules: "r", CreditsPerAccount: 3}), ""},
		{"create bad", node.NewCreateAccount("c", "C", node.CreateAccount{Connector: "sf", CreditsPerAccount: 2000}),
			`node "c" (create_account): invalid configuration: config.mapping_profile: is empty; config.match_rules: is empty; config.credits_per_account: 2000 is out of range 0-1000`},
		{"remove", node.NewRemoveAudience("r", "R", "ad"), ""},
		{"remove bad", node.NewRemoveAudience("r", "R", "Ad Node"), `node "r" (remove_audience): invalid configuration: config.ad_node: "Ad Node" is not a valid node id`},
		{"action without config", &node.Action{ID: "x", Label: "X"}, `node "x" (): invalid configuration: config: is missing`},
		{"long description", node.NewRemoveAudience("r", "R", "ad").Describe(strings.Repeat("x", node.MaxDescLen+1)), `node "r" (remove_audience): invalid configuration: description: is longer than 2000 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.n.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("valid; want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var ce *node.ConfigError
			if !errors.Is(err, node.ErrInvalid) || !errors.As(err, &ce) || ce.Node != tt.n.NodeID() || len(ce.Problems) == 0 {
				t.Errorf("not a *ConfigError for the node: %#v", err)
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	tests := []struct {
		n    node.Node
		want []string
	}{
		{node.NewStart("s", "S", "seg"), []string{"next"}},
		{node.NewYesNo("d", "D", f70), []string{"yes", "no"}},
		{node.NewBranching("d", "D").Branch("Top", f70).Branch("Other", f70), []string{"Top", "Other", "all_others"}},
		{&node.Decision{ID: "d", Mode: "x"}, nil},
		{node.NewTimer("t", "T", schedule.Span{Days: 1}), []string{"next"}},
		{node.NewTimer("t", "T", schedule.Span{Days: 1}).WithConditions(f70), []string{"met", "time_up"}},
		{node.NewRemoveAudience("r", "R", "ad"), []string{"next"}},
	}
	for _, tt := range tests {
		if got := tt.n.Outputs(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: outputs %v, want %v", tt.n.NodeID(), got, tt.want)
		}
	}
}

func TestActionProperties(t *testing.T) {
	persona := audience.Persona{JobLevels: []string{"VP"}}
	tests := []struct {
		a       *node.Action
		kind    node.Kind
		level   node.Level
		caps    []node.Capability
		refs    node.Refs
		credits int
		persona bool
	}{
		{node.NewAdAudience("a", "A", node.AdAudience{Channel: node.ChannelMeta, Connector: "meta", Audience: "x"}), node.KindAdAudience, node.LevelAccount, []node.Capability{node.CapAudienceSync}, node.Refs{Connector: "meta"}, 0, false},
		{node.NewEmail("e", "E", node.Email{Connector: "mail", Campaign: "c", Persona: persona}), node.KindEmail, node.LevelPeople, []node.Capability{node.CapEmail}, node.Refs{Connector: "mail"}, 0, true},
		{node.NewCampaignPush("p", "P", node.CampaignPush{Connector: "sf", Scope: node.LevelAccount}), node.KindCampaignPush, node.LevelAccount, []node.Capability{node.CapCampaignPush}, node.Refs{Connector: "sf"}, 0, false},
		{node.NewCampaignPush("p", "P", node.CampaignPush{Connector: "o", Scope: node.LevelPeople, Persona: persona}), node.KindCampaignPush, node.LevelPeople, []node.Capability{node.CapCampaignPush}, node.Refs{Connector: "o"}, 0, true},
		{node.NewPurchaseContacts("b", "B", node.PurchaseContacts{Connector: "z", MaxPerAccount: 5, CreditsPerContact: 2, Persona: persona}), node.KindPurchaseContacts, node.LevelAccount, []node.Capability{node.CapContactPurchase}, node.Refs{Connector: "z"}, 10, true},
		{node.NewSaveContacts("s", "S", node.SaveContacts{Connector: "sf", MappingProfile: "m", MatchRules: "r"}), node.KindSaveContacts, node.LevelPeople, []node.Capability{node.CapRecordFind, node.CapRecordWrite}, node.Refs{Connector: "sf", MappingProfile: "m", MatchRules: "r"}, 0, true},
		{node.NewCreateAccount("c", "C", node.CreateAccount{Connector: "sf", MappingProfile: "m", MatchRules: "r", CreditsPerAccount: 4}), node.KindCreateAccount, node.LevelAccount, []node.Capability{node.CapRecordFind, node.CapRecordWrite}, node.Refs{Connector: "sf", MappingProfile: "m", MatchRules: "r"}, 4, false},
		{node.NewRemoveAudience("r", "R", "ad"), node.KindRemoveAudience, node.LevelAccount, []node.Capability{node.CapAudienceSync}, node.Refs{}, 0, false},
	}
	for _, tt := range tests {
		c := tt.a.Config
		if tt.a.Kind() != tt.kind || !tt.kind.IsAction() || !tt.kind.Valid() || tt.a.Level() != tt.level || !slices.Equal(c.Capabilities(), tt.caps) || c.Refs() != tt.refs || c.MaxCredits() != tt.credits {
			t.Errorf("%s: kind %s level %s caps %v refs %+v credits %d", tt.a.ID, tt.a.Kind(), tt.a.Level(), c.Capabilities(), c.Refs(), c.MaxCredits())
		}
		if _, ok := tt.a.Persona(); ok != tt.persona {
			t.Errorf("%s: has persona %v", tt.a.ID, ok)
		}
		fresh, ok := node.NewConfig(tt.kind)
		if !ok || fresh.ActionKind() != tt.kind {
			t.Errorf("NewConfig(%s)", tt.kind)
		}
	}
	if _, ok := node.NewConfig(node.KindTimer); ok {
		t.Error("NewConfig(timer)")
	}
	if len(node.Kinds()) != 10 || node.Kind("x").Valid() || node.KindStart.IsAction() {
		t.Error("kinds")
	}
	ref := (&node.AdAudience{Channel: node.ChannelGoogle, Audience: "aud"}).AdRef()
	if ref != (eval.AdRef{Channel: "google", Campaign: "aud"}) {
		t.Errorf("AdRef %+v", ref)
	}
}

func TestClone(t *testing.T) {
	d := node.NewBranching("d", "D").Branch("a", eval.Filter{Conditions: []eval.Condition{{Field: "country", Op: eval.In, Values: []string{"US"}}}})
	c := node.Clone(d).(*node.Decision)
	c.Branches[0].Filter.Conditions[0].Values[0] = "DE"
	c.Branches[0].Name = "b"
	if d.Branches[0].Name != "a" || d.Branches[0].Filter.Conditions[0].Values[0] != "US" {
		t.Error("clone shares branches")
	}
	e := node.NewEmail("e", "E", node.Email{Persona: audience.Persona{JobLevels: []string{"VP"}}})
	ec := node.Clone(e).(*node.Action)
	ec.Config.(*node.Email).Persona.JobLevels[0] = "Staff"
	if e.Config.(*node.Email).Persona.JobLevels[0] != "VP" {
		t.Error("clone shares the persona")
	}
	if node.Clone(nil) != nil {
		t.Error("Clone(nil)")
	}
}

func TestTimerDue(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	entered := time.Date(2026, 3, 1, 9, 0, 0, 0, loc)
	if got := node.NewTimer("t", "T", schedule.Span{Days: 2}).Due(entered, loc); !got.Equal(entered.AddDate(0, 0, 2)) {
		t.Errorf("span due %v", got)
	}
	until := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	if got := node.NewTimerUntil("t", "T", until).Due(entered, loc); !got.Equal(until) {
		t.Errorf("until due %v", got)
	}
}

func ExampleDecision_Branch() {
	d := node.NewBranching("which", "Which competitor?").
		Branch("Top competitor", eval.Filter{Expr: `"acme" in researched_competitors`}).
		Branch("Other competitor", eval.Filter{Conditions: []eval.Condition{
			{Field: "researched_competitors", Op: eval.ContainsAny, Values: []string{"globex", "initech"}},
		}})
	fmt.Println(d.Outputs(), d.Validate())
	// Output: [Top competitor Other competitor all_others] <nil>
}

func ExampleAction_Validate() {
	buy := node.NewPurchaseContacts("buy", "Buy contacts", node.PurchaseContacts{Connector: "provider", CreditsPerContact: 2})
	fmt.Println(buy.Validate())
	// Output: node "buy" (purchase_contacts): invalid configuration: config.max_per_account: 0 is out of range 1-1000
}
