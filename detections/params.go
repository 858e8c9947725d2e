package detections

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Parameter types.
const (
	TypeInt     = "int"
	TypeFloat   = "float"
	TypeString  = "string"
	TypePorts   = "ports"
	TypeCIDRs   = "cidrs"
	TypeStrings = "strings"
)

// typeNames lists the parameter types for error messages.
const typeNames = "int, float, string, ports, cidrs or strings"

// knownType reports whether t is one of the parameter types.
func knownType(t string) bool {
	switch t {
	case TypeInt, TypeFloat, TypeString, TypePorts, TypeCIDRs, TypeStrings:
		return true
	}
	return false
}

// Settings are parameter values by rule id and parameter name, as text
// from --set, values from a config file or any value given to Set. They
// replace the defaults. The values that ParseSet and LoadSettings store
// also record the --set text or the file and line they come from, so that
// the errors of Check point at them. Read a value with Get.
type Settings map[string]map[string]any

// settingValue is a value of Settings with the place it was written.
type settingValue struct {
	value any
	// node is the YAML value in the config file named by file, and ruleLine
	// and keyLine are the lines of its rule id and parameter name.
	node              *yamlNode
	file              string
	ruleLine, keyLine int
	// set is the text of the --set flag that gave the value.
	set string
}

// settingOf returns the value that a Settings entry v holds.
func settingOf(v any) any {
	if sv, ok := v.(*settingValue); ok {
		return sv.value
	}
	return v
}

// Set records one value.
func (s Settings) Set(rule, param string, value any) {
	if s[rule] == nil {
		s[rule] = map[string]any{}
	}
	s[rule][param] = value
}

// Get returns the value set for a parameter of a rule.
func (s Settings) Get(rule, param string) (any, bool) {
	v, ok := s[rule][param]
	return settingOf(v), ok
}

// ParseSet reads a --set value of the form rule.param=value into s.
func (s Settings) ParseSet(arg string) error {
	key, value, ok := strings.Cut(arg, "=")
	rule, param, ok2 := strings.Cut(key, ".")
	if !ok || !ok2 || rule == "" || param == "" {
		return fmt.Errorf("invalid --set %q: use rule.parameter=value, such as ssh_bruteforce.min_attempts=50", arg)
	}
	s.Set(strings.TrimSpace(rule), strings.TrimSpace(param), &settingValue{value: strings.TrimSpace(value), set: arg})
	return nil
}

// LoadSettings reads a config file: a YAML mapping from rule id to a
// mapping from parameter name to value. A leading byte-order mark is
// skipped.
func LoadSettings(path string) (Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file %q: %w", path, err)
	}
	root, err := parseYAML(string(data))
	if err != nil {
		return nil, fmt.Errorf("parse config file %q: %w", path, err)
	}
	s := Settings{}
	if root == nil {
		return s, nil
	}
	if root.Kind != 'm' {
		return nil, fmt.Errorf("parse config file %q: line %d: expected a mapping from rule id to parameters", path, root.Line)
	}
	for _, rule := range root.Keys {
		params := root.Map[rule]
		if params.Kind != 'm' {
			return nil, fmt.Errorf("parse config file %q: line %d: rule %q must map parameter names to values", path, root.KeyAt[rule], rule)
		}
		for _, name := range params.Keys {
			n := params.Map[name]
			s.Set(rule, name, &settingValue{
				value: n.Interface(), node: n, file: path,
				ruleLine: root.KeyAt[rule], keyLine: params.KeyAt[name],
			})
		}
	}
	return s, nil
}

// Check reports settings that name no loaded rule or no parameter of it,
// and values that do not fit the parameter's type. An error about a value
// of a config file names the file and the line of the rule id, parameter
// name, value or list item at fault. An error about a --set value quotes
// the --set text.
func (s Settings) Check(rules []*Rule) error {
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var errs []error
	for _, id := range sortedKeys(s) {
		if r, ok := byID[id]; ok {
			errs = append(errs, s.checkRule(r)...)
			continue
		}
		// One error for each place that names the rule.
		seen := map[string]bool{}
		for _, name := range sortedKeys(s[id]) {
			at := settingPlace(s[id][name], func(sv *settingValue) int { return sv.ruleLine })
			if !seen[at] {
				seen[at] = true
				errs = append(errs, placeError(at, fmt.Errorf("unknown rule %q: see flowq detect list", id)))
			}
		}
	}
	return errors.Join(errs...)
}

