package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runCLI runs flowq with args and returns its exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	code := execute(context.Background(), args, stdout, stderr)
	stdout.Close()
	stderr.Close()
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	return code, string(out), string(errOut)
}

// TestEveryHelpRenders walks every command's --help, so that a flag clash
// or a broken template fails here and not in a user's terminal.
func TestEveryHelpRenders(t *testing.T) {
	var walk func(c *cobra.Command)
	var paths [][]string
	walk = func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if !sub.Hidden && sub.Name() != "help" && sub.Name() != "completion" {
				walk(sub)
			}
		}
	}
	walk(newRootCmd(os.Stdout, os.Stderr))
	if len(paths) < 3 {
		t.Fatalf("found %d commands, want at least root, convert and demo", len(paths))
	}
	for _, p := range paths {
		code, out, errOut := runCLI(t, append(p, "--help")...)
		if code != exitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("flowq %s --help: status %d, stdout %q, stderr %q", strings.Join(p, " "), code, out, errOut)
		}
	}
}

func TestExitStatusForBadFlag(t *testing.T) {
	code, _, errOut := runCLI(t, "convert", "--no-such-flag", "x")
	if code != exitUsage {
		t.Errorf("status = %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut, "--no-such-flag") {
		t.Errorf("stderr %q does not name the flag", errOut)
	}
}

func TestExitStatusForBadTime(t *testing.T) {
	code, _, errOut := runCLI(t, "convert", t.TempDir(), "--since", "yesterday-ish")
	if code != exitUsage || !strings.Contains(errOut, `"yesterday-ish"`) {
		t.Errorf("status %d, stderr %q; want %d naming the value", code, errOut, exitUsage)
	}
}

func TestConvertExitStatusWithRejects(t *testing.T) {
	in := t.TempDir()
	body := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 8400 1700000000 1700000060 ACCEPT OK\n" +
		"2 123456789012 eni-1 10.0.1.10 198.51.100.7 49152 443 6 10 84x0 1700000000 1700000060 ACCEPT OK\n"
	if err := os.WriteFile(filepath.Join(in, "a.log"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "data")
	code, _, errOut := runCLI(t, "convert", in, "--out", out)
	if code != exitPartial {
		t.Fatalf("status = %d, want %d; stderr:\n%s", code, exitPartial, errOut)
	}
	for _, want := range []string{"rows written    1", "rows rejected   1", "_flowq/rejects/"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("summary lacks %q:\n%s", want, errOut)
		}
	}

	// A second run finds nothing new and exits cleanly.
	code, _, errOut = runCLI(t, "convert", in, "--out", out)
	if code != exitOK || !strings.Contains(errOut, "unchanged       1") {
		t.Errorf("second run: status %d, stderr:\n%s", code, errOut)
	}
}

func TestParseTimeBound(t *testing.T) {
	now := mustTime(t, "2026-12-04T12:00:00Z")
	cases := map[string]string{
		"2026-11-01":                "2026-11-01T00:00:00Z",
		"2026-11-01T08:30:00Z":      "2026-11-01T08:30:00Z",
		"2026-11-01T08:30:00+02:00": "2026-11-01T06:30:00Z",
		"24h":                       "2026-12-03T12:00:00Z",
		"7d":                        "2026-11-27T12:00:00Z",
		"2w":                        "2026-11-20T12:00:00Z",
		"90m":                       "2026-12-04T10:30:00Z",
		"1d12h":                     "2026-12-03T00:00:00Z",
		"1w1d":                      "2026-11-26T12:00:00Z",
	}
	for in, want := range cases {
		got, err := parseTimeBound("since", in, now)
		if err != nil || got.Format("2006-01-02T15:04:05Z07:00") != want {
			t.Errorf("%s: got %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"0d", "-3h", "tomorrow", "2026-13-01", "1d-3h", "12h1d", "d", "1x"} {
		if _, err := parseTimeBound("since", bad, now); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
