package detections

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Front matter delimiters: the first line of a rule file and the line that
// ends its front matter.
const (
	frontMatterStart = "/*---"
	frontMatterEnd   = "---*/"
)

// Entity kinds: what a finding is about.
const (
	EntitySource      = "source"
	EntityDestination = "destination"
	EntityInterface   = "interface"
	EntityPair        = "pair"
)

// Attack is one MITRE ATT&CK tactic and technique that a rule maps to.
type Attack struct {
	Tactic    string `yaml:"tactic" json:"tactic"`
	Technique string `yaml:"technique" json:"technique"`
}

// Param is one parameter of a rule.
type Param struct {
	Name string `yaml:"name"`
	// Type is int, float, string, ports, cidrs or strings.
	Type string `yaml:"type"`
	// Default is the value as written in the front matter: a scalar, or a
	// list for the list types.
	Default     any    `yaml:"default"`
	Unit        string `yaml:"unit,omitempty"`
	Description string `yaml:"description"`
	// line and defaultLine are the lines of the front matter YAML where the
	// parameter and its default start.
	line, defaultLine int
}

// Rule is one parsed rule file.
type Rule struct {
	ID            string
	Title         string
	Description   string
	Severity      Severity
	Attack        []Attack
	Tags          []string
	Params        []Param
	Entity        string
	Window        time.Duration
	Baseline      bool
	Investigation string
	// Evidence is an SQL condition on the columns of window_flows that the
	// evidence records of the rule's findings also meet, or "".
	Evidence string
	// SQL is the query after the front matter, placeholders unfilled.
	SQL string
	// File is the path or name the rule was read from; SQLLine is the line
	// of the file where SQL starts.
	File    string
	SQLLine int
}

// frontMatter is the YAML form of a rule's metadata.
type frontMatter struct {
	ID            string   `yaml:"id"`
	Title         string   `yaml:"title"`
	Description   string   `yaml:"description"`
	Severity      string   `yaml:"severity"`
	Attack        []Attack `yaml:"attack"`
	Tags          []string `yaml:"tags,omitempty"`
	Entity        string   `yaml:"entity"`
	Window        string   `yaml:"window"`
	Baseline      bool     `yaml:"baseline,omitempty"`
	Parameters    []Param  `yaml:"parameters,omitempty"`
	Investigation string   `yaml:"investigation"`
	Evidence      string   `yaml:"evidence,omitempty"`
	// paramNodes are the YAML mappings of Parameters, for the lines of
	// errors about them.
	paramNodes []*yamlNode
}

// ParseError is a rule file that could not be read, with the line of the
// file that the error is about (1-based, 0 when unknown).
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrInvalidRule is wrapped by every ParseError.
var ErrInvalidRule = errors.New("invalid rule")

