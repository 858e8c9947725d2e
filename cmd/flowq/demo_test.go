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
