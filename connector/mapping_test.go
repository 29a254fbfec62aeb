package connector

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/playgraph/playgraph/audience"
)

func testCatalog(t testing.TB) *audience.Catalog {
	t.Helper()
	cat, err := audience.NewCatalog(
		audience.Attribute{Origin: audience.OriginCRM, Key: "owner", Type: audience.TypeString},
		audience.Attribute{Origin: audience.OriginCRM, Key: "seats", Type: audience.TypeInt},
	)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func leadProfile() *MappingProfile {
	return &MappingProfile{
		Name: "sf-leads", Kind: KindLead, Environment: Production,
		Fields: []FieldMapping{
			{From: "contact.email", To: "Email"},
			{From: "contact.last_name", To: "LastName"},
			{From: "contact.first_name", To: "FirstName"},
			{From: "name", To: "Company"},
			{From: "crm.owner", To: "OwnerId"},
		},
		Constants: []Constant{{To: "LeadSource", Value: "playgraph"}},
	}
}

func TestValidateProfile(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name    string
		edit    func(p *MappingProfile)
		want    []error  // every sentinel the error must wrap
		mention []string // fields the problems must name
	}{
		{name: "valid lead", edit: func(*MappingProfile) {}},
		{name: "valid contact", edit: func(p *MappingProfile) {
			p.Kind = KindContact
			p.Fields = []FieldMapping{{From: "contact.email", To: "email"}}
		}},
		{name: "valid account with no required fields", edit: func(p *MappingProfile) {
			p.Kind = KindAccount
			p.Fields = []FieldMapping{{From: "domain", To: "Website"}, {From: "crm.seats", To: "Seats__c"}}
			p.Constants = nil
		}},
		{name: "requirement names fold", edit: func(p *MappingProfile) {
			p.Fields[0].To, p.Fields[1].To, p.Fields[3].To = "e-mail", "last_name", "COMPANY"
		}},
		{name: "requirement by Satisfy", edit: func(p *MappingProfile) {
			p.Fields[3].To = "Account_Name__c"
			p.Satisfy = map[Requirement]string{ReqCompany: "Account_Name__c"}
		}},
		{name: "constant satisfies company", edit: func(p *MappingProfile) {
			p.Fields = p.Fields[:3]
			p.Constants = append(p.Constants, Constant{To: "Company", Value: "Unknown"})
		}},
		{name: "unmapped required fields named", edit: func(p *MappingProfile) {
			p.Fields = []FieldMapping{{From: "contact.first_name", To: "FirstName"}}
		}, want: []error{ErrInvalidProfile, ErrRequiredField}, mention: []string{"email", "last_name", "company"}},
		{name: "contact needs email", edit: func(p *MappingProfile) {
			p.Kind = KindContact
			p.Fields = []FieldMapping{{From: "contact.last_name", To: "LastName"}}
		}, want: []error{ErrRequiredField}, mention: []string{"email"}},
		{name: "Satisfy naming an unmapped field", edit: func(p *MappingProfile) {
			p.Satisfy = map[Requirement]string{ReqEmail: "Email__c"}
		}, want: []error{ErrRequiredField}, mention: []string{"Email__c"}},
		{name: "Satisfy for a non-requirement", edit: func(p *MappingProfile) {
			p.Kind = KindAccount
			p.Fields = []FieldMapping{{From: "name", To: "Name"}}
			p.Satisfy = map[Requirement]string{ReqEmail: "Name"}
		}, want: []error{ErrInvalidProfile}, mention: []string{"email"}},
		{name: "unknown and undeclared fields", edit: func(p *MappingProfile) {
			p.Fields = append(p.Fields, FieldMapping{From: "nope", To: "X"}, FieldMapping{From: "crm.undeclared", To: "Y"})
		}, want: []error{ErrUnknownField, audience.ErrUnknownField, audience.ErrUndeclaredAttribute}, mention: []string{"nope", "crm.undeclared"}},
		{name: "contact field in account profile", edit: func(p *MappingProfile) {
			p.Kind = KindAccount
		}, want: []error{ErrInvalidProfile}, mention: []string{"contact.email"}},
		{name: "duplicate and empty targets", edit: func(p *MappingProfile) {
			p.Fields = append(p.Fields, FieldMapping{From: "domain", To: "Email"}, FieldMapping{From: "country", To: " "})
		}, want: []error{ErrInvalidProfile}, mention: []string{"mapped twice", "empty target"}},
		{name: "bad kind, environment, name", edit: func(p *MappingProfile) {
			p.Name, p.Kind, p.Environment = "", 9, 0
		}, want: []error{ErrInvalidProfile}, mention: []string{"no name", "object kind", "environment"}},
		{name: "no fields", edit: func(p *MappingProfile) {
			p.Kind, p.Fields, p.Constants = KindAccount, nil, nil
		}, want: []error{ErrInvalidProfile}, mention: []string{"maps no fields"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := leadProfile()
			tt.edit(p)
			err := p.Validate(cat)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate: no error")
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %v does not wrap %v", err, w)
				}
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("want *ValidationError with problems, got %T", err)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
	var nilp *MappingProfile
	if err := nilp.Validate(cat); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("nil profile: %v", err)
	}
}

func TestApplyProfile(t *testing.T) {
	cat := testCatalog(t)
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	acct := &audience.Account{
		ID: "a1", Name: "Acme, Inc.", Domain: "acme.com", Employees: 250, Revenue: 1.5e6,
		BuyingStage: audience.StageDecision, Keywords: []string{"crm", "abm"}, CreatedAt: when,
		CRM: map[string]any{"owner": "005xx", "seats": 40},
	}
	bob := &audience.Contact{ID: "c1", AccountID: "a1", FirstName: "Bob", LastName: "Stone", Email: "bob@acme.com"}
	tests := []struct {
		name    string
		profile *MappingProfile
		a       *audience.Account
		c       *audience.Contact
		want    map[string]string // target field -> FormatValue of the value
		wantErr error
	}{
		{name: "lead", profile: leadProfile(), a: acct, c: bob, want: map[string]string{
			"Email": "bob@acme.com", "LastName": "Stone", "FirstName": "Bob", "Company": "Acme, Inc.", "OwnerId": "005xx", "LeadSource": "playgraph",
		}},
		{name: "account with typed values", profile: &MappingProfile{Name: "acc", Kind: KindAccount, Environment: Sandbox, Fields: []FieldMapping{
			{From: "name", To: "Name"}, {From: "employees", To: "NumberOfEmployees"}, {From: "revenue", To: "AnnualRevenue"},
			{From: "buying_stage", To: "Stage__c"}, {From: "keywords", To: "Keywords__c"}, {From: "created_at", To: "Since__c"},
			{From: "crm.seats", To: "Seats__c"}, {From: "crm.owner", To: "OwnerId"},
		}}, a: acct, want: map[string]string{
			"Name": "Acme, Inc.", "NumberOfEmployees": "250", "AnnualRevenue": "1500000", "Stage__c": "Decision",
			"Keywords__c": "crm;abm", "Since__c": "2026-03-01T12:00:00Z", "Seats__c": "40", "OwnerId": "005xx",
		}},
		{name: "absent attribute is nil", profile: &MappingProfile{Name: "acc", Kind: KindAccount, Environment: Production, Fields: []FieldMapping{
			{From: "crm.owner", To: "OwnerId"},
		}}, a: &audience.Account{ID: "a2"}, want: map[string]string{"OwnerId": ""}},
		{name: "lead without contact", profile: leadProfile(), a: acct, wantErr: ErrMissingValue},
		{name: "lead with empty email", profile: leadProfile(), a: acct, c: &audience.Contact{ID: "c2", LastName: "X"}, wantErr: ErrMissingValue},
		{name: "lead with blank company", profile: leadProfile(), a: &audience.Account{ID: "a3", Name: "  "}, c: bob, wantErr: ErrMissingValue},
		{name: "contact profile nil account", profile: &MappingProfile{Name: "c", Kind: KindContact, Environment: Production, Fields: []FieldMapping{
			{From: "contact.email", To: "Email"}, {From: "name", To: "Company"},
		}}, c: bob, want: map[string]string{"Email": "bob@acme.com", "Company": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.profile.Compile(cat)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := m.Apply(tt.a, tt.c)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Apply error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Kind != tt.profile.Kind || len(rec.Fields) != len(tt.want) || len(rec.Values) != len(rec.Fields) {
				t.Fatalf("record %+v", rec)
			}
			for f, w := range tt.want {
				if got := rec.Text(f); got != w {
					t.Errorf("%s = %q, want %q", f, got, w)
				}
			}
		})
	}
	// Values keep their types.
	m, _ := (&MappingProfile{Name: "t", Kind: KindAccount, Environment: Production, Fields: []FieldMapping{{From: "employees", To: "E"}}}).Compile(cat)
	rec, _ := m.Apply(acct, nil)
	if v, _ := rec.Get("E"); v != int64(250) {
		t.Errorf("employees = %#v, want int64(250)", v)
	}
	if _, ok := rec.Get("missing"); ok {
		t.Error("Get of a missing field reported ok")
	}
}

func TestCheckEnvironment(t *testing.T) {
	p := leadProfile()
	if err := CheckEnvironment(Production, p); err != nil {
		t.Error(err)
	}
	if err := CheckEnvironment(0, p); err != nil {
		t.Error(err)
	}
	err := CheckEnvironment(Sandbox, p)
	if !errors.Is(err, ErrEnvironment) || !strings.Contains(err.Error(), "production") {
		t.Errorf("got %v", err)
	}
	if err := CheckEnvironment(Sandbox, nil); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("nil profile: %v", err)
	}
}

