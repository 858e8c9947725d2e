package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/detections"
)

// detectDataset converts 40 rejected SSH attempts from one source into a
// dataset and returns its folder.
func detectDataset(t *testing.T) string {
	t.Helper()
	start := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := 0; i < 40; i++ {
		s := start.Unix() + int64(i)*10
		fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60001 203.0.113.66 10.1.1.10 %d 22 6 1 60 %d %d REJECT OK\n", 40000+i, s, s+1)
	}
	return convertFlowLog(t, b.String())
}

// convertFlowLog writes text as one flow-log object of 2026-03-10, converts
// it and returns the dataset folder.
func convertFlowLog(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "archive", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/03/10/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20260310T0800Z_0a1b2c3d.log")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := convert.NewLocalSource(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "data")
	if _, err := convert.Run(context.Background(), src, convert.Config{Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

func detectRun(t *testing.T, data string, mutate func(o *detectOptions)) (string, int) {
	t.Helper()
	var out bytes.Buffer
	g := &globalOptions{stdout: &out, stderr: &out, logger: slog.New(slog.DiscardHandler)}
	o := &detectOptions{data: data, since: "2026-03-10T08:00:00Z", until: "2026-03-10T09:00:00Z",
		baseline: "0", format: "json", failOn: "high"}
	if mutate != nil {
		mutate(o)
	}
	err := runDetect(context.Background(), g, o)
	return out.String(), exitCode(err)
}

func TestDetectFailOnExitStatus(t *testing.T) {
	data := detectDataset(t)
	out, code := detectRun(t, data, nil)
	if code != exitFindings {
		t.Errorf("exit status = %d, want %d; output:\n%s", code, exitFindings, out)
	}
	var f map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &f); err != nil {
		t.Fatalf("first line is not JSON: %v\n%s", err, out)
	}
	if f["rule"] != "ssh_bruteforce" || f["entity"] != "203.0.113.66 -> 10.1.1.10:22" || f["severity"] != "high" {
		t.Errorf("finding = %v", f)
	}
	if f["first_seen"] != "2026-03-10T08:00:00Z" || f["last_seen"] != "2026-03-10T08:06:31Z" {
		t.Errorf("first_seen, last_seen = %v, %v", f["first_seen"], f["last_seen"])
	}
	counts, _ := f["counts"].(map[string]any)
	if counts["attempts"] != float64(40) || counts["rejected"] != float64(40) {
		t.Errorf("counts = %v", counts)
	}
	if _, code := detectRun(t, data, func(o *detectOptions) { o.failOn = "critical" }); code != exitOK {
		t.Errorf("--fail-on critical: exit status = %d, want 0", code)
	}
	if _, code := detectRun(t, data, func(o *detectOptions) { o.sets = []string{"ssh_bruteforce.min_attempts=50"} }); code != exitOK {
		t.Errorf("--set min_attempts=50: exit status = %d, want 0", code)
	}
}

func TestDetectOCSFFields(t *testing.T) {
	out, _ := detectRun(t, detectDataset(t), func(o *detectOptions) { o.format = "ocsf" })
	var ev map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &ev); err != nil {
		t.Fatalf("first line is not JSON: %v\n%s", err, out)
	}
	for k, want := range map[string]any{"class_uid": float64(2004), "category_uid": float64(2), "activity_id": float64(1), "severity_id": float64(4)} {
		if ev[k] != want {
			t.Errorf("%s = %v, want %v", k, ev[k], want)
		}
	}
	info, _ := ev["finding_info"].(map[string]any)
	analytic, _ := info["analytic"].(map[string]any)
	if analytic["uid"] != "ssh_bruteforce" || info["title"] != "SSH brute force" {
		t.Errorf("finding_info = %v", info)
	}
	if info["first_seen_time"] != float64(time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC).UnixMilli()) {
		t.Errorf("first_seen_time = %v", info["first_seen_time"])
	}
	attacks, _ := info["attacks"].([]any)
	if len(attacks) != 2 {
		t.Errorf("attacks = %v", attacks)
	}
	evidences, _ := ev["evidences"].([]any)
	if len(evidences) == 0 {
		t.Fatal("no evidences")
	}
	src := evidences[0].(map[string]any)["src_endpoint"].(map[string]any)
	if src["ip"] != "203.0.113.66" {
		t.Errorf("src_endpoint = %v", src)
	}
	product := ev["metadata"].(map[string]any)["product"].(map[string]any)
	if product["name"] != "flowq" {
		t.Errorf("metadata.product = %v", product)
	}
}

