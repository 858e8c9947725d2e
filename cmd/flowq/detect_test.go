package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/convert"
)

// detectDataset converts 40 rejected SSH attempts from one source into a
// dataset and returns its folder.
func detectDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := 0; i < 40; i++ {
		s := start.Unix() + int64(i)*10
		fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60001 203.0.113.66 10.1.1.10 %d 22 6 1 60 %d %d REJECT OK\n", 40000+i, s, s+1)
	}
	p := filepath.Join(dir, "archive", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/03/10/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20260310T0800Z_0a1b2c3d.log")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
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
