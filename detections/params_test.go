package detections

import (
	"strings"
	"testing"
	"time"
)

// paramsRule has a parameter of every type, for the tests of settings.
const paramsRule = `/*---
id: typed_rule
title: Typed rule
description: A rule with a parameter of every type.
severity: low
entity: source
window: 10m
parameters:
  - name: min_count
    type: int
    default: 3
    description: records
  - name: ratio
    type: float
    default: 0.5
    description: share of records
  - name: label
    type: string
    default: scan
    description: a label
  - name: ports
    type: ports
    default: [22]
    description: destination ports
  - name: nets
    type: cidrs
    default: [10.0.0.0/8]
    description: networks
  - name: words
    type: strings
    default: []
    description: words
investigation: Look at it.
---*/
SELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen
FROM window_flows
WHERE dstport IN (SELECT unnest({{ports}})) AND {{label}} <> '' AND {{ratio}} > 0
  AND len({{nets}}) >= 0 AND len({{words}}) >= 0
GROUP BY srcaddr HAVING count(*) >= {{min_count}}`

func typedRules(t *testing.T) []*Rule {
	t.Helper()
	r, err := ParseRule("typed.sql", []byte(paramsRule))
	if err != nil {
		t.Fatal(err)
	}
	return []*Rule{r}
}