func TestDetectBadRuleReported(t *testing.T) {
	pack := t.TempDir()
	if err := os.WriteFile(filepath.Join(pack, "broken.sql"), []byte("/*---\nid: broken\nseverity: loud\n---*/\nSELECT 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := detectRun(t, detectDataset(t), func(o *detectOptions) {
		o.packs = []string{pack}
		o.failOn = "none"
	})
	if code != exitSQL {
		t.Errorf("exit status = %d, want %d", code, exitSQL)
	}
	if !strings.Contains(out, "ssh_bruteforce") {
		t.Errorf("the other rules did not run:\n%s", out)
	}
}

// detectWindowArgs are the flags that select the hour of detectDataset with
// no baseline history.
var detectWindowArgs = []string{"--since", "2026-03-10T08:00:00Z", "--until", "2026-03-10T09:00:00Z", "--baseline", "0"}

// writeTestFile writes text to a new file in a test folder and returns its
// path.
func writeTestFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// findingsOf decodes the lines of --format json output.
func findingsOf(t *testing.T, out string) []map[string]any {
	t.Helper()
	var all []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var f map[string]any
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("line is not JSON: %v\n%s", err, line)
		}
		all = append(all, f)
	}
	return all
}

// The 40 attempts of detectDataset fire ssh_bruteforce at min_attempts 40
// and not at 41, so each case shows which value won.
func TestDetectConfigSetsParameters(t *testing.T) {
	data := detectDataset(t)
	cases := []struct {
		name   string
		config string
		sets   []string
		want   int
	}{
		{"threshold above the attempts", "ssh_bruteforce:\n  min_attempts: 41\n", nil, exitOK},
		{"threshold at the attempts", "ssh_bruteforce:\n  min_attempts: 40\n", nil, exitFindings},
		{"list parameter without port 22", "ssh_bruteforce:\n  ports: [2222, 22000-22010]\n", nil, exitOK},
		{"--set replaces the config value", "ssh_bruteforce:\n  min_attempts: 41\n", []string{"ssh_bruteforce.min_attempts=40"}, exitFindings},
		{"comments and an empty rule list", "# team thresholds\nssh_bruteforce: {min_attempts: 100}\nrdp_bruteforce: {}\n", nil, exitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"detect", "--data", data, "--format", "json", "--config", writeTestFile(t, "rules.yaml", c.config)}, detectWindowArgs...)
			for _, s := range c.sets {
				args = append(args, "--set", s)
			}
			code, out, errOut := runCLI(t, args...)
			if code != c.want {
				t.Errorf("exit status = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.want, out, errOut)
			}
		})
	}
}

func TestDetectConfigInvalidIsUsageError(t *testing.T) {
	cases := []struct {
		name   string
		config string
		// wantParts must all appear on standard error.
		wantParts []string
	}{
		{"unknown rule", "ssh_brute:\n  min_attempts: 5\n", []string{`"ssh_brute"`}},
		{"unknown parameter", "ssh_bruteforce:\n  min_attempt: 5\n", []string{`"ssh_bruteforce"`, `"min_attempt"`}},
		{"value of the wrong type", "ssh_bruteforce:\n  min_attempts: many\n", []string{"ssh_bruteforce.min_attempts", `"many"`}},
		{"invalid port in a list", "ssh_bruteforce:\n  ports: [22, 70000]\n", []string{"ssh_bruteforce.ports", `"70000"`}},
		{"rule without a mapping", "# thresholds\nssh_bruteforce: 50\n", []string{"rules.yaml", "line 2", `"ssh_bruteforce"`}},
		{"YAML syntax error", "ssh_bruteforce:\n  min_attempts: [50\n", []string{"rules.yaml", "line "}},
	}
	data := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config := writeTestFile(t, "rules.yaml", c.config)
			for _, sub := range [][]string{
				append([]string{"detect", "--data", data}, detectWindowArgs...),
				{"detect", "list"},
				append([]string{"detect", "explain", "ssh_bruteforce"}, detectWindowArgs...),
			} {
				args := append(sub, "--config", config)
				code, _, errOut := runCLI(t, args...)
				if code != exitUsage {
					t.Errorf("flowq %s: exit status = %d, want %d; stderr %q", strings.Join(sub, " "), code, exitUsage, errOut)
				}
				for _, part := range c.wantParts {
					if !strings.Contains(errOut, part) {
						t.Errorf("flowq %s: stderr %q does not contain %s", strings.Join(sub, " "), errOut, part)
					}
				}
			}
		})
	}
}

