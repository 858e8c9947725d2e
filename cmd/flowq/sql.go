package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/flowq/flowq/internal/s3store"
	"github.com/flowq/flowq/query"
)

type sqlOptions struct {
	data         string
	since, until string
	accounts     []string
	regions      []string
	format       string
	out          string
	file         string
	all          bool
	memoryLimit  string
	threads      int
	cacheDir     string
	s3           s3Flags

	// stdin is the input of scripts and of the shell; nil means os.Stdin.
	stdin io.Reader
	// interactive forces the shell on or off; nil means: when stdin and
	// stdout are terminals and no SQL is given.
	interactive *bool
}

const sqlLong = `Run SQL on the dataset with an embedded DuckDB, instead of Athena.

The views flows (VPC flow logs) and tgw_flows (Transit Gateway flow logs)
have one column per flow-log field, with '-' replaced by '_' (srcaddr,
dstport, log_status, tcp_flags, ...), the partition columns account_id,
region, date (DATE, the UTC day of start) and hour (INTEGER),
start_time and end_time, the start and end as UTC timestamps, and
src_private and dst_private, is_private of srcaddr and dstaddr as stored
by the converter: filter on them rather than calling is_private on every
row. source_key, flow_log_id and file_time name the object of each row.

--since and --until keep the records whose [start, end] overlaps
[since, until): only the partition folders of those hours, and of the hour
before for records that start earlier, are opened. --account and --region
select partition folders the same way.

Macros: is_private(ip), in_cidr(ip, cidr), protocol_name(n),
tcp_flag_names(n), service_port(n), host_port(ip, port), ipv4_to_int(ip),
ipv6_to_int(ip).

SQL comes from the argument, from -f FILE, or from standard input. Several
statements separated by ';' run in order; only the last result is printed
unless --all is given. With no SQL on a terminal, an interactive shell
starts (type .help there).

Output formats (--format): table (the default on a terminal), csv (the
default otherwise), tsv, json (one array), ndjson, markdown, and parquet
(needs --out). NULL is an empty cell in CSV and null in JSON; timestamps
are ISO 8601 in UTC; big integers keep every digit.

--data may be s3://bucket/prefix: the partitions that the filters select
are downloaded into a cache folder (--cache-dir), checked by ETag, and
queried there; a second run downloads only what changed.

The dataset is never changed: COPY into the dataset folder, ATTACH,
INSTALL and LOAD are rejected. Ctrl-C stops the running statement.

Exit statuses:
  0    success
  1    the command failed
  2    invalid flag or argument
  4    SQL error: the statement is invalid (syntax, unknown column or
       table, failed cast) or was rejected as a write to the dataset
  5    no data: the dataset is missing or empty, or holds nothing in the
       requested range, accounts and regions
  6    DuckDB ran out of memory: raise --memory-limit or narrow the range
  7    a data file could not be read (missing, unreadable or corrupt)
  130  interrupted`

const sqlExample = `  flowq sql "SELECT dstaddr, sum(bytes) AS bytes FROM flows WHERE action = 'ACCEPT' GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
  flowq sql --since 24h --format csv -f investigation.sql > out.csv
  flowq sql --data s3://bucket/flowq-data --since 2026-11-01 --until 2026-11-02 "SELECT count(*) FROM flows"
  flowq sql --format parquet --out accepted.parquet "SELECT * FROM flows WHERE action = 'ACCEPT'"
  flowq sql                                   # interactive shell on a terminal`