func TestSettingsCheckConfigFileAndLine(t *testing.T) {
	cases := []struct {
		name, config string
		line         string
		// wantParts must all appear in the error.
		wantParts []string
	}{
		{"word for an int", "typed_rule:\n  min_count: lots\n", "line 2", []string{"typed_rule.min_count", `"lots" is not a whole number`}},
		{"fraction for an int", "typed_rule:\n  min_count: 50.0\n", "line 2", []string{`"50.0" is not a whole number`}},
		{"unknown parameter", "typed_rule:\n  min_count: 50\n  nosuch_param: 3\n", "line 3", []string{`"typed_rule"`, `"nosuch_param"`}},
		{"unknown rule", "# thresholds\nnosuch_rule:\n  x: 1\n", "line 2", []string{`unknown rule "nosuch_rule"`}},
		{"missing value", "typed_rule:\n  ratio:\n", "line 2", []string{"missing value for typed_rule.ratio"}},
		{"list for an int", "typed_rule:\n  min_count: [5]\n", "line 2", []string{"found a list"}},
		{"mapping for a list", "typed_rule:\n  ports: {a: 1}\n", "line 2", []string{"found a mapping"}},
		{"bad item of a block list", "typed_rule:\n  ports:\n    - 22\n    - 70000\n", "line 4", []string{"typed_rule.ports", `"70000"`}},
		{"bad item of a flow list", "typed_rule:\n  nets: [10.0.0.0/8,\n    nothost]\n", "line 3", []string{`"nothost"`}},
		{"bad item of comma-separated text", "typed_rule:\n  ports: 22, 2222, x\n", "line 2", []string{`"x"`}},
		{"number for a string", "typed_rule:\n  label: 5\n", "line 2", []string{`write it in quotes, such as "5"`}},
		{"not a number for a float", "typed_rule:\n  ratio: nan\n", "line 2", []string{`"nan" is not a number`}},
		{"empty list item", "typed_rule:\n  words:\n    - a\n    -\n", "line 4", []string{"empty list item"}},
		{"byte-order mark", "\ufefftyped_rule:\n  min_count: lots\n", "line 2", []string{`"lots"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "rules.yaml", c.config)
			s, err := LoadSettings(path)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Check(typedRules(t))
			if err == nil {
				t.Fatalf("no error for:\n%s", c.config)
			}
			if want := `config file "` + path + `": ` + c.line + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %s", err, want)
			}
			for _, part := range c.wantParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %s", err, part)
				}
			}
		})
	}
}

func TestSettingsCheckValidConfig(t *testing.T) {
	config := "typed_rule:\n  min_count: 7\n  ratio: 2\n  label: \"5\"\n  ports:\n    - 22\n    - 5900-5901\n  nets: 10.0.0.0/8, 192.0.2.1\n  words:\n"
	s, err := LoadSettings(writeFile(t, "rules.yaml", config))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(typedRules(t)); err != nil {
		t.Fatal(err)
	}
}

// Values read from a config file or --set record where they come from, and
// Render, Value and Get still see the plain values.
func TestSettingsFromFileRender(t *testing.T) {
	s, err := LoadSettings(writeFile(t, "rules.yaml", "typed_rule:\n  min_count: 7\n  ports: [22, 5900-5901]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ParseSet("typed_rule.label=ssh"); err != nil {
		t.Fatal(err)
	}

	r := typedRules(t)[0]
	sql, err := r.Render(s, Window{Since: testStart, Until: testStart.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"count(*) >= 7", "[22, 5900, 5901]::INTEGER[]", "'ssh' <> ''"} {
		if !strings.Contains(sql, want) {
			t.Errorf("rendered SQL does not contain %q:\n%s", want, sql)
		}
	}

	if got := r.Value(s, "ports"); got != "22,5900-5901" {
		t.Errorf("Value(ports) = %q, want 22,5900-5901", got)
	}
	if got := r.Value(s, "label"); got != "ssh" {
		t.Errorf("Value(label) = %q, want ssh", got)
	}

	v, ok := s.Get("typed_rule", "min_count")
	if !ok {
		t.Fatal("Get(min_count) found no value")
	}
	if v != int64(7) {
		t.Errorf("Get(min_count) = %v (%T), want int64 7", v, v)
	}
}

func TestSettingsCheckSetNamesFlag(t *testing.T) {
	cases := []struct {
		set  string
		want string
	}{
		{"typed_rule.min_count=lots", `"lots" is not a whole number`},
		{"typed_rule.nosuch=1", `has no parameter "nosuch"`},
		{"nosuch_rule.x=1", `unknown rule "nosuch_rule"`},
		{"typed_rule.ports=22,70000", `"70000"`},
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			s := Settings{}
			if err := s.ParseSet(c.set); err != nil {
				t.Fatal(err)
			}
			err := s.Check(typedRules(t))
			if err == nil {
				t.Fatalf("no error for --set %s", c.set)
			}
			if want := `--set "` + c.set + `": `; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %s", err, want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %s", err, c.want)
			}
		})
	}
}

// A --set value replaces the config value, and an error names the --set.
func TestSettingsCheckSetAfterConfig(t *testing.T) {
	s, err := LoadSettings(writeFile(t, "rules.yaml", "typed_rule:\n  min_count: 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ParseSet("typed_rule.min_count=5.5"); err != nil {
		t.Fatal(err)
	}
	err = s.Check(typedRules(t))
	if err == nil {
		t.Fatal("no error for min_count 5.5")
	}
	if want := `--set "typed_rule.min_count=5.5": `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %s", err, want)
	}
}

func TestLoadSettingsSyntaxErrorLineOnce(t *testing.T) {
	path := writeFile(t, "rules.yaml", "typed_rule:\n  min_count: 50\n nosuch: 3\n")
	_, err := LoadSettings(path)
	if err == nil {
		t.Fatal("no error for a wrongly indented key")
	}
	want := `parse config file "` + path + `": line 3: did not find expected key`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// Settings set through Set carry no place, and their errors have none.
func TestSettingsCheckPlainValues(t *testing.T) {
	s := Settings{}
	s.Set("typed_rule", "min_count", "x")
	err := s.Check(typedRules(t))
	if err == nil {
		t.Fatal("no error for min_count x")
	}
	if want := `invalid value for typed_rule.min_count: "x" is not a whole number`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestSettingsRejectNegativeNumbers(t *testing.T) {
	rules := []*Rule{builtinRule(t, "ssh_bruteforce"), builtinRule(t, "exfil_volume_anomaly")}
	for _, set := range []string{"ssh_bruteforce.min_attempts=-1", "exfil_volume_anomaly.k=-0.5"} {
		s := Settings{}
		if err := s.ParseSet(set); err != nil {
			t.Fatalf("ParseSet(%q): %v", set, err)
		}
		if err := s.Check(rules); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("--set %s: err = %v, want one that says the value is negative", set, err)
		}
	}
}

func TestSettingsTooLargeInteger(t *testing.T) {
	s := Settings{}
	if err := s.ParseSet("ssh_bruteforce.min_attempts=99999999999999999999"); err != nil {
		t.Fatal(err)
	}
	if err := s.Check([]*Rule{builtinRule(t, "ssh_bruteforce")}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("err = %v, want one that says the value is too large", err)
	}
}
