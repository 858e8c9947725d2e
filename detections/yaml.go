package detections

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML of rule front matter, config files and allowlists is read with
// gopkg.in/yaml.v3 into yamlNode trees, which keep the line of every key so
// that errors can point at it.

// yamlNode is one parsed value with the 1-based line it starts on.
type yamlNode struct {
	Line int
	// Kind is 's' for a scalar, 'm' for a mapping and 'l' for a sequence.
	Kind byte
	// Value is a scalar's text; Quoted is set when it was quoted.
	Value  string
	Quoted bool
	// Keys lists a mapping's keys in order, with their values in Map.
	Keys  []string
	KeyAt map[string]int
	Map   map[string]*yamlNode
	Items []*yamlNode
}

// yamlError is a syntax error at a line of the YAML text.
type yamlError struct {
	Line int
	Msg  string
}

func (e *yamlError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// parseYAML reads text into a node tree. Empty text gives a nil node.
func parseYAML(text string) (*yamlNode, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, &yamlError{1, strings.Join(te.Errors, "; ")}
		}
		return nil, &yamlError{yamlErrorLine(err), strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return convertYAML(doc.Content[0])
}

// yamlErrorLine reads the line from a yaml.v3 syntax error such as
// "yaml: line 3: mapping values are not allowed in this context".
func yamlErrorLine(err error) int {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, _, ok := strings.Cut(rest, ":"); ok {
			if line, err := strconv.Atoi(n); err == nil {
				return line
			}
		}
	}
	return 1
}

func convertYAML(n *yaml.Node) (*yamlNode, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return nil, &yamlError{n.Line, "aliases are not supported"}
	case yaml.MappingNode:
		out := &yamlNode{Line: n.Line, Kind: 'm', Map: map[string]*yamlNode{}, KeyAt: map[string]int{}}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			if key.Kind != yaml.ScalarNode {
				return nil, &yamlError{key.Line, "a key must be text"}
			}
			if _, dup := out.Map[key.Value]; dup {
				return nil, &yamlError{key.Line, fmt.Sprintf("key %q appears twice", key.Value)}
			}
			v, err := convertYAML(val)
			if err != nil {
				return nil, err
			}
			out.Keys = append(out.Keys, key.Value)
			out.KeyAt[key.Value] = key.Line
			out.Map[key.Value] = v
		}
		return out, nil
	case yaml.SequenceNode:
		out := &yamlNode{Line: n.Line, Kind: 'l'}
		for _, c := range n.Content {
			v, err := convertYAML(c)
			if err != nil {
				return nil, err
			}
			out.Items = append(out.Items, v)
		}
		return out, nil
	}
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	return &yamlNode{Line: n.Line, Kind: 's', Value: n.Value, Quoted: quoted}, nil
}

// Interface returns the node as Go values: map[string]any, []any, and for
// plain scalars bool, int64, float64 or nil where they read as one, else
// string.

func (n *yamlNode) Interface() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case 'm':
		m := make(map[string]any, len(n.Keys))
		for _, k := range n.Keys {
			m[k] = n.Map[k].Interface()
		}
		return m
	case 'l':
		l := make([]any, len(n.Items))
		for i, it := range n.Items {
			l[i] = it.Interface()
		}
		return l
	}
	if n.Quoted {
		return n.Value
	}
	switch n.Value {
	case "", "~", "null":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return f
	}
	return n.Value
}

// Text returns a scalar's text, or "" for other kinds.
func (n *yamlNode) Text() string {
	if n == nil || n.Kind != 's' {
		return ""
	}
	return n.Value
}

// Strings returns a sequence of scalars as text.
func (n *yamlNode) Strings() ([]string, bool) {
	if n == nil {
		return nil, true
	}
	if n.Kind != 'l' {
		return nil, false
	}
	out := make([]string, 0, len(n.Items))
	for _, it := range n.Items {
		if it.Kind != 's' {
			return nil, false
		}
		out = append(out, it.Value)
	}
	return out, true
}
