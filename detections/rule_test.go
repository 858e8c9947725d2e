package detections

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

const validRule = `/*---
id: test_rule
title: Test rule
description: A rule for tests.
severity: medium
attack:
  - tactic: TA0007
    technique: T1046
tags: [test]
entity: source
window: 10m
parameters:
  - name: min_count
    type: int
    default: 3
    unit: records
    description: records that fire the rule
investigation: Look at it.
---*/
SELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen, count(*) AS n
FROM window_flows GROUP BY srcaddr HAVING count(*) >= {{min_count}}`

func TestParseRuleFields(t *testing.T) {
	r, err := ParseRule("test.sql", []byte(validRule))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "test_rule" || r.Severity != SeverityMedium || r.Window != 10*time.Minute || r.Entity != EntitySource {
		t.Errorf("rule = %+v", r)
	}
	if len(r.Params) != 1 || r.Params[0].Default != int64(3) {
		t.Errorf("params = %+v", r.Params)
	}
	if r.SQLLine != 20 {
		t.Errorf("SQLLine = %d, want 20", r.SQLLine)
	}
}

func TestParseRuleErrorsPositioned(t *testing.T) {
	cases := []struct {
		name, from, to string
		line           int
		want           string
	}{
		{"severity", "severity: medium", "severity: urgent", 5, "invalid severity"},
		{"id", "id: test_rule", "id: Test-Rule", 2, "invalid id"},
		{"unknown key", "tags: [test]", "tagz: [test]", 9, "unknown key"},
		{"placeholder", "{{min_count}}", "{{max_count}}", 21, "unknown placeholder"},
		{"default", "default: 3", "default: many", 15, "invalid default"},
		{"window", "window: 10m", "window: soon", 11, "invalid window"},
		{"indentation", "    unit: records", "      unit: records", 16, "mapping values are not allowed"},
		{"attack", "technique: T1046", "technique: scan", 6, "invalid attack"},
		{"no end", "---*/", "--", 21, "ends the front matter"},
		{"missing default", "    default: 3\n", "", 13, `parameter "min_count": missing default: give a whole number`},
		{"empty default", "default: 3", "default:", 15, "missing default"},
		{"default as written", "default: 3", "default: 3.0", 15, `invalid default: "3.0" is not a whole number`},
		{"unknown type", "type: int", "type: integer", 14, `unknown type "integer": use int, float, string, ports, cidrs or strings`},
		{"missing type", "    type: int\n", "", 13, "missing type"},
		{"bad item of a list default", "type: int\n    default: 3", "type: ports\n    default:\n      - 22\n      - 99999", 17, `invalid port "99999"`},
		{"list default for an int", "default: 3", "default: [3]", 15, "found a list"},
		{"dedented key in a list", "    unit: records", "   unit: records", 16, "did not find expected '-' indicator"},
		{"dedented key in a mapping", "  - tactic: TA0007\n    technique: T1046", "  - tactic: TA0007\n    technique: T1046\n   tags: [x]", 9, "did not find expected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRule("bad.sql", []byte(strings.Replace(validRule, c.from, c.to, 1)))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *ParseError", err)
			}
			if pe.Line != c.line || pe.File != "bad.sql" {
				t.Errorf("position = %s:%d, want bad.sql:%d (%v)", pe.File, pe.Line, c.line, err)
			}
			if !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalidRule) {
				t.Errorf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// A YAML syntax error gives its line once, as the line of the file.
func TestParseRuleSyntaxErrorLineOnce(t *testing.T) {
	_, err := ParseRule("bad.sql", []byte(strings.Replace(validRule, "    unit: records", "   unit: records", 1)))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want a *ParseError", err)
	}
	if strings.Contains(pe.Err.Error(), "line ") {
		t.Errorf("error %q gives a second line number", err)
	}
	if want := "bad.sql:16: invalid rule: front matter: did not find expected '-' indicator"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestParseRuleByteOrderMark(t *testing.T) {
	r, err := ParseRule("bom.sql", []byte("\ufeff"+validRule))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "test_rule" {
		t.Errorf("id = %q, want test_rule", r.ID)
	}
	if r.SQLLine != 20 {
		t.Errorf("SQLLine = %d, want 20", r.SQLLine)
	}
}

func TestRuleFormatRoundTrip(t *testing.T) {
	rules, err := BuiltinPack()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		back, err := ParseRule(r.File, r.Format())
		if err != nil {
			t.Fatalf("%s: parse formatted rule: %v\n%s", r.ID, err, r.Format())
		}
		back.SQLLine = r.SQLLine
		if !reflect.DeepEqual(stripLines(back), stripLines(r)) {
			t.Errorf("%s: round trip changed the rule:\n%+v\n%+v", r.ID, back, r)
		}
	}
}

