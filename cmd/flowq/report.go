package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/internal/s3store"
	"github.com/flowq/flowq/notebooks/report"
	"github.com/flowq/flowq/query"
)

type reportOptions struct {
	data            string
	date            string
	baseline        string
	out             string
	failOver        string
	top             int
	allowIncomplete bool
	accounts        []string
	regions         []string
	memoryLimit     string
	threads         int
	cacheDir        string
	s3              s3Flags
	now             func() time.Time
}

const reportLong = `Write scheduled reports of the dataset. Each report is one JSON file with
stable fields (see docs/report.md) and one self-contained HTML page with
inline CSS and SVG charts, no script and no external reference.`

const reportExfilLong = `Write the exfiltration report of one UTC day (default: yesterday) against
a trailing baseline (default: the 14 days before the day).

The report counts accepted egress to the internet: records whose
flow_direction is egress, or, when the field is missing, whose private
source sends to a public destination. NODATA and SKIPDATA records and
destinations that pkt-dst-aws-service names as AWS services are left out.
It lists the total, the top destinations and sources with their change
against the baseline's daily mean, the destinations that the baseline
never saw, the bytes of each hour, and the findings of the exfil_* rules
of the built-in detection pack over the day and the baseline.

It writes exfil-YYYY-MM-DD.json and exfil-YYYY-MM-DD.html into --out, a
folder or s3://bucket/prefix/. The same dataset gives the same file
contents, and local files are replaced whole (temporary file and rename),
so a scheduled run may repeat.

A day is not yet complete while it has not ended in UTC, or while the
dataset's latest record ends before the day's end. Then no report is
written and the command exits with status 5, unless --allow-incomplete is
given: the report is then written with "complete": false.

Exit statuses:
  0    the report was written
  1    the command failed
  2    invalid flag or argument
  4    an exfil_* rule failed to run; the report was written without it
  5    no data on the day, or the day is not yet complete; no report was
       written
  6    DuckDB ran out of memory
  7    a data file could not be read
  10   the day's egress is above --fail-over; the report was written
       (checked before status 4)
  130  interrupted`

const reportExfilExample = `  flowq report exfil
  flowq report exfil --date 2026-11-03 --baseline 14d --out s3://bucket/reports/ --fail-over 5GB
  flowq report exfil --data s3://bucket/flowq-data --out ./reports --top 20`

func newReportCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write scheduled reports as JSON and self-contained HTML",
		Long:  reportLong,
	}
	cmd.AddCommand(newReportExfilCmd(g))
	return cmd
}

func newReportExfilCmd(g *globalOptions) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:     "exfil",
		Short:   "Write the daily exfiltration report: egress to the internet against a baseline",
		Long:    reportExfilLong,
		Example: reportExfilExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReportExfil(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.data, "data", "d", defaultDataDir(), "dataset folder, or s3://bucket/prefix; $FLOWQ_DATA when set")
	f.StringVar(&o.date, "date", "", "UTC day of the report as YYYY-MM-DD (default: yesterday in UTC)")
	f.StringVar(&o.baseline, "baseline", "14d", "history before the day to compare against, such as 14d or 2w")
	f.StringVarP(&o.out, "out", "o", "reports", "folder or s3://bucket/prefix/ to write exfil-YYYY-MM-DD.json and .html into")
	f.StringVar(&o.failOver, "fail-over", "", "exit with status 10 when the day's egress bytes are above this size, such as 5GB or 500MiB")
	f.IntVar(&o.top, "top", report.DefaultTop, "number of destinations, sources and new destinations listed")
	f.BoolVar(&o.allowIncomplete, "allow-incomplete", false, "write the report of a day that is not yet complete, marked \"complete\": false")
	f.StringSliceVar(&o.accounts, "account", nil, "keep only these account ids (repeat or separate with commas)")
	f.StringSliceVar(&o.regions, "region", nil, "keep only these flow-log regions, such as us-east-1 (repeat or separate with commas)")
	f.StringVar(&o.memoryLimit, "memory-limit", "", "DuckDB memory limit, such as 4GB (default: 80% of the machine's memory)")
	f.IntVar(&o.threads, "threads", 0, "DuckDB worker threads (default: one per CPU core)")
	f.StringVar(&o.cacheDir, "cache-dir", "", "folder for partitions fetched from S3 (default: flowq/s3 in the user cache folder)")
	f.StringVar(&o.s3.region, "s3-region", "", "AWS region of the buckets of an s3:// --data or --out (default: from the AWS configuration, else us-east-1)")
	f.StringVar(&o.s3.profile, "profile", "", "AWS shared-configuration profile to take credentials from")
	f.StringVar(&o.s3.endpointURL, "endpoint-url", "", "URL of an S3-compatible endpoint, such as http://127.0.0.1:9000; turns on path-style addressing")
	f.BoolVar(&o.s3.noSignRequest, "no-sign-request", false, "send unsigned requests, for public buckets")
	return cmd
}

