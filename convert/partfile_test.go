package convert

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/flowq/flowq/internal/dataset"
)

// openDuckConn opens an in-memory DuckDB database on a single connection, with
// extension downloads turned off so that tests never reach the network.
func openDuckConn(t testing.TB) *sql.Conn {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatalf("open duckdb: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatalf("connect to duckdb: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(context.Background(), "SET autoinstall_known_extensions=false"); err != nil {
		t.Fatalf("set autoinstall_known_extensions: %v", err)
	}
	return conn
}

// queryStrings runs a query and returns every row as strings, NULL as "NULL".
func queryStrings(t testing.TB, conn *sql.Conn, query string, args ...any) [][]string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	defer rows.Close()

	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("columns of %q: %v", query, err)
	}
	got := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range got {
		ptrs[i] = &got[i]
	}

	var out [][]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %q: %v", query, err)
		}
		row := make([]string, len(got))
		for i, v := range got {
			switch v := v.(type) {
			case nil:
				row[i] = "NULL"
			case []byte:
				row[i] = string(v)
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	return out
}

// writtenBatch is one write call: a batch and the row order it was written in.
type writtenBatch struct {
	b     *batch
	order []int32
}

// expectedValue returns what DuckDB should read for row r of column i of b:
// nil for NULL, int32 for INTEGER, int64 for BIGINT, string for VARCHAR,
// bool for BOOLEAN.
func expectedValue(b *batch, rowProv []*provenance, i int, r int32) any {
	if b.isDerived(i) {
		c := &b.cols[b.schema.table.ColumnIndex(b.schema.table.Columns[i].From)]
		if !c.valid[r] {
			return nil
		}
		private, ok := dataset.IsPrivate(c.str(int(r)))
		if !ok {
			return nil
		}
		return private
	}
	if b.isProvenance(i) {
		p := rowProv[r]
		var text string
		switch b.schema.name(i) {
		case dataset.ColSourceKey:
			text = p.key
		case dataset.ColFlowLogID:
			text = p.flowLogID
		default:
			if p.fileTime < 0 {
				return nil
			}
			return p.fileTime
		}
		if text == "" {
			return nil // an object name without a flow-log id
		}
		return text
	}
	c := &b.cols[i]
	switch {
	case !c.valid[r]:
		return nil
	case c.kind == dataset.Int32:
		return int32(c.ints[r])
	case c.kind == dataset.Int64:
		return c.ints[r]
	default:
		return string(c.str(int(r)))
	}
}

// checkFileMatchesBatches reads the Parquet file at path with DuckDB and
// compares the column names, the DuckDB types and every value, NULLs
// included, with the rows of the writes in order.
func checkFileMatchesBatches(t testing.TB, conn *sql.Conn, path string, writes ...writtenBatch) {
	t.Helper()
	s := writes[0].b.schema
	rows, err := conn.QueryContext(context.Background(), "SELECT * FROM read_parquet(?, hive_partitioning = false)", path)
	if err != nil {
		t.Fatalf("read %q with duckdb: %v", path, err)
	}
	defer rows.Close()

	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatalf("column types of %q: %v", path, err)
	}
	if len(types) != s.numColumns() {
		t.Fatalf("%q has %d columns, want %d", path, len(types), s.numColumns())
	}
	for i, ct := range types {
		if ct.Name() != s.name(i) {
			t.Errorf("%q column %d is named %q, want %q", path, i, ct.Name(), s.name(i))
		}
		if got, want := ct.DatabaseTypeName(), s.kind(i).SQLType(); got != want {
			t.Errorf("%q column %q has type %s, want %s", path, s.name(i), got, want)
		}
	}

	got := make([]any, s.numColumns())
	ptrs := make([]any, len(got))
	for i := range got {
		ptrs[i] = &got[i]
	}
	row, mismatches := 0, 0
	for _, w := range writes {
		rowProv := w.b.rowProvenance()
		for _, r := range w.order {
			if !rows.Next() {
				t.Fatalf("%q has %d rows, want more", path, row)
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan row %d of %q: %v", row, path, err)
			}
			for i := range got {
				want := expectedValue(w.b, rowProv, i, r)
				// %T and %v together tell NULL from "" and INTEGER from BIGINT.
				if fmt.Sprintf("%T %v", got[i], got[i]) != fmt.Sprintf("%T %v", want, want) {
					t.Errorf("%q row %d column %q = %T %v, want %T %v", path, row, s.name(i), got[i], got[i], want, want)
					if mismatches++; mismatches > 20 {
						t.Fatalf("%q: more than 20 values differ", path)
					}
				}
			}
			row++
		}
	}
	if rows.Next() {
		t.Errorf("%q has more than %d rows", path, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read %q: %v", path, err)
	}
}

// partFileTestAddrs are the values of srcaddr and dstaddr in
// partFileTestBatch: private, public and not an address.
var partFileTestAddrs = []string{"10.1.2.3", "203.0.113.9", "fd00::5", "2001:db8::1", "::ffff:192.168.0.1", "garbage"}

// partFileTestBatch builds rows of schema s with NULLs, empty and non-ASCII
// strings, and the largest value of each integer kind. Row r of column i is
// NULL when (r+i)%4 == 0, so every column has NULLs and values. The address
// columns take their values from partFileTestAddrs. The first half of the
// rows come from first and the rest from second.
func partFileTestBatch(s fileSchema, rows int, first, second *provenance) *batch {
	b := newBatch(s)
	for r := 0; r < rows; r++ {
		for i := range b.cols {
			if !b.stores(i) {
				continue
			}
			c := &b.cols[i]
			switch name := s.name(i); {
			case (r+i)%4 == 0:
				c.appendNull()
			case (name == "srcaddr" || name == "dstaddr") && r != 2:
				c.appendString([]byte(partFileTestAddrs[(r+i)%len(partFileTestAddrs)]))
			case c.kind == dataset.Int32 && r == 1:
				c.appendInt(1<<31 - 1)
			case c.kind == dataset.Int32:
				c.appendInt(int64(r*100 + i))
			case c.kind == dataset.Int64 && r == 1:
				c.appendInt(1<<63 - 1)
			case c.kind == dataset.Int64:
				c.appendInt(int64(r)<<40 + int64(i))
			case r == 2:
				c.appendString(nil)
			default:
				c.appendString(fmt.Appendf(nil, "%s-%d ü", s.name(i), r))
			}
		}
		if r < rows/2 {
			b.addRow(first)
		} else {
			b.addRow(second)
		}
	}
	return b
}

var (
	partFileProvA = &provenance{key: "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/a.log.gz", flowLogID: "fl-0a1b2c3d4e5f60718", fileTime: 1_714_521_900}
	// partFileProvB has neither a flow-log id nor a time in its name.
	partFileProvB = &provenance{key: "copied/b.log.gz", flowLogID: "", fileTime: -1}
)

func createTestPartFile(t *testing.T, s fileSchema) (partFile, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "table=flows", "day=2024-05-01", "part-0.parquet.tmp")
	f, err := createPartFile(path, s, writerOptions{})
	if err != nil {
		t.Fatalf("createPartFile(%q): %v", path, err)
	}
	return f, path
}

