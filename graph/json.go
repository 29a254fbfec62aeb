package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playgraph/playgraph/node"
)

// SchemaVersion is the version of the JSON schema this package writes and
// reads.
const SchemaVersion = 1

// MaxJSONBytes bounds the size of a JSON document Decode reads.
const MaxJSONBytes = 4 << 20

// maxDepth bounds the nesting of a JSON document.
const maxDepth = 32

type wireGraph struct {
	Schema int        `json:"schema"`
	Name   string     `json:"name"`
	Nodes  []wireNode `json:"nodes"`
	Paths  []Edge     `json:"paths"`
}

type wireNode struct {
	ID          string          `json:"id"`
	Kind        node.Kind       `json:"kind"`
	Label       string          `json:"label"`
	Description string          `json:"description,omitempty"`
	Config      json.RawMessage `json:"config"`
}

// MarshalJSON encodes g in the documented schema (see the package
// documentation), indented, nodes in the order they were added and paths
// in the order they were connected.
func (g *Graph) MarshalJSON() ([]byte, error) { return g.Edit().MarshalJSON() }

// MarshalJSON encodes the builder's nodes and paths in the documented
// schema, whether or not they make a valid graph: drafts can be saved. A
// nil node cannot be encoded.
func (b *Builder) MarshalJSON() ([]byte, error) {
	w := wireGraph{Schema: SchemaVersion, Name: b.name, Nodes: make([]wireNode, 0, len(b.nodes)), Paths: b.edges}
	if w.Paths == nil {
		w.Paths = []Edge{}
	}
	for i, n := range b.nodes {
		if n == nil {
			return nil, fmt.Errorf("graph: marshal: node %d is nil", i+1)
		}
		wn := wireNode{ID: n.NodeID(), Kind: n.Kind(), Label: n.NodeLabel()}
		var cfg any = n
		if a, ok := n.(*node.Action); ok {
			if a.Config == nil {
				return nil, fmt.Errorf("graph: marshal: action %q has no configuration", a.ID)
			}
			wn.Description = a.Description
			cfg = a.Config
		}
		raw, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("graph: marshal: node %q: %w", n.NodeID(), err)
		}
		wn.Config = raw
		w.Nodes = append(w.Nodes, wn)
	}
	out, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("graph: marshal: %w", err)
	}
	return append(out, '\n'), nil
}

// Unmarshal decodes a JSON graph document strictly (see [Decode]) and
// builds it (see [Builder.Build]). It returns a *[DecodeError] or a
// *[ValidationError].
func Unmarshal(data []byte, opts ...Option) (*Graph, error) {
	b, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return b.Build(opts...)
}

// Decode reads a JSON graph document into a builder without validating the
// graph's rules, so drafts can be loaded and edited. Decoding is strict:
// invalid JSON, duplicate keys, unknown fields, values of the wrong type,
// an unknown kind, an unsupported schema version, a path naming an unknown
// node or an output its node does not have: each is a *[DecodeError]
// naming the place with a JSON path ($.nodes[3].config.max_per_account).
func Decode(data []byte) (*Builder, error) {
	if len(data) > MaxJSONBytes {
		return nil, &DecodeError{Path: "$", Msg: fmt.Sprintf("document is larger than %d bytes", MaxJSONBytes), Err: ErrDecode}
	}
	doc, err := parse(data)
	if err != nil {
		return nil, err
	}
	if err := check(doc, reflect.TypeFor[wireGraph](), "$"); err != nil {
		return nil, err
	}
	top := doc.(*object)
	sv, ok := top.vals["schema"]
	if !ok {
		return nil, decodeErr("$", "missing field \"schema\"")
	}
	if n, _ := strconv.ParseInt(string(sv.(json.Number)), 10, 64); n != SchemaVersion {
		return nil, &DecodeError{Path: "$.schema", Msg: fmt.Sprintf("schema version %s is not supported (this package reads %d)", sv.(json.Number), SchemaVersion), Err: ErrSchema}
	}
	var w wireGraph
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, decodeErr("$", err.Error()) // not expected after check
	}
	b := New(w.Name)
	var nodesRaw []any
	if nv, ok := top.vals["nodes"].([]any); ok {
		nodesRaw = nv
	}
	ids := make(map[string]node.Node, len(w.Nodes))
	for i, wn := range w.Nodes {
		path := fmt.Sprintf("$.nodes[%d]", i)
		obj := nodesRaw[i].(*object)
		for _, f := range []string{"id", "kind", "label", "config"} {
			if _, ok := obj.vals[f]; !ok {
				return nil, decodeErr(path, fmt.Sprintf("missing field %q", f))
			}
		}
		n, err := decodeNode(wn, obj.vals["config"], path)
		if err != nil {
			return nil, err
		}
		if _, dup := ids[wn.ID]; !dup {
			ids[wn.ID] = n
		}
		b.Add(n)
	}
	for i, e := range w.Paths {
		path := fmt.Sprintf("$.paths[%d]", i)
		from, ok := ids[e.From]
		if !ok {
			return nil, decodeErr(path+".from", fmt.Sprintf("no node has id %q", e.From))
		}
		if !slices.Contains(from.Outputs(), e.Path) {
			return nil, decodeErr(path+".path", fmt.Sprintf("%q is not an output of node %q (outputs: %s)", e.Path, e.From, strings.Join(from.Outputs(), ", ")))
		}
		if _, ok := ids[e.To]; !ok {
			return nil, decodeErr(path+".to", fmt.Sprintf("no node has id %q", e.To))
		}
		b.Connect(e.From, e.Path, e.To)
	}
	return b, nil
}

