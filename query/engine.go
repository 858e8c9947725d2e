package query

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bindings "github.com/duckdb/duckdb-go-bindings"

	"github.com/flowq/flowq/internal/dataset"
)

// Options configures an Engine. The zero value of each field means its
// default, stated on the field.
type Options struct {
	// Data is the dataset's root folder, as written by flowq convert. A
	// missing or empty folder is accepted: queries that read the views then
	// fail with an error of KindNoData that wraps ErrNoDataset.
	Data string
	// Since and Until restrict the views to records whose [start, end]
	// overlaps the half-open range [Since, Until): start < Until AND
	// end >= Since, in Unix seconds. A record without start or end uses the
	// other, and one without both is placed by its partition hour. Zero
	// means unbounded.
	Since, Until time.Time
	// Accounts and Regions restrict the views to these account ids and
	// region names. Empty means all.
	Accounts []string
	Regions  []string
	// MemoryLimit is DuckDB's memory_limit, such as "4GB" or "512MiB".
	// Default: DuckDB's own, 80% of the machine's memory.
	MemoryLimit string
	// Threads is the number of DuckDB worker threads. Default: DuckDB's
	// own, the number of CPU cores.
	Threads int
	// TempDir is the folder that DuckDB spills data to when it does not
	// fit in memory. Default: a folder flowq-duckdb in os.TempDir().
	TempDir string
	// Protect lists more folders that statements may not write into, such
	// as the S3 cache the dataset was fetched into. Data is always protected.
	Protect []string
	// AnyOrder lets DuckDB keep the rows of a query without ORDER BY in
	// any order, in results and in the tables that CREATE TABLE AS fills.
	// Large temporary tables then build faster on several threads. Leave
	// it off where users expect rows in file order.
	AnyOrder bool
}

func (o *Options) filter() Filter {
	return Filter{Since: o.Since, Until: o.Until, Accounts: o.Accounts, Regions: o.Regions}
}

func (o *Options) describeFilters() string { return o.filter().describe() }

// Engine is an embedded, in-memory DuckDB database with the views flows
// and tgw_flows over a flowq dataset and flowq's macros. It never changes
// the dataset: statements that would write into it are rejected.
//
// Query, Exec and Run use the engine's default Conn, one session, and must
// not be called from several goroutines at once. Open more sessions with
// Conn for concurrent queries.
type Engine struct {
	opts      Options
	db        bindings.Database
	plan      *Plan
	protected []string
	conn      *Conn
	// ready is set once setup has run; statements are checked from then on.
	ready bool
}

