package audience_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStagesOrderedAndParsed(t *testing.T) {
	st := audience.Stages()
	for i := 1; i < len(st); i++ {
		assert.Less(t, st[i-1], st[i])
	}
	for _, s := range st {
		got, err := audience.ParseBuyingStage(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
		assert.True(t, s.Valid())
	}
	got, err := audience.ParseBuyingStage("decision")
	require.NoError(t, err)
	assert.Equal(t, audience.StageDecision, got)
	_, err = audience.ParseBuyingStage("Later")
	assert.ErrorIs(t, err, audience.ErrInvalidValue)
	assert.False(t, audience.StageUnknown.Valid())
	assert.Equal(t, "BuyingStage(9)", audience.BuyingStage(9).String())
}

func TestFitsOrderedAndParsed(t *testing.T) {
	assert.Less(t, audience.FitWeak, audience.FitModerate)
	assert.Less(t, audience.FitModerate, audience.FitStrong)
	for _, n := range []string{"Strong", "moderate", "WEAK"} {
		f, err := audience.ParseProfileFit(n)
		require.NoError(t, err)
		assert.True(t, f.Valid())
	}
	_, err := audience.ParseProfileFit("Great")
	assert.ErrorIs(t, err, audience.ErrInvalidValue)
}

func TestCatalogBuiltinsAndAttributes(t *testing.T) {
	cat, err := audience.NewCatalog(
		audience.Attribute{Origin: audience.OriginCRM, Key: "tier", Type: audience.TypeString},
		audience.Attribute{Origin: audience.OriginMAP, Key: "score", Type: audience.TypeInt, Behavioral: true},
		audience.Attribute{Origin: audience.OriginCustom, Key: "renewal", Type: audience.TypeTime},
	)
	require.NoError(t, err)
	renewal := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &audience.Account{
		ID: "a1", Name: "Acme", Employees: 1200, Revenue: 5e6, BuyingStage: audience.StageDecision,
		ProfileFit: audience.FitStrong, ResearchedCompetitors: []string{"globex"},
		CRM: map[string]any{"tier": "gold"}, MAP: map[string]any{"score": 42}, Custom: map[string]any{"renewal": renewal},
	}
	tests := []struct {
		name string
		want any
		ok   bool
	}{
		{"name", "Acme", true},
		{"employees", int64(1200), true},
		{"revenue", 5e6, true},
		{"buying_stage", audience.StageDecision, true},
		{"profile_fit", audience.FitStrong, true},
		{"researched_competitors", []string{"globex"}, true},
		{"crm.tier", "gold", true},
		{"map.score", int64(42), true}, // int converted to declared int64
		{"custom.renewal", renewal, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := cat.Lookup(tc.name)
			require.NoError(t, err)
			v, ok := f.Value(a, nil)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, v)
		})
	}
	// Typed getters.
	emp, _ := cat.Lookup("employees")
	n, ok := emp.IntGetter()(a)
	assert.True(t, ok)
	assert.EqualValues(t, 1200, n)
	fl, _ := emp.FloatGetter()(a)
	assert.EqualValues(t, 1200, fl)
	assert.Nil(t, emp.StringGetter(), "no string getter for an int field")
	tier, _ := cat.Lookup("crm.tier")
	s, ok := tier.StringGetter()(a)
	assert.True(t, ok)
	assert.Equal(t, "gold", s)
	_, ok = tier.StringGetter()(&audience.Account{ID: "b"})
	assert.False(t, ok, "missing attribute is absent")
	score, _ := cat.Lookup("map.score")
	assert.True(t, score.Behavioral)
	assert.True(t, score.IsAttribute())
	sc, ok := score.IntGetter()(a)
	assert.True(t, ok)
	assert.EqualValues(t, 42, sc)
	lv, _ := cat.Lookup("last_visit")
	_, ok = lv.TimeGetter()(a)
	assert.False(t, ok, "zero time is absent")

	title, err := cat.Lookup("contact.title")
	require.NoError(t, err)
	assert.Equal(t, audience.SubjectContact, title.Subject)
	c := &audience.Contact{Title: "VP Sales"}
	assert.Equal(t, "VP Sales", title.ContactStringGetter()(c))
	_, ok = title.Value(a, nil)
	assert.False(t, ok)
}

func TestCatalogErrors(t *testing.T) {
	_, err := audience.DefaultCatalog().Lookup("emplyees")
	assert.ErrorIs(t, err, audience.ErrUnknownField)
	_, err = audience.DefaultCatalog().Lookup("crm.tier")
	assert.ErrorIs(t, err, audience.ErrUndeclaredAttribute)
	assert.Contains(t, err.Error(), `"crm.tier"`)

	_, err = audience.NewCatalog(
		audience.Attribute{Origin: audience.OriginCRM, Key: "Tier", Type: audience.TypeString},
		audience.Attribute{Origin: audience.Origin6sense, Key: "x", Type: audience.TypeString},
		audience.Attribute{Origin: audience.OriginCRM, Key: "ok", Type: audience.TypeStage},
		audience.Attribute{Origin: audience.OriginCRM, Key: "dup", Type: audience.TypeInt},
		audience.Attribute{Origin: audience.OriginCRM, Key: "dup", Type: audience.TypeInt},
	)
	require.Error(t, err)
	assert.ErrorIs(t, err, audience.ErrInvalidAttribute)
	assert.ErrorIs(t, err, audience.ErrDuplicateField)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 4, "every bad declaration reported at once")
}

