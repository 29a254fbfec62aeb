package graph_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/playgraph/playgraph/graph"
)

// doc wraps nodes and paths JSON in a schema 1 document.
func doc(nodes, paths string) string {
	return `{"schema": 1, "name": "t", "nodes": [` + nodes + `], "paths": [` + paths + `]}`
}

const (
	jsStart = `{"id": "s", "kind": "start", "label": "Start", "config": {"segment": "seg"}}`
	jsPush  = `{"id": "p", "kind": "campaign_push", "label": "Push", "config": {"system": "crm", "connector": "crm", "target_kind": "campaign", "target": "c", "scope": "account"}}`
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		is   error
	}{
		{"syntax", `{"schema": 1,`, `graph: json: $: unexpected end of document`, graph.ErrDecode},
		{"bad token", `{"schema": 1, "name": tru}`, `graph: json: $.name: invalid character '}' in literal true (expecting 'e')`, graph.ErrDecode},
		{"not an object", `[]`, `graph: json: $: want an object, got array`, graph.ErrDecode},
		{"trailing data", doc(jsStart, "") + `{}`, `graph: json: $: data after the document`, graph.ErrDecode},
		{"missing schema", `{"name": "t", "nodes": []}`, `graph: json: $: missing field "schema"`, graph.ErrDecode},
		{"schema version", `{"schema": 2, "name": "t"}`, `graph: json: $.schema: schema version 2 is not supported (this package reads 1)`, graph.ErrSchema},
		{"schema type", `{"schema": "1"}`, `graph: json: $.schema: want an integer, got string`, graph.ErrDecode},
		{"unknown top field", `{"schema": 1, "nmae": "t"}`, `graph: json: $.nmae: unknown field`, graph.ErrDecode},
		{"field names are case-sensitive", `{"schema": 1, "Name": "t"}`, `graph: json: $.Name: unknown field`, graph.ErrDecode},
		{"odd key", `{"schema": 1, "a b": 1}`, `graph: json: $["a b"]: unknown field`, graph.ErrDecode},
		{"duplicate key", `{"schema": 1, "name": "a", "name": "b"}`, `graph: json: $.name: duplicate key`, graph.ErrDecode},
		{"node missing config", doc(`{"id": "s", "kind": "start", "label": "Start"}`, ""), `graph: json: $.nodes[0]: missing field "config"`, graph.ErrDecode},
		{"config null", doc(`{"id": "s", "kind": "start", "label": "Start", "config": null}`, ""), `graph: json: $.nodes[0].config: want an object, got null`, graph.ErrDecode},
		{"unknown kind", doc(jsStart+`, {"id": "x", "kind": "teleport", "label": "X", "config": {}}`, ""), `graph: json: $.nodes[1].kind: "teleport" is not a node kind`, graph.ErrDecode},
		{"wrong type in config", doc(`{"id": "s", "kind": "start", "label": "Start", "config": {"segment": 7}}`, ""), `graph: json: $.nodes[0].config.segment: want a string, got number`, graph.ErrDecode},
		{"unknown config field", doc(jsStart+`, {"id": "t", "kind": "timer", "label": "T", "config": {"span": {"days": 1, "weeks": 2}}}`, ""), `graph: json: $.nodes[1].config.span.weeks: unknown field`, graph.ErrDecode},
		{
			"max per account as string",
			doc(jsStart+`, `+jsPush+`, `+jsPush+`, {"id": "buy", "kind": "purchase_contacts", "label": "Buy", "config": {"connector": "z", "max_per_account": "5", "credits_per_contact": 1}}`, ""),
			`graph: json: $.nodes[3].config.max_per_account: want an integer, got string`, graph.ErrDecode,
		},
		{
			"fractional integer",
			doc(`{"id": "buy", "kind": "purchase_contacts", "label": "Buy", "config": {"connector": "z", "max_per_account": 1.5}}`, ""),
			`graph: json: $.nodes[0].config.max_per_account: 1.5 is not an integer in range`, graph.ErrDecode,
		},
		{
			"deep unknown field in a filter",
			doc(`{"id": "d", "kind": "decision", "label": "D", "config": {"mode": "branching", "branches": [{"name": "a", "filter": {"conditions": [{"field": "x", "op": "eq", "value": "1"}]}}]}}`, ""),
			`graph: json: $.nodes[0].config.branches[0].filter.conditions[0].value: unknown field`, graph.ErrDecode,
		},
		{
			"bad time",
			doc(`{"id": "t", "kind": "timer", "label": "T", "config": {"until": "tomorrow"}}`, ""),
			`graph: json: $.nodes[0].config.until: "tomorrow" is not an RFC 3339 time`, graph.ErrDecode,
		},
		{"description on a start", doc(`{"id": "s", "kind": "start", "label": "S", "description": "x", "config": {"segment": "seg"}}`, ""), `graph: json: $.nodes[0].description: only actions have a description`, graph.ErrDecode},
		{"dangling from", doc(jsStart+", "+jsPush, `{"from": "s", "path": "next", "to": "p"}, {"from": "q", "path": "next", "to": "p"}`), `graph: json: $.paths[1].from: no node has id "q"`, graph.ErrDecode},
		{"dangling to", doc(jsStart+", "+jsPush, `{"from": "s", "path": "next", "to": "nowhere"}`), `graph: json: $.paths[0].to: no node has id "nowhere"`, graph.ErrDecode},
		{"bad path name", doc(jsStart+", "+jsPush, `{"from": "s", "path": "yes", "to": "p"}`), `graph: json: $.paths[0].path: "yes" is not an output of node "s" (outputs: next)`, graph.ErrDecode},
		{"too deep", `{"schema": 1, "name": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, `graph: json: $.name` + strings.Repeat("[0]", 32) + `: nested deeper than 32 levels`, graph.ErrDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := graph.Decode([]byte(tt.in))
			if err == nil {
				t.Fatal("decoded")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("not %v", tt.is)
			}
			var de *graph.DecodeError
			if !errors.As(err, &de) || de.Path == "" {
				t.Errorf("not a *DecodeError with a path: %T", err)
			}
			if _, err2 := graph.Unmarshal([]byte(tt.in)); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Unmarshal differs: %v", err2)
			}
		})
	}
}

func TestUnmarshalValidates(t *testing.T) {
	// Decodes (a draft) but does not build: the push has no incoming path.
	in := doc(jsStart+", "+jsPush, "")
	b, err := graph.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Nodes()) != 2 {
		t.Fatalf("nodes: %d", len(b.Nodes()))
	}
	_, err = graph.Unmarshal([]byte(in))
	var ve *graph.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Rule != graph.RuleReachable {
		t.Fatalf("got %v", err)
	}
	// The draft marshals back.
	out, err := b.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.Decode(out); err != nil {
		t.Fatal(err)
	}
}

func FuzzGraphJSON(f *testing.F) {
	if data, err := os.ReadFile("testdata/competitor-research.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(doc(jsStart+", "+jsPush, `{"from": "s", "path": "next", "to": "p"}`)))
	f.Add([]byte(`{"schema": 1, "nodes": [{"id": "t", "kind": "timer", "label": "T", "config": {"until": "2026-01-01T00:00:00Z", "conditions": {"expr": "engaged(\"x\")"}}}]}`))
	f.Add([]byte(`{"schema":1,"nodes":[{"id":"d","kind":"decision","label":"D","config":{"mode":"branching","branches":[{"name":"a","filter":{"conditions":[{"field":"x","op":"eq","values":["1"]}],"logic":"1 AND (1"}}]}}]}`))
	f.Add([]byte(`{"schema":1,"nodes":[{"id":"r","kind":"remove_audience","label":"R","config":{"ad_node":"r"}}],"paths":[{"from":"r","path":"next","to":"r"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := graph.Decode(data)
		if err != nil {
			var de *graph.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("decode error of type %T: %v", err, err)
			}
			return
		}
		out, err := b.MarshalJSON()
		if err != nil {
			t.Fatalf("a decoded draft does not marshal: %v", err)
		}
		b2, err := graph.Decode(out)
		if err != nil {
			t.Fatalf("marshalled draft does not decode: %v\n%s", err, out)
		}
		out2, err := b2.MarshalJSON()
		if err != nil || string(out2) != string(out) {
			t.Fatalf("round trip not exact: %v\n%s\n%s", err, out, out2)
		}
		g, err := b.Build()
		if err != nil {
			var ve *graph.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("build error of type %T: %v", err, err)
			}
			return
		}
		_ = g.Mermaid(graph.MermaidOptions{})
		gout, err := g.MarshalJSON()
		if err != nil || string(gout) != string(out) {
			t.Fatalf("graph marshal differs from the draft's: %v", err)
		}
	})
}