func TestPartFileReadBack(t *testing.T) {
	s := newFileSchema(dataset.Flows, []string{"x_custom", "y_note"})
	f, path := createTestPartFile(t, s)

	first := partFileTestBatch(s, 8, partFileProvA, partFileProvB)
	firstOrder := []int32{5, 2, 7, 0, 3, 6, 1, 4}
	second := partFileTestBatch(s, 3, partFileProvB, partFileProvA)
	secondOrder := []int32{2, 1, 0}
	if err := f.write(first, firstOrder); err != nil {
		t.Fatalf("write first batch: %v", err)
	}
	if err := f.write(second, secondOrder); err != nil {
		t.Fatalf("write second batch: %v", err)
	}
	if got := f.rowCount(); got != 11 {
		t.Errorf("rowCount() = %d, want 11", got)
	}
	if got := f.path(); got != path {
		t.Errorf("path() = %q, want %q", got, path)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	conn := openDuckConn(t)
	checkFileMatchesBatches(t, conn, path, writtenBatch{first, firstOrder}, writtenBatch{second, secondOrder})
	groups := queryStrings(t, conn, "SELECT num_row_groups FROM parquet_file_metadata(?)", path)
	if got := groups[0][0]; got != "2" {
		t.Errorf("file has %s row groups, want one per write call: 2", got)
	}
}

func TestPartFileParquetSchema(t *testing.T) {
	s := newFileSchema(dataset.Flows, []string{"x_custom"})
	f, path := createTestPartFile(t, s)
	b := partFileTestBatch(s, 4, partFileProvA, partFileProvB)
	if err := f.write(b, []int32{0, 1, 2, 3}); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	conn := openDuckConn(t)
	rows := queryStrings(t, conn, `SELECT name, type, repetition_type, converted_type, logical_type
		FROM parquet_schema(?) WHERE name <> 'schema'`, path)
	if len(rows) != s.numColumns() {
		t.Fatalf("parquet_schema has %d columns, want %d", len(rows), s.numColumns())
	}
	for i, row := range rows {
		name, typ, repetition, converted, logical := row[0], row[1], row[2], row[3], row[4]
		if name != s.name(i) {
			t.Errorf("column %d is %q, want %q", i, name, s.name(i))
		}
		if repetition != "OPTIONAL" {
			t.Errorf("column %q is %s, want OPTIONAL", name, repetition)
		}
		var wantType, wantConverted string
		switch s.kind(i) {
		case dataset.Int32:
			wantType, wantConverted = "INT32", "INT_32"
		case dataset.Int64:
			wantType, wantConverted = "INT64", "INT_64"
		case dataset.Bool:
			wantType, wantConverted = "BOOLEAN", "NULL"
		default:
			wantType, wantConverted = "BYTE_ARRAY", "UTF8"
		}
		if typ != wantType {
			t.Errorf("column %q has physical type %s, want %s", name, typ, wantType)
		}
		if converted != wantConverted {
			t.Errorf("column %q has converted type %s, want %s", name, converted, wantConverted)
		}
		if wantType == "BYTE_ARRAY" && logical != "StringType()" {
			t.Errorf("column %q has logical type %s, want StringType()", name, logical)
		}
		if wantType == "BOOLEAN" && logical != "NULL" {
			t.Errorf("column %q has logical type %s, want none", name, logical)
		}
		if (wantType == "INT32" || wantType == "INT64") && !strings.Contains(logical, "isSigned=1") {
			t.Errorf("column %q has logical type %s, want a signed IntType", name, logical)
		}
	}
}

func TestPartFileExtrasKeepFixedTypes(t *testing.T) {
	schemas := []fileSchema{
		newFileSchema(dataset.Flows, nil),
		newFileSchema(dataset.Flows, []string{"a_first", "z_last"}),
	}
	conn := openDuckConn(t)
	var fixed [][][]string
	for _, s := range schemas {
		f, path := createTestPartFile(t, s)
		if err := f.write(partFileTestBatch(s, 4, partFileProvA, partFileProvB), []int32{3, 2, 1, 0}); err != nil {
			t.Fatalf("write %q: %v", s.id, err)
		}
		if err := f.close(); err != nil {
			t.Fatalf("close %q: %v", s.id, err)
		}
		rows := queryStrings(t, conn, `SELECT name, type, repetition_type, converted_type, logical_type
			FROM parquet_schema(?) WHERE name <> 'schema'`, path)
		if len(rows) != s.numColumns() {
			t.Fatalf("%q: parquet_schema has %d columns, want %d", s.id, len(rows), s.numColumns())
		}
		for _, row := range rows[len(s.table.Columns):] {
			if row[1] != "BYTE_ARRAY" || row[2] != "OPTIONAL" || row[3] != "UTF8" {
				t.Errorf("%q: extra column %v, want an OPTIONAL BYTE_ARRAY with UTF8", s.id, row)
			}
		}
		fixed = append(fixed, rows[:len(s.table.Columns)])
	}
	for i := range fixed[0] {
		if fmt.Sprint(fixed[0][i]) != fmt.Sprint(fixed[1][i]) {
			t.Errorf("fixed column %d differs: %v without extras, %v with extras", i, fixed[0][i], fixed[1][i])
		}
	}
}

func TestPartFileMetadata(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	b := partFileTestBatch(s, 9, partFileProvA, partFileProvB)
	if err := f.write(b, []int32{8, 7, 6, 5, 4, 3, 2, 1, 0}); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	conn := openDuckConn(t)

	rows := queryStrings(t, conn, `SELECT path_in_schema, compression, stats_null_count, stats_min_value, stats_max_value
		FROM parquet_metadata(?) ORDER BY column_id`, path)
	if len(rows) != s.numColumns() {
		t.Fatalf("parquet_metadata has %d column chunks, want %d", len(rows), s.numColumns())
	}
	for _, row := range rows {
		if row[1] != "ZSTD" {
			t.Errorf("column %q is compressed with %s, want ZSTD", row[0], row[1])
		}
		if row[2] == "NULL" {
			t.Errorf("column %q has no null count", row[0])
		}
	}

	srcport := dataset.Flows.ColumnIndex("srcport")
	wantNulls, wantMin, wantMax := 0, int64(1<<62), int64(-1)
	for r := range b.rows {
		c := &b.cols[srcport]
		if !c.valid[r] {
			wantNulls++
			continue
		}
		wantMin, wantMax = min(wantMin, c.ints[r]), max(wantMax, c.ints[r])
	}
	got := rows[srcport]
	if want := fmt.Sprint(wantNulls); got[2] != want {
		t.Errorf("srcport null_count = %s, want %s", got[2], want)
	}
	if want := fmt.Sprint(wantMin); got[3] != want {
		t.Errorf("srcport min = %s, want %s", got[3], want)
	}
	if want := fmt.Sprint(wantMax); got[4] != want {
		t.Errorf("srcport max = %s, want %s", got[4], want)
	}
	// The second half of the rows come from partFileProvB, whose name has
	// neither a flow-log id nor a time.
	fromB := fmt.Sprint(b.rows - b.rows/2)
	for _, name := range []string{dataset.ColFlowLogID, dataset.ColFileTime} {
		if got := rows[dataset.Flows.ColumnIndex(name)][2]; got != fromB {
			t.Errorf("%s null_count = %s, want %s", name, got, fromB)
		}
	}

	kv := queryStrings(t, conn, "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", path)
	found := false
	for _, row := range kv {
		if row[0] == "flowq.schema_version" {
			found = true
			if row[1] != "2" {
				t.Errorf("flowq.schema_version = %q, want \"2\"", row[1])
			}
		}
	}
	if !found {
		t.Errorf("footer has no flowq.schema_version entry: %v", kv)
	}
}

// TestPartFilePageIndex reads the footer with parquet-go, because DuckDB's
// metadata functions do not show the page index.
func TestPartFilePageIndex(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	b := benchFlowsBatch(100_000)
	if err := f.write(b, b.sortOrder()); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(file, info.Size())
	if err != nil {
		t.Fatalf("open %q with parquet-go: %v", path, err)
	}
	meta := pf.Metadata()
	if len(meta.RowGroups) != 1 {
		t.Fatalf("file has %d row groups, want 1", len(meta.RowGroups))
	}
	for i, chunk := range meta.RowGroups[0].Columns {
		if chunk.ColumnIndexOffset == 0 || chunk.OffsetIndexOffset == 0 {
			t.Errorf("column %q has no page index", s.name(i))
		}
	}

	start := s.table.ColumnIndex("start")
	if len(pf.ColumnIndexes()) != s.numColumns() {
		t.Fatalf("file has %d column indexes, want %d", len(pf.ColumnIndexes()), s.numColumns())
	}
	index := pf.ColumnIndexes()[start]
	if len(index.MinValues) < 2 {
		t.Fatalf("start column has %d pages, want several to prune", len(index.MinValues))
	}
	if index.BoundaryOrder != format.Ascending {
		t.Errorf("start column index boundary order is %v, want ascending", index.BoundaryOrder)
	}
	first := int64(binary.LittleEndian.Uint64(index.MinValues[0]))
	last := int64(binary.LittleEndian.Uint64(index.MaxValues[len(index.MaxValues)-1]))
	if first >= last {
		t.Errorf("start pages span %d to %d, want rising values", first, last)
	}
}

func TestPartFileSplitsLargeWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("writes more than a million rows")
	}
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	rows := maxRowGroupRows + 5
	b := newBatch(s)
	for r := range rows {
		for i := range b.cols {
			switch {
			case !b.stores(i):
			case b.cols[i].kind == dataset.Int64:
				b.cols[i].appendInt(int64(r))
			default:
				b.cols[i].appendNull()
			}
		}
		b.addRow(partFileProvA)
	}
	order := make([]int32, rows)
	for i := range order {
		order[i] = int32(i)
	}
	if err := f.write(b, order); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	conn := openDuckConn(t)
	got := queryStrings(t, conn, `SELECT row_group_id, row_group_num_rows FROM parquet_metadata(?)
		WHERE column_id = 0 ORDER BY row_group_id`, path)
	want := fmt.Sprint([][]string{{"0", fmt.Sprint(maxRowGroupRows)}, {"1", "5"}})
	if fmt.Sprint(got) != want {
		t.Errorf("row groups (id, rows) = %v, want %s", got, want)
	}
	sum := queryStrings(t, conn, "SELECT count(*), sum(start) FROM read_parquet(?)", path)
	if want := fmt.Sprint(rows, " ", int64(rows)*int64(rows-1)/2); sum[0][0]+" "+sum[0][1] != want {
		t.Errorf("count and sum of start = %v, want %s", sum[0], want)
	}
}