// checkRule checks the settings of rule r.
func (s Settings) checkRule(r *Rule) []error {
	var errs []error
	for _, name := range sortedKeys(s[r.ID]) {
		v := s[r.ID][name]
		p := r.Param(name)
		if p == nil {
			at := settingPlace(v, func(sv *settingValue) int { return sv.keyLine })
			errs = append(errs, placeError(at, fmt.Errorf("rule %q has no parameter %q: see flowq detect list", r.ID, name)))
			continue
		}
		line, missing, err := p.checkSetting(v)
		if err == nil {
			continue
		}
		at := settingPlace(v, func(*settingValue) int { return line })
		if missing {
			err = fmt.Errorf("missing value for %s.%s: %w", r.ID, name, err)
		} else {
			err = fmt.Errorf("invalid value for %s.%s: %w", r.ID, name, err)
		}
		errs = append(errs, placeError(at, err))
	}
	return errs
}

// checkSetting checks a Settings value against the parameter's type. For a
// value of a config file it returns the line of the fault. missing is set
// when no value was given.
func (p *Param) checkSetting(v any) (line int, missing bool, err error) {
	sv, ok := v.(*settingValue)
	if !ok || sv.node == nil {
		raw := settingOf(v)
		if raw == nil && !p.isList() {
			return 0, true, errors.New(p.valueHint())
		}
		_, err := p.literal(raw)
		return 0, false, err
	}
	if sv.node.isNull() {
		if p.isList() {
			return 0, false, nil
		}
		return sv.keyLine, true, errors.New(p.valueHint())
	}
	line, err = p.checkValue(sv.node)
	return line, false, err
}

// settingPlace returns where a Settings value was written: the config
// file and the line that line picks, the --set text, or "" when unknown.
func settingPlace(v any, line func(*settingValue) int) string {
	sv, ok := v.(*settingValue)
	switch {
	case !ok:
		return ""
	case sv.set != "":
		return fmt.Sprintf("--set %q", sv.set)
	case sv.file != "":
		return fmt.Sprintf("config file %q: line %d", sv.file, line(sv))
	}
	return ""
}

// placeError prefixes err with the place from settingPlace.
func placeError(place string, err error) error {
	if place == "" {
		return err
	}
	return fmt.Errorf("%s: %w", place, err)
}

// isList reports whether the parameter's type is a list type.
func (p *Param) isList() bool {
	return p.Type == TypePorts || p.Type == TypeCIDRs || p.Type == TypeStrings
}

// valueHint returns the hint for the kind of value that the parameter's
// type takes.
func (p *Param) valueHint() string {
	switch p.Type {
	case TypeInt:
		return "give a whole number"
	case TypeFloat:
		return "give a number"
	case TypeString:
		return "give text"
	case TypePorts:
		return "give a list of ports and port ranges, such as [22, 5900-5910]"
	case TypeCIDRs:
		return "give a list of addresses and CIDRs, such as [192.0.2.10, 10.0.0.0/8]"
	case TypeStrings:
		return "give a list of text"
	}
	return "use a parameter type of " + typeNames
}

// checkValue checks a YAML value that is not null against the
// parameter's type, as literal reads it, and returns the line of the
// fault: that of the wrong list item, else that of the value. Errors
// quote scalars as written.
func (p *Param) checkValue(n *yamlNode) (int, error) {
	switch {
	case n.Kind == 'm':
		return n.Line, fmt.Errorf("found a mapping: %s", p.valueHint())
	case n.Kind == 'l' && !p.isList():
		return n.Line, fmt.Errorf("found a list: %s", p.valueHint())
	case n.Kind == 'l':
		for _, it := range n.Items {
			if it.Kind != 's' {
				return it.Line, errors.New("invalid list item: give one value, not a list or a mapping")
			}
			if it.isNull() {
				return it.Line, errors.New("empty list item: give a value or remove the item")
			}
			if _, err := p.literal([]any{it.Interface()}); err != nil {
				return it.Line, p.writtenError(it, err)
			}
		}
		return 0, nil
	}
	if _, err := p.literal(n.Interface()); err != nil {
		return n.Line, p.writtenError(n, err)
	}
	return 0, nil
}