func newSQLCmd(g *globalOptions) *cobra.Command {
	o := &sqlOptions{}
	cmd := &cobra.Command{
		Use:     "sql [SQL]",
		Short:   "Query the dataset with SQL, or open an interactive SQL shell",
		Long:    sqlLong,
		Example: sqlExample,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSQL(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.data, "data", "d", defaultDataDir(), "dataset folder, or s3://bucket/prefix; $FLOWQ_DATA when set")
	f.StringVar(&o.since, "since", "", "keep records that end at or after this time: a date, an RFC 3339 time or a duration before now such as 24h or 7d")
	f.StringVar(&o.until, "until", "", "keep records that start before this time (same forms as --since)")
	f.StringSliceVar(&o.accounts, "account", nil, "keep only these account ids (repeat or separate with commas)")
	f.StringSliceVar(&o.regions, "region", nil, "keep only these flow-log regions, such as us-east-1 (repeat or separate with commas)")
	f.StringVar(&o.format, "format", "", "output format: table, csv, tsv, json, ndjson, markdown or parquet (default: table on a terminal, else csv)")
	f.StringVarP(&o.out, "out", "o", "", "write the result to this file instead of standard output; required by --format parquet")
	f.StringVarP(&o.file, "file", "f", "", "read the SQL from this file; - is standard input")
	f.BoolVar(&o.all, "all", false, "print the result of every statement, not only the last")
	f.StringVar(&o.memoryLimit, "memory-limit", "", "DuckDB memory limit, such as 4GB (default: 80% of the machine's memory)")
	f.IntVar(&o.threads, "threads", 0, "DuckDB worker threads (default: one per CPU core)")
	f.StringVar(&o.cacheDir, "cache-dir", "", "folder for partitions fetched from S3 (default: flowq/s3 in the user cache folder)")
	f.StringVar(&o.s3.region, "s3-region", "", "AWS region of the bucket of an s3:// --data (default: from the AWS configuration, else us-east-1)")
	f.StringVar(&o.s3.profile, "profile", "", "AWS shared-configuration profile to take credentials from")
	f.StringVar(&o.s3.endpointURL, "endpoint-url", "", "URL of an S3-compatible endpoint, such as http://127.0.0.1:9000; turns on path-style addressing")
	f.BoolVar(&o.s3.noSignRequest, "no-sign-request", false, "send unsigned requests, for public buckets")
	return cmd
}

// sqlSource is the SQL to run and where it came from.
type sqlSource struct {
	text  string
	shell bool
}

func runSQL(ctx context.Context, g *globalOptions, o *sqlOptions, args []string) error {
	since, until, err := parseRange(o.since, o.until, time.Now())
	if err != nil {
		return err
	}
	memoryLimit, err := checkEngineFlags(o.memoryLimit, o.threads)
	if err != nil {
		return err
	}
	o.memoryLimit = memoryLimit
	format, err := o.outputFormat(g)
	if err != nil {
		return err
	}
	src, err := o.readSQL(g, args)
	if err != nil {
		return err
	}

	opts := query.Options{Data: o.data, Since: since, Until: until, Accounts: o.accounts, Regions: o.regions,
		MemoryLimit: o.memoryLimit, Threads: o.threads}
	if s3store.IsURL(o.data) {
		cache, err := o.syncS3(ctx, g, opts)
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

	if src.shell {
		sh, err := newTerminalShell(g, engine)
		if err != nil {
			return err
		}
		defer sh.close()
		return sh.run(ctx)
	}
	if format == query.FormatParquet {
		if _, err := engine.CopyToParquet(ctx, src.text, o.out); err != nil {
			return sqlError(err)
		}
		return nil
	}
	return o.printResults(ctx, g, engine, src.text, format)
}

// outputFormat returns the --format, or table on a terminal and csv elsewhere.
func (o *sqlOptions) outputFormat(g *globalOptions) (query.Format, error) {
	if o.format == "" {
		if o.out == "" && isTerminal(g.stdout) {
			return query.FormatTable, nil
		}
		return query.FormatCSV, nil
	}
	f, err := query.ParseFormat(o.format)
	if err != nil {
		return "", usageError(fmt.Errorf("invalid --format: %w", err))
	}
	if f == query.FormatParquet && o.out == "" {
		return "", usageError(errors.New("--format parquet writes a file: give it with --out FILE"))
	}
	return f, nil
}

// readSQL takes the SQL from the argument, -f or standard input, or
// chooses the interactive shell.
func (o *sqlOptions) readSQL(g *globalOptions, args []string) (sqlSource, error) {
	if len(args) == 1 && o.file != "" {
		return sqlSource{}, usageError(errors.New("give the SQL as an argument or with -f, not both"))
	}
	if len(args) == 1 {
		return sqlSource{text: args[0]}, nil
	}
	stdin := o.stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	if o.file != "" && o.file != "-" {
		b, err := os.ReadFile(o.file)
		if err != nil {
			return sqlSource{}, usageError(fmt.Errorf("read SQL file %q: %w", o.file, err))
		}
		return sqlSource{text: string(b)}, nil
	}
	interactive := o.file == "" && isTerminal(stdin) && isTerminal(g.stdout)
	if o.interactive != nil {
		interactive = *o.interactive
	}
	if interactive {
		return sqlSource{shell: true}, nil
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return sqlSource{}, fmt.Errorf("read SQL from standard input: %w", err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return sqlSource{}, usageError(errors.New("no SQL given: pass it as an argument, with -f FILE or on standard input"))
	}
	return sqlSource{text: string(b)}, nil
}

// printResults runs the statements and writes the last result, or every
// result with --all, to stdout or --out.
func (o *sqlOptions) printResults(ctx context.Context, g *globalOptions, engine *query.Engine, sqlText string, format query.Format) error {
	w := g.stdout
	width := terminalWidth(g.stdout)
	if o.out != "" {
		if err := engine.CheckWritePath(o.out); err != nil {
			return sqlError(err)
		}
		// Write under a temporary name and rename on success, so that a
		// failed statement leaves no partial file behind.
		f, err := os.CreateTemp(filepath.Dir(o.out), "."+filepath.Base(o.out)+".*.tmp")
		if err != nil {
			return fmt.Errorf("create output file %q: %w", o.out, err)
		}
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("create output file %q: %w", o.out, err)
		}
		done := false
		defer func() {
			f.Close()
			if !done {
				os.Remove(f.Name())
			}
		}()
		if err := o.runStatements(ctx, engine, sqlText, format, f, 0); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write output file %q: %w", o.out, err)
		}
		if err := os.Rename(f.Name(), o.out); err != nil {
			return fmt.Errorf("write output file %q: %w", o.out, err)
		}
		done = true
		return nil
	}
	return o.runStatements(ctx, engine, sqlText, format, w, width)
}

// runStatements runs the statements and writes the last result, or every
// result with --all, to w.
func (o *sqlOptions) runStatements(ctx context.Context, engine *query.Engine, sqlText string, format query.Format, w io.Writer, width int) error {
	count := len(query.SplitStatements(sqlText))
	err := engine.Run(ctx, sqlText, func(rows *query.Rows) error {
		last := rows.Statement() == 0 || rows.Statement() == count
		if !last && !o.all {
			for rows.Next() {
			}
			return rows.Err()
		}
		if !rows.HasResultSet() && !last {
			return nil
		}
		rw, err := query.NewResultWriter(format, w, query.WriterOptions{Width: width, Footer: format == query.FormatTable && isTerminal(w)})
		if err != nil {
			return err
		}
		_, err = query.WriteResult(rows, rw)
		return err
	})
	if err != nil {
		return sqlError(err)
	}
	return nil
}

// syncS3 fetches the partitions that opts selects from an s3:// --data into
// the cache folder and returns the folder.
func (o *sqlOptions) syncS3(ctx context.Context, g *globalOptions, opts query.Options) (string, error) {
	bucket, prefix, err := s3store.ParseURL(o.data)
	if err != nil {
		return "", usageError(fmt.Errorf("invalid --data: %w", err))
	}
	cache := o.cacheDir
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", usageError(fmt.Errorf("no user cache folder (%v): give one with --cache-dir", err))
		}
		cache = filepath.Join(base, "flowq", "s3", bucket, filepath.FromSlash(strings.Trim(prefix, "/")))
	}
	client, err := s3store.NewClient(ctx, o.s3.config())
	if err != nil {
		return "", err
	}
	start := time.Now()
	stats, err := query.SyncS3(ctx, client, query.SyncOptions{
		Bucket: bucket, Prefix: prefix, CacheDir: cache,
		Filter: query.Filter{Since: opts.Since, Until: opts.Until, Accounts: opts.Accounts, Regions: opts.Regions},
	})
	if err != nil {
		return "", fmt.Errorf("fetch the dataset from %q: %w", o.data, err)
	}
	g.logger.Info("fetched dataset partitions from S3", "url", o.data, "cache", cache,
		"partitions", stats.Partitions, "objects", stats.Objects, "downloaded", stats.Downloaded,
		"cached", stats.Cached, "removed", stats.Removed, "bytes", stats.Bytes, "duration", time.Since(start).Round(time.Millisecond))
	return cache, nil
}

// sqlError gives a query error the exit status and wording of its kind.
func sqlError(err error) error {
	switch query.KindOf(err) {
	case query.KindSyntax, query.KindBinder, query.KindQuery, query.KindReadOnly:
		return &statusError{code: exitSQL, err: fmt.Errorf("SQL error: %w", err)}
	case query.KindNoData:
		return &statusError{code: exitNoData, err: err}
	case query.KindOutOfMemory:
		return &statusError{code: exitOutOfMemory, err: fmt.Errorf("%w\nDuckDB ran out of memory: raise --memory-limit, narrow --since/--until, or aggregate more in SQL", err)}
	case query.KindIO:
		return &statusError{code: exitIO, err: fmt.Errorf("cannot read the dataset: %w", err)}
	case query.KindInterrupted:
		return &statusError{code: exitInterrupted, err: err}
	}
	return err
}

// isTerminal reports whether v is a file attached to a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth returns the width of the terminal behind w, or 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}