// reportDay returns --date at midnight UTC, or yesterday in UTC.
func (o *reportOptions) reportDay(now time.Time) (time.Time, error) {
	if o.date == "" {
		today := now.UTC().Truncate(24 * time.Hour)
		return today.AddDate(0, 0, -1), nil
	}
	day, err := time.Parse(time.DateOnly, strings.TrimSpace(o.date))
	if err != nil {
		return time.Time{}, usageError(fmt.Errorf("invalid --date %q: give a UTC day as YYYY-MM-DD, such as 2026-11-03", o.date))
	}
	return day, nil
}

// exfilOptions checks the flags and returns the report's options and the
// --fail-over size, or -1 when it is not set.
func (o *reportOptions) exfilOptions(now time.Time) (report.ExfilOptions, int64, error) {
	day, err := o.reportDay(now)
	if err != nil {
		return report.ExfilOptions{}, 0, err
	}
	baseline, err := detections.ParseDuration(o.baseline)
	if err != nil || baseline <= 0 {
		return report.ExfilOptions{}, 0, usageError(fmt.Errorf("invalid --baseline %q: give a positive duration such as 14d or 2w", o.baseline))
	}
	if o.top < 1 {
		return report.ExfilOptions{}, 0, usageError(fmt.Errorf("invalid --top %d: give 1 or more", o.top))
	}
	failOver := int64(-1)
	if o.failOver != "" {
		if failOver, err = parseSize("fail-over", o.failOver); err != nil {
			return report.ExfilOptions{}, 0, err
		}
	}
	if o.memoryLimit, err = checkEngineFlags(o.memoryLimit, o.threads); err != nil {
		return report.ExfilOptions{}, 0, err
	}
	if s3store.IsURL(o.out) {
		if _, _, err := s3store.ParseURL(o.out); err != nil {
			return report.ExfilOptions{}, 0, usageError(fmt.Errorf("invalid --out: %w", err))
		}
	}
	return report.ExfilOptions{Day: day, Baseline: baseline, Top: o.top}, failOver, nil
}