func stripLines(r *Rule) *Rule {
	c := *r
	c.Params = append([]Param(nil), r.Params...)
	for i := range c.Params {
		c.Params[i].line, c.Params[i].defaultLine = 0, 0
	}
	return &c
}

func TestRenderFillsParameters(t *testing.T) {
	r, err := ParseRule("test.sql", []byte(validRule))
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{}
	s.Set("test_rule", "min_count", "7")
	sql, err := r.Render(s, Window{Since: testStart, Until: testStart.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, "count(*) >= 7") {
		t.Errorf("rendered SQL:\n%s", sql)
	}
	s.Set("test_rule", "min_count", "7; DROP TABLE x")
	if _, err := r.Render(s, Window{Since: testStart, Until: testStart.Add(time.Hour)}); err == nil {
		t.Error("a non-integer value was accepted")
	}
}

func TestBuiltinPackParses(t *testing.T) {
	rules, err := BuiltinPack()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 {
		t.Fatal("the built-in pack is empty")
	}
}

func FuzzParseRule(f *testing.F) {
	f.Add([]byte(validRule))
	f.Add([]byte("/*---\nid: x\n---*/\nSELECT 1"))
	f.Add([]byte("/*---\n- a\n  - b: [1, 'x''y', \"z\"]\nk: |\n  text\n---*/\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRule("fuzz.sql", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		back, err := ParseRule("fuzz.sql", r.Format())
		if err != nil {
			t.Fatalf("formatted rule does not parse: %v\n%s", err, r.Format())
		}
		if back.ID != r.ID || back.Severity != r.Severity || back.Window != r.Window || back.SQL != r.SQL {
			t.Fatalf("round trip changed the rule")
		}
	})
}

func TestParseRuleEvidenceCondition(t *testing.T) {
	head := "/*---\nid: r\ntitle: R\ndescription: D.\nseverity: low\nattack:\n  - tactic: TA0007\n    technique: T1046\nentity: source\nwindow: 1h\ninvestigation: I.\n"
	r, err := ParseRule("r.sql", []byte(head+"evidence: action = 'ACCEPT'\n---*/\nSELECT 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Evidence != "action = 'ACCEPT'" {
		t.Errorf("Evidence = %q", r.Evidence)
	}
	back, err := ParseRule("r.sql", r.Format())
	if err != nil || back.Evidence != r.Evidence {
		t.Errorf("round trip: %v, Evidence %q", err, back.Evidence)
	}
	for _, bad := range []string{"bytes > {{min_bytes}}", "true; DELETE FROM window_flows"} {
		_, err := ParseRule("r.sql", []byte(head+"evidence: \""+bad+"\"\n---*/\nSELECT 1\n"))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 12 {
			t.Errorf("evidence %q: err = %v, want a ParseError on line 12", bad, err)
		}
	}
}

func TestParseRuleMissingKeys(t *testing.T) {
	full := map[string]string{"id": "r", "title": "R", "description": "D.", "severity": "low", "entity": "source", "window": "1h", "investigation": "I."}
	for _, key := range []string{"id", "severity", "entity", "window"} {
		var b strings.Builder
		b.WriteString("/*---\n")
		for _, k := range []string{"id", "title", "description", "severity", "entity", "window", "investigation"} {
			if k != key {
				fmt.Fprintf(&b, "%s: %s\n", k, full[k])
			}
		}
		b.WriteString("attack:\n  - tactic: TA0007\n    technique: T1046\n---*/\nSELECT 1\n")
		_, err := ParseRule("r.sql", []byte(b.String()))
		if err == nil || !strings.Contains(err.Error(), "missing "+key) {
			t.Errorf("without %s: err = %v, want missing %s", key, err, key)
		}
	}
}