func TestPartFileDictionaryFallback(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	// 200,000 distinct IPv6 addresses of about 20 bytes outgrow the 1 MiB
	// dictionary limit within the first row group, so its later pages of
	// srcaddr are PLAIN.
	const rows = 200_000
	b := partFileTestBatch(s, rows, partFileProvA, partFileProvB)
	srcaddr := &b.cols[s.table.ColumnIndex("srcaddr")]
	srcaddr.reset()
	want := make([]string, rows)
	for r := range rows {
		want[r] = fmt.Sprintf("2001:db8:0:%x::%x", r>>16, r&0xffff)
		srcaddr.appendString([]byte(want[r]))
	}
	order := make([]int32, rows)
	for i := range order {
		order[i] = int32(rows - 1 - i)
	}
	if err := f.write(b, order); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	conn := openDuckConn(t)
	got := queryStrings(t, conn, "SELECT srcaddr FROM read_parquet(?, hive_partitioning = false)", path)
	if len(got) != rows {
		t.Fatalf("file has %d rows, want %d", len(got), rows)
	}
	for i, r := range order {
		if got[i][0] != want[r] {
			t.Fatalf("row %d srcaddr = %q, want %q", i, got[i][0], want[r])
		}
	}
	stats := queryStrings(t, conn, "SELECT encoding_stats FROM parquet_metadata(?) WHERE path_in_schema = 'srcaddr' AND row_group_id = 0", path)
	if len(stats) != 1 || !strings.Contains(stats[0][0], "encoding:PLAIN page_type:DATA_PAGE") ||
		!strings.Contains(stats[0][0], "encoding:RLE_DICTIONARY page_type:DATA_PAGE") {
		t.Errorf("srcaddr encoding stats = %v, want both dictionary and PLAIN data pages", stats)
	}
}