func decodeNode(wn wireNode, cfgTree any, path string) (node.Node, error) {
	var target any
	var n node.Node
	switch wn.Kind {
	case node.KindStart:
		s := &node.Start{ID: wn.ID, Label: wn.Label}
		n, target = s, s
	case node.KindDecision:
		d := &node.Decision{ID: wn.ID, Label: wn.Label}
		n, target = d, d
	case node.KindTimer:
		t := &node.Timer{ID: wn.ID, Label: wn.Label}
		n, target = t, t
	default:
		cfg, ok := node.NewConfig(wn.Kind)
		if !ok {
			return nil, decodeErr(path+".kind", fmt.Sprintf("%q is not a node kind", wn.Kind))
		}
		n, target = &node.Action{ID: wn.ID, Label: wn.Label, Description: wn.Description, Config: cfg}, cfg
	}
	if wn.Description != "" && !wn.Kind.IsAction() {
		return nil, decodeErr(path+".description", "only actions have a description")
	}
	if _, ok := cfgTree.(*object); !ok {
		return nil, decodeErr(path+".config", "want an object, got "+jsonType(cfgTree))
	}
	if err := check(cfgTree, reflect.TypeOf(target).Elem(), path+".config"); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(wn.Config, target); err != nil {
		return nil, decodeErr(path+".config", err.Error())
	}
	return n, nil
}

func decodeErr(path, msg string) error { return &DecodeError{Path: path, Msg: msg, Err: ErrDecode} }

// object is a parsed JSON object that remembers its key order.
type object struct {
	keys []string
	vals map[string]any
}

// parse reads one JSON value into a tree of *object, []any, string,
// json.Number, bool and nil, rejecting duplicate keys, deep nesting and
// trailing data.
func parse(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, "$", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, decodeErr("$", "data after the document")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, decodeErr(path, fmt.Sprintf("nested deeper than %d levels", maxDepth))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxErr(path, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxErr(path, err)
				}
				k, _ := kt.(string)
				kp := childPath(path, k)
				if _, dup := obj.vals[k]; dup {
					return nil, decodeErr(kp, "duplicate key")
				}
				v, err := parseValue(dec, kp, depth+1)
				if err != nil {
					return nil, err
				}
				obj.keys = append(obj.keys, k)
				obj.vals[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxErr(path, err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := parseValue(dec, fmt.Sprintf("%s[%d]", path, len(arr)), depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxErr(path, err)
			}
			return arr, nil
		}
		return nil, decodeErr(path, "unexpected "+t.String())
	default:
		return tok, nil
	}
}

func syntaxErr(path string, err error) error {
	if err == io.EOF {
		return decodeErr(path, "unexpected end of document")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return decodeErr(path, se.Error())
	}
	return decodeErr(path, err.Error())
}

func childPath(path, key string) string {
	ident := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			ident = false
			break
		}
	}
	if ident {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *object:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "unknown"
}

var (
	rawType  = reflect.TypeFor[json.RawMessage]()
	timeType = reflect.TypeFor[time.Time]()
)

// check verifies that the parsed tree v fits type t exactly: known field
// names (case-sensitive), the right JSON types, integers in range, times in
// RFC 3339. json.RawMessage fields accept any value (checked later).
func check(v any, t reflect.Type, path string) error {
	if t == rawType {
		return nil
	}
	if t == timeType {
		s, ok := v.(string)
		if !ok {
			return decodeErr(path, "want an RFC 3339 time string, got "+jsonType(v))
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return decodeErr(path, fmt.Sprintf("%q is not an RFC 3339 time", s))
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v == nil {
			return nil
		}
		return check(v, t.Elem(), path)
	case reflect.Struct:
		obj, ok := v.(*object)
		if !ok {
			return decodeErr(path, "want an object, got "+jsonType(v))
		}
		fields := jsonFields(t)
		for _, k := range obj.keys {
			ft, ok := fields[k]
			if !ok {
				return decodeErr(childPath(path, k), "unknown field")
			}
			if err := check(obj.vals[k], ft, childPath(path, k)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if v == nil {
			return nil
		}
		arr, ok := v.([]any)
		if !ok {
			return decodeErr(path, "want an array, got "+jsonType(v))
		}
		for i, e := range arr {
			if err := check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if _, ok := v.(string); !ok {
			return decodeErr(path, "want a string, got "+jsonType(v))
		}
		return nil
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return decodeErr(path, "want a boolean, got "+jsonType(v))
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return decodeErr(path, "want an integer, got "+jsonType(v))
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			return decodeErr(path, fmt.Sprintf("%s is not an integer in range", n))
		}
		return nil
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return decodeErr(path, "want a number, got "+jsonType(v))
		}
		if _, err := strconv.ParseFloat(string(n), t.Bits()); err != nil {
			return decodeErr(path, fmt.Sprintf("%s is not a number in range", n))
		}
		return nil
	}
	return decodeErr(path, "unsupported type "+t.String())
}

// jsonFields maps the JSON names of t's encoded fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
