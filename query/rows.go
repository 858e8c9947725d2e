package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"time"

	bindings "github.com/duckdb/duckdb-go-bindings"
)

// Column describes one result column.
type Column struct {
	Name string
	// Type is the DuckDB type name, such as BIGINT, VARCHAR,
	// DECIMAL(18,2), TIMESTAMP WITH TIME ZONE or VARCHAR[], or the type's
	// alias such as JSON.
	Type string
}

// Rows is the streaming result of one statement. DuckDB computes it chunk
// by chunk (2,048 rows) as Next requests rows, so a large result is never
// held whole in memory. Close it when done. Starting another statement on
// the same Conn closes it too.
type Rows struct {
	ctx  context.Context
	conn *Conn
	ps   bindings.PreparedStatement
	res  bindings.Result
	kind bindings.ResultType
	// statement is the 1-based position of the statement in its script,
	// or 0 for a single statement.
	statement int

	columns  []Column
	decoders []*decoder

	chunk    bindings.DataChunk
	size     uint64
	pos      uint64 // rows of the chunk consumed
	values   []any
	released bool
	done     bool
	err      error
}

func newRows(ctx context.Context, c *Conn, ps bindings.PreparedStatement, res bindings.Result, statement int) (*Rows, error) {
	r := &Rows{ctx: ctx, conn: c, ps: ps, res: res, kind: bindings.ResultReturnType(res), statement: statement}
	n := int(bindings.ColumnCount(&r.res))
	for i := range n {
		lt := bindings.ColumnLogicalType(&r.res, bindings.IdxT(i))
		d, err := newDecoder(lt)
		bindings.DestroyLogicalType(&lt)
		name := bindings.ColumnName(&r.res, bindings.IdxT(i))
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		r.columns = append(r.columns, Column{Name: name, Type: d.name})
		r.decoders = append(r.decoders, d)
	}
	r.values = make([]any, n)
	return r, nil
}

// Columns returns the result's columns.
func (r *Rows) Columns() []Column { return r.columns }

// HasResultSet reports whether the statement returns rows, as a query does.
// Other statements (SET, CREATE, INSERT) return one row with a count, or none.
func (r *Rows) HasResultSet() bool { return r.kind == bindings.ResultTypeQueryResult }

// Statement returns the 1-based position of the statement in its script,
// or 0 when the script had one statement.
func (r *Rows) Statement() int { return r.statement }

// Next advances to the next row and reports whether there is one. After it
// returns false, Err returns the error that ended the result, or nil.
func (r *Rows) Next() bool {
	if r.done || r.err != nil {
		return false
	}
	for r.pos >= r.size {
		if !r.fetch() {
			return false
		}
	}
	r.pos++
	return true
}

// fetch reads the next chunk into the decoders.
func (r *Rows) fetch() bool {
	r.conn.mu.Lock()
	defer r.conn.mu.Unlock()
	if r.released {
		r.err = errClosed
		return false
	}
	r.destroyChunk()

	if err := r.ctx.Err(); err != nil {
		r.err = &Error{Kind: KindInterrupted, Message: "query interrupted", Statement: r.statement, cause: err}
		return false
	}
	var chunk bindings.DataChunk
	r.conn.interruptible(r.ctx, func() { chunk = bindings.FetchChunk(r.res) })
	if chunk.Ptr == nil {
		if msg := bindings.ResultError(&r.res); msg != "" {
			e := duckError(r.ctx, bindings.ResultErrorType(&r.res), msg)
			e.Statement = r.statement
			r.err = e
		} else {
			r.done = true
		}
		return false
	}

	r.chunk = chunk
	r.size = uint64(bindings.DataChunkGetSize(chunk))
	r.pos = 0
	for i, d := range r.decoders {
		d.bind(bindings.DataChunkGetVector(chunk, bindings.IdxT(i)))
	}
	return true
}

func (r *Rows) destroyChunk() {
	if r.chunk.Ptr != nil {
		bindings.DestroyDataChunk(&r.chunk)
	}
	r.size, r.pos = 0, 0
}

// Values returns the current row's values, typed as the table at the top
// of decode.go lists. The slice is reused by the next call to Next.
func (r *Rows) Values() []any {
	if r.pos == 0 || r.released {
		return nil
	}
	for i, d := range r.decoders {
		r.values[i] = d.value(r.pos - 1)
	}
	return r.values
}

