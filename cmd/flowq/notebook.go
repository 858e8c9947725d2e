package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowq/flowq/internal/s3store"
	"github.com/flowq/flowq/notebooks"
	"github.com/flowq/flowq/query"
)

type notebookRunOptions struct {
	data         string
	since, until string
	accounts     []string
	regions      []string
	params       []string
	format       string
	out          string
	maxRows      int
	memoryLimit  string
	threads      int
	cacheDir     string
	s3           s3Flags
}

const notebookLong = `Run investigation notebooks: Markdown files of prose and fenced sql cells
whose results become tables and charts.

A cell's fence names it and may ask for a chart:

  ` + "```sql name=top_dst chart=bar x=dstaddr y=bytes" + `

Cells take {{since}}, {{until}} and the parameters given with --param
name=value, always written into the SQL as literals, and a later cell can
select from an earlier cell by its name. --data may be s3://bucket/prefix,
fetched into a cache folder as flowq sql does. See docs/notebooks.md.

Built-in notebooks (flowq notebook list): exfiltration, rejected,
exposure, host (needs --param ip=ADDRESS) and athena.`

const notebookRunLong = `Run a built-in notebook by name, or a notebook file, over the dataset.

The cells run in order on one DuckDB session. A cell that fails shows its
error in place, the other cells still run, and the command exits with
status 9 after writing the output.

Output: Markdown on standard output by default. --out FILE picks the format
from the extension (.md, .html or .json) and --format overrides it. HTML is
one self-contained page with inline CSS and SVG charts and no script; JSON
holds every cell's columns and rows, NULL as null and big integers exact.

Exit statuses:
  0    success
  1    the command failed
  2    invalid flag, argument or parameter, or an invalid notebook
  5    no data: the dataset is missing or empty, or holds nothing in the
       requested range, accounts and regions
  9    a notebook cell failed; the output shows which and why
  130  interrupted`

const notebookRunExample = `  flowq notebook run exfiltration --since 24h --out exfil.html
  flowq notebook run host --param ip=10.0.3.30 --since 7d --out host.md
  flowq notebook run ./investigation.md --param cidr=10.0.3.0/24 --format json`

func newNotebookCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notebook",
		Short: "Run investigation notebooks of prose and SQL cells to HTML, Markdown or JSON",
		Long:  notebookLong,
	}
	cmd.AddCommand(newNotebookListCmd(g), newNotebookRunCmd(g))
	return cmd
}

func newNotebookListCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in notebooks with their titles and parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNotebookList(g.stdout)
		},
	}
}

