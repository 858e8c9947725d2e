package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/sample"
	"github.com/flowq/flowq/query"
)

// demoDay is the day of the sample's exfiltration incident, and the
// sample's first day is its baseline.
var demoDay = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

var (
	demoOnce  sync.Once
	demoData  string
	demoTruth *sample.Truth
	demoErr   error
	demoRoot  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if demoRoot != "" {
		os.RemoveAll(demoRoot)
	}
	os.Exit(code)
}

// loadDemo converts the demo archive once per test binary and returns the
// dataset folder and the archive's Truth.
func loadDemo(t *testing.T) (string, *sample.Truth) {
	t.Helper()
	demoOnce.Do(func() {
		ctx := context.Background()
		if demoRoot, demoErr = os.MkdirTemp("", "flowq-report-test-"); demoErr != nil {
			return
		}
		archive := filepath.Join(demoRoot, "archive")
		if demoTruth, demoErr = sample.GenerateToDir(ctx, archive, sample.DemoOptions()); demoErr != nil {
			return
		}
		src, err := convert.NewLocalSource(archive)
		if err != nil {
			demoErr = err
			return
		}
		demoData = filepath.Join(demoRoot, "data")
		sum, err := convert.Run(ctx, src, convert.Config{Out: demoData})
		if err == nil && (sum.ObjectsFailed > 0 || sum.RowsRejected > 0) {
			err = fmt.Errorf("convert: %d objects failed, %d rows rejected", sum.ObjectsFailed, sum.RowsRejected)
		}
		demoErr = err
	})
	if demoErr != nil {
		t.Fatalf("build the demo dataset: %v", demoErr)
	}
	return demoData, demoTruth
}

