package detections

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/query"
)

// runErr runs rules over data and returns Run's error.
func runErr(t *testing.T, data string, rules []*Rule, cfg Config) (*Result, error) {
	t.Helper()
	ctx := context.Background()
	e, err := query.Open(ctx, query.Options{Data: data, Since: cfg.DataSince(), Until: cfg.Until})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	return Run(ctx, e, rules, cfg)
}

// testConfig returns a run over the test hour.
func testConfig() Config {
	return Config{Window: Window{Since: testStart, Until: testStart.Add(time.Hour)}}
}

// sshFlows are 40 attempts that fire ssh_bruteforce in the test hour.
func sshFlows() []flow {
	return bruteForce("203.0.113.66", "10.1.1.10", 22, 40, 0)
}

func TestRunRegionScope(t *testing.T) {
	data := dataset(t, sshFlows())
	rules := []*Rule{builtinRule(t, "ssh_bruteforce")}
	window := Window{Since: testStart, Until: testStart.Add(time.Hour)}

	_, err := runErr(t, data, rules, Config{Window: window, Regions: []string{"eu-west-1"}})
	if !errors.Is(err, ErrNoRecords) {
		t.Errorf("region eu-west-1: err = %v, want ErrNoRecords", err)
	}

	cfg := Config{Window: window, Regions: []string{"us-east-1"}, Accounts: []string{"123456789012"}}
	res, err := runErr(t, data, rules, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("region us-east-1: %d findings, want 1", len(res.Findings))
	}
	for _, want := range []string{"region IN ('us-east-1')", "account_id IN ('123456789012')"} {
		if !strings.Contains(res.Findings[0].SQL, want) {
			t.Errorf("the finding's SQL does not contain %s:\n%s", want, res.Findings[0].SQL)
		}
	}
}

// An hour without records is ErrNoRecords although the baseline before
// it contains records.
func TestRunEmptyWindow(t *testing.T) {
	data := dataset(t, sshFlows())
	cfg := Config{Window: Window{Since: testStart.Add(24 * time.Hour), Until: testStart.Add(25 * time.Hour), Baseline: 7 * 24 * time.Hour}}
	_, err := runErr(t, data, []*Rule{builtinRule(t, "reject_spike_source")}, cfg)
	if !errors.Is(err, ErrNoRecords) {
		t.Fatalf("err = %v, want ErrNoRecords", err)
	}
	if !strings.Contains(err.Error(), "2026-03-11T08:00:00Z") {
		t.Errorf("err = %q, want the window's start 2026-03-11T08:00:00Z", err)
	}
}