func TestPartFileAbortRemovesFile(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	if err := f.write(partFileTestBatch(s, 4, partFileProvA, partFileProvB), []int32{0, 1, 2, 3}); err != nil {
		t.Fatalf("write: %v", err)
	}
	f.abort()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %q after abort: %v, want not exist", path, err)
	}
	if err := f.write(partFileTestBatch(s, 1, partFileProvA, partFileProvA), []int32{0}); err == nil {
		t.Errorf("write after abort succeeded, want an error")
	}
}

func TestPartFileAbortAfterFailedClose(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	f.(*parquetFile).file.Close() // makes the footer write fail
	if err := f.write(partFileTestBatch(s, 4, partFileProvA, partFileProvB), []int32{0, 1, 2, 3}); err != nil {
		t.Logf("write to closed file: %v", err)
	}
	if err := f.close(); err == nil {
		t.Errorf("close after the file was closed underneath succeeded, want an error")
	}
	f.abort()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %q after abort: %v, want not exist", path, err)
	}
}

func TestPartFileEmpty(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	if err := f.write(newBatch(s), nil); err != nil {
		t.Fatalf("write empty batch: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	conn := openDuckConn(t)
	got := queryStrings(t, conn, "SELECT count(*) FROM read_parquet(?)", path)
	if got[0][0] != "0" {
		t.Errorf("empty file has %s rows, want 0", got[0][0])
	}
}

func TestPartFileCloseTwice(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	if err := f.write(partFileTestBatch(s, 2, partFileProvA, partFileProvA), []int32{1, 0}); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := f.close(); err != nil {
		t.Errorf("second close: %v, want nil", err)
	}
	if err := f.write(partFileTestBatch(s, 1, partFileProvA, partFileProvA), []int32{0}); err == nil {
		t.Errorf("write after close succeeded, want an error")
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("stat %q after close: %v", path, err)
	}
}

func TestPartFileRejectsOtherSchema(t *testing.T) {
	f, _ := createTestPartFile(t, newFileSchema(dataset.Flows, nil))
	defer f.abort()
	other := newFileSchema(dataset.Flows, []string{"x_custom"})
	if err := f.write(partFileTestBatch(other, 2, partFileProvA, partFileProvA), []int32{0, 1}); err == nil {
		t.Errorf("write of a batch with another schema succeeded, want an error")
	}
}

func TestPartFileDuplicateColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "part.parquet.tmp")
	s := newFileSchema(dataset.Flows, []string{"srcport"})
	if _, err := createPartFile(path, s, writerOptions{}); err == nil {
		t.Errorf("createPartFile with an extra column named srcport succeeded, want an error")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %q after failed create: %v, want not exist", path, err)
	}
}