func TestCheckAccount(t *testing.T) {
	cat, err := audience.NewCatalog(audience.Attribute{Origin: audience.OriginCRM, Key: "tier", Type: audience.TypeString})
	require.NoError(t, err)
	require.NoError(t, cat.CheckAccount(&audience.Account{ID: "a", CRM: map[string]any{"tier": "x", "other": 1}}))
	err = cat.CheckAccount(&audience.Account{ID: "a", CRM: map[string]any{"tier": 3}})
	assert.ErrorIs(t, err, audience.ErrInvalidValue)
	assert.Contains(t, err.Error(), "crm.tier is int, declared string")
}

func TestPersona(t *testing.T) {
	c := &audience.Contact{Title: "VP of Sales", JobLevel: "VP", JobFunction: "Sales", Country: "US"}
	tests := []struct {
		p    audience.Persona
		want bool
	}{
		{audience.Persona{}, true},
		{audience.Persona{TitleKeywords: []string{"sales"}}, true},
		{audience.Persona{TitleKeywords: []string{"marketing", "vp"}}, true},
		{audience.Persona{TitleKeywords: []string{"marketing"}}, false},
		{audience.Persona{JobLevels: []string{"vp", "director"}, Countries: []string{"us"}}, true},
		{audience.Persona{JobFunctions: []string{"IT"}}, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.p.Matches(c), "%+v", tc.p)
	}
	assert.False(t, audience.Persona{}.Matches(nil))
	assert.True(t, audience.Persona{}.IsZero())
}

func TestMemorySource(t *testing.T) {
	ctx := context.Background()
	s := audience.NewMemorySource(&audience.Account{ID: "a"}, &audience.Account{ID: "b"})
	require.NoError(t, s.Add(&audience.Account{ID: "c"}))
	assert.ErrorIs(t, s.Add(&audience.Account{}), audience.ErrInvalidAccount)
	s.SetContacts("a", audience.Contact{ID: "a1"})
	ids := func() (out []string) {
		for a, err := range s.Members(ctx) {
			require.NoError(t, err)
			out = append(out, a.ID)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids())
	s.Remove("b")
	assert.Equal(t, []string{"a", "c"}, ids())
	assert.False(t, s.Contains("b"))
	got, err := s.Lookup(ctx, []string{"b", "zz"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "b", got[0].ID, "left the segment but still looked up")
	assert.Nil(t, got[1])
	require.NoError(t, s.Add(&audience.Account{ID: "b", Name: "again"}))
	assert.Equal(t, []string{"a", "b", "c"}, ids(), "re-added keeps first position")
	cs, err := s.Contacts(ctx, []string{"a", "c"})
	require.NoError(t, err)
	assert.Equal(t, "a", cs["a"][0].AccountID)
	assert.NotContains(t, cs, "c")
	assert.ErrorIs(t, s.Update(&audience.Account{ID: "nope"}), audience.ErrNotFound)
	require.NoError(t, s.Update(&audience.Account{ID: "c", Name: "C2"}))

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	var sawErr error
	for _, err := range s.Members(cctx) {
		sawErr = err
	}
	assert.ErrorIs(t, sawErr, context.Canceled)
	_, err = s.Lookup(cctx, []string{"a"})
	assert.ErrorIs(t, err, context.Canceled)

	var zero audience.MemorySource
	assert.Equal(t, 0, zero.Len())
	for range zero.Members(ctx) {
		t.Fatal("empty")
	}
}

func TestMemorySourceCompactsAfterRemovals(t *testing.T) {
	s := &audience.MemorySource{}
	for i := range 10 {
		require.NoError(t, s.Add(&audience.Account{ID: string(rune('a' + i))}))
	}
	s.Remove("a", "b", "c", "d", "e", "f")
	require.NoError(t, s.Add(&audience.Account{ID: "a"}))
	var got []string
	for a := range s.Members(context.Background()) {
		got = append(got, a.ID)
	}
	assert.Equal(t, []string{"g", "h", "i", "j", "a"}, got)
}

func ExampleNewCatalog() {
	cat, err := audience.NewCatalog(audience.Attribute{Origin: audience.OriginCRM, Key: "tier", Type: audience.TypeString})
	if err != nil {
		panic(err)
	}
	f, _ := cat.Lookup("crm.tier")
	v, _ := f.Value(&audience.Account{CRM: map[string]any{"tier": "gold"}}, nil)
	fmt.Println(f.Name, f.Type, f.Origin, v)
	// Output: crm.tier string crm gold
}

func TestDefaultCatalogAccessors(t *testing.T) {
	// Regression: the default catalogue was built before the built-ins had
	// their accessors.
	f, err := audience.DefaultCatalog().Lookup("employees")
	require.NoError(t, err)
	assert.Equal(t, audience.SubjectAccount, f.Subject)
	v, ok := f.Value(&audience.Account{Employees: 7}, nil)
	assert.True(t, ok)
	assert.Equal(t, int64(7), v)
	require.NotNil(t, f.IntGetter())
	ct, err := audience.DefaultCatalog().Lookup("contact.email")
	require.NoError(t, err)
	require.NotNil(t, ct.ContactStringGetter())
}