// writtenError returns the error for the scalar n as written, where err is
// the error for the value that YAML reads from it, such as the number 50
// from 50.0.
func (p *Param) writtenError(n *yamlNode, err error) error {
	if _, werr := p.literal(n.Value); werr != nil {
		return werr
	}
	if p.Type != TypeString {
		return err
	}
	kind := "a number"
	if _, ok := n.Interface().(bool); ok {
		kind = "true or false"
	}
	return fmt.Errorf("%s reads as %s, not text: write it in quotes, such as %q", n.Value, kind, n.Value)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// literal checks v against the parameter's type and returns it as an SQL
// literal. v is a YAML value, the text of --set, or a Settings value that
// contains one of them. List types accept a YAML list or comma-separated
// text.
func (p *Param) literal(v any) (string, error) {
	v = settingOf(v)
	switch p.Type {
	case TypeInt:
		n, err := toInt(v)
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "", fmt.Errorf("%d is negative: give 0 or more", n)
		}
		return strconv.FormatInt(n, 10), nil
	case TypeFloat:
		f, err := toFloat(v)
		if err != nil {
			return "", err
		}
		if f < 0 {
			return "", fmt.Errorf("%v is negative: give 0 or more", f)
		}
		return strconv.FormatFloat(f, 'g', -1, 64) + "::DOUBLE", nil
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%v is not a string", v)
		}
		return sqlString(s), nil
	case TypePorts:
		ports, err := parsePorts(toList(v))
		if err != nil {
			return "", err
		}
		parts := make([]string, len(ports))
		for i, n := range ports {
			parts[i] = strconv.Itoa(n)
		}
		return "[" + strings.Join(parts, ", ") + "]::INTEGER[]", nil
	case TypeCIDRs, TypeStrings:
		items := toList(v)
		parts := make([]string, 0, len(items))
		for _, it := range items {
			if p.Type == TypeCIDRs {
				pfx, err := parsePrefix(it)
				if err != nil {
					return "", err
				}
				it = pfx.String()
			}
			parts = append(parts, sqlString(it))
		}
		return "[" + strings.Join(parts, ", ") + "]::VARCHAR[]", nil
	}
	return "", fmt.Errorf("unknown type %q: use %s", p.Type, typeNames)
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is too large", x)
		}
		return int64(x), nil
	case string:
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is too large: give at most %d", x, int64(math.MaxInt64))
		}
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", x)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%v is not a whole number", v)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%v is not a finite number", x)
		}
		return x, nil
	case int, int64, uint64:
		n, err := toInt(x)
		return float64(n), err
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// toList turns a YAML list or comma-separated text into trimmed items.
func toList(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, it := range x {
			out = append(out, strings.TrimSpace(fmt.Sprint(it)))
		}
	case []string:
		out = append(out, x...)
	case nil:
	default:
		for _, it := range strings.Split(fmt.Sprint(x), ",") {
			if it = strings.TrimSpace(it); it != "" {
				out = append(out, it)
			}
		}
	}
	return out
}

// parsePorts reads ports and ranges such as 5900-5910, expanded.
func parsePorts(items []string) ([]int, error) {
	var out []int
	for _, it := range items {
		lo, hi, isRange := strings.Cut(it, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 0 || a > 65535 {
			return nil, fmt.Errorf("invalid port %q: use 0 to 65535 or a range such as 5900-5910", it)
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
			if err != nil || b < a || b > 65535 {
				return nil, fmt.Errorf("invalid port range %q: use low-high within 0 to 65535", it)
			}
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

// parsePrefix reads an address or a network in CIDR form.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid network %q: use a CIDR such as 10.0.0.0/16", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid address %q: use an IPv4 or IPv6 address or a CIDR", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// sqlTime writes t as a TIMESTAMPTZ literal in UTC.
func sqlTime(t time.Time) string {
	return "TIMESTAMPTZ '" + t.UTC().Format("2006-01-02 15:04:05") + "+00'"
}

// Window is the time range of a run.
type Window struct {
	Since, Until time.Time
	// Baseline is the history before Since that baseline rules compare to.
	Baseline time.Duration
}

// Render fills the rule's placeholders with the values of settings, or the
// defaults, and the window.
func (r *Rule) Render(settings Settings, w Window) (string, error) {
	values := map[string]string{
		"since":          sqlTime(w.Since),
		"until":          sqlTime(w.Until),
		"baseline_since": sqlTime(w.Since.Add(-w.Baseline)),
		"window":         fmt.Sprintf("INTERVAL %d SECOND", int64(r.Window/time.Second)),
		"window_seconds": strconv.FormatInt(int64(r.Window/time.Second), 10),
	}
	for i := range r.Params {
		p := &r.Params[i]
		v := p.Default
		if sv, ok := settings[r.ID][p.Name]; ok {
			v = sv
		}
		lit, err := p.literal(v)
		if err != nil {
			return "", fmt.Errorf("rule %q parameter %q: %w", r.ID, p.Name, err)
		}
		values[p.Name] = lit
	}
	return placeholderPattern.ReplaceAllStringFunc(r.SQL, func(m string) string {
		name := placeholderPattern.FindStringSubmatch(m)[1]
		return values[name]
	}), nil
}

// Value returns the effective value of a parameter as text, for listings.
func (r *Rule) Value(settings Settings, name string) string {
	p := r.Param(name)
	if p == nil {
		return ""
	}
	v := p.Default
	if sv, ok := settings.Get(r.ID, name); ok {
		v = sv
	}
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, it := range l {
			parts[i] = fmt.Sprint(it)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}