func runReportExfil(ctx context.Context, g *globalOptions, o *reportOptions) error {
	now := time.Now()
	if o.now != nil {
		now = o.now()
	}
	opts, failOver, err := o.exfilOptions(now)
	if err != nil {
		return err
	}
	day := opts.Window()
	if day.Until.After(now) && !o.allowIncomplete {
		return &statusError{code: exitNoData, err: fmt.Errorf(
			"report day %s is not yet complete: it ends at %s, after the current time %s; run the report after the day ends, or pass --allow-incomplete",
			day.Since.Format(time.DateOnly), day.Until.Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}

	rep, err := o.build(ctx, g, opts)
	if err != nil {
		return err
	}
	if !rep.Complete {
		latest := rep.LatestRecord
		if latest == "" {
			latest = "(none)"
		}
		if !o.allowIncomplete {
			return &statusError{code: exitNoData, err: fmt.Errorf(
				"report day %s is not yet complete: the dataset's latest record ends at %s, before the day's end %s; convert the newest logs and run again, or pass --allow-incomplete",
				rep.Day, latest, rep.Window.Until)}
		}
		g.logger.Warn("report day is not yet complete; writing the report anyway", "day", rep.Day, "latest_record", latest)
	}

	paths, err := o.write(ctx, rep)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(g.stdout, "Wrote %s\n", p)
	}
	g.logger.Info("wrote exfiltration report", "day", rep.Day, "egress_bytes", rep.Totals.EgressBytes,
		"findings", len(rep.Findings), "complete", rep.Complete)

	for _, e := range rep.RuleErrors {
		g.logger.Error("rule failed", "err", e)
	}
	if failOver >= 0 && rep.Totals.EgressBytes > failOver {
		return &statusError{code: exitReportThreshold, err: fmt.Errorf(
			"egress on %s is %d bytes, above --fail-over %s (%d bytes)", rep.Day, rep.Totals.EgressBytes, o.failOver, failOver)}
	}
	if n := len(rep.RuleErrors); n > 0 {
		return &statusError{code: exitSQL, err: fmt.Errorf("%d exfil_* rules failed; the report was written without their findings", n)}
	}
	return nil
}

// build opens the dataset over the report's range, fetching it from S3
// first for an s3:// --data, and builds the report.
func (o *reportOptions) build(ctx context.Context, g *globalOptions, opts report.ExfilOptions) (*report.Exfil, error) {
	since, until := opts.DataRange()
	qopts := query.Options{Data: o.data, Since: since, Until: until, Accounts: o.accounts,
		Regions: o.regions, MemoryLimit: o.memoryLimit, Threads: o.threads}
	if s3store.IsURL(o.data) {
		fetch := &sqlOptions{data: o.data, cacheDir: o.cacheDir, s3: o.s3}
		cache, err := fetch.syncS3(ctx, g, qopts)
		if err != nil {
			return nil, err
		}
		qopts.Data = cache
		qopts.Protect = []string{cache}
	}
	engine, err := query.Open(ctx, qopts)
	if errors.Is(err, query.ErrNoDataInRange) {
		return nil, &statusError{code: exitNoData, err: fmt.Errorf(
			"no data: the dataset %s has no flow records from %s to %s, the report day and its baseline; check that the day's logs were converted, or choose another --date",
			o.data, since.Format(time.DateOnly), until.Format(time.DateOnly))}
	}
	if err != nil {
		return nil, sqlError(err)
	}
	defer engine.Close()
	if !s3store.IsURL(o.out) {
		if err := engine.CheckWritePath(o.out); err != nil {
			return nil, usageError(fmt.Errorf("invalid --out %q: %w", o.out, err))
		}
	}
	rep, err := report.BuildExfil(ctx, engine, opts)
	if errors.Is(err, report.ErrNoData) {
		return nil, &statusError{code: exitNoData, err: fmt.Errorf(
			"no data: the dataset %s contains no flow record on %s; check that the day's logs were converted, or choose another --date: %w",
			o.data, opts.Window().Since.Format(time.DateOnly), report.ErrNoData)}
	}
	if err != nil {
		return nil, sqlError(err)
	}
	return rep, nil
}

// write renders rep as JSON and HTML and stores both in --out. It returns
// the paths or s3:// URLs written.
func (o *reportOptions) write(ctx context.Context, rep *report.Exfil) ([]string, error) {
	var jsonBuf, htmlBuf bytes.Buffer
	if err := report.WriteJSON(&jsonBuf, rep); err != nil {
		return nil, fmt.Errorf("render the report as JSON: %w", err)
	}
	if err := report.WriteHTML(&htmlBuf, rep); err != nil {
		return nil, fmt.Errorf("render the report as HTML: %w", err)
	}
	base := "exfil-" + rep.Day
	files := []struct {
		name string
		body []byte
	}{{base + ".json", jsonBuf.Bytes()}, {base + ".html", htmlBuf.Bytes()}}

	var written []string
	if s3store.IsURL(o.out) {
		bucket, prefix, err := s3store.ParseURL(o.out)
		if err != nil {
			return nil, usageError(fmt.Errorf("invalid --out: %w", err))
		}
		client, err := s3store.NewClient(ctx, o.s3.config())
		if err != nil {
			return nil, err
		}
		// --out names a folder, so a prefix without a final slash gets one.
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		for _, f := range files {
			if err := s3store.PutBytes(ctx, client, bucket, prefix+f.name, f.body); err != nil {
				return written, fmt.Errorf("write the report to s3://%s/%s: %w", bucket, prefix+f.name, err)
			}
			written = append(written, "s3://"+bucket+"/"+prefix+f.name)
		}
		return written, nil
	}

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, fmt.Errorf("create the report folder: %w", err)
	}
	for _, f := range files {
		path := filepath.Join(o.out, f.name)
		if err := writeFileAtomic(path, f.body); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// writeFileAtomic writes body to a temporary file in path's folder and
// renames it to path, so a reader sees the old file or the new one whole.
func writeFileAtomic(path string, body []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// reportDemo writes the exfiltration report of the sample's incident day,
// with the sample's first day as the baseline, into dir/reports.
func reportDemo(ctx context.Context, g *globalOptions, dir, data string) error {
	w := demoWindow()
	o := &reportOptions{
		data: data, date: w.Since.AddDate(0, 0, 1).Format(time.DateOnly), baseline: "1d",
		out: filepath.Join(dir, "reports"), top: report.DefaultTop,
		// The sample's days are fixed, so the check against the current
		// time does not apply. The report still records whether the
		// dataset covers the whole day.
		allowIncomplete: true,
	}
	fmt.Fprintf(g.stdout, "\nExfiltration report of %s (flowq report exfil --date %s --baseline 1d --data %s):\n", o.date, o.date, data)
	return runReportExfil(ctx, g, o)
}
