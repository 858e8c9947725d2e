package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/s3test"
	"github.com/flowq/flowq/internal/sample"
)

// notebookDemo converts the demo archive into a dataset under t's
// temporary folder.
func notebookDemo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	archive := filepath.Join(root, "archive")
	if _, err := sample.GenerateToDir(context.Background(), archive, sample.DemoOptions()); err != nil {
		t.Fatal(err)
	}
	src, err := convert.NewLocalSource(archive)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "data")
	if _, err := convert.Run(context.Background(), src, convert.Config{Out: data}); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestNotebookList(t *testing.T) {
	code, out, errOut := runCLI(t, "notebook", "list")
	if code != exitOK {
		t.Fatalf("status %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"NAME", "exfiltration", "Data exfiltration", "limit=20"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}

// TestNotebookRun shares one converted demo dataset among its subtests.
func TestNotebookRun(t *testing.T) {
	data := notebookDemo(t)
	t.Run("formats", func(t *testing.T) { testNotebookRunFormats(t, data) })
	t.Run("failing cell", func(t *testing.T) { testNotebookRunFailingCell(t, data) })
	t.Run("usage errors", func(t *testing.T) { testNotebookRunUsageErrors(t, data) })
	t.Run("from S3", func(t *testing.T) { testNotebookRunFromS3(t, data) })
}

// testNotebookRunFromS3 uploads the dataset to an in-process S3 server on
// 127.0.0.1 and runs a notebook over s3:// --data.
func testNotebookRunFromS3(t *testing.T, data string) {
	srv := s3test.StartFake(t)
	isolateAWS(t, srv)
	s3test.CreateBucket(t, srv, "flows-bucket")
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(data, p)
		if err != nil {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s3test.PutObject(t, srv, "flows-bucket", "prefix/data/"+filepath.ToSlash(rel), body)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "notebook", "run", "exfiltration", "--data", "s3://flows-bucket/prefix/data",
		"--endpoint-url", srv.Endpoint, "--s3-region", srv.Region, "--cache-dir", t.TempDir(),
		"--since", "2026-11-01", "--until", "2026-11-03")
	if code != exitOK {
		t.Fatalf("status %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "| 198.51.100.200 | 6514584447 |") {
		t.Errorf("output lacks the top destination:\n%.2000s", out)
	}
}

func testNotebookRunFormats(t *testing.T, data string) {
	dir := t.TempDir()
	common := []string{"notebook", "run", "exfiltration", "--data", data, "--since", "2026-11-01", "--until", "2026-11-03"}

	code, out, errOut := runCLI(t, common...)
	if code != exitOK {
		t.Fatalf("markdown to stdout: status %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "# Data exfiltration") || !strings.Contains(out, "| 198.51.100.200 | 6514584447 |") {
		t.Errorf("markdown output lacks the title or the top destination:\n%.2000s", out)
	}

	htmlPath := filepath.Join(dir, "exfil.html")
	if code, _, errOut := runCLI(t, append(common, "--out", htmlPath)...); code != exitOK {
		t.Fatalf("html: status %d, stderr %q", code, errOut)
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(page), "<!DOCTYPE html>") || !strings.Contains(string(page), "<svg ") {
		t.Errorf("HTML output lacks the doctype or a chart")
	}

	jsonPath := filepath.Join(dir, "exfil.out")
	if code, _, errOut := runCLI(t, append(common, "--out", jsonPath, "--format", "json")...); code != exitOK {
		t.Fatalf("json: status %d, stderr %q", code, errOut)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cells []struct {
			Name string  `json:"name"`
			Rows [][]any `json:"rows"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if len(doc.Cells) == 0 || doc.Cells[0].Name != "by_destination" || doc.Cells[0].Rows[0][0] != "198.51.100.200" {
		t.Errorf("JSON first cell = %+v", doc.Cells[:1])
	}
}

func testNotebookRunFailingCell(t *testing.T, data string) {
	dir := t.TempDir()
	path := filepath.Join(dir, "broken.md")
	src := "# Broken\n\n```sql name=good\nSELECT count(*) AS n FROM flows\n```\n\n```sql name=bad\nSELECT nope FROM flows\n```\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "notebook", "run", path, "--data", data)
	if code != exitNotebookCell {
		t.Fatalf("status %d, want %d; stderr %q", code, exitNotebookCell, errOut)
	}
	if !strings.Contains(out, "**Cell bad failed:**") || !strings.Contains(out, "| n |") {
		t.Errorf("output lacks the failed cell or the good cell's table:\n%s", out)
	}
	if !strings.Contains(errOut, "1 of 2 cells failed") {
		t.Errorf("stderr = %q, want the count of failed cells", errOut)
	}
}

func testNotebookRunUsageErrors(t *testing.T, data string) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.md")
	if err := os.WriteFile(bad, []byte("```sql chart=pie x=a y=b\nSELECT 1\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"no_such_notebook"}, "notebook not found"},
		{[]string{bad}, "bad.md:1: invalid chart"},
		{[]string{"host"}, `needs parameter "ip"`},
		{[]string{"host", "--param", "ip"}, "write name=value"},
		{[]string{"exfiltration", "--param", "nope=1"}, `has no parameter "nope"`},
		{[]string{"exfiltration", "--out", filepath.Join(dir, "x.pdf")}, "unknown extension"},
		{[]string{"exfiltration", "--format", "pdf"}, "invalid --format"},
	} {
		code, _, errOut := runCLI(t, append([]string{"notebook", "run", "--data", data}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.msg) {
			t.Errorf("notebook run %v: status %d, stderr %q; want %d and %q", tc.args, code, errOut, exitUsage, tc.msg)
		}
	}
}

func TestNotebookRunNoData(t *testing.T) {
	code, _, errOut := runCLI(t, "notebook", "run", "exfiltration", "--data", t.TempDir())
	if code != exitNoData {
		t.Errorf("status %d, want %d; stderr %q", code, exitNoData, errOut)
	}
}