// buildDemoReport builds the report of day over the demo dataset.
func buildDemoReport(t *testing.T, day time.Time) (*Exfil, error) {
	t.Helper()
	data, _ := loadDemo(t)
	o := ExfilOptions{Day: day, Baseline: 24 * time.Hour}
	since, until := o.DataRange()
	engine, err := query.Open(context.Background(), query.Options{Data: data, Since: since, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	return BuildExfil(context.Background(), engine, o)
}

func TestExfilDemoIncident(t *testing.T) {
	_, truth := loadDemo(t)
	incident := truth.Incident(sample.IncidentExfiltration)
	rep, err := buildDemoReport(t, demoDay)
	if err != nil {
		t.Fatal(err)
	}

	if rep.Day != "2026-11-02" || rep.Window.Since != "2026-11-02T00:00:00Z" || rep.Window.Until != "2026-11-03T00:00:00Z" {
		t.Errorf("day %s, window %+v", rep.Day, rep.Window)
	}
	if rep.Baseline.Since != "2026-11-01T00:00:00Z" || rep.Baseline.DaysWithData != 1 {
		t.Errorf("baseline = %+v, want from 2026-11-01 with 1 day of data", rep.Baseline)
	}
	if !rep.Complete {
		t.Errorf("complete = false, latest record %s; the sample has data on 2026-11-03", rep.LatestRecord)
	}

	if len(rep.TopDestinations) == 0 {
		t.Fatal("no top destinations")
	}
	top := rep.TopDestinations[0]
	if top.Address != incident.DstAddr {
		t.Errorf("top destination = %s, want %s", top.Address, incident.DstAddr)
	}
	if top.Bytes != incident.Bytes {
		t.Errorf("bytes to %s = %d, want the incident's %d", top.Address, top.Bytes, incident.Bytes)
	}
	if !top.New || top.BaselineMeanBytes != 0 || top.ChangePercent != nil {
		t.Errorf("top destination is not new against the baseline: %+v", top)
	}
	if rep.TopSources[0].Address != incident.SrcAddrs[0] {
		t.Errorf("top source = %s, want %s", rep.TopSources[0].Address, incident.SrcAddrs[0])
	}
	if rep.NewDestinations.Count == 0 || rep.NewDestinations.Top[0].Address != incident.DstAddr {
		t.Errorf("new destinations = %+v", rep.NewDestinations)
	}
}

func TestExfilDemoTotals(t *testing.T) {
	_, truth := loadDemo(t)
	incident := truth.Incident(sample.IncidentExfiltration)
	rep, err := buildDemoReport(t, demoDay)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.EgressBytes < incident.Bytes {
		t.Errorf("total egress %d is below the incident's %d bytes", rep.Totals.EgressBytes, incident.Bytes)
	}
	if rep.Totals.BaselineMeanBytes <= 0 || rep.Totals.ChangePercent == nil || *rep.Totals.ChangePercent <= 0 {
		t.Errorf("totals = %+v, want a baseline mean and a positive change", rep.Totals)
	}
	if len(rep.Hourly) != 24 {
		t.Fatalf("%d hours, want 24", len(rep.Hourly))
	}
	var sum int64
	for _, h := range rep.Hourly {
		sum += h.Bytes
	}
	if sum != rep.Totals.EgressBytes {
		t.Errorf("hourly bytes add up to %d, total is %d", sum, rep.Totals.EgressBytes)
	}
	// The incident starts at 01:30, so hour 01 carries part of it.
	if rep.Hourly[1].Hour != "2026-11-02T01:00:00Z" || rep.Hourly[1].Bytes < incident.Bytes/4 {
		t.Errorf("hour 01 = %+v, want a large share of %d bytes", rep.Hourly[1], incident.Bytes)
	}
}

func TestExfilDemoFindings(t *testing.T) {
	rep, err := buildDemoReport(t, demoDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rules) < 2 {
		t.Errorf("rules = %v, want the exfil_* rules of the built-in pack", rep.Rules)
	}
	if len(rep.RuleErrors) > 0 {
		t.Errorf("rule errors: %v", rep.RuleErrors)
	}
	var found *Finding
	for i, f := range rep.Findings {
		if f.Rule == "exfil_large_egress" && f.Entity == "10.0.3.30 -> 198.51.100.200" {
			found = &rep.Findings[i]
		}
	}
	if found == nil {
		t.Fatalf("no exfil_large_egress finding for 10.0.3.30 -> 198.51.100.200 in %+v", rep.Findings)
	}
	if found.DstAddr != "198.51.100.200" || found.Counts["bytes"] == nil {
		t.Errorf("finding = %+v", found)
	}
}

func TestExfilJSONIdempotent(t *testing.T) {
	var outputs [2][]byte
	for i := range outputs {
		rep, err := buildDemoReport(t, demoDay)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		outputs[i] = b.Bytes()
	}
	if !bytes.Equal(outputs[0], outputs[1]) {
		t.Errorf("two runs wrote different JSON:\n%s\n---\n%s", outputs[0], outputs[1])
	}
	var fields map[string]any
	if err := json.Unmarshal(outputs[0], &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema_version", "day", "baseline", "totals", "top_destinations", "top_sources", "new_destinations", "hourly", "findings"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	if fields["schema_version"] != float64(SchemaVersion) {
		t.Errorf("schema_version = %v", fields["schema_version"])
	}
}

func TestExfilNoDataDay(t *testing.T) {
	_, err := buildDemoReport(t, time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC))
	if !errors.Is(err, ErrNoData) {
		t.Errorf("error = %v, want ErrNoData", err)
	}
}

func TestExfilRejectsZeroBaseline(t *testing.T) {
	data, _ := loadDemo(t)
	engine, err := query.Open(context.Background(), query.Options{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	if _, err := BuildExfil(context.Background(), engine, ExfilOptions{Day: demoDay}); err == nil {
		t.Error("BuildExfil accepted a zero baseline")
	}
}

func TestExfilHTMLSelfContained(t *testing.T) {
	rep, err := buildDemoReport(t, demoDay)
	if err != nil {
		t.Fatal(err)
	}
	var first, second bytes.Buffer
	if err := WriteHTML(&first, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&second, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two renders of one report differ")
	}
	page := first.String()
	for _, want := range []string{"<title>Exfiltration report, 2026-11-02</title>", "198.51.100.200", "exfil_large_egress",
		"10.0.3.30 -&gt; 198.51.100.200", `<svg class="chart"`, "<polyline", "--baseline 1d"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "http://", "https://", "src=", "href=", "@import", "url("} {
		if strings.Contains(page, banned) {
			t.Errorf("page contains %q", banned)
		}
	}
}
