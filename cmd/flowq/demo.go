package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/internal/s3store"
	"github.com/flowq/flowq/internal/sample"
	"github.com/flowq/flowq/query"
)

type demoOptions struct {
	dir        string
	s3URL      string
	s3         s3Flags
	noProgress bool
}

const demoLong = `Write a sample flow-log archive in AWS's exact S3 key layout, convert it,
run the built-in detection pack over it, and show what to run next. No AWS
account is needed.

The sample covers several accounts, regions and flow logs in the default and
custom formats, NODATA and SKIPDATA records, IPv6, Transit Gateway logs, and
four incidents to find: an SSH brute force, a port scan, a DoS burst and a
large exfiltration to one external address.

With --s3, the archive is uploaded to that S3 prefix first and converted back
through the S3 source, with the usual S3 flags.

Exit statuses: 0 success, 1 failure, 2 invalid flag, 130 interrupted.`

func newDemoCmd(g *globalOptions) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Convert a generated sample archive and show what to run next",
		Long:    demoLong,
		Example: "  flowq demo\n  flowq demo --dir /tmp/flowq-demo\n  flowq demo --s3 s3://test-bucket/demo --endpoint-url http://127.0.0.1:9000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "flowq-demo", "folder for the sample archive (archive/) and the dataset (data/)")
	f.StringVar(&o.s3URL, "s3", "", "upload the archive to this s3://bucket/prefix and convert it from there")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, even on a terminal")
	o.s3.add(f)
	return cmd
}

func runDemo(ctx context.Context, g *globalOptions, o *demoOptions) error {
	archive := filepath.Join(o.dir, "archive")
	data := filepath.Join(o.dir, "data")

	// The sample is deterministic: write it once, so that a second demo run
	// shows an incremental conversion with nothing left to do.
	if _, err := os.Stat(archive); errors.Is(err, fs.ErrNotExist) {
		truth, err := sample.GenerateToDir(ctx, archive, sample.DemoOptions())
		if err != nil {
			return fmt.Errorf("cannot write the sample archive: %w", err)
		}
		fmt.Fprintf(g.stderr, "Wrote a sample archive of %d flow-log objects to %s\n", truth.FlowLogObjects, archive)
	} else {
		fmt.Fprintf(g.stderr, "Using the sample archive in %s\n", archive)
	}

	var src convert.Source
	if o.s3URL != "" {
		var err error
		if src, err = uploadDemo(ctx, g, o, archive); err != nil {
			return err
		}
	} else {
		local, err := convert.NewLocalSource(archive)
		if err != nil {
			return err
		}
		src = local
	}

	counters := &convert.Counters{}
	stop := startProgress(g, counters, !o.noProgress)
	sum, err := convert.Run(ctx, src, convert.Config{Out: data, Logger: g.logger, Counters: counters})
	stop()
	if sum != nil {
		printConvertSummary(g.stderr, g.logger, g.logFormat == "json", sum)
	}
	if err != nil {
		return err
	}
	if err := detectDemo(ctx, g, data); err != nil {
		return err
	}
	printDemoNext(g, data)
	return reportDemo(ctx, g, o.dir, data)
}

// demoWindow returns the days the sample archive covers.
func demoWindow() detections.Window {
	start := sample.DefaultStart
	return detections.Window{Since: start, Until: start.AddDate(0, 0, sample.DefaultDays)}
}

// detectDemo runs the built-in detection pack over the sample and prints
// its findings, among them the sample's four incidents.
func detectDemo(ctx context.Context, g *globalOptions, data string) error {
	rules, err := detections.BuiltinPack()
	if err != nil {
		return err
	}
	w := demoWindow()
	engine, err := query.Open(ctx, query.Options{Data: data, Since: w.Since, Until: w.Until, AnyOrder: true})
	if err != nil {
		return sqlError(err)
	}
	defer engine.Close()
	res, err := detections.Run(ctx, engine, rules, detections.Config{Window: w})
	if err != nil {
		return sqlError(err)
	}
	for _, e := range res.Errors {
		g.logger.Error("rule failed", "err", e)
	}
	fmt.Fprintf(g.stdout, "\nFindings of the built-in detection pack (%d rules) from %s to %s:\n\n",
		res.Rules, w.Since.Format(time.DateOnly), w.Until.Format(time.DateOnly))
	return writeFindings(g.stdout, "table", res.Findings, len(res.Errors))
}

// uploadDemo copies the sample archive to S3 and returns the S3 source over it.
func uploadDemo(ctx context.Context, g *globalOptions, o *demoOptions, archive string) (convert.Source, error) {
	bucket, prefix, err := s3store.ParseURL(o.s3URL)
	if err != nil {
		return nil, usageError(fmt.Errorf("invalid --s3: %w", err))
	}
	client, err := s3store.NewClient(ctx, o.s3.config())
	if err != nil {
		return nil, err
	}
	var n int
	err = filepath.WalkDir(archive, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(archive, path)
		key := strings.TrimPrefix(strings.TrimSuffix(prefix, "/")+"/"+filepath.ToSlash(rel), "/")
		n++
		return s3store.PutFile(ctx, client, bucket, key, path)
	})
	if err != nil {
		return nil, fmt.Errorf("cannot upload the sample archive to %s: %w", o.s3URL, err)
	}
	fmt.Fprintf(g.stderr, "Uploaded %d objects to %s\n", n, o.s3URL)
	return convert.NewS3Source(client, bucket, prefix), nil
}

func printDemoNext(g *globalOptions, data string) {
	w := demoWindow()
	fmt.Fprintf(g.stdout, `
The dataset is in %[1]s:
  %[1]s/flows/account_id=…/region=…/date=…/hour=…/*.parquet    VPC flow logs
  %[1]s/tgw_flows/…                                          Transit Gateway flow logs
  %[1]s/_flowq/manifest.jsonl                                 what was converted

Next:
  flowq detect --data %[1]s --since %[2]s --until %[3]s --format json
  flowq sql --data %[1]s "SELECT dstaddr, sum(bytes) AS bytes FROM flows WHERE NOT dst_private GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
  flowq sql --data %[1]s "SELECT srcaddr, count(*) AS attempts FROM flows WHERE dstport = 22 GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
  flowq sql --data %[1]s     an interactive SQL shell
  flowq notebook run exfiltration --data %[1]s --since %[2]s --until %[3]s --out exfil.html
  flowq report exfil --data %[1]s --date 2026-11-02 --baseline 1d
  flowq demo                 run it again: the conversion is incremental, nothing is left to do
  flowq convert --help       convert your own archives from S3 or a folder
`, data, w.Since.Format(time.DateOnly), w.Until.Format(time.DateOnly))
}