// Scan copies the current row's values into dest, one pointer per column.
// It accepts *any, *string, *[]byte, *bool, signed and unsigned integer
// pointers, *float64, *time.Time, *big.Int and sql.Scanner implementations
// such as *sql.NullInt64. A NULL scans into *any, a sql.Scanner or a
// pointer to a pointer only.
func (r *Rows) Scan(dest ...any) error {
	if len(dest) != len(r.columns) {
		return fmt.Errorf("query: scan: %d destinations for %d columns", len(dest), len(r.columns))
	}
	vals := r.Values()
	if vals == nil {
		return errors.New("query: scan: no current row: call Next first")
	}
	for i, v := range vals {
		if err := assign(dest[i], v); err != nil {
			return fmt.Errorf("query: scan column %q: %w", r.columns[i].Name, err)
		}
	}
	return nil
}

// Err returns the error that ended the iteration, or nil.
func (r *Rows) Err() error { return r.err }

// Close releases the result. It is safe to call more than once.
func (r *Rows) Close() error {
	r.conn.mu.Lock()
	defer r.conn.mu.Unlock()
	r.release()
	if r.conn.active == r {
		r.conn.active = nil
	}
	return nil
}

// release frees DuckDB's memory; the caller holds conn.mu.
func (r *Rows) release() {
	if r.released {
		return
	}
	r.destroyChunk()
	bindings.DestroyResult(&r.res)
	bindings.DestroyPrepare(&r.ps)
	r.released = true
	if !r.done && r.err == nil {
		r.err = errClosed
	}
}

// assign stores a decoded value in a Scan destination.
func assign(dest, v any) error {
	if s, ok := dest.(sql.Scanner); ok {
		return s.Scan(driverValue(v))
	}
	switch d := dest.(type) {
	case *any:
		*d = v
		return nil
	case *string:
		if v == nil {
			return errors.New("NULL into *string: use *sql.NullString or *any")
		}
		*d = plainText(v)
		return nil
	case *[]byte:
		if b, ok := v.([]byte); ok {
			*d = b
			return nil
		}
		if s, ok := v.(string); ok {
			*d = []byte(s)
			return nil
		}
	case *time.Time:
		if t, ok := v.(time.Time); ok {
			*d = t
			return nil
		}
	case *big.Int:
		if b, ok := v.(*big.Int); ok {
			d.Set(b)
			return nil
		}
		if n, ok := toInt64(v); ok {
			d.SetInt64(n)
			return nil
		}
	case *bool:
		if b, ok := v.(bool); ok {
			*d = b
			return nil
		}
	case *float64:
		switch x := v.(type) {
		case float64:
			*d = x
			return nil
		case float32:
			*d = float64(x)
			return nil
		}
		if n, ok := toInt64(v); ok {
			*d = float64(n)
			return nil
		}
	}
	return assignReflect(dest, v)
}

// assignReflect handles integer destinations of any width and pointers to
// pointers, which become nil for NULL.
func assignReflect(dest, v any) error {
	dv := reflect.ValueOf(dest)
	if dv.Kind() != reflect.Pointer || dv.IsNil() {
		return fmt.Errorf("destination %T is not a non-nil pointer", dest)
	}
	target := dv.Elem()
	if target.Kind() == reflect.Pointer {
		if v == nil {
			target.SetZero()
			return nil
		}
		p := reflect.New(target.Type().Elem())
		if err := assign(p.Interface(), v); err != nil {
			return err
		}
		target.Set(p)
		return nil
	}
	if v == nil {
		return fmt.Errorf("NULL into %T: use a pointer, a sql.Null type or *any", dest)
	}
	switch target.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := toInt64(v)
		if ok && !target.OverflowInt(n) {
			target.SetInt(n)
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u, ok := v.(uint64); ok && !target.OverflowUint(u) {
			target.SetUint(u)
			return nil
		}
		n, ok := toInt64(v)
		if ok && n >= 0 && !target.OverflowUint(uint64(n)) {
			target.SetUint(uint64(n))
			return nil
		}
	}
	return fmt.Errorf("cannot store %T value %v in %T", v, v, dest)
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= 1<<63-1 {
			return int64(x), true
		}
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
	}
	return 0, false
}

// driverValue converts a decoded value to the types that database/sql
// scanners accept: int64, float64, bool, []byte, string, time.Time or nil.
func driverValue(v any) any {
	switch x := v.(type) {
	case nil, int64, float64, bool, []byte, string, time.Time:
		return x
	case float32:
		return float64(x)
	}
	if n, ok := toInt64(v); ok {
		return n
	}
	return plainText(v)
}

// plainText formats a value as text without quoting: numbers in full,
// times in ISO 8601 UTC, nested values as JSON.
func plainText(v any) string {
	var b []byte
	b = appendText(b, v, "")
	return string(b)
}
