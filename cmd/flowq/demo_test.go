package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowq/flowq/internal/s3test"
)

// isolateAWS points the AWS SDK at the test server's static credentials and
// at empty shared files, so that a developer's own AWS setup is not used.
func isolateAWS(t *testing.T, srv *s3test.Server) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestDemoLocalTwice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := runCLI(t, "demo", "--dir", dir, "--no-progress")
	if code != exitOK {
		t.Fatalf("status %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, filepath.Join(dir, "data")) || !strings.Contains(errOut, "rows rejected   0") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	// The sample's four incidents are among the findings.
	for _, incident := range [][2]string{
		{"ssh_bruteforce", "203.0.113.66 -> 10.1.1.10:22"},
		{"port_scan_vertical", "203.0.113.77 -> 10.0.1.30"},
		{"exfil_large_egress", "10.0.3.30 -> 198.51.100.200"},
		{"dos_target", "10.0.1.20 "},
	} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, incident[0]+" ") && strings.Contains(line, incident[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("no finding of %s for %s:\n%s", incident[0], incident[1], out)
		}
	}
	code, _, errOut = runCLI(t, "demo", "--dir", dir, "--no-progress")
	if code != exitOK || !strings.Contains(errOut, "Converted 0 of") {
		t.Errorf("second demo: status %d; stderr:\n%s", code, errOut)
	}
}

func TestDemoThroughVersity(t *testing.T) {
	srv := s3test.StartVersity(t)
	s3test.CreateBucket(t, srv, "demo-bucket")
	isolateAWS(t, srv)
	dir := filepath.Join(t.TempDir(), "demo")
	code, _, errOut := runCLI(t, "demo", "--dir", dir, "--no-progress",
		"--s3", "s3://demo-bucket/sample/", "--endpoint-url", srv.Endpoint, "--region", srv.Region)
	if code != exitOK {
		t.Fatalf("status %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"Uploaded ", "from s3://demo-bucket/sample/", "rows rejected   0"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