// TestPartFileConcurrentFiles writes files from several goroutines at once,
// as the converter's workers do, since the files share zstd codecs.
func TestPartFileConcurrentFiles(t *testing.T) {
	b := benchFlowsBatch(5_000)
	order := b.sortOrder()
	paths := make([]string, 4)
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i := range paths {
		paths[i] = filepath.Join(t.TempDir(), "part.parquet.tmp")
		wg.Go(func() { errs[i] = writePartFile(paths[i], b, order, defaultBenchOptions) })
	}
	wg.Wait()

	conn := openDuckConn(t)
	for i, path := range paths {
		if errs[i] != nil {
			t.Errorf("write %q: %v", path, errs[i])
			continue
		}
		checkFileMatchesBatches(t, conn, path, writtenBatch{b, order})
	}
}

func TestPartFileZstdLevels(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	b := benchFlowsBatch(2_000)
	order := b.sortOrder()
	conn := openDuckConn(t)
	for _, level := range []int{0, 1, 3, 9, 19} {
		path := filepath.Join(t.TempDir(), "part.parquet.tmp")
		f, err := createPartFile(path, s, writerOptions{ZstdLevel: level})
		if err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if err := f.write(b, order); err != nil {
			t.Fatalf("level %d: write: %v", level, err)
		}
		if err := f.close(); err != nil {
			t.Fatalf("level %d: close: %v", level, err)
		}
		checkFileMatchesBatches(t, conn, path, writtenBatch{b, order})
	}
}