func TestParseNames(t *testing.T) {
	for _, k := range []ObjectKind{KindLead, KindContact, KindAccount} {
		if got, err := ParseObjectKind(k.String()); err != nil || got != k {
			t.Errorf("ParseObjectKind(%q) = %v, %v", k, got, err)
		}
	}
	for _, m := range []MatchType{MatchStrict, MatchCompanyName, MatchDomain, MatchDomainOnly} {
		if got, err := ParseMatchType(m.String()); err != nil || got != m {
			t.Errorf("ParseMatchType(%q) = %v, %v", m, got, err)
		}
	}
	for _, c := range AllCapabilities() {
		if got, err := ParseCapability(c.String()); err != nil || got != c {
			t.Errorf("ParseCapability(%q) = %v, %v", c, got, err)
		}
	}
	if _, err := ParseObjectKind("x"); err == nil {
		t.Error("ParseObjectKind(x) no error")
	}
	if _, err := ParseMatchType("x"); err == nil {
		t.Error("ParseMatchType(x) no error")
	}
	if _, err := ParseCapability("x"); err == nil {
		t.Error("ParseCapability(x) no error")
	}
	for _, s := range []string{ObjectKind(9).String(), MatchType(9).String(), Capability(99).String(), Status(9).String(), Environment(9).String()} {
		if !strings.Contains(s, "9") {
			t.Errorf("String of out of range value: %q", s)
		}
	}
}
