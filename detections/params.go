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

// Settings are parameter values by rule id and parameter name, as text
// from --set or values from a config file. They replace the defaults.
type Settings map[string]map[string]any

// Set records one value.
func (s Settings) Set(rule, param string, value any) {
	if s[rule] == nil {
		s[rule] = map[string]any{}
	}
	s[rule][param] = value
}

// ParseSet reads a --set value of the form rule.param=value into s.
func (s Settings) ParseSet(arg string) error {
	key, value, ok := strings.Cut(arg, "=")
	rule, param, ok2 := strings.Cut(key, ".")
	if !ok || !ok2 || rule == "" || param == "" {
		return fmt.Errorf("invalid --set %q: use rule.parameter=value, such as ssh_bruteforce.min_attempts=50", arg)
	}
	s.Set(strings.TrimSpace(rule), strings.TrimSpace(param), strings.TrimSpace(value))
	return nil
}

// LoadSettings reads a config file: a YAML mapping from rule id to a
// mapping from parameter name to value.
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
			s.Set(rule, name, params.Map[name].Interface())
		}
	}
	return s, nil
}

// Check reports settings that name no loaded rule or no parameter of it.
func (s Settings) Check(rules []*Rule) error {
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var errs []error
	for _, id := range sortedKeys(s) {
		r, ok := byID[id]
		if !ok {
			errs = append(errs, fmt.Errorf("setting for unknown rule %q: see flowq detect list", id))
			continue
		}
		for _, name := range sortedKeys(s[id]) {
			p := r.Param(name)
			if p == nil {
				errs = append(errs, fmt.Errorf("rule %q has no parameter %q: see flowq detect list", id, name))
				continue
			}
			if _, err := p.literal(s[id][name]); err != nil {
				errs = append(errs, fmt.Errorf("invalid value for %s.%s: %w", id, name, err))
			}
		}
	}
	return errors.Join(errs...)
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
// literal. v is a YAML value or the text of --set; list types accept a
// YAML list or comma-separated text.
func (p *Param) literal(v any) (string, error) {
	switch p.Type {
	case TypeInt:
		n, err := toInt(v)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	case TypeFloat:
		f, err := toFloat(v)
		if err != nil {
			return "", err
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
	return "", fmt.Errorf("unknown type %q: use int, float, string, ports, cidrs or strings", p.Type)
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
	if sv, ok := settings[r.ID][name]; ok {
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
