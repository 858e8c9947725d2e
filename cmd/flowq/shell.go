package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/chzyer/readline"

	"github.com/flowq/flowq/query"
)

// lineReader reads the shell's input a line at a time. readline.Instance
// implements it on a terminal; tests use a scripted reader.
type lineReader interface {
	// Readline returns the next line without its newline. It returns
	// readline.ErrInterrupt when the user pressed Ctrl-C, and io.EOF at the
	// end of input.
	Readline() (string, error)
	SetPrompt(prompt string)
}

const (
	shellPrompt     = "flowq> "
	shellContinue   = "  ...> "
	shellHistoryMax = 1000
)

// shell is the interactive SQL console: it reads statements that may span
// lines until a ';', runs them, and handles dot commands.
type shell struct {
	engine *query.Engine
	in     lineReader
	out    io.Writer
	errOut io.Writer
	format query.Format
	timer  bool
	// width returns the terminal's width for tables, or 0.
	width func() int
	// statementContext returns the context of one statement: Ctrl-C
	// cancels it, and only it, while the statement runs.
	statementContext func(parent context.Context) (context.Context, context.CancelFunc)
	closeFn          func() error
}

// newTerminalShell builds the shell on the process's terminal, with line
// editing and a history file in the user's cache folder.
func newTerminalShell(g *globalOptions, engine *query.Engine) (*shell, error) {
	cfg := &readline.Config{
		Prompt:          shellPrompt,
		HistoryLimit:    shellHistoryMax,
		InterruptPrompt: "^C",
		EOFPrompt:       ".quit",
		Stdout:          g.stdout,
		Stderr:          g.stderr,
	}
	if dir, err := os.UserCacheDir(); err == nil {
		if err := os.MkdirAll(filepath.Join(dir, "flowq"), 0o755); err == nil {
			cfg.HistoryFile = filepath.Join(dir, "flowq", "sql_history")
		}
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, fmt.Errorf("start the interactive shell: %w", err)
	}
	return &shell{
		engine: engine, in: rl, out: g.stdout, errOut: g.stderr,
		format:           query.FormatTable,
		width:            func() int { return terminalWidth(g.stdout) },
		statementContext: interruptContext,
		closeFn:          rl.Close,
	}, nil
}

// interruptContext returns a context that SIGINT cancels until stop is
// called. The shell runs on a parent that SIGINT does not cancel, so
// Ctrl-C stops the statement and the shell goes on.
func interruptContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func (s *shell) close() {
	if s.closeFn != nil {
		s.closeFn()
	}
}

// run reads and runs statements until .quit or the end of input. Errors of
// statements are printed and the shell goes on.
func (s *shell) run(ctx context.Context) error {
	// The process's context is cancelled by the first Ctrl-C; the shell
	// outlives it and cancels single statements instead.
	base := context.WithoutCancel(ctx)
	fmt.Fprintln(s.out, `flowq SQL shell: end statements with ";", type .help for help, .quit to leave.`)
	var pending strings.Builder
	for {
		if pending.Len() == 0 {
			s.in.SetPrompt(shellPrompt)
		} else {
			s.in.SetPrompt(shellContinue)
		}
		line, err := s.in.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			pending.Reset()
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the shell's input: %w", err)
		}
		if pending.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), ".") {
			quit, err := s.command(base, strings.TrimSpace(line))
			if err != nil {
				fmt.Fprintln(s.errOut, "Error: "+err.Error())
			}
			if quit {
				return nil
			}
			continue
		}
		pending.WriteString(line)
		pending.WriteString("\n")
		if !query.Complete(pending.String()) {
			continue
		}
		script := pending.String()
		pending.Reset()
		s.execute(base, script)
	}
}

// execute runs one or more complete statements and prints every result.
func (s *shell) execute(base context.Context, script string) {
	ctx, stop := s.statementContext(base)
	defer stop()
	start := time.Now()
	err := s.engine.Run(ctx, script, func(rows *query.Rows) error {
		if !rows.HasResultSet() {
			for rows.Next() {
			}
			return rows.Err()
		}
		rw, err := query.NewResultWriter(s.format, s.out, query.WriterOptions{Width: s.width(), Footer: s.format == query.FormatTable})
		if err != nil {
			return err
		}
		_, err = query.WriteResult(rows, rw)
		return err
	})
	if err != nil {
		fmt.Fprintln(s.errOut, "Error: "+sqlError(err).Error())
	}
	if s.timer {
		fmt.Fprintf(s.out, "Run time: %s\n", time.Since(start).Round(time.Millisecond))
	}
}

const shellHelp = `Statements end with ";" and may span lines. Ctrl-C cancels the running
statement, or the statement being typed; Ctrl-D or .quit leaves.

.tables            list the views and tables
.schema [NAME]     show the columns of a view or table (default: flows and tgw_flows)
.format NAME       output format: table, csv, tsv, json, ndjson or markdown
.timer on|off      print the run time of each statement
.help              show this help
.quit              leave the shell

Views: flows, tgw_flows. Macros:`

// command runs a dot command and reports whether the shell should end.
func (s *shell) command(ctx context.Context, line string) (quit bool, err error) {
	fields := strings.Fields(line)
	name, args := fields[0], fields[1:]
	switch name {
	case ".quit", ".exit", ".q":
		return true, nil
	case ".help":
		fmt.Fprintln(s.out, shellHelp)
		for _, m := range query.Macros {
			fmt.Fprintf(s.out, "  %-20s %s\n", m.Name, m.Description)
		}
		return false, nil
	case ".tables":
		s.execute(ctx, `SELECT table_name AS name, lower(table_type) AS type
FROM information_schema.tables ORDER BY table_name;`)
		return false, nil
	case ".schema":
		names := args
		if len(names) == 0 {
			names = []string{"flows", "tgw_flows"}
		}
		for _, n := range names {
			fmt.Fprintln(s.out, n+":")
			s.execute(ctx, fmt.Sprintf("SELECT column_name AS column, column_type AS type FROM (DESCRIBE %s);", quoteSQLIdent(n)))
		}
		return false, nil
	case ".format", ".mode":
		if len(args) != 1 {
			return false, errors.New("usage: .format table|csv|tsv|json|ndjson|markdown")
		}
		f, err := query.ParseFormat(args[0])
		if err != nil {
			return false, err
		}
		if f == query.FormatParquet {
			return false, errors.New("the shell cannot print Parquet: use COPY (query) TO 'file.parquet' or flowq sql --format parquet --out FILE")
		}
		s.format = f
		return false, nil
	case ".timer":
		if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
			return false, errors.New("usage: .timer on|off")
		}
		s.timer = args[0] == "on"
		return false, nil
	}
	return false, fmt.Errorf("unknown command %q: type .help for the list", name)
}

// quoteSQLIdent quotes a table name for SQL.
func quoteSQLIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