// Open plans which partitions the options select, starts DuckDB and
// defines the views and macros.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Data == "" {
		return nil, errors.New("query: no dataset folder given")
	}
	if info, err := os.Stat(opts.Data); err == nil && !info.IsDir() {
		return nil, fmt.Errorf("query: dataset path %q is a file, not a folder", opts.Data)
	}
	f := opts.filter()
	if err := f.validate(); err != nil {
		return nil, err
	}
	if opts.Threads < 0 {
		return nil, fmt.Errorf("query: invalid thread count %d: give 1 or more, or 0 for one per CPU core", opts.Threads)
	}
	if opts.TempDir == "" {
		opts.TempDir = filepath.Join(os.TempDir(), "flowq-duckdb")
	}

	e := &Engine{opts: opts}
	for _, dir := range append([]string{opts.Data}, opts.Protect...) {
		root, err := protectedRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("query: resolve folder %q: %w", dir, err)
		}
		e.protected = append(e.protected, root)
	}
	if within(resolvePath(opts.TempDir), e.protected[0]) {
		return nil, fmt.Errorf("query: temporary folder %q is inside the dataset folder %q: choose another", opts.TempDir, opts.Data)
	}

	plan, err := planDataset(opts.Data, f)
	if err != nil {
		return nil, err
	}
	e.plan = plan

	if err := e.openDB(); err != nil {
		return nil, err
	}
	conn, err := newConn(e)
	if err != nil {
		e.closeDB()
		return nil, err
	}
	e.conn = conn
	if err := e.setup(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// openDB starts an in-memory DuckDB with the settings of the options.
// Extensions are never installed or loaded automatically, so no statement
// can make DuckDB download anything.
func (e *Engine) openDB() error {
	var cfg bindings.Config
	if bindings.CreateConfig(&cfg) == bindings.StateError {
		return errors.New("query: create the DuckDB configuration")
	}
	defer bindings.DestroyConfig(&cfg)

	settings := [][2]string{
		{"autoinstall_known_extensions", "false"},
		{"autoload_known_extensions", "false"},
		{"allow_community_extensions", "false"},
		{"temp_directory", e.opts.TempDir},
	}
	if e.opts.MemoryLimit != "" {
		settings = append(settings, [2]string{"memory_limit", e.opts.MemoryLimit})
	}
	if e.opts.Threads > 0 {
		settings = append(settings, [2]string{"threads", strconv.Itoa(e.opts.Threads)})
	}
	for _, s := range settings {
		if bindings.SetConfig(cfg, s[0], s[1]) == bindings.StateError {
			return fmt.Errorf("query: invalid DuckDB setting %s %q", s[0], s[1])
		}
	}

	var errMsg string
	if bindings.OpenExt("", &e.db, cfg, &errMsg) == bindings.StateError {
		bindings.Close(&e.db)
		if strings.Contains(errMsg, "memory_limit") || strings.Contains(errMsg, "memory limit") {
			return fmt.Errorf("query: invalid memory limit %q: give a size such as 512MB or 4GB: %s", e.opts.MemoryLimit, errMsg)
		}
		return fmt.Errorf("query: start DuckDB: %s", errMsg)
	}
	return nil
}

func (e *Engine) closeDB() {
	bindings.Close(&e.db)
}

// setup defines the macros and views, then locks DuckDB's configuration so
// that no statement can turn extension downloads back on or change the
// time zone. The time zone is UTC, so TIMESTAMPTZ values print in UTC.
func (e *Engine) setup(ctx context.Context) error {
	stmts := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET TimeZone = 'UTC'",
	}
	if e.opts.AnyOrder {
		stmts = append(stmts, "SET preserve_insertion_order = false")
	}
	stmts = append(stmts, macroStatements()...)
	for _, s := range stmts {
		if err := e.conn.drain(ctx, s, 0, 1); err != nil {
			return fmt.Errorf("query: set up DuckDB: %w", err)
		}
	}
	for _, t := range dataset.Tables {
		if err := e.defineView(ctx, t); err != nil {
			return fmt.Errorf("query: set up DuckDB: %w", err)
		}
	}
	if err := e.conn.drain(ctx, "SET lock_configuration = true", 0, 1); err != nil {
		return fmt.Errorf("query: set up DuckDB: %w", err)
	}
	e.ready = true
	return nil
}

// Close closes every result and the database. Conns from Conn must be
// closed first.
func (e *Engine) Close() error {
	if e.conn != nil {
		e.conn.Close()
		e.conn = nil
	}
	e.closeDB()
	return nil
}

// Conn opens a new session on the engine's database, for concurrent
// queries or a separate set of temporary tables. Close it when done.
func (e *Engine) Conn() (*Conn, error) {
	return newConn(e)
}

// Query runs sql on the default session; see Conn.Query.
func (e *Engine) Query(ctx context.Context, sql string, args ...any) (*Rows, error) {
	return e.conn.Query(ctx, sql, args...)
}

// Exec runs sql on the default session; see Conn.Exec.
func (e *Engine) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	return e.conn.Exec(ctx, sql, args...)
}

// Run runs each statement of sql on the default session; see Conn.Run.
func (e *Engine) Run(ctx context.Context, sql string, fn func(*Rows) error) error {
	return e.conn.Run(ctx, sql, fn)
}

// Plan returns the partitions and files that the views read.
func (e *Engine) Plan() *Plan { return e.plan }

// Options returns the options the engine was opened with, defaults filled in.
func (e *Engine) Options() Options { return e.opts }

// CopyToParquet runs the statements of sql and writes the rows of the last
// one to a zstd-compressed Parquet file at path through DuckDB's COPY, so
// that the rows never pass through Go. The path must lie outside the
// dataset folder.
func (e *Engine) CopyToParquet(ctx context.Context, sql, path string) (int64, error) {
	stmts, err := splitStatements(sql)
	if err != nil {
		return 0, err
	}
	if werr := e.checkWritePath(path); werr != nil {
		return 0, werr
	}
	for i, s := range stmts[:len(stmts)-1] {
		if err := e.conn.drain(ctx, s, i+1, len(stmts)); err != nil {
			return 0, err
		}
	}
	last := stmts[len(stmts)-1]
	copySQL := fmt.Sprintf("COPY (%s\n) TO %s (FORMAT parquet, COMPRESSION zstd)", last, sqlString(path))
	return e.conn.Exec(ctx, copySQL)
}

// isDatasetView reports whether name is one of the views over the dataset.
func isDatasetView(name string) bool {
	for _, t := range dataset.Tables {
		if strings.EqualFold(name, t.Name) {
			return true
		}
	}
	return false
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// quoteIdent quotes s as an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
