package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command takes.
type globalOptions struct {
	logLevel  string
	logFormat string
	stdout    io.Writer
	stderr    io.Writer
	// stderrFile is stderr when it is a file, for terminal detection.
	stderrFile *os.File
	logger     *slog.Logger
}

const rootLong = `flowq converts VPC flow-log archives from S3 or a local folder into a
Hive-partitioned Parquet dataset, and investigates that dataset on one machine.

Start with "flowq demo": it writes a sample archive in AWS's layout, converts it
and shows what to run next. No AWS account is needed.

Exit statuses (every command):
  0    success
  1    the command failed
  2    invalid flag, argument or setting
  3    convert: some objects failed or some lines were rejected
  4    sql: the SQL is invalid or was rejected as a write to the dataset;
       detect: a rule is invalid or failed
  5    sql, detect, notebook, report: no data in the dataset or in the
       requested range; report: the day is not yet complete
  6    sql, detect, notebook, report: DuckDB ran out of memory
  7    sql, detect, notebook, report: a data file could not be read
  8    detect: findings at or above --fail-on
  9    notebook: a notebook cell failed
  10   report: the day's egress is above --fail-over
  130  interrupted`

func newRootCmd(stdout, stderr *os.File) *cobra.Command {
	g := &globalOptions{stdout: stdout, stderr: stderr, stderrFile: stderr}
	root := &cobra.Command{
		Use:           "flowq",
		Version:       buildVersion(),
		Short:         "Convert, query and investigate VPC flow logs",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(g.stderr, g.logLevel, g.logFormat)
			if err != nil {
				return usageError(err)
			}
			g.logger = logger
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(fmt.Errorf("%w; see %q", err, cmd.CommandPath()+" --help"))
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")

	root.AddCommand(newConvertCmd(g), newDemoCmd(g), newSQLCmd(g), newDetectCmd(g))
	root.AddCommand(newNotebookCmd(g))
	root.AddCommand(newReportCmd(g))
	for _, c := range root.Commands() {
		requireSubcommand(c)
	}
	return root
}

// requireSubcommand makes every command that only groups subcommands, such
// as "flowq report", reject an unknown subcommand with exit status 2
// instead of printing its help and succeeding.
func requireSubcommand(c *cobra.Command) {
	for _, sub := range c.Commands() {
		requireSubcommand(sub)
	}
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.NoArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			return usageError(fmt.Errorf("%q needs a subcommand; see %q", cmd.CommandPath(), cmd.CommandPath()+" --help"))
		}
	}
}

// newLogger builds the logger that writes to stderr.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid --log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		// Durations read as in text logs, "1.25s", not as nanoseconds.
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				return slog.String(a.Key, a.Value.Duration().String())
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("invalid --log-format %q: use text or json", format)
}

// isFlagError reports whether err came from parsing flags or arguments.
func isFlagError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires ") || errors.Is(err, errUsage)
}

var errUsage = errors.New("usage")

// buildVersion returns the module version flowq was built as, or the
// commit of a build from a clone, or "devel".
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}
