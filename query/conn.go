package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// Conn is one DuckDB connection of an Engine: a session whose temporary
// tables, macros and variables last until Close. The views and macros that
// the Engine defines are visible in every Conn.
//
// A Conn runs one statement at a time, and starting a statement closes the
// Rows of the previous one. Methods must not be called from several
// goroutines at once; open one Conn per goroutine with Engine.Conn.
type Conn struct {
	e *Engine

	mu     sync.Mutex // guards c, active and closed against Close from another goroutine
	c      bindings.Connection
	active *Rows
	closed bool
}

// errClosed is returned by the methods of a closed Conn or Rows.
var errClosed = errors.New("query: the connection is closed")

func newConn(e *Engine) (*Conn, error) {
	var c bindings.Connection
	if bindings.Connect(e.db, &c) == bindings.StateError {
		return nil, errors.New("query: open a DuckDB connection: the database refused it")
	}
	return &Conn{e: e, c: c}, nil
}

// Close closes the open Rows, if any, and the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closeActive()
	bindings.Disconnect(&c.c)
	c.closed = true
	return nil
}

func (c *Conn) closeActive() {
	if c.active != nil {
		c.active.release()
		c.active = nil
	}
}

// Query runs the statements of sql in order and returns the rows of the
// last one, which args bind to ($1 or ? placeholders). The rows stream from
// DuckDB chunk by chunk; close them when done. Cancelling ctx interrupts the
// running statement, and the returned error is then of KindInterrupted.
func (c *Conn) Query(ctx context.Context, sql string, args ...any) (*Rows, error) {
	stmts, err := splitStatements(sql)
	if err != nil {
		return nil, err
	}
	for i, s := range stmts[:len(stmts)-1] {
		if err := c.drain(ctx, s, i+1, len(stmts)); err != nil {
			return nil, err
		}
	}
	return c.start(ctx, stmts[len(stmts)-1], len(stmts), len(stmts), args)
}

// Exec runs the statements of sql in order, binding args to the last one,
// and returns the number of rows that the last one changed, or 0.
func (c *Conn) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var changed int64
	if rows.kind == bindings.ResultTypeChangedRows && rows.Next() {
		if n, ok := rows.Values()[0].(int64); ok {
			changed = n
		}
	}
	for rows.Next() {
	}
	return changed, rows.Err()
}