func TestDetectListShowsBuiltinRules(t *testing.T) {
	rules, err := detections.BuiltinPack()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 20 {
		t.Errorf("built-in pack has %d rules, want 20", len(rules))
	}
	code, out, errOut := runCLI(t, "detect", "list")
	if code != exitOK {
		t.Fatalf("exit status = %d, stderr %q", code, errOut)
	}

	lines := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		lines[strings.Fields(line)[0]] = line
	}
	if len(lines) != len(rules) {
		t.Errorf("listed %d rules, want %d:\n%s", len(lines), len(rules), out)
	}
	for _, r := range rules {
		line, ok := lines[r.ID]
		if !ok {
			t.Errorf("rule %s is not listed", r.ID)
			continue
		}
		if fields := strings.Fields(line); len(fields) < 2 || fields[1] != r.Severity.String() {
			t.Errorf("rule %s: severity column of %q, want %s", r.ID, line, r.Severity)
		}
		if len(r.Attack) == 0 {
			t.Errorf("rule %s has no ATT&CK ids", r.ID)
		}
		for _, a := range r.Attack {
			if !strings.Contains(line, a.Tactic+":"+a.Technique) {
				t.Errorf("rule %s: %q lacks ATT&CK %s:%s", r.ID, line, a.Tactic, a.Technique)
			}
		}
		for _, p := range r.Params {
			if !strings.Contains(line, p.Name+"=") {
				t.Errorf("rule %s: %q lacks parameter %s", r.ID, line, p.Name)
			}
		}
	}

	ssh := lines["ssh_bruteforce"]
	for _, want := range []string{"high", "pair", "10m", "TA0006:T1110.001,TA0008:T1021.004",
		"min_attempts=30 (connections per window)", "max_bytes=10000 (bytes)", "ports=22 (ports)"} {
		if !strings.Contains(ssh, want) {
			t.Errorf("ssh_bruteforce line %q lacks %q", ssh, want)
		}
	}
}

func TestDetectListShowsConfigValues(t *testing.T) {
	config := writeTestFile(t, "rules.yaml", "ssh_bruteforce:\n  min_attempts: 75\n  ports: [22, 2222]\n")
	code, out, errOut := runCLI(t, "detect", "list", "--config", config, "--set", "ssh_bruteforce.max_bytes=5000")
	if code != exitOK {
		t.Fatalf("exit status = %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"min_attempts=75 ", "ports=22,2222 ", "max_bytes=5000 "} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q:\n%s", want, out)
		}
	}
}

func TestDetectExplainFillsParameters(t *testing.T) {
	args := append([]string{"detect", "explain", "ssh_bruteforce", "--set", "ssh_bruteforce.min_attempts=45"}, detectWindowArgs...)
	code, out, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit status = %d, stderr %q", code, errOut)
	}
	if strings.Contains(out, "{{") {
		t.Errorf("placeholder left in:\n%s", out)
	}
	for _, want := range []string{
		"-- ssh_bruteforce: SSH brute force (high)",
		"-- window 2026-03-10T08:00:00Z to 2026-03-10T09:00:00Z",
		"CREATE OR REPLACE TEMP TABLE window_flows",
		"RANGE BETWEEN to_seconds(600 - 1) PRECEDING",
		"dstport = ANY([22]::INTEGER[])",
		"packets <= 30 AND bytes <= 10000",
		"HAVING max(n) >= 45",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}

func TestDetectExplainEveryBuiltinRule(t *testing.T) {
	rules, err := detections.BuiltinPack()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		code, out, errOut := runCLI(t, append([]string{"detect", "explain", r.ID}, detectWindowArgs...)...)
		if code != exitOK {
			t.Errorf("explain %s: exit status = %d, stderr %q", r.ID, code, errOut)
			continue
		}
		if strings.Contains(out, "{{") {
			t.Errorf("explain %s: placeholder left in:\n%s", r.ID, out)
		}
		if !strings.HasPrefix(out, "-- "+r.ID+": ") {
			t.Errorf("explain %s: output starts with %q", r.ID, strings.SplitN(out, "\n", 2)[0])
		}
	}
}

