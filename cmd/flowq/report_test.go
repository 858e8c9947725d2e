package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowq/flowq/internal/s3test"
)

// demoExfil is the sample's exfiltration incident.
const (
	demoExfilDay   = "2026-11-02"
	demoExfilDst   = "198.51.100.200"
	demoExfilBytes = 6514584447
)

// reportDemoRun is one "flowq demo" run shared by the report tests: its
// folder, exit status and output.
var reportDemoRun struct {
	once     sync.Once
	dir      string
	code     int
	stdout   string
	stderr   string
	setupErr error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if reportDemoRun.dir != "" {
		os.RemoveAll(reportDemoRun.dir)
	}
	os.Exit(code)
}

// demoDir runs flowq demo once per test binary and returns its folder,
// whose data/ is the converted sample.
func demoDir(t *testing.T) string {
	t.Helper()
	r := &reportDemoRun
	r.once.Do(func() {
		if r.dir, r.setupErr = os.MkdirTemp("", "flowq-report-demo-"); r.setupErr != nil {
			return
		}
		stdout, err := os.Create(filepath.Join(r.dir, "stdout"))
		if err != nil {
			r.setupErr = err
			return
		}
		stderr, err := os.Create(filepath.Join(r.dir, "stderr"))
		if err != nil {
			r.setupErr = err
			return
		}
		r.code = execute(context.Background(), []string{"demo", "--dir", filepath.Join(r.dir, "demo"), "--no-progress"}, stdout, stderr)
		stdout.Close()
		stderr.Close()
		out, _ := os.ReadFile(stdout.Name())
		errOut, _ := os.ReadFile(stderr.Name())
		r.stdout, r.stderr = string(out), string(errOut)
	})
	if r.setupErr != nil {
		t.Fatalf("set up the demo: %v", r.setupErr)
	}
	if r.code != exitOK {
		t.Fatalf("flowq demo: status %d; stderr:\n%s", r.code, r.stderr)
	}
	return filepath.Join(r.dir, "demo")
}

// runReport runs flowq report exfil over the demo dataset for the
// incident day with a one-day baseline, plus args.
func runReport(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	data := filepath.Join(demoDir(t), "data")
	base := []string{"report", "exfil", "--data", data, "--date", demoExfilDay, "--baseline", "1d"}
	return runCLI(t, append(base, args...)...)
}

// exfilJSON is the part of the report's JSON that the tests check.
type exfilJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Day           string `json:"day"`
	Complete      bool   `json:"complete"`
	Totals        struct {
		EgressBytes int64 `json:"egress_bytes"`
	} `json:"totals"`
	TopDestinations []struct {
		Address string `json:"address"`
		Bytes   int64  `json:"bytes"`
		New     bool   `json:"new"`
	} `json:"top_destinations"`
	Findings []struct {
		Rule   string `json:"rule"`
		Entity string `json:"entity"`
	} `json:"findings"`
}

func readExfilJSON(t *testing.T, body []byte) exfilJSON {
	t.Helper()
	var rep exfilJSON
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, body)
	}
	return rep
}

// checkDemoReport checks the report's JSON against the sample's incident.
func checkDemoReport(t *testing.T, body []byte) {
	t.Helper()
	rep := readExfilJSON(t, body)
	if rep.SchemaVersion != 1 || rep.Day != demoExfilDay || !rep.Complete {
		t.Errorf("schema_version %d, day %s, complete %v", rep.SchemaVersion, rep.Day, rep.Complete)
	}
	if len(rep.TopDestinations) == 0 {
		t.Fatal("no top destinations")
	}
	if top := rep.TopDestinations[0]; top.Address != demoExfilDst || top.Bytes != demoExfilBytes || !top.New {
		t.Errorf("top destination = %+v, want %s with %d bytes, new", top, demoExfilDst, demoExfilBytes)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Rule == "exfil_large_egress" && f.Entity == "10.0.3.30 -> "+demoExfilDst {
			found = true
		}
	}
	if !found {
		t.Errorf("no exfil_large_egress finding for 10.0.3.30 -> %s: %+v", demoExfilDst, rep.Findings)
	}
}