// TestPartFileIPv6ReadBack writes IPv6 addresses, whose classes go through
// the file's cache of addresses, and checks every derived value: first
// addresses that repeat, then more distinct ones than the cache holds.
func TestPartFileIPv6ReadBack(t *testing.T) {
	repeated := toIPv6(benchFlowsBatch(20_000))
	s := repeated.schema
	distinct := partFileTestBatch(s, 3*maxCachedAddresses, partFileProvA, partFileProvB)
	for _, name := range []string{"srcaddr", "dstaddr"} {
		c := &distinct.cols[s.table.ColumnIndex(name)]
		c.reset()
		for r := range distinct.rows {
			switch r % 3 {
			case 0:
				c.appendString(fmt.Appendf(nil, "fd00:0:%x::%x", r, r%7))
			case 1:
				c.appendString(fmt.Appendf(nil, "2001:db8:%x::%x", r, r%7))
			default:
				c.appendString(fmt.Appendf(nil, "not-an-address-%d", r))
			}
		}
	}

	f, path := createTestPartFile(t, s)
	writes := []writtenBatch{{repeated, repeated.sortOrder()}, {distinct, distinct.sortOrder()}}
	for _, w := range writes {
		if err := f.write(w.b, w.order); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	conn := openDuckConn(t)
	checkFileMatchesBatches(t, conn, path, writes...)
	// The comparison above proves little unless every class occurs.
	counts := queryStrings(t, conn, "SELECT count(*) FILTER (WHERE src_private), count(*) FILTER (WHERE NOT src_private), count(*) FILTER (WHERE src_private IS NULL) FROM read_parquet(?)", path)
	for i, class := range []string{"private", "public", "NULL"} {
		if counts[0][i] == "0" {
			t.Errorf("no row has a %s src_private; the test data lacks that class", class)
		}
	}
}

// TestPartFileIntegerEncodings checks the encoding of each integer column's
// data pages, which decides how fast DuckDB reads it and how many bytes it
// takes.
func TestPartFileIntegerEncodings(t *testing.T) {
	s := newFileSchema(dataset.Flows, nil)
	f, path := createTestPartFile(t, s)
	b := benchFlowsBatch(20_000)
	if err := f.write(b, b.sortOrder()); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	conn := openDuckConn(t)
	rows := queryStrings(t, conn, `SELECT path_in_schema, encodings FROM parquet_metadata(?) ORDER BY column_id`, path)
	want := map[string]string{
		"start": "DELTA_BINARY_PACKED", "end": "DELTA_BINARY_PACKED", "dstport": "DELTA_BINARY_PACKED",
		"packets": "DELTA_BINARY_PACKED", "bytes": "DELTA_BINARY_PACKED", "file_time": "DELTA_BINARY_PACKED",
		"protocol": "RLE_DICTIONARY", "srcport": "PLAIN",
	}
	seen := 0
	for _, row := range rows {
		enc, ok := want[row[0]]
		if !ok {
			continue
		}
		seen++
		if !strings.Contains(row[1], enc) {
			t.Errorf("column %s has encodings %s, want %s", row[0], row[1], enc)
		}
		if enc == "PLAIN" && (strings.Contains(row[1], "DELTA") || strings.Contains(row[1], "DICTIONARY")) {
			t.Errorf("column %s has encodings %s, want PLAIN data pages only", row[0], row[1])
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d integer columns checked", seen, len(want))
	}
}
