package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/s3store"
)

type convertOptions struct {
	out          string
	since, until string
	workers      int
	memory       string
	s3           s3Flags
	noProgress   bool
}

const convertLong = `Convert VPC and Transit Gateway flow-log archives into a Hive-partitioned,
zstd-compressed Parquet dataset:

  <out>/flows/account_id=…/region=…/date=YYYY-MM-DD/hour=HH/*.parquet
  <out>/tgw_flows/…

SOURCE is an S3 URL (s3://bucket/prefix) or local folders and files. Objects
in any of AWS's key layouts are read; other AWS logs and folder markers are
skipped. gzip, zstd and plain text are told apart by their content, and AWS's
.log.parquet delivery is read too.

Conversion is incremental: the dataset's manifest records every converted
object, and a rerun converts only new objects. It is crash-safe: a run that
is killed loses and duplicates nothing, and the next run goes on from there.

Lines that do not fit their header are written to the dataset's rejects
files (_flowq/rejects/) with their object key, line number and reason; the
good lines of the same object are kept. An object that cannot be read whole
contributes no rows and is reported by key.

Exit statuses:
  0    every object converted, no line rejected
  1    the conversion failed
  2    invalid flag or argument
  3    some objects failed or some lines were rejected (see the summary)
  130  interrupted; the next run goes on where this one stopped`

const convertExample = `  flowq convert s3://my-log-bucket/AWSLogs/ --out ./flowq-data
  flowq convert s3://bucket/prefix --endpoint-url http://127.0.0.1:9000 --region us-east-1
  flowq convert ./downloaded-archives --out ./flowq-data --since 2026-11-01 --until 2026-11-08`

