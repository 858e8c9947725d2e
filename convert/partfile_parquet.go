package convert

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	pqcompress "github.com/parquet-go/parquet-go/compress"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
	pqencoding "github.com/parquet-go/parquet-go/encoding"

	"github.com/flowq/flowq/internal/dataset"
)

// Parquet layout of the files that convert writes. docs/benchmarks.md
// records the measurements behind these values.
const (
	// maxRowGroupRows is the most rows that one row group holds. A write call
	// with more rows is split into several row groups.
	maxRowGroupRows = 1 << 17
	// pageBufferSize is the uncompressed size at which a column's data page
	// is cut. Smaller pages let readers skip more rows through the page
	// index but compress less well.
	pageBufferSize = 256 << 10
	// dictionaryMaxBytes is the dictionary size at which a string column
	// falls back to PLAIN encoding for the rest of its row group, as a
	// column of many distinct addresses can.
	dictionaryMaxBytes = 1 << 20
	// valueChunkRows is the number of values passed to a column writer per
	// call. The writer cuts a page only between calls, so this bounds how far
	// a page can grow past pageBufferSize.
	valueChunkRows = 4096
	// schemaVersionKey is the footer key-value entry that records the
	// version of flowq's table layout. Version 2 added the derived columns.
	schemaVersionKey   = "flowq.schema_version"
	schemaVersionValue = "2"
)

// parquetFile is the partFile that writes a Parquet file with parquet-go.
type parquetFile struct {
	name   string
	schema fileSchema
	file   *os.File
	writer *parquet.GenericWriter[any]
	rows   int64
	// from is, for each derived column, the index of the address column it
	// classifies, and -1 for the other columns.
	from []int
	// err is the first failure of write or close, or an abort. Later calls
	// return it.
	err    error
	closed bool

	// Buffers reused across write calls.
	values  []parquet.Value
	rowRun  []int32  // index into runKeys and runIDs of each batch row
	runKeys [][]byte // source_key of each provenance run
	runIDs  [][]byte // flow_log_id of each provenance run
	// addrClasses caches the classes of the addresses in derived columns
	// that do not look like IPv4 addresses; see classifyCached.
	addrClasses map[string]addrClass
}

// createPartFile creates the Parquet file at path, and its folder, for rows
// of schema s. The file has one row group per write call, or more when a
// call passes more than maxRowGroupRows rows.
func createPartFile(path string, s fileSchema, opt writerOptions) (partFile, error) {
	root, err := parquetRoot(s)
	if err != nil {
		return nil, fmt.Errorf("create parquet file %q: %w", path, err)
	}
	from, err := derivedSources(s)
	if err != nil {
		return nil, fmt.Errorf("create parquet file %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create folder of parquet file %q: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create parquet file %q: %w", path, err)
	}
	w := parquet.NewGenericWriter[any](f,
		parquet.NewSchema("schema", root),
		parquet.Compression(zstdCodec(opt.ZstdLevel)),
		// Version 1 data pages are the format's original layout, and
		// version 2 pages made the benchmark's file 1% larger, no faster.
		parquet.DataPageVersion(1),
		// Statistics in the page headers too, for readers that do not
		// read the column index.
		parquet.DataPageStatistics(true),
		parquet.PageBufferSize(pageBufferSize),
		parquet.DictionaryMaxBytes(dictionaryMaxBytes),
		parquet.KeyValueMetadata(schemaVersionKey, schemaVersionValue),
	)
	return &parquetFile{
		name:   path,
		schema: s,
		from:   from,
		file:   f,
		writer: w,
		values: make([]parquet.Value, 0, valueChunkRows),
	}, nil
}

var (
	zstdCodecsMu sync.Mutex
	// zstdCodecs holds one codec per encoder level, so that files share
	// the codec's pool of encoders instead of each allocating its own.
	zstdCodecs = map[zstd.EncoderLevel]*pqzstd.Codec{}
)