func TestDetectExplainUnknownRule(t *testing.T) {
	code, out, errOut := runCLI(t, "detect", "explain", "no_such_rule")
	if code != exitUsage {
		t.Errorf("exit status = %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut, `"no_such_rule"`) {
		t.Errorf("stderr %q does not name the rule", errOut)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
}

// threatDataset converts egress from 10.0.2.20 to a listed IPv4 address, to
// the address next to it, and to a listed IPv6 network.
func threatDataset(t *testing.T) string {
	t.Helper()
	start := time.Date(2026, 3, 10, 8, 10, 0, 0, time.UTC).Unix()
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60001 10.0.2.20 198.51.100.66 50001 443 6 12 4200 %d %d ACCEPT OK\n", start, start+30)
	fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60001 10.0.2.20 198.51.100.67 50002 443 6 12 4200 %d %d ACCEPT OK\n", start+60, start+90)
	fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60001 2600:1f18::20 2001:db8:bad::5 50003 443 6 3 180 %d %d REJECT OK\n", start+120, start+121)
	return convertFlowLog(t, b.String())
}

func TestDetectThreatListFindsListedDestination(t *testing.T) {
	data := threatDataset(t)
	list := writeTestFile(t, "threats.txt", "# test feed\n198.51.100.66   # drop point\n\n2001:db8:bad::/48\n")
	args := append([]string{"detect", "--data", data, "--format", "json", "--fail-on", "none", "--rule", "threat_list_match"}, detectWindowArgs...)

	code, out, errOut := runCLI(t, append(args, "--threat-list", list)...)
	if code != exitOK {
		t.Fatalf("exit status = %d, stderr %q", code, errOut)
	}
	got := map[string]map[string]any{}
	for _, f := range findingsOf(t, out) {
		if f["rule"] != "threat_list_match" {
			t.Errorf("finding of rule %v; only threat_list_match was selected", f["rule"])
		}
		got[fmt.Sprint(f["entity"])] = f
	}
	if len(got) != 2 {
		t.Errorf("got %d findings, want 2:\n%s", len(got), out)
	}
	v4, ok := got["10.0.2.20 -> 198.51.100.66"]
	if !ok {
		t.Fatalf("no finding for the listed IPv4 destination:\n%s", out)
	}
	details, _ := v4["details"].(map[string]any)
	if details["listed_side"] != "destination" || details["listed_network"] != "198.51.100.66/32" {
		t.Errorf("IPv4 details = %v", details)
	}
	if v4["dst_addr"] != "198.51.100.66" {
		t.Errorf("IPv4 dst_addr = %v", v4["dst_addr"])
	}
	if _, ok := got["2600:1f18::20 -> 2001:db8:bad::5"]; !ok {
		t.Errorf("no finding for the listed IPv6 network:\n%s", out)
	}

	code, out, errOut = runCLI(t, args...)
	if code != exitOK || strings.TrimSpace(out) != "" {
		t.Errorf("without --threat-list: exit status %d, stdout %q, stderr %q; want 0 and no findings", code, out, errOut)
	}
}

func TestDetectThreatListInvalidIsUsageError(t *testing.T) {
	list := writeTestFile(t, "threats.txt", "198.51.100.66\n198.51.100.0/40\n")
	args := append([]string{"detect", "--data", t.TempDir(), "--threat-list", list}, detectWindowArgs...)
	code, _, errOut := runCLI(t, args...)
	if code != exitUsage {
		t.Errorf("exit status = %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut, list+":2:") || !strings.Contains(errOut, `"198.51.100.0/40"`) {
		t.Errorf("stderr %q does not name the file, line 2 and the value", errOut)
	}
}

// detect list and explain offer only the flags they use.
func TestDetectSubcommandFlags(t *testing.T) {
	cases := []struct {
		args          []string
		want, without []string
	}{
		{[]string{"detect", "list", "--help"}, []string{"--pack", "--set", "--config"}, []string{"--data", "--since", "--threat-list", "--format"}},
		{[]string{"detect", "explain", "--help"}, []string{"--since", "--until", "--baseline", "--set"}, []string{"--data", "--fail-on", "--allowlist"}},
		{[]string{"detect", "--help"}, []string{"--data", "--since", "--set", "--threat-list", "--fail-on"}, nil},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, c.args...)
		if code != exitOK {
			t.Fatalf("flowq %s: exit status = %d, stderr %q", strings.Join(c.args, " "), code, errOut)
		}
		for _, f := range c.want {
			if !strings.Contains(out, f+" ") {
				t.Errorf("flowq %s does not offer %s", strings.Join(c.args, " "), f)
			}
		}
		for _, f := range c.without {
			if strings.Contains(out, f+" ") {
				t.Errorf("flowq %s offers %s, which it does not use", strings.Join(c.args, " "), f)
			}
		}
	}
	code, _, errOut := runCLI(t, "detect", "list", "--since", "24h")
	if code != exitUsage || !strings.Contains(errOut, "--since") {
		t.Errorf("flowq detect list --since 24h: exit status = %d, stderr %q; want %d naming the flag", code, errOut, exitUsage)
	}
}

// A window without records is "no data" (exit 5) even when the baseline
// before it holds records, and the message names the window, not the
// baseline's start.
func TestDetectEmptyWindowIsNoData(t *testing.T) {
	data := detectDataset(t)
	code, _, errOut := runCLI(t, "detect", "--data", data, "--since", "2026-03-11T08:00:00Z", "--until", "2026-03-11T09:00:00Z", "--baseline", "7d")
	if code != exitNoData {
		t.Fatalf("exit status = %d, want %d; stderr %q", code, exitNoData, errOut)
	}
	if !strings.Contains(errOut, "2026-03-11T08:00:00Z") || strings.Contains(errOut, "2026-03-04") {
		t.Errorf("stderr %q does not name the window 2026-03-11T08:00:00Z alone", errOut)
	}
	code, _, errOut = runCLI(t, "detect", "--data", t.TempDir(), "--since", "2026-03-11T08:00:00Z", "--until", "2026-03-11T09:00:00Z")
	if code != exitNoData {
		t.Errorf("empty data folder: exit status = %d, want %d; stderr %q", code, exitNoData, errOut)
	}
}

// A --config file that tunes several rules serves a run of one of them.
func TestDetectConfigWithRuleSelection(t *testing.T) {
	config := writeTestFile(t, "rules.yaml", "ssh_bruteforce:\n  min_attempts: 40\ndns_unapproved_resolver:\n  min_records: 3\n")
	args := append([]string{"detect", "--data", detectDataset(t), "--config", config, "--rule", "ssh_bruteforce", "--format", "JSON", "--fail-on", "none"}, detectWindowArgs...)
	code, out, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit status = %d, stderr %q", code, errOut)
	}
	if got := findingsOf(t, out); len(got) != 1 || got[0]["rule"] != "ssh_bruteforce" {
		t.Errorf("findings = %v, want one of ssh_bruteforce", got)
	}
}

// Naming a rule whose file does not parse shows the parse error, not only
// "unknown rule".
func TestDetectSelectedBrokenRuleShowsParseError(t *testing.T) {
	pack := t.TempDir()
	if err := os.WriteFile(filepath.Join(pack, "shadow.sql"), []byte("/*---\nid: shadow\ntitle: Shadow\nseverity: loud\n---*/\nSELECT 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		append([]string{"detect", "--data", detectDataset(t), "--pack", pack, "--rule", "shadow"}, detectWindowArgs...),
		{"detect", "explain", "shadow", "--pack", pack},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("flowq %s: exit status = %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
		if !strings.Contains(errOut, `unknown rule "shadow"`) || !strings.Contains(errOut, "shadow.sql:4") || !strings.Contains(errOut, "loud") {
			t.Errorf("flowq %s: stderr %q does not show the parse error of shadow.sql", strings.Join(args, " "), errOut)
		}
	}
}

func TestDetectPackPaths(t *testing.T) {
	data := detectDataset(t)
	code, _, errOut := runCLI(t, append([]string{"detect", "--data", data, "--pack", filepath.Join(t.TempDir(), "nosuch")}, detectWindowArgs...)...)
	if code != exitUsage || !strings.Contains(errOut, "--pack") {
		t.Errorf("missing pack: exit status = %d, stderr %q; want %d naming --pack", code, errOut, exitUsage)
	}

	// One .sql file is a pack of one rule.
	rule := writeTestFile(t, "any_ssh.sql", `/*---
id: any_ssh
title: Any SSH
description: Any record to port 22.
severity: low
attack:
  - tactic: TA0008
    technique: T1021.004
entity: source
window: 1h
investigation: Look at it.
---*/
SELECT srcaddr AS entity, min(start_time) AS first_seen, max(end_time) AS last_seen, count(*) AS records
FROM window_flows WHERE dstport = 22 GROUP BY srcaddr
`)
	code, out, errOut := runCLI(t, append([]string{"detect", "--data", data, "--pack", rule, "--no-builtin", "--format", "json"}, detectWindowArgs...)...)
	if code != exitOK {
		t.Fatalf("one-file pack: exit status = %d, stderr %q", code, errOut)
	}
	if got := findingsOf(t, out); len(got) != 1 || got[0]["rule"] != "any_ssh" {
		t.Errorf("findings = %v, want one of any_ssh", got)
	}

	// Two files of one pack with the same id: the second is reported and
	// the first runs.
	pack := t.TempDir()
	text, err := os.ReadFile(rule)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.sql", "b.sql"} {
		if err := os.WriteFile(filepath.Join(pack, name), text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = runCLI(t, append([]string{"detect", "--data", data, "--pack", pack, "--no-builtin", "--format", "json"}, detectWindowArgs...)...)
	if code != exitSQL || !strings.Contains(errOut, "b.sql") || !strings.Contains(errOut, "a.sql") {
		t.Errorf("duplicate ids: exit status = %d, stderr %q; want %d naming a.sql and b.sql", code, errOut, exitSQL)
	}
	if got := findingsOf(t, out); len(got) != 1 {
		t.Errorf("duplicate ids: %d findings, want the first file's one", len(got))
	}
}

func TestDetectInvalidEngineFlagsAreUsageErrors(t *testing.T) {
	data := detectDataset(t)
	for _, flag := range [][]string{{"--threads", "-3"}, {"--threads", "100000"}, {"--memory-limit", "lots"}, {"--memory-limit", "0"}} {
		code, _, errOut := runCLI(t, append(append([]string{"detect", "--data", data}, flag...), detectWindowArgs...)...)
		if code != exitUsage {
			t.Errorf("%s %s: exit status = %d, want %d; stderr %q", flag[0], flag[1], code, exitUsage, errOut)
		}
	}
}

func TestDetectNoRulesIsUsageError(t *testing.T) {
	code, _, errOut := runCLI(t, append([]string{"detect", "--data", detectDataset(t), "--no-builtin"}, detectWindowArgs...)...)
	if code != exitUsage || !strings.Contains(errOut, "no rules to run") {
		t.Errorf("exit status = %d, stderr %q; want %d and no rules to run", code, errOut, exitUsage)
	}
}

// --threat-list may be given once per feed; the lists add up.
func TestDetectThreatListRepeatable(t *testing.T) {
	v4 := writeTestFile(t, "feed-a.txt", "198.51.100.66\n")
	v6 := writeTestFile(t, "feed-b.txt", "2001:db8:bad::/48\n")
	args := append([]string{"detect", "--data", threatDataset(t), "--format", "json", "--fail-on", "none", "--rule", "threat_list_match",
		"--threat-list", v4, "--threat-list", v6}, detectWindowArgs...)
	code, out, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit status = %d, stderr %q", code, errOut)
	}
	if got := findingsOf(t, out); len(got) != 2 {
		t.Errorf("got %d findings, want one per feed:\n%s", len(got), out)
	}
}

// A table without findings prints how many rules failed, and JSON logs
// give the duration as text.
func TestDetectNoFindingsNamesFailedRules(t *testing.T) {
	pack := t.TempDir()
	rule := "/*---\nid: broken_sql\ntitle: Broken\ndescription: Broken.\nseverity: low\nattack:\n  - tactic: TA0007\n    technique: T1046\nentity: source\nwindow: 1h\ninvestigation: None.\n---*/\nSELECT no_such_column FROM window_flows\n"
	if err := os.WriteFile(filepath.Join(pack, "broken.sql"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--log-format", "json", "detect", "--data", detectDataset(t), "--pack", pack, "--no-builtin"}, detectWindowArgs...)
	code, out, errOut := runCLI(t, args...)
	if code != exitSQL {
		t.Errorf("exit status = %d, want %d", code, exitSQL)
	}
	if strings.TrimSpace(out) != "no findings; 1 rule failed or could not be read (see the log)" {
		t.Errorf("stdout = %q", out)
	}
	if !regexp.MustCompile(`"duration":"[0-9.]+m?s"`).MatchString(errOut) {
		t.Errorf("stderr has no duration as text: %s", errOut)
	}
}

// An allowlist section for a rule id that no pack has is an invalid flag,
// while a section for a loaded rule left out by --rule is fine.
func TestDetectAllowlistUnknownRule(t *testing.T) {
	data := detectDataset(t)
	bad := writeTestFile(t, "allow.yaml", "rules:\n  ssh_brutefroce:\n    cidrs: [203.0.113.66]\n")
	code, _, errOut := runCLI(t, append([]string{"detect", "--data", data, "--allowlist", bad}, detectWindowArgs...)...)
	if code != exitUsage || !strings.Contains(errOut, "ssh_brutefroce") || !strings.Contains(errOut, "line 2") {
		t.Errorf("exit status = %d, stderr %q; want %d naming ssh_brutefroce on line 2", code, errOut, exitUsage)
	}
	good := writeTestFile(t, "allow.yaml", "rules:\n  rdp_bruteforce:\n    cidrs: [203.0.113.66]\n")
	code, _, errOut = runCLI(t, append([]string{"detect", "--data", data, "--allowlist", good, "--rule", "ssh_bruteforce", "--fail-on", "none"}, detectWindowArgs...)...)
	if code != exitOK {
		t.Errorf("section of an unselected rule: exit status = %d, stderr %q", code, errOut)
	}
}

// Several --allowlist files add up.
func TestDetectAllowlistRepeatable(t *testing.T) {
	ports := writeTestFile(t, "ports.yaml", "ports: [123]\n")
	hosts := writeTestFile(t, "hosts.yaml", "cidrs: [203.0.113.66]\n")
	args := append([]string{"detect", "--data", detectDataset(t), "--format", "json", "--allowlist", ports, "--allowlist", hosts}, detectWindowArgs...)
	code, out, errOut := runCLI(t, args...)
	if code != exitOK || strings.TrimSpace(out) != "" {
		t.Errorf("exit status = %d, stdout %q, stderr %q; want 0 and the finding suppressed", code, out, errOut)
	}
}

// A memory limit in bytes, the form the flag's help gives, reaches DuckDB.
func TestDetectMemoryLimitInBytes(t *testing.T) {
	args := append([]string{"detect", "--data", detectDataset(t), "--memory-limit", "1073741824", "--fail-on", "none"}, detectWindowArgs...)
	if code, _, errOut := runCLI(t, args...); code != exitOK {
		t.Errorf("exit status = %d, stderr %q", code, errOut)
	}
}

// A region that matches nothing is named in the no-data hint, and a
// --pack file that is not a rule file is an invalid flag.
func TestDetectNoDataHintAndPackFile(t *testing.T) {
	data := detectDataset(t)
	code, _, errOut := runCLI(t, append([]string{"detect", "--data", data, "--region", "US-EAST-1"}, detectWindowArgs...)...)
	if code != exitNoData || !strings.Contains(errOut, "--region") {
		t.Errorf("--region US-EAST-1: exit status = %d, stderr %q; want %d and a hint about --region", code, errOut, exitNoData)
	}
	notes := writeTestFile(t, "notes.txt", "not a rule\n")
	code, _, errOut = runCLI(t, append([]string{"detect", "--data", data, "--pack", notes}, detectWindowArgs...)...)
	if code != exitUsage || !strings.Contains(errOut, ".sql") {
		t.Errorf("--pack notes.txt: exit status = %d, stderr %q; want %d", code, errOut, exitUsage)
	}
}

func TestDetectExplainWithoutRuleID(t *testing.T) {
	code, _, errOut := runCLI(t, "detect", "explain")
	if code != exitUsage || !strings.Contains(errOut, "flowq detect list") {
		t.Errorf("exit status = %d, stderr %q; want %d and a pointer to flowq detect list", code, errOut, exitUsage)
	}
}

// Choosing threat_list_match without --threat-list logs that it finds
// nothing.
func TestDetectThreatRuleWithoutList(t *testing.T) {
	args := append([]string{"detect", "--data", detectDataset(t), "--rule", "threat_list_match"}, detectWindowArgs...)
	code, _, errOut := runCLI(t, args...)
	if code != exitOK || !strings.Contains(errOut, "without --threat-list") {
		t.Errorf("exit status = %d, stderr %q; want 0 and a note about --threat-list", code, errOut)
	}
}
