package detections

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/sample"
)

// TestDemoIncidentsFound runs the built-in pack over the demo archive:
// each embedded incident is found by its rule, and no other finding is of
// high severity or above.
func TestDemoIncidentsFound(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and converts the demo archive")
	}
	ctx := context.Background()
	dir := t.TempDir()
	truth, err := sample.GenerateToDir(ctx, filepath.Join(dir, "archive"), sample.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	src, err := convert.NewLocalSource(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if _, err := convert.Run(ctx, src, convert.Config{Out: data}); err != nil {
		t.Fatal(err)
	}
	rules, err := BuiltinPack()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Window: Window{Since: truth.Start, Until: truth.Start.Add(time.Duration(truth.Days) * 24 * time.Hour), Baseline: 0}}
	res := runRules(t, data, rules, cfg)

	want := map[string]struct{ rule, entity string }{
		"ssh-brute-force": {"ssh_bruteforce", "203.0.113.66 -> 10.1.1.10:22"},
		"port-scan":       {"port_scan_vertical", "203.0.113.77 -> 10.0.1.30"},
		"exfiltration":    {"exfil_large_egress", "10.0.3.30 -> 198.51.100.200"},
		"dos":             {"dos_target", "10.0.1.20"},
	}
	expected := map[string]bool{}
	for name, w := range want {
		inc := truth.Incident(name)
		if inc == nil {
			t.Fatalf("the demo archive has no incident %q", name)
		}
		expected[w.rule+" "+w.entity] = true
		var found *Finding
		for _, f := range res.Findings {
			if f.RuleID == w.rule && f.Entity == w.entity {
				found = f
			}
		}
		if found == nil {
			t.Errorf("incident %s: no %s finding for %q", name, w.rule, w.entity)
			continue
		}
		if found.FirstSeen.Before(inc.Start.Add(-10*time.Minute)) || found.LastSeen.After(inc.End.Add(10*time.Minute)) {
			t.Errorf("incident %s: finding spans %s to %s, incident %s to %s", name, found.FirstSeen, found.LastSeen, inc.Start, inc.End)
		}
		t.Logf("incident %s: %s %s %v", name, found.RuleID, found.Entity, found.Counts)
	}
	for _, f := range res.Findings {
		if f.Severity >= SeverityHigh && !expected[f.RuleID+" "+f.Entity] {
			t.Errorf("unexpected %s finding %s %s %v", f.Severity, f.RuleID, f.Entity, f.Counts)
		}
		if !expected[f.RuleID+" "+f.Entity] {
			t.Logf("other finding: %s %s %s %v", f.Severity, f.RuleID, f.Entity, f.Counts)
		}
	}
}