// zstdCodec returns the shared codec for a zstd compression level. The zstd
// package implements four encoder levels, and zstd.EncoderLevelFromZstd
// maps the levels of the zstd command line onto them. Level 0 selects
// level 3, the zstd default.
func zstdCodec(level int) *pqzstd.Codec {
	// zstd level 1 by default: on flow logs it writes files under 1% larger
	// than level 3 and compresses faster (docs/benchmarks.md).
	encoderLevel := zstd.SpeedFastest
	if level != 0 {
		encoderLevel = zstd.EncoderLevelFromZstd(level)
	}
	zstdCodecsMu.Lock()
	defer zstdCodecsMu.Unlock()
	c := zstdCodecs[encoderLevel]
	if c == nil {
		c = &pqzstd.Codec{Level: encoderLevel}
		zstdCodecs[encoderLevel] = c
	}
	return c
}

// parquetRoot returns the root node of the Parquet schema of s: every column
// OPTIONAL, in schema order. Integer columns are INT32 or INT64 with a
// signed INT annotation and the encoding that intEncoding chooses. String
// columns are BYTE_ARRAY with the STRING annotation and dictionary
// encoding, and boolean columns are BOOLEAN with PLAIN encoding, which
// packs eight values a byte.
func parquetRoot(s fileSchema) (columnGroup, error) {
	g := make(columnGroup, s.numColumns())
	seen := make(map[string]bool, len(g))
	for i := range g {
		name := s.name(i)
		if name == "" || strings.ContainsRune(name, ',') {
			return nil, fmt.Errorf("invalid column name %q", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate column name %q", name)
		}
		seen[name] = true

		var node parquet.Node
		switch s.kind(i) {
		case dataset.Int32:
			node = parquet.Encoded(parquet.Int(32), intEncoding(name))
		case dataset.Int64:
			node = parquet.Encoded(parquet.Int(64), intEncoding(name))
		case dataset.Bool:
			node = parquet.Encoded(parquet.Leaf(parquet.BooleanType), &parquet.Plain)
		default:
			// In the benchmark, dictionaries on string columns made the file
			// 42% smaller, and dictionaries on integer columns 15% larger.
			node = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		}
		g[i] = columnField{Node: parquet.Optional(node), name: name, index: i}
	}
	return g, nil
}

// intEncoding returns the encoding of an integer column. Most are
// DELTA_BINARY_PACKED, because DuckDB decoded them about a third faster
// than PLAIN values under zstd, and times, which the files are sorted by,
// took half the bytes. protocol has few distinct values, which a
// dictionary stores in the fewest bytes. Random ephemeral source ports grow by half
// under delta encoding and are rarely summed or filtered, so srcport stays
// PLAIN. docs/benchmarks.md has the measurements.
func intEncoding(column string) pqencoding.Encoding {
	switch column {
	case "protocol":
		return &parquet.RLEDictionary
	case "srcport":
		return &parquet.Plain
	}
	return &parquet.DeltaBinaryPacked
}

// columnGroup is a Parquet group node that keeps its fields in the order
// given, unlike parquet.Group, which sorts them by name.
type columnGroup []parquet.Field

func (g columnGroup) ID() int                       { return 0 }
func (g columnGroup) Type() parquet.Type            { return parquet.Group{}.Type() }
func (g columnGroup) Optional() bool                { return false }
func (g columnGroup) Repeated() bool                { return false }
func (g columnGroup) Required() bool                { return true }
func (g columnGroup) Leaf() bool                    { return false }
func (g columnGroup) Fields() []parquet.Field       { return g }
func (g columnGroup) Encoding() pqencoding.Encoding { return nil }
func (g columnGroup) Compression() pqcompress.Codec { return nil }
func (g columnGroup) String() string {
	var sb strings.Builder
	if err := parquet.PrintSchema(&sb, "schema", g); err != nil {
		return err.Error()
	}
	return sb.String()
}

// GoType returns a struct type with one field per column, in column order.
// convert writes values by column and never uses it, but parquet.Node
// requires it.
func (g columnGroup) GoType() reflect.Type {
	fields := make([]reflect.StructField, len(g))
	for i, f := range g {
		fields[i] = reflect.StructField{
			Name: "C" + strconv.Itoa(i),
			Type: f.GoType(),
			Tag:  reflect.StructTag(`parquet:` + strconv.Quote(f.Name())),
		}
	}
	return reflect.StructOf(fields)
}

// columnField is one column of a columnGroup.
type columnField struct {
	parquet.Node
	name  string
	index int
}

func (f columnField) Name() string { return f.name }

// Value returns the field of the column in a value of the group's GoType.
func (f columnField) Value(base reflect.Value) reflect.Value { return base.Field(f.index) }

func (f *parquetFile) write(b *batch, order []int32) error {
	if f.err != nil {
		return f.err
	}
	if f.closed {
		return fmt.Errorf("write parquet file %q: file is closed", f.name)
	}
	if b.schema.table != f.schema.table || !slices.Equal(b.schema.extra, f.schema.extra) {
		return fmt.Errorf("write parquet file %q: batch of table %q with extra columns %q, want table %q with %q",
			f.name, b.schema.table.Name, b.schema.extra, f.schema.table.Name, f.schema.extra)
	}
	f.indexRuns(b)
	for lo := 0; lo < len(order); lo += maxRowGroupRows {
		group := order[lo:min(lo+maxRowGroupRows, len(order))]
		if err := f.writeRowGroup(b, group); err != nil {
			f.err = fmt.Errorf("write parquet file %q: %w", f.name, err)
			return f.err
		}
		f.rows += int64(len(group))
	}
	return nil
}

// indexRuns fills rowRun, runKeys and runIDs for the provenance runs of b.
func (f *parquetFile) indexRuns(b *batch) {
	f.rowRun = f.rowRun[:0]
	f.runKeys, f.runIDs = f.runKeys[:0], f.runIDs[:0]
	for i, run := range b.runs {
		f.runKeys = append(f.runKeys, []byte(run.prov.key))
		f.runIDs = append(f.runIDs, []byte(run.prov.flowLogID))
		for range run.rows {
			f.rowRun = append(f.rowRun, int32(i))
		}
	}
}

// writeRowGroup writes the rows of b listed in order as one row group.
func (f *parquetFile) writeRowGroup(b *batch, order []int32) error {
	for i, cw := range f.writer.ColumnWriters() {
		allNull := f.allNull(b, i)
		for lo := 0; lo < len(order); lo += valueChunkRows {
			chunk := order[lo:min(lo+valueChunkRows, len(order))]
			if allNull {
				// Fast path: fields the flow log's format lacks are NULL in every row.
				f.fillNulls(i, len(chunk))
			} else {
				f.fillValues(b, i, chunk)
			}
			if _, err := cw.WriteRowValues(f.values); err != nil {
				return fmt.Errorf("column %q: %w", f.schema.name(i), err)
			}
		}
	}
	return f.writer.Flush()
}

// allNull reports whether column i is NULL in every row of b. A derived
// column is NULL in every row where its address column is.
func (f *parquetFile) allNull(b *batch, i int) bool {
	switch {
	case b.isProvenance(i):
		return false
	case f.from[i] >= 0:
		return !slices.Contains(b.cols[f.from[i]].valid, true)
	}
	return !slices.Contains(b.cols[i].valid, true)
}

// fillValues sets f.values to the values of column i for the rows in chunk.
// A definition level of 1 marks a value and 0 a NULL. The loops copy the
// column's slices to locals, because stores into values could otherwise
// alias them and force a reload on every row.
func (f *parquetFile) fillValues(b *batch, i int, chunk []int32) {
	values := f.values[:len(chunk)]
	null := parquet.NullValue().Level(0, 0, i)
	if b.isProvenance(i) {
		rowRun := f.rowRun
		switch b.schema.name(i) {
		case dataset.ColSourceKey:
			fillRunStrings(values, f.runKeys, rowRun, chunk, i)
		case dataset.ColFlowLogID:
			fillRunStrings(values, f.runIDs, rowRun, chunk, i)
		default: // file_time
			runs := b.runs
			for j, r := range chunk {
				if t := runs[rowRun[r]].prov.fileTime; t >= 0 {
					values[j] = parquet.Int64Value(t).Level(0, 1, i)
				} else {
					values[j] = null
				}
			}
		}
		f.values = values
		return
	}
	if f.from[i] >= 0 {
		f.fillDerived(values, &b.cols[f.from[i]], chunk, i)
		f.values = values
		return
	}

	c := &b.cols[i]
	valid := c.valid
	switch c.kind {
	case dataset.Int32:
		ints := c.ints
		for j, r := range chunk {
			if valid[r] {
				values[j] = parquet.Int32Value(int32(ints[r])).Level(0, 1, i)
			} else {
				values[j] = null
			}
		}
	case dataset.Int64:
		ints := c.ints
		for j, r := range chunk {
			if valid[r] {
				values[j] = parquet.Int64Value(ints[r]).Level(0, 1, i)
			} else {
				values[j] = null
			}
		}
	default:
		data, ends := c.data, c.ends
		for j, r := range chunk {
			if !valid[r] {
				values[j] = null
				continue
			}
			var start uint32
			if r > 0 {
				start = ends[r-1]
			}
			values[j] = parquet.ByteArrayValue(data[start:ends[r]]).Level(0, 1, i)
		}
	}
	f.values = values
}

// fillNulls sets f.values to n NULLs of column i.
func (f *parquetFile) fillNulls(i, n int) {
	null := parquet.NullValue().Level(0, 0, i)
	values := f.values[:n]
	for j := range values {
		values[j] = null
	}
	f.values = values
}

// fillRunStrings sets values[j], for each row chunk[j], to the string of
// the row's provenance run as a value of column i. An empty string, such as
// the flow-log id of an object whose name has none, is written as NULL.
func fillRunStrings(values []parquet.Value, runStrings [][]byte, rowRun, chunk []int32, i int) {
	null := parquet.NullValue().Level(0, 0, i)
	for j, r := range chunk {
		if s := runStrings[rowRun[r]]; len(s) > 0 {
			values[j] = parquet.ByteArrayValue(s).Level(0, 1, i)
		} else {
			values[j] = null
		}
	}
}

// close writes the footer, syncs the file to disk and closes it. The file
// stays at its temporary path. After a failed write, close only closes the
// file and returns the write's error.
func (f *parquetFile) close() error {
	if f.closed {
		return f.err
	}
	f.closed = true
	// A closed file is kept until its commit; its writer's column buffers
	// must not be, or memory grows with the files of a commit.
	defer f.release()
	if f.err != nil {
		f.file.Close()
		return f.err
	}
	if err := f.writer.Close(); err != nil {
		f.file.Close()
		f.err = fmt.Errorf("write footer of parquet file %q: %w", f.name, err)
		return f.err
	}
	if err := f.file.Sync(); err != nil {
		f.file.Close()
		f.err = fmt.Errorf("sync parquet file %q: %w", f.name, err)
		return f.err
	}
	if err := f.file.Close(); err != nil {
		f.err = fmt.Errorf("close parquet file %q: %w", f.name, err)
		return f.err
	}
	return nil
}

// release drops the writer and the reused buffers.
func (f *parquetFile) release() {
	f.writer, f.values, f.rowRun, f.runKeys, f.runIDs, f.addrClasses = nil, nil, nil, nil, nil, nil
}

// abort closes the file, if close has not, and removes it.
func (f *parquetFile) abort() {
	if !f.closed {
		f.closed = true
		f.file.Close()
		f.release()
	}
	if f.err == nil {
		f.err = fmt.Errorf("write parquet file %q: file was aborted", f.name)
	}
	// NOTE: abort has no error result, so a file that cannot be removed
	// stays behind under its temporary name.
	_ = os.Remove(f.name)
}

func (f *parquetFile) rowCount() int64 { return f.rows }

func (f *parquetFile) path() string { return f.name }
