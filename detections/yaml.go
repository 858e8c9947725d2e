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

// byteOrderMark is the UTF-8 encoding of U+FEFF, which some editors on
// Windows write at the start of a text file.
const byteOrderMark = "\ufeff"

// parseYAML reads text into a node tree. Empty text gives a nil node. A
// leading byte-order mark is skipped.
func parseYAML(text string) (*yamlNode, error) {
	text = strings.TrimPrefix(text, byteOrderMark)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, &yamlError{1, strings.Join(te.Errors, "; ")}
		}
		msg := yamlErrorMessage(err)
		return nil, &yamlError{syntaxErrorLine(text, msg), msg}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return convertYAML(doc.Content[0])
}

// yamlErrorMessage returns the text of a yaml.v3 syntax error without its
// "yaml: " and "line N: " prefixes, such as "did not find expected key".
func yamlErrorMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return after
			}
		}
	}
	return msg
}

// syntaxErrorLine returns the 1-based line of text where the syntax error
// msg shows up. The line in a yaml.v3 (v3.0.1) error is often that of the
// collection around the fault, several lines earlier, and for some errors
// it counts from 0. So the line is found by parsing leading parts of text:
// it is a line n such that the first n-1 lines parse without this error
// and the first n lines fail with it. A binary search needs about log2 of
// the line count parses.
func syntaxErrorLine(text, msg string) int {
	lines := strings.SplitAfter(text, "\n")
	failsWithin := func(n int) bool {
		var doc yaml.Node
		err := yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &doc)
		return err != nil && yamlErrorMessage(err) == msg
	}
	// The first 0 lines parse, and all the lines fail with msg.
	ok, bad := 0, len(lines)
	for bad-ok > 1 {
		mid := (ok + bad) / 2
		if failsWithin(mid) {
			bad = mid
		} else {
			ok = mid
		}
	}
	return max(bad, 1)
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

// isNull reports whether n is missing or a plain scalar that reads as null,
// such as an empty value after a key.
func (n *yamlNode) isNull() bool {
	return n == nil || (n.Kind == 's' && n.Interface() == nil)
}