func TestDemoWritesExfilReport(t *testing.T) {
	dir := demoDir(t)
	htmlPath := filepath.Join(dir, "reports", "exfil-"+demoExfilDay+".html")
	jsonPath := filepath.Join(dir, "reports", "exfil-"+demoExfilDay+".json")
	out := strings.TrimRight(reportDemoRun.stdout, "\n")
	if !strings.HasSuffix(out, "Wrote "+htmlPath) {
		t.Errorf("demo output does not end with the report's path %s:\n%s", htmlPath, out)
	}
	body, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	checkDemoReport(t, body)
	if _, err := os.Stat(htmlPath); err != nil {
		t.Error(err)
	}
}

func TestReportExfilLocal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "reports")
	code, stdout, stderr := runReport(t, "--out", out)
	if code != exitOK {
		t.Fatalf("status %d; stderr:\n%s", code, stderr)
	}
	jsonPath := filepath.Join(out, "exfil-"+demoExfilDay+".json")
	htmlPath := filepath.Join(out, "exfil-"+demoExfilDay+".html")
	for _, p := range []string{jsonPath, htmlPath} {
		if !strings.Contains(stdout, "Wrote "+p+"\n") {
			t.Errorf("stdout lacks %q:\n%s", "Wrote "+p, stdout)
		}
	}
	body, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	checkDemoReport(t, body)
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(demoExfilDst)) || bytes.Contains(page, []byte("<script")) {
		t.Errorf("HTML lacks %s or has a script", demoExfilDst)
	}
}

