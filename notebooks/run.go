package notebooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/flowq/flowq/query"
)

// DefaultMaxRows is the number of rows per cell that a Result keeps when
// RunOptions.MaxRows is 0.
const DefaultMaxRows = 1000

// RunOptions tunes Run.
type RunOptions struct {
	// Params are the parameter values by name, such as from --param.
	Params map[string]string
	// MaxRows is the number of rows kept per cell for rendering; the cell's
	// temporary table keeps all of them. Default DefaultMaxRows.
	MaxRows int
}

// Result is a notebook run: every cell's outcome, in order.
type Result struct {
	Notebook *Notebook
	// Since and Until are the engine's time range; zero is unbounded.
	Since, Until time.Time
	// Params are the values the cells used, as given or defaulted, by name.
	// since and until are left out.
	Params map[string]string
	// Cells holds one result per cell of the notebook, in order.
	Cells []*CellResult
}

// CellResult is the outcome of one cell.
type CellResult struct {
	Cell *Cell
	// SQL is the cell's SQL with the parameters written in as literals.
	SQL     string
	Columns []query.Column
	// Rows are the first rows of the result, typed as query.Rows.Values
	// returns them.
	Rows [][]any
	// RowCount is the number of rows of the whole result.
	RowCount int64
	// Err is the cell's failure, or nil.
	Err error
}

// Truncated reports whether Rows holds fewer rows than the result had.
func (c *CellResult) Truncated() bool { return int64(len(c.Rows)) < c.RowCount }

// Failed returns the cells that failed.
func (r *Result) Failed() []*CellResult {
	var failed []*CellResult
	for _, c := range r.Cells {
		if c.Err != nil {
			failed = append(failed, c)
		}
	}
	return failed
}

// Cell returns the result of the cell with the given table name, or nil.
func (r *Result) Cell(table string) *CellResult {
	for _, c := range r.Cells {
		if c.Cell.Table() == table {
			return c
		}
	}
	return nil
}

// Run runs the cells of nb in order on a new session of e, each as the
// temporary table named after the cell, and keeps the first rows of each.
// {{since}} and {{until}} take the engine's time range.
//
// A cell that fails records its error in the Result, and the next cells
// still run. A cell that reads a failed cell fails without running. Run
// then returns the complete Result with an error that wraps ErrCellFailed.
// Invalid parameters (ErrParam), no data in the engine's range
// (query.KindNoData) and cancellation stop the run and return that error
// with a nil Result.
func Run(ctx context.Context, e *query.Engine, nb *Notebook, opts RunOptions) (*Result, error) {
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	eo := e.Options()
	bindings, err := bind(nb, opts.Params, eo.Since, eo.Until)
	if err != nil {
		return nil, err
	}
	res := &Result{Notebook: nb, Since: eo.Since, Until: eo.Until, Params: map[string]string{}}
	for _, p := range nb.Params {
		res.Params[p.Name] = p.Default
	}
	for name, value := range opts.Params {
		res.Params[name] = value
	}

	conn, err := e.Conn()
	if err != nil {
		return nil, fmt.Errorf("open a session for notebook %q: %w", nb.Name, err)
	}
	defer conn.Close()

	failed := map[string]bool{}
	for _, c := range nb.Cells() {
		cr := runCell(ctx, conn, c, bindings, failed, opts.MaxRows)
		if cr.Err != nil {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("notebook %q: %w", nb.Name, cr.Err)
			}
			if k := query.KindOf(cr.Err); k == query.KindInterrupted || k == query.KindNoData {
				return nil, fmt.Errorf("notebook %q: %w", nb.Name, cr.Err)
			}
			failed[c.Table()] = true
		}
		res.Cells = append(res.Cells, cr)
	}
	if n := len(res.Failed()); n > 0 {
		names := make([]string, 0, n)
		for _, c := range res.Failed() {
			names = append(names, c.Cell.Table())
		}
		return res, fmt.Errorf("notebook %q: %d of %d cells failed (%s): %w", nb.Name, n, len(res.Cells), strings.Join(names, ", "), ErrCellFailed)
	}
	return res, nil
}

// runCell runs one cell into its temporary table and reads the table back.
func runCell(ctx context.Context, conn *query.Conn, c *Cell, b Bindings, failed map[string]bool, maxRows int) *CellResult {
	cr := &CellResult{Cell: c}
	for _, ref := range c.Refs {
		if failed[ref] {
			cr.Err = fmt.Errorf("cell %q reads cell %q, which failed", c.Table(), ref)
			return cr
		}
	}
	sql, err := substitute(c, b)
	if err != nil {
		cr.Err = err
		return cr
	}
	cr.SQL = sql

	stmts := query.SplitStatements(sql)
	if len(stmts) == 0 {
		cr.Err = fmt.Errorf("cell %q has no SQL statement", c.Table())
		return cr
	}
	table := quoteIdent(c.Table())
	script := strings.Join(stmts[:len(stmts)-1], ";\n")
	if script != "" {
		script += ";\n"
	}
	script += "CREATE OR REPLACE TEMP TABLE " + table + " AS " + stmts[len(stmts)-1]
	if _, err := conn.Exec(ctx, script); err != nil {
		cr.Err = err
		return cr
	}
	if err := readTable(ctx, conn, table, cr, maxRows); err != nil {
		cr.Err = err
		return cr
	}
	if err := checkChart(c, cr.Columns); err != nil {
		cr.Err = err
	}
	return cr
}

func readTable(ctx context.Context, conn *query.Conn, table string, cr *CellResult, maxRows int) error {
	rows, err := conn.Query(ctx, "SELECT * FROM "+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cr.Columns = rows.Columns()
	for rows.Next() {
		cr.RowCount++
		if len(cr.Rows) < maxRows {
			cr.Rows = append(cr.Rows, append([]any(nil), rows.Values()...))
		}
	}
	return rows.Err()
}

// checkChart returns an error when the chart's axes name columns that the
// result lacks.
func checkChart(c *Cell, cols []query.Column) error {
	if c.Chart.Kind == ChartNone {
		return nil
	}
	for _, name := range []string{c.Chart.X, c.Chart.Y} {
		if columnIndex(cols, name) < 0 {
			names := make([]string, len(cols))
			for i, col := range cols {
				names[i] = col.Name
			}
			return fmt.Errorf("cell %q: chart column %q is not in the result (columns: %s)", c.Table(), name, strings.Join(names, ", "))
		}
	}
	return nil
}

func columnIndex(cols []query.Column, name string) int {
	for i, col := range cols {
		if col.Name == name {
			return i
		}
	}
	return -1
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