// runUserRule parses text as the rule file pack/user_rule.sql and runs it,
// with more rules, over sshFlows in the test hour.
func runUserRule(t *testing.T, text string, more ...*Rule) *Result {
	t.Helper()
	r, err := ParseRule("pack/user_rule.sql", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	res, err := runErr(t, dataset(t, sshFlows()), append([]*Rule{r}, more...), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const userRuleHead = `/*---
id: user_rule
title: User rule
description: A rule of a user's pack.
severity: low
attack:
  - tactic: TA0007
    technique: T1046
entity: source
window: 1h
investigation: Look at it.
---*/
`

// A DuckDB error in a rule's query names the line of the rule file.
func TestRuleSQLErrorNamesFileLine(t *testing.T) {
	text := userRuleHead + "SELECT srcaddr AS entity,\n  min(start_time) AS first_seen, max(end_time) AS last_seen\nFROM window_flows\nWHERE no_such_column = {{window_seconds}}\nGROUP BY srcaddr\n"
	res := runUserRule(t, text)
	if len(res.Errors) != 1 {
		t.Fatalf("rule errors = %v, want 1", res.Errors)
	}
	var re *RuleError
	if !errors.As(res.Errors[0], &re) || re.Line != 16 {
		t.Errorf("error %q: line %d, want line 16, that of no_such_column", res.Errors[0], re.Line)
	}
	if !strings.Contains(res.Errors[0].Error(), "pack/user_rule.sql:16") {
		t.Errorf("error %q does not name pack/user_rule.sql:16", res.Errors[0])
	}
}

// A rule that reads baseline_flows must set baseline: true, because
// otherwise the table's content would depend on the other rules of the run.
func TestRuleReadingBaselineNeedsFlag(t *testing.T) {
	text := userRuleHead + "SELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen\nFROM baseline_flows GROUP BY srcaddr\n"
	res := runUserRule(t, text, builtinRule(t, "ssh_bruteforce"))
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "baseline: true") {
		t.Errorf("rule errors = %v, want one that asks for baseline: true", res.Errors)
	}
	if len(res.Findings) != 1 {
		t.Errorf("%d findings, want the one of ssh_bruteforce", len(res.Findings))
	}
}

// A timestamp that a rule returns beside its counts reads as RFC 3339, as
// first_seen does.
func TestRuleTimestampDetail(t *testing.T) {
	text := userRuleHead + "SELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen,\n  min(start_time) AS opened\nFROM window_flows GROUP BY srcaddr\n"
	r, err := ParseRule("pack/user_rule.sql", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	res := runRules(t, dataset(t, sshFlows()), []*Rule{r}, Config{})
	if len(res.Findings) != 1 || res.Findings[0].Details["opened"] != "2026-03-10T08:00:00Z" {
		t.Errorf("findings %v, want one with opened = 2026-03-10T08:00:00Z", res.Findings)
	}
}

// A first_seen of the wrong type is named with its type.
func TestRuleFirstSeenType(t *testing.T) {
	text := userRuleHead + "SELECT srcaddr AS entity, min(start) AS first_seen, max(end_time) AS last_seen\nFROM window_flows GROUP BY srcaddr\n"
	res := runUserRule(t, text)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "first_seen of type BIGINT") {
		t.Errorf("rule errors = %v, want one naming first_seen of type BIGINT", res.Errors)
	}
}

// A rule must be one SELECT: a DELETE before it would change what the
// other rules see.
func TestRuleMustBeOneSelect(t *testing.T) {
	for name, sql := range map[string]string{
		"delete first": "DELETE FROM window_flows WHERE srcaddr = '203.0.113.66';\nSELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen FROM window_flows GROUP BY srcaddr\n",
		"two selects":  "SELECT 1;\nSELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen FROM window_flows GROUP BY srcaddr\n",
		"pragma":       "PRAGMA version\n",
	} {
		t.Run(name, func(t *testing.T) {
			res := runUserRule(t, userRuleHead+sql, builtinRule(t, "ssh_bruteforce"))
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "one SELECT statement") {
				t.Errorf("rule errors = %v, want one that asks for one SELECT statement", res.Errors)
			}
			if len(res.Findings) != 1 || res.Findings[0].RuleID != "ssh_bruteforce" {
				t.Errorf("findings = %v, want the one of ssh_bruteforce", res.Findings)
			}
		})
	}
}

// A count that is infinite becomes a detail, so JSON output still works,
// and a finding that names no endpoint gets no evidence.
func TestRuleInfiniteCountAndNoEndpoint(t *testing.T) {
	text := userRuleHead + "SELECT 'all traffic' AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen,\n  sum(bytes) / 0.0 AS ratio, count(*) AS records\nFROM window_flows\n"
	r, err := ParseRule("pack/user_rule.sql", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	res := runRules(t, dataset(t, sshFlows()), []*Rule{r}, Config{})
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want 1", len(res.Findings))
	}
	f := res.Findings[0]
	if f.Details["ratio"] != "+Inf" {
		t.Errorf("details = %v, want ratio +Inf", f.Details)
	}
	if len(f.Evidence) != 0 {
		t.Errorf("evidence = %v, want none", f.Evidence)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, res.Findings); err != nil {
		t.Errorf("WriteJSON: %v", err)
	}
}

// A dst_port that is not an integer cannot select evidence or match the
// allowlist, so the rule fails with the column's type.
func TestRuleKnownColumnType(t *testing.T) {
	text := userRuleHead + "SELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen, 'x' AS dst_port\nFROM window_flows GROUP BY srcaddr\n"
	res := runUserRule(t, text)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "dst_port of type VARCHAR") {
		t.Errorf("rule errors = %v, want one naming dst_port of type VARCHAR", res.Errors)
	}
}

func TestRuleDuplicateColumn(t *testing.T) {
	text := userRuleHead + "SELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen, 1 AS entity\nFROM window_flows GROUP BY srcaddr\n"
	res := runUserRule(t, text)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), `column "entity" twice`) {
		t.Errorf("rule errors = %v, want one naming the column entity twice", res.Errors)
	}
}