func TestReportExfilIdempotent(t *testing.T) {
	out := t.TempDir()
	var runs [2]map[string][]byte
	for i := range runs {
		if code, _, stderr := runReport(t, "--out", out); code != exitOK {
			t.Fatalf("run %d: status %d; stderr:\n%s", i+1, code, stderr)
		}
		runs[i] = map[string][]byte{}
		entries, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			body, err := os.ReadFile(filepath.Join(out, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			runs[i][e.Name()] = body
		}
	}
	if len(runs[1]) != 2 {
		t.Errorf("folder holds %d files after two runs, want the JSON and the HTML only", len(runs[1]))
	}
	for name, first := range runs[0] {
		if !bytes.Equal(first, runs[1][name]) {
			t.Errorf("%s differs between two runs over the same data", name)
		}
	}
}

func TestReportExfilFailOver(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runReport(t, "--out", out, "--fail-over", "5GB")
	if code != exitReportThreshold {
		t.Errorf("--fail-over 5GB: status %d, want %d; stderr:\n%s", code, exitReportThreshold, stderr)
	}
	if !strings.Contains(stderr, "above --fail-over 5GB") {
		t.Errorf("stderr lacks the threshold message:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "exfil-"+demoExfilDay+".json")); err != nil {
		t.Errorf("the report was not written before the exit status: %v", err)
	}
	if code, _, stderr := runReport(t, "--out", out, "--fail-over", "8GB"); code != exitOK {
		t.Errorf("--fail-over 8GB: status %d, want 0; stderr:\n%s", code, stderr)
	}
	if code, _, _ := runReport(t, "--out", out, "--fail-over", "lots"); code != exitUsage {
		t.Errorf("--fail-over lots: status %d, want %d", code, exitUsage)
	}
}

func TestReportExfilNoDataDay(t *testing.T) {
	out := filepath.Join(t.TempDir(), "reports")
	data := filepath.Join(demoDir(t), "data")
	code, _, stderr := runCLI(t, "report", "exfil", "--data", data, "--date", "2026-11-20", "--out", out)
	if code != exitNoData {
		t.Errorf("status %d, want %d; stderr:\n%s", code, exitNoData, stderr)
	}
	if !strings.Contains(stderr, "no data") || !strings.Contains(stderr, "2026-11-20") {
		t.Errorf("stderr lacks a clear message:\n%s", stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the report folder was created for a day without data")
	}
}

func TestReportExfilFutureDay(t *testing.T) {
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	code, _, stderr := runCLI(t, "report", "exfil", "--data", t.TempDir(), "--date", tomorrow, "--out", t.TempDir())
	if code != exitNoData || !strings.Contains(stderr, "not yet complete") {
		t.Errorf("status %d, want %d with \"not yet complete\"; stderr:\n%s", code, exitNoData, stderr)
	}
}

func TestReportExfilIncompleteDataset(t *testing.T) {
	// The dataset's only records are of 2026-03-10 08:00 to 08:07, so the
	// day has data but is not covered to its end.
	data := detectDataset(t)
	out := t.TempDir()
	code, _, stderr := runCLI(t, "report", "exfil", "--data", data, "--date", "2026-03-10", "--out", out)
	if code != exitNoData || !strings.Contains(stderr, "not yet complete") {
		t.Errorf("status %d, want %d with \"not yet complete\"; stderr:\n%s", code, exitNoData, stderr)
	}
	code, _, stderr = runCLI(t, "report", "exfil", "--data", data, "--date", "2026-03-10", "--out", out, "--allow-incomplete")
	if code != exitOK {
		t.Fatalf("--allow-incomplete: status %d; stderr:\n%s", code, stderr)
	}
	body, err := os.ReadFile(filepath.Join(out, "exfil-2026-03-10.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep := readExfilJSON(t, body); rep.Complete {
		t.Error(`"complete" is true for a day that the dataset covers until 08:07`)
	}
}

func TestReportExfilS3(t *testing.T) {
	srv := s3test.StartFake(t)
	s3test.CreateBucket(t, srv, "report-bucket")
	isolateAWS(t, srv)
	code, stdout, stderr := runReport(t, "--out", "s3://report-bucket/nightly", "--endpoint-url", srv.Endpoint, "--s3-region", srv.Region)
	if code != exitOK {
		t.Fatalf("status %d; stderr:\n%s", code, stderr)
	}
	key := "nightly/exfil-" + demoExfilDay + ".json"
	if !strings.Contains(stdout, "Wrote s3://report-bucket/"+key) {
		t.Errorf("stdout lacks the object's URL:\n%s", stdout)
	}
	obj, err := srv.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("report-bucket"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkDemoReport(t, body)

	local := t.TempDir()
	if code, _, stderr := runReport(t, "--out", local); code != exitOK {
		t.Fatalf("local run: status %d; stderr:\n%s", code, stderr)
	}
	want, err := os.ReadFile(filepath.Join(local, "exfil-"+demoExfilDay+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Error("the S3 object differs from the local file of the same report")
	}
	if n := srv.Count(t, s3test.OpPutObject); n != 2 {
		t.Errorf("%d PutObject requests, want 2 (JSON and HTML)", n)
	}
}

func TestReportExfilInvalidFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--date", "11/02/2026"},
		{"--baseline", "0"},
		{"--top", "0"},
		{"--out", "s3://"},
	} {
		code, _, stderr := runReport(t, args...)
		if code != exitUsage {
			t.Errorf("%v: status %d, want %d; stderr:\n%s", args, code, exitUsage, stderr)
		}
	}
}

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// chromiumFlags keep headless Chromium off the network and away from the
// user's profile. The page itself refers to no address.
func chromiumFlags(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--window-size=1280,2000"}
}

// runChromium runs the browser with the flags and extra arguments and
// returns its standard output. The deadline only stops a hung browser.
func runChromium(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath, append(chromiumFlags(t.TempDir()), args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

func TestReportExfilHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is missing in CI: %v", err)
		}
		t.Skipf("chromium is missing (%v); install it with apt-get install chromium", err)
	}
	out := t.TempDir()
	if code, _, stderr := runReport(t, "--out", out); code != exitOK {
		t.Fatalf("status %d; stderr:\n%s", code, stderr)
	}
	page := "file://" + filepath.Join(out, "exfil-"+demoExfilDay+".html")

	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, "--screenshot="+shot, page)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot is not a PNG: starts with %q", png[:min(len(png), 8)])
	}
	if len(png) < 20_000 {
		t.Errorf("screenshot is %d bytes; a rendered report with charts is larger", len(png))
	}

	dom := string(runChromium(t, "--dump-dom", page))
	for _, want := range []string{demoExfilDst, "Exfiltration report, " + demoExfilDay, "<svg"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
}