func newConvertCmd(g *globalOptions) *cobra.Command {
	o := &convertOptions{}
	cmd := &cobra.Command{
		Use:     "convert SOURCE...",
		Short:   "Convert flow-log archives from S3 or a folder into a Parquet dataset",
		Long:    convertLong,
		Example: convertExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConvert(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", defaultDataDir(), "dataset folder to write; $FLOWQ_DATA when set")
	f.StringVar(&o.since, "since", "", "convert only objects whose key dates may hold records from this time on: a date, an RFC 3339 time or a duration such as 7d")
	f.StringVar(&o.until, "until", "", "convert only objects whose key dates may hold records before this time")
	f.IntVar(&o.workers, "workers", 0, "objects converted at once (default: the number of CPUs)")
	f.StringVar(&o.memory, "memory-limit", "256MiB", "memory for buffered rows; more gives fewer, larger files")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, even on a terminal")
	o.s3.add(f)
	return cmd
}

func runConvert(ctx context.Context, g *globalOptions, o *convertOptions, args []string) error {
	now := time.Now()
	since, err := parseTimeBound("since", o.since, now)
	if err != nil {
		return err
	}
	until, err := parseTimeBound("until", o.until, now)
	if err != nil {
		return err
	}
	budget, err := parseSize("memory-limit", o.memory)
	if err != nil {
		return err
	}
	if s3store.IsURL(o.out) {
		return usageError(fmt.Errorf("invalid --out %q: convert writes a local folder; convert there, then copy the folder to S3 (for example with aws s3 sync)", o.out))
	}
	src, err := openSource(ctx, args, o.s3)
	if err != nil {
		return err
	}
	// A soft limit a little above the budget makes the garbage collector
	// work harder before the process outgrows it.
	debug.SetMemoryLimit(budget + budget/2)
	counters := &convert.Counters{}
	cfg := convert.Config{Out: o.out, Workers: o.workers, Since: since, Until: until,
		MemoryBudget: budget, Logger: g.logger, Counters: counters}

	stop := startProgress(g, counters, !o.noProgress)
	sum, err := convert.Run(ctx, src, cfg)
	stop()
	// A run that failed before it converted anything has no summary worth
	// printing, because the error describes what went wrong.
	if sum != nil && (err == nil || sum.ObjectsConverted+sum.ObjectsFailed > 0) {
		printConvertSummary(g.stderr, g.logger, g.logFormat == "json", sum)
	}
	if err != nil {
		return err
	}
	if sum.ObjectsFailed > 0 || sum.RowsRejected > 0 {
		return &statusError{code: exitPartial, silent: true}
	}
	return nil
}

// openSource turns the command's arguments into a source: one S3 URL, or
// local folders and files.
func openSource(ctx context.Context, args []string, f s3Flags) (convert.Source, error) {
	var urls int
	for _, a := range args {
		if s3store.IsURL(a) {
			urls++
		}
	}
	if urls == 0 {
		src, err := convert.NewLocalSource(args...)
		if err != nil {
			return nil, usageError(err)
		}
		return src, nil
	}
	if urls != 1 || len(args) != 1 {
		return nil, usageError(errors.New("give one s3:// URL, or local folders and files, not both"))
	}
	bucket, prefix, err := s3store.ParseURL(args[0])
	if err != nil {
		return nil, usageError(err)
	}
	client, err := s3store.NewClient(ctx, f.config())
	if err != nil {
		return nil, err
	}
	return convert.NewS3Source(client, bucket, prefix), nil
}

// printConvertSummary writes the final report of a conversion.
func printConvertSummary(w io.Writer, log interface {
	Info(string, ...any)
}, asJSON bool, s *convert.Summary) {
	if asJSON {
		log.Info("conversion summary", "summary", s)
		return
	}
	secs := s.Duration.Seconds()
	fmt.Fprintf(w, "\nConverted %d of %d objects from %s in %s\n", s.ObjectsConverted, s.ObjectsListed, s.Source, s.Duration.Round(time.Millisecond))
	fmt.Fprintf(w, "  rows written    %d", s.Rows)
	for _, t := range slices.Sorted(maps.Keys(s.RowsByTable)) {
		fmt.Fprintf(w, "  (%s %d)", t, s.RowsByTable[t])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  rows rejected   %d\n", s.RowsRejected)
	fmt.Fprintf(w, "  bytes in        %s", humanBytes(s.BytesIn))
	if secs > 0 {
		fmt.Fprintf(w, "  (%s/s)", humanBytes(int64(float64(s.BytesIn)/secs)))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  bytes out       %s in %d files\n", humanBytes(s.BytesOut), s.FilesWritten)
	if s.ObjectsUnchanged > 0 {
		fmt.Fprintf(w, "  unchanged       %d objects converted by an earlier run\n", s.ObjectsUnchanged)
	}
	if s.ObjectsOutOfRange > 0 {
		fmt.Fprintf(w, "  out of range    %d objects outside --since/--until\n", s.ObjectsOutOfRange)
	}
	for _, reason := range slices.Sorted(maps.Keys(s.ObjectsSkipped)) {
		fmt.Fprintf(w, "  skipped         %d objects: %s\n", s.ObjectsSkipped[reason], reason)
	}
	if s.ObjectsChanged > 0 {
		fmt.Fprintf(w, "  changed         %d objects changed since an earlier run; their earlier rows were replaced\n", s.ObjectsChanged)
	}
	for _, field := range slices.Sorted(maps.Keys(s.UnknownFields)) {
		fmt.Fprintf(w, "  unknown field   %q kept as a string column (first seen in %s)\n", field, s.UnknownFields[field])
	}
	if s.ObjectsFailed > 0 {
		fmt.Fprintf(w, "  failed          %d objects contributed no rows:\n", s.ObjectsFailed)
		for i, f := range s.Failures {
			if i == 20 {
				fmt.Fprintf(w, "    … and %d more (run with --log-format json for all)\n", len(s.Failures)-i)
				break
			}
			fmt.Fprintf(w, "    %s: %s\n", f.Key, f.Error)
		}
	}
	if s.RowsRejected > 0 {
		fmt.Fprintf(w, "  rejected lines are in %s/%s\n", s.Out, "_flowq/rejects/")
	}
	fmt.Fprintf(w, "Dataset: %s\n", s.Out)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