var (
	idPattern          = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	placeholderPattern = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]*)\s*\}\}`)
	tacticPattern      = regexp.MustCompile(`^TA\d{4}$`)
	techniquePattern   = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
)

// builtinPlaceholders are filled for every rule and cannot be parameter names.
var builtinPlaceholders = map[string]bool{
	"since": true, "until": true, "baseline_since": true, "window": true, "window_seconds": true,
}

// ParseRule reads a rule file. Errors are *ParseError values with the
// line of the file they are about. A leading byte-order mark is skipped.
func ParseRule(file string, data []byte) (*Rule, error) {
	fail := func(line int, format string, args ...any) error {
		return &ParseError{File: file, Line: line, Err: fmt.Errorf("%w: %s", ErrInvalidRule, fmt.Sprintf(format, args...))}
	}
	text := strings.TrimPrefix(string(data), byteOrderMark)
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != frontMatterStart {
		return nil, fail(1, "the first line must be %q, which starts the front matter", frontMatterStart)
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == frontMatterEnd {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, fail(len(lines), "no line %q ends the front matter", frontMatterEnd)
	}
	yamlText := strings.Join(lines[1:end], "\n")
	// Line n of the YAML text is line n+1 of the file.
	const yamlOffset = 1

	root, err := parseYAML(yamlText)
	if err != nil {
		var ye *yamlError
		if errors.As(err, &ye) {
			return nil, fail(ye.Line+yamlOffset, "front matter: %s", ye.Msg)
		}
		return nil, fail(2, "front matter: %v", err)
	}
	if root == nil || root.Kind != 'm' {
		return nil, fail(2, "the front matter must be a mapping of keys such as id, title and severity")
	}
	keyLine := func(key string) int {
		if n, ok := root.KeyAt[key]; ok {
			return n + yamlOffset
		}
		return 2
	}
	fm, ferr := decodeFrontMatter(root)
	if ferr != nil {
		return nil, fail(ferr.Line+yamlOffset, "%s", ferr.Msg)
	}

	r := &Rule{
		ID: fm.ID, Title: strings.TrimSpace(fm.Title), Description: strings.TrimSpace(fm.Description),
		Attack: fm.Attack, Tags: fm.Tags, Params: fm.Parameters, Entity: fm.Entity,
		Baseline: fm.Baseline, Investigation: strings.TrimSpace(fm.Investigation),
		Evidence: strings.TrimSpace(fm.Evidence),
		File:     file, SQLLine: end + 2,
	}
	// missing reports a key that is absent or empty, in the order of the
	// checks below.
	missing := func(key, value, hint string) error {
		if strings.TrimSpace(value) != "" {
			return nil
		}
		return fail(keyLine(key), "missing %s: add %s: with %s", key, key, hint)
	}
	if err := missing("id", r.ID, "a rule id of lower case letters, digits and _"); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(r.ID) {
		return nil, fail(keyLine("id"), "invalid id %q: use lower case letters, digits and _, starting with a letter", r.ID)
	}
	if r.Title == "" {
		return nil, fail(keyLine("title"), "missing title")
	}
	if strings.Contains(r.Evidence, "{{") || strings.Contains(r.Evidence, ";") {
		return nil, fail(keyLine("evidence"), "invalid evidence %q: give one SQL condition on the columns of window_flows, without placeholders or ';'", r.Evidence)
	}
	if err := missing("severity", fm.Severity, "info, low, medium, high or critical"); err != nil {
		return nil, err
	}
	sev, err := ParseSeverity(fm.Severity)
	if err != nil {
		return nil, fail(keyLine("severity"), "%v", err)
	}
	r.Severity = sev
	if err := missing("entity", r.Entity, "source, destination, interface or pair"); err != nil {
		return nil, err
	}
	switch r.Entity {
	case EntitySource, EntityDestination, EntityInterface, EntityPair:
	default:
		return nil, fail(keyLine("entity"), "invalid entity %q: use source, destination, interface or pair", r.Entity)
	}
	if err := missing("window", fm.Window, "a duration such as 10m, 1h or 1d"); err != nil {
		return nil, err
	}
	if r.Window, err = ParseDuration(fm.Window); err != nil || r.Window <= 0 {
		return nil, fail(keyLine("window"), "invalid window %q: give a duration such as 10m, 1h or 1d", fm.Window)
	}
	for i, a := range r.Attack {
		if !tacticPattern.MatchString(a.Tactic) || !techniquePattern.MatchString(a.Technique) {
			return nil, fail(keyLine("attack"), "invalid attack entry %d: tactic %q and technique %q must look like TA0006 and T1110 or T1110.001", i+1, a.Tactic, a.Technique)
		}
	}
	seen := map[string]bool{}
	for i := range r.Params {
		p := &r.Params[i]
		if line, err := checkParam(p, fm.paramNodes[i], seen); err != nil {
			return nil, fail(line+yamlOffset, "%v", err)
		}
		seen[p.Name] = true
	}

	sqlLines := lines[end+1:]
	r.SQL = strings.TrimRight(strings.Join(sqlLines, "\n"), " \t\n")
	if strings.TrimSpace(r.SQL) == "" {
		return nil, fail(end+2, "no SQL after the front matter")
	}
	for i, l := range sqlLines {
		for _, m := range placeholderPattern.FindAllStringSubmatch(l, -1) {
			if !seen[m[1]] && !builtinPlaceholders[m[1]] {
				return nil, fail(end+2+i, "unknown placeholder %q: declare it under parameters", m[0])
			}
		}
	}
	return r, nil
}

// checkParam checks the name, type and default of parameter p, read from
// the YAML mapping n, where seen holds the names of the parameters before
// it. It returns the YAML line of the fault.
func checkParam(p *Param, n *yamlNode, seen map[string]bool) (int, error) {
	lineOf := func(key string) int {
		if line, ok := n.KeyAt[key]; ok {
			return line
		}
		return n.Line
	}
	switch {
	case p.Name == "":
		return lineOf("name"), errors.New("missing parameter name: add a name key")
	case !idPattern.MatchString(p.Name) || builtinPlaceholders[p.Name]:
		return lineOf("name"), fmt.Errorf("invalid parameter name %q: use lower case letters, digits and _, and none of since, until, baseline_since, window, window_seconds", p.Name)
	case seen[p.Name]:
		return lineOf("name"), fmt.Errorf("parameter %q is declared twice", p.Name)
	case p.Type == "":
		return lineOf("type"), fmt.Errorf("parameter %q: missing type: add a type key, one of %s", p.Name, typeNames)
	case !knownType(p.Type):
		return lineOf("type"), fmt.Errorf("parameter %q: unknown type %q: use %s", p.Name, p.Type, typeNames)
	}
	def := n.Map["default"]
	if def.isNull() {
		if p.isList() {
			// A list parameter without a default is an empty list.
			return 0, nil
		}
		return lineOf("default"), fmt.Errorf("parameter %q: missing default: %s", p.Name, p.valueHint())
	}
	if line, err := p.checkValue(def); err != nil {
		return line, fmt.Errorf("parameter %q: invalid default: %w", p.Name, err)
	}
	return 0, nil
}

// Reads reports whether the rule's query names the table. A mention in a
// comment counts too, which errs on the side of preparing the table.
func (r *Rule) Reads(table string) bool {
	return strings.Contains(r.SQL, table)
}

// Format writes the rule as a rule file that ParseRule reads back to the
// same Rule, apart from File and SQLLine.
func (r *Rule) Format() []byte {
	var b bytes.Buffer
	b.WriteString(frontMatterStart + "\n")
	fmt.Fprintf(&b, "id: %s\n", r.ID)
	fmt.Fprintf(&b, "title: %s\n", strconv.Quote(r.Title))
	fmt.Fprintf(&b, "description: %s\n", strconv.Quote(r.Description))
	fmt.Fprintf(&b, "severity: %s\n", r.Severity)
	if len(r.Attack) > 0 {
		b.WriteString("attack:\n")
		for _, a := range r.Attack {
			fmt.Fprintf(&b, "  - tactic: %s\n    technique: %s\n", a.Tactic, a.Technique)
		}
	}
	if len(r.Tags) > 0 {
		b.WriteString("tags: [" + quoteAll(r.Tags) + "]\n")
	}
	fmt.Fprintf(&b, "entity: %s\n", r.Entity)
	fmt.Fprintf(&b, "window: %s\n", FormatDuration(r.Window))
	if r.Baseline {
		b.WriteString("baseline: true\n")
	}
	if len(r.Params) > 0 {
		b.WriteString("parameters:\n")
		for _, p := range r.Params {
			fmt.Fprintf(&b, "  - name: %s\n    type: %s\n    default: %s\n", p.Name, p.Type, formatDefault(p.Default))
			if p.Unit != "" {
				fmt.Fprintf(&b, "    unit: %s\n", strconv.Quote(p.Unit))
			}
			fmt.Fprintf(&b, "    description: %s\n", strconv.Quote(p.Description))
		}
	}
	fmt.Fprintf(&b, "investigation: %s\n", strconv.Quote(r.Investigation))
	if r.Evidence != "" {
		fmt.Fprintf(&b, "evidence: %s\n", strconv.Quote(r.Evidence))
	}
	b.WriteString(frontMatterEnd + "\n")
	b.WriteString(r.SQL)
	b.WriteString("\n")
	return b.Bytes()
}

func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// formatDefault writes a default value in the YAML form it was read from.
func formatDefault(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = formatDefault(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// Param returns the parameter with the given name, or nil.
func (r *Rule) Param(name string) *Param {
	for i := range r.Params {
		if r.Params[i].Name == name {
			return &r.Params[i]
		}
	}
	return nil
}

// ParseDuration reads a Go duration, also accepting the units d (days)
// and w (weeks) for whole numbers, such as 7d.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	// Leading whole weeks and days, then an optional Go duration: 2w,
	// 7d, 1d12h, 1w2d6h30m.
	var total time.Duration
	rest := s
	for _, unit := range []struct {
		suffix byte
		size   time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}} {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || rest[i] != unit.suffix {
			continue
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			break
		}
		total += time.Duration(n) * unit.size
		rest = rest[i+1:]
	}
	if rest == s {
		return 0, fmt.Errorf("invalid duration %q: give a number and a unit such as 10m, 1h, 7d or 1d12h", s)
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("invalid duration %q: give a number and a unit such as 10m, 1h, 7d or 1d12h", s)
		}
		total += d
	}
	return total, nil
}

// FormatDuration writes d in the largest whole unit of d, minutes, hours
// or days, that ParseDuration reads back; other durations as time.Duration
// writes them.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0 || d%time.Minute != 0:
		return d.String()
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}

// frontMatterError is an invalid front matter value at a YAML line.
type frontMatterError = yamlError

var frontMatterKeys = map[string]bool{
	"id": true, "title": true, "description": true, "severity": true, "attack": true, "tags": true,
	"entity": true, "window": true, "baseline": true, "parameters": true, "investigation": true,
	"evidence": true,
}

var paramKeys = map[string]bool{"name": true, "type": true, "default": true, "unit": true, "description": true}

// decodeFrontMatter reads the front matter mapping, checking that each
// value has the expected shape.
func decodeFrontMatter(root *yamlNode) (*frontMatter, *frontMatterError) {
	fm := &frontMatter{}
	for _, k := range root.Keys {
		if !frontMatterKeys[k] {
			return nil, &yamlError{root.KeyAt[k], fmt.Sprintf("unknown key %q", k)}
		}
	}
	scalar := func(key string) (string, *yamlError) {
		n := root.Map[key]
		if n != nil && n.Kind != 's' {
			return "", &yamlError{root.KeyAt[key], fmt.Sprintf("%s must be text", key)}
		}
		return n.Text(), nil
	}
	var err *yamlError
	for _, f := range []struct {
		key string
		dst *string
	}{{"id", &fm.ID}, {"title", &fm.Title}, {"description", &fm.Description}, {"severity", &fm.Severity},
		{"entity", &fm.Entity}, {"window", &fm.Window}, {"investigation", &fm.Investigation},
		{"evidence", &fm.Evidence}} {
		if *f.dst, err = scalar(f.key); err != nil {
			return nil, err
		}
	}
	if n := root.Map["baseline"]; n != nil {
		v, ok := n.Interface().(bool)
		if !ok {
			return nil, &yamlError{n.Line, "baseline must be true or false"}
		}
		fm.Baseline = v
	}
	tags, ok := root.Map["tags"].Strings()
	if !ok {
		return nil, &yamlError{root.KeyAt["tags"], "tags must be a list of text"}
	}
	fm.Tags = tags
	if n := root.Map["attack"]; n != nil && !(n.Kind == 's' && n.Value == "") {
		if n.Kind != 'l' {
			return nil, &yamlError{root.KeyAt["attack"], "attack must be a list of tactic and technique pairs"}
		}
		for _, it := range n.Items {
			if it.Kind != 'm' {
				return nil, &yamlError{it.Line, "each attack entry must have tactic and technique"}
			}
			fm.Attack = append(fm.Attack, Attack{Tactic: it.Map["tactic"].Text(), Technique: it.Map["technique"].Text()})
		}
	}
	if n := root.Map["parameters"]; n != nil && !(n.Kind == 's' && n.Value == "") {
		if n.Kind != 'l' {
			return nil, &yamlError{root.KeyAt["parameters"], "parameters must be a list"}
		}
		for _, it := range n.Items {
			if it.Kind != 'm' {
				return nil, &yamlError{it.Line, "each parameter must be a mapping with name, type, default and description"}
			}
			for _, k := range it.Keys {
				if !paramKeys[k] {
					return nil, &yamlError{it.KeyAt[k], fmt.Sprintf("unknown parameter key %q: use name, type, default, unit and description", k)}
				}
				if k != "default" && it.Map[k].Kind != 's' {
					return nil, &yamlError{it.KeyAt[k], fmt.Sprintf("parameter %s must be text", k)}
				}
			}
			fm.Parameters = append(fm.Parameters, Param{
				Name: it.Map["name"].Text(), Type: it.Map["type"].Text(), Default: it.Map["default"].Interface(),
				Unit: it.Map["unit"].Text(), Description: it.Map["description"].Text(), line: it.Line,
				defaultLine: it.KeyAt["default"],
			})
			fm.paramNodes = append(fm.paramNodes, it)
		}
	}
	return fm, nil
}