func newNotebookRunCmd(g *globalOptions) *cobra.Command {
	o := &notebookRunOptions{}
	cmd := &cobra.Command{
		Use:     "run NAME|FILE",
		Short:   "Run a built-in notebook or a notebook file",
		Long:    notebookRunLong,
		Example: notebookRunExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNotebook(cmd.Context(), g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.data, "data", "d", defaultDataDir(), "dataset folder, or s3://bucket/prefix; $FLOWQ_DATA when set")
	f.StringVar(&o.since, "since", "", "keep records that end at or after this time: a date, an RFC 3339 time or a duration before now such as 24h or 7d")
	f.StringVar(&o.until, "until", "", "keep records that start before this time (same forms as --since)")
	f.StringSliceVar(&o.accounts, "account", nil, "keep only these account ids (repeat or separate with commas)")
	f.StringSliceVar(&o.regions, "region", nil, "keep only these flow-log regions, such as us-east-1 (repeat or separate with commas)")
	f.StringArrayVarP(&o.params, "param", "p", nil, "set a notebook parameter as name=value (repeat for more)")
	f.StringVar(&o.format, "format", "", "output format: markdown, html or json (default: from the --out extension, else markdown)")
	f.StringVarP(&o.out, "out", "o", "", "write the output to this file instead of standard output")
	f.IntVar(&o.maxRows, "max-rows", notebooks.DefaultMaxRows, "rows of each cell shown in the output; the row count is always exact")
	f.StringVar(&o.memoryLimit, "memory-limit", "", "DuckDB memory limit, such as 4GB (default: 80% of the machine's memory)")
	f.IntVar(&o.threads, "threads", 0, "DuckDB worker threads (default: one per CPU core)")
	f.StringVar(&o.cacheDir, "cache-dir", "", "folder for partitions fetched from S3 (default: flowq/s3 in the user cache folder)")
	f.StringVar(&o.s3.region, "s3-region", "", "AWS region of the bucket of an s3:// --data (default: from the AWS configuration, else us-east-1)")
	f.StringVar(&o.s3.profile, "profile", "", "AWS shared-configuration profile to take credentials from")
	f.StringVar(&o.s3.endpointURL, "endpoint-url", "", "URL of an S3-compatible endpoint, such as http://127.0.0.1:9000; turns on path-style addressing")
	f.BoolVar(&o.s3.noSignRequest, "no-sign-request", false, "send unsigned requests, for public buckets")
	return cmd
}

// runNotebookList prints the built-in notebooks: name, title and parameters.
func runNotebookList(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTITLE\tPARAMETERS")
	for _, name := range notebooks.BuiltinNames() {
		nb, err := notebooks.Builtin(name)
		if err != nil {
			return fmt.Errorf("built-in notebook %q: %w", name, err)
		}
		var params []string
		for _, p := range nb.Params {
			switch {
			case p.Required:
				params = append(params, p.Name+" (required)")
			default:
				params = append(params, p.Name+"="+p.Default)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, nb.DisplayTitle(), strings.Join(params, ", "))
	}
	return tw.Flush()
}

func runNotebook(ctx context.Context, g *globalOptions, o *notebookRunOptions, target string) error {
	since, until, err := parseRange(o.since, o.until, time.Now())
	if err != nil {
		return err
	}
	memoryLimit, err := checkEngineFlags(o.memoryLimit, o.threads)
	if err != nil {
		return err
	}
	o.memoryLimit = memoryLimit
	if o.maxRows < 1 {
		return usageError(fmt.Errorf("invalid --max-rows %d: give 1 or more", o.maxRows))
	}
	format, err := o.outputFormat()
	if err != nil {
		return err
	}
	params, err := parseNotebookParams(o.params)
	if err != nil {
		return err
	}
	nb, err := loadNotebook(target)
	if err != nil {
		return err
	}

	opts := query.Options{Data: o.data, Since: since, Until: until, Accounts: o.accounts,
		Regions: o.regions, MemoryLimit: o.memoryLimit, Threads: o.threads}
	if s3store.IsURL(o.data) {
		// The S3 fetch is the one flowq sql does, with the same flags.
		fetch := &sqlOptions{data: o.data, cacheDir: o.cacheDir, s3: o.s3}
		cache, err := fetch.syncS3(ctx, g, opts)
		if err != nil {
			return err
		}
		opts.Data = cache
		opts.Protect = []string{cache}
	}
	engine, err := query.Open(ctx, opts)
	if err != nil {
		return sqlError(err)
	}
	defer engine.Close()
	if o.out != "" {
		if err := engine.CheckWritePath(o.out); err != nil {
			return sqlError(err)
		}
	}

	start := time.Now()
	res, runErr := notebooks.Run(ctx, engine, nb, notebooks.RunOptions{Params: params, MaxRows: o.maxRows})
	switch {
	case errors.Is(runErr, notebooks.ErrParam):
		return usageError(runErr)
	case runErr != nil && res == nil:
		return sqlError(runErr)
	}
	g.logger.Info("ran notebook", "notebook", nb.Name, "cells", len(res.Cells), "failed", len(res.Failed()),
		"duration", time.Since(start).Round(time.Millisecond))

	if err := writeNotebookOutput(g.stdout, o.out, res, format); err != nil {
		return err
	}
	if runErr != nil {
		for _, cr := range res.Failed() {
			g.logger.Error("notebook cell failed", "notebook", nb.Name, "cell", cr.Cell.Table(), "line", cr.Cell.Line, "error", cr.Err)
		}
		return &statusError{code: exitNotebookCell, err: runErr}
	}
	return nil
}

// outputFormat returns --format, else the format of the --out extension,
// else Markdown.
func (o *notebookRunOptions) outputFormat() (notebooks.OutputFormat, error) {
	if o.format != "" {
		f, err := notebooks.ParseOutputFormat(o.format)
		if err != nil {
			return "", usageError(fmt.Errorf("invalid --format: %w", err))
		}
		return f, nil
	}
	if o.out == "" {
		return notebooks.OutputMarkdown, nil
	}
	f, err := notebooks.OutputFormatForPath(o.out)
	if err != nil {
		return "", usageError(fmt.Errorf("invalid --out: %w", err))
	}
	return f, nil
}

// parseNotebookParams reads the --param name=value flags.
func parseNotebookParams(flags []string) (map[string]string, error) {
	params := map[string]string{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, usageError(fmt.Errorf("invalid --param %q: write name=value, such as ip=10.0.3.30", f))
		}
		if _, dup := params[name]; dup {
			return nil, usageError(fmt.Errorf("invalid --param %q: parameter %q is given twice", f, name))
		}
		params[name] = value
	}
	return params, nil
}

// loadNotebook parses a notebook file, or the built-in notebook of that
// name when target is not a path to a file.
func loadNotebook(target string) (*notebooks.Notebook, error) {
	isPath := strings.ContainsAny(target, `/\`) || strings.HasSuffix(strings.ToLower(target), ".md")
	if !isPath {
		nb, err := notebooks.Builtin(target)
		if err != nil {
			return nil, usageError(fmt.Errorf("%w; run a file with a path such as ./%s.md", err, target))
		}
		return nb, nil
	}
	src, err := os.ReadFile(target)
	if err != nil {
		return nil, usageError(fmt.Errorf("read notebook %q: %w", target, err))
	}
	nb, err := notebooks.Parse(target, src)
	if err != nil {
		return nil, usageError(err)
	}
	return nb, nil
}

// writeNotebookOutput renders the result to path, or to w when path is "".
// The file is written whole or not at all.
func writeNotebookOutput(w io.Writer, path string, res *notebooks.Result, format notebooks.OutputFormat) error {
	var buf bytes.Buffer
	if err := notebooks.Write(&buf, res, format); err != nil {
		return fmt.Errorf("render notebook %q as %s: %w", res.Notebook.Name, format, err)
	}
	if path == "" {
		_, err := w.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write notebook output %q: %w", path, err)
	}
	return nil
}