// Run runs the statements of sql in order and calls fn with the rows of
// each, including statements that return no rows (see Rows.HasResultSet).
// The rows are closed when fn returns; fn need not read them all. Run stops
// at the first error of a statement or of fn.
func (c *Conn) Run(ctx context.Context, sql string, fn func(*Rows) error) error {
	stmts, err := splitStatements(sql)
	if err != nil {
		return err
	}
	for i, s := range stmts {
		rows, err := c.start(ctx, s, i+1, len(stmts), nil)
		if err != nil {
			return err
		}
		err = fn(rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// drain runs one statement and reads its whole result.
func (c *Conn) drain(ctx context.Context, stmt string, index, count int) error {
	rows, err := c.start(ctx, stmt, index, count, nil)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	err = rows.Err()
	rows.Close()
	return err
}

// start prepares, checks and executes one statement and returns its
// streaming result.
func (c *Conn) start(ctx context.Context, stmt string, index, count int, args []any) (*Rows, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed
	}
	c.closeActive()
	position := 0
	if count > 1 {
		position = index
	}
	fail := func(err *Error) (*Rows, error) {
		err.Statement = position
		return nil, err
	}

	// The engine's own setup statements skip the checks: they define the views.
	checked := c.e.ready
	if checked {
		if err := c.e.checkStatementText(stmt); err != nil {
			return fail(err)
		}
	}

	var ps bindings.PreparedStatement
	var state bindings.State
	c.interruptible(ctx, func() { state = bindings.Prepare(c.c, stmt, &ps) })
	if state == bindings.StateError {
		msg := bindings.PrepareError(ps)
		bindings.DestroyPrepare(&ps)
		return fail(messageError(ctx, msg))
	}
	if checked {
		if err := c.e.checkStatement(bindings.PreparedStatementType(ps), stmt); err != nil {
			bindings.DestroyPrepare(&ps)
			return fail(err)
		}
		if err := c.checkData(stmt); err != nil {
			bindings.DestroyPrepare(&ps)
			return fail(err)
		}
	}
	if err := bindArgs(ps, args); err != nil {
		bindings.DestroyPrepare(&ps)
		return fail(&Error{Kind: KindBinder, Message: err.Error()})
	}

	var pending bindings.PendingResult
	if bindings.PendingPreparedStreaming(ps, &pending) == bindings.StateError {
		msg := bindings.PendingError(pending)
		bindings.DestroyPending(&pending)
		bindings.DestroyPrepare(&ps)
		return fail(messageError(ctx, msg))
	}
	var res bindings.Result
	c.interruptible(ctx, func() { state = bindings.ExecutePending(pending, &res) })
	bindings.DestroyPending(&pending)
	if state == bindings.StateError {
		err := duckError(ctx, bindings.ResultErrorType(&res), bindings.ResultError(&res))
		bindings.DestroyResult(&res)
		bindings.DestroyPrepare(&ps)
		return fail(err)
	}

	rows, err := newRows(ctx, c, ps, res, position)
	if err != nil {
		bindings.DestroyResult(&res)
		bindings.DestroyPrepare(&ps)
		return fail(&Error{Kind: KindQuery, Message: err.Error()})
	}
	c.active = rows
	return rows, nil
}

// interruptRepeat is how often a cancelled call is interrupted again until
// it returns: DuckDB clears the interrupt flag at some points of execution.
const interruptRepeat = 50 * time.Millisecond

// interruptible runs fn, a blocking DuckDB call on this connection, and
// interrupts it when ctx is cancelled. The helper goroutine ends before
// interruptible returns, so an interrupt never reaches a later statement.
func (c *Conn) interruptible(ctx context.Context, fn func()) {
	if ctx == nil || ctx.Done() == nil {
		fn()
		return
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		ticker := time.NewTicker(interruptRepeat)
		defer ticker.Stop()
		for {
			bindings.Interrupt(c.c)
			select {
			case <-done:
				return
			case <-ticker.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
}

// checkData rejects a statement that reads the flows or tgw_flows view when
// the engine selected no data files at all. The error wraps ErrNoDataset
// when the dataset is empty and ErrNoDataInRange when only the range is.
func (c *Conn) checkData(stmt string) *Error {
	plan := c.e.plan
	if plan.selectedFiles() > 0 {
		return nil
	}
	if !c.readsDataset(stmt) {
		return nil
	}
	if plan.DatasetFiles == 0 {
		return &Error{Kind: KindNoData, cause: ErrNoDataset, Message: fmt.Sprintf(
			"no flowq dataset in %q: create one with \"flowq convert SOURCE --out %s\", or try \"flowq demo\"",
			c.e.opts.Data, c.e.opts.Data)}
	}
	return &Error{Kind: KindNoData, cause: ErrNoDataInRange, Message: fmt.Sprintf(
		"no data in the requested range in %q (%s): widen --since/--until or drop the --account and --region filters",
		c.e.opts.Data, c.e.opts.describeFilters())}
}

// readsDataset reports whether a statement names the flows or tgw_flows
// view: whether either name appears as a word outside strings and
// comments. A column alias of the same name counts too, which only matters
// for the wording of the error when no data files are selected.
func (c *Conn) readsDataset(stmt string) bool {
	for i := 0; i < len(stmt); {
		ch := stmt[i]
		switch {
		case isWordStart(ch):
			j := i
			for j < len(stmt) && isWordByte(stmt[j]) {
				j++
			}
			if isDatasetView(stmt[i:j]) {
				return true
			}
			i = j
		case ch == '"':
			j := skipToken(stmt, i)
			if j-i >= 2 && isDatasetView(strings.ReplaceAll(stmt[i+1:j-1], `""`, `"`)) {
				return true
			}
			i = j
		default:
			i = skipToken(stmt, i)
		}
	}
	return false
}
