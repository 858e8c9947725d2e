package convert

import (
	"slices"

	"github.com/flowq/flowq/internal/dataset"
)

// column holds one column of a batch. Integer kinds share ints; strings are
// stored back to back in data with end offsets in ends. While a batch is
// being filled a column may be shorter than the batch: the rows it lacks
// are NULL, so fields a header does not name cost nothing per row.
// batch.complete pads every column before the batch is read.
type column struct {
	kind  dataset.Kind
	valid []bool
	ints  []int64
	data  []byte
	ends  []uint32
}

func (c *column) appendNull() {
	c.valid = append(c.valid, false)
	if c.kind == dataset.String {
		c.ends = append(c.ends, uint32(len(c.data)))
	} else {
		c.ints = append(c.ints, 0)
	}
}

// padTo appends NULLs until the column has n rows.
func (c *column) padTo(n int) {
	missing := n - len(c.valid)
	if missing <= 0 {
		return
	}
	c.valid = append(c.valid, make([]bool, missing)...)
	if c.kind == dataset.String {
		end := uint32(len(c.data))
		for i := 0; i < missing; i++ {
			c.ends = append(c.ends, end)
		}
	} else {
		c.ints = append(c.ints, make([]int64, missing)...)
	}
}

func (c *column) appendInt(v int64) {
	c.valid = append(c.valid, true)
	c.ints = append(c.ints, v)
}

func (c *column) appendString(b []byte) {
	c.valid = append(c.valid, true)
	c.data = append(c.data, b...)
	c.ends = append(c.ends, uint32(len(c.data)))
}

// str returns row i of a string column; the bytes alias the column.
func (c *column) str(i int) []byte {
	var start uint32
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.data[start:c.ends[i]]
}

func (c *column) reset() {
	c.valid, c.ints, c.data, c.ends = c.valid[:0], c.ints[:0], c.data[:0], c.ends[:0]
}

// memSize estimates the bytes the column holds, spare capacity included.
func (c *column) memSize() int {
	return cap(c.valid) + 8*cap(c.ints) + cap(c.data) + 4*cap(c.ends)
}

// fileSchema is the column set of one output file: a table's fixed columns,
// then string columns for header fields flowq does not know, sorted by name.
type fileSchema struct {
	table *dataset.Table
	extra []string
	// id identifies the schema: the table name, then the extra columns.
	id string
}

func newFileSchema(table *dataset.Table, extra []string) fileSchema {
	id := table.Name
	for _, e := range extra {
		id += "," + e
	}
	return fileSchema{table: table, extra: extra, id: id}
}

func (s fileSchema) numColumns() int { return len(s.table.Columns) + len(s.extra) }

func (s fileSchema) kind(i int) dataset.Kind {
	if i < len(s.table.Columns) {
		return s.table.Columns[i].Kind
	}
	return dataset.String
}

func (s fileSchema) name(i int) string {
	if i < len(s.table.Columns) {
		return s.table.Columns[i].Name
	}
	return s.extra[i-len(s.table.Columns)]
}

// provenance is the record of the object a row came from.
type provenance struct {
	key       string
	flowLogID string
	// fileTime is the creation time in the object's name in Unix seconds,
	// or -1 when the name carries none.
	fileTime int64
}

// provRun marks the next rows rows of a batch as coming from one object.
// Provenance is stored as runs because it repeats for every row of an object.
type provRun struct {
	prov *provenance
	rows int
}

// batch is a set of rows of one file schema, stored by column. The
// provenance and derived columns of the table stay empty in cols, because
// runs holds the provenance and the writer computes the derived columns.
type batch struct {
	schema fileSchema
	cols   []column
	runs   []provRun
	rows   int
}

// isProvenance reports whether column i is one of the provenance columns
// that the batch stores in runs.
func (b *batch) isProvenance(i int) bool {
	return i < len(b.schema.table.Columns) && b.schema.table.Columns[i].IsProvenance()
}

// isDerived reports whether column i is a derived column, which the
// writer computes from its address column.
func (b *batch) isDerived(i int) bool {
	return i < len(b.schema.table.Columns) && b.schema.table.Columns[i].IsDerived()
}

// stores reports whether the batch holds the values of column i in cols.
func (b *batch) stores(i int) bool { return !b.isProvenance(i) && !b.isDerived(i) }

// rowProvenance returns, for each row, the provenance of the object it came from.
func (b *batch) rowProvenance() []*provenance {
	out := make([]*provenance, 0, b.rows)
	for _, r := range b.runs {
		for j := 0; j < r.rows; j++ {
			out = append(out, r.prov)
		}
	}
	return out
}

// addRow records that one more row, already appended to cols, came from p.
func (b *batch) addRow(p *provenance) {
	b.rows++
	if n := len(b.runs); n > 0 && b.runs[n-1].prov == p {
		b.runs[n-1].rows++
		return
	}
	b.runs = append(b.runs, provRun{prov: p, rows: 1})
}

func newBatch(s fileSchema) *batch {
	b := &batch{schema: s, cols: make([]column, s.numColumns())}
	for i := range b.cols {
		b.cols[i].kind = s.kind(i)
	}
	return b
}

func (b *batch) memSize() int {
	n := 16 * len(b.runs)
	for i := range b.cols {
		n += b.cols[i].memSize()
	}
	return n
}

func (b *batch) reset() {
	for i := range b.cols {
		b.cols[i].reset()
	}
	b.rows = 0
	b.runs = b.runs[:0]
}

// complete pads every column to the batch's row count with NULLs.
func (b *batch) complete() {
	for i := range b.cols {
		if b.stores(i) {
			b.cols[i].padTo(b.rows)
		}
	}
}

// appendBatch appends all rows of o, which has the same schema, to b.
func (b *batch) appendBatch(o *batch) {
	b.complete()
	o.complete()
	for i := range b.cols {
		if !b.stores(i) {
			continue
		}
		dst, src := &b.cols[i], &o.cols[i]
		dst.valid = append(dst.valid, src.valid...)
		if dst.kind != dataset.String {
			dst.ints = append(dst.ints, src.ints...)
			continue
		}
		base := uint32(len(dst.data))
		dst.data = append(dst.data, src.data...)
		for _, e := range src.ends {
			dst.ends = append(dst.ends, base+e)
		}
	}
	b.rows += o.rows
	b.runs = append(b.runs, o.runs...)
}

// mergeBatches returns one batch with the rows of all, which share a
// schema. Each column is allocated once at its final size.
func mergeBatches(all []*batch) *batch {
	out := newBatch(all[0].schema)
	rows, runs := 0, 0
	for _, b := range all {
		b.complete()
		rows += b.rows
		runs += len(b.runs)
	}
	out.runs = make([]provRun, 0, runs)
	for i := range out.cols {
		if !out.stores(i) {
			continue
		}
		c := &out.cols[i]
		c.valid = make([]bool, 0, rows)
		if c.kind != dataset.String {
			c.ints = make([]int64, 0, rows)
			continue
		}
		data := 0
		for _, b := range all {
			data += len(b.cols[i].data)
		}
		c.data = make([]byte, 0, data)
		c.ends = make([]uint32, 0, rows)
	}
	for _, b := range all {
		out.appendBatch(b)
	}
	return out
}

// sortOrder returns the row order that sorts the batch by the start column,
// NULL starts last, keeping the input order among equal starts.
func (b *batch) sortOrder() []int32 {
	b.complete()
	order := make([]int32, b.rows)
	for i := range order {
		order[i] = int32(i)
	}
	si := b.schema.table.ColumnIndex("start")
	if si < 0 {
		return order
	}
	start := &b.cols[si]
	key := func(i int32) int64 {
		if !start.valid[i] {
			return 1<<63 - 1
		}
		return start.ints[i]
	}
	// Fast path: most files arrive already in time order.
	if slices.IsSortedFunc(order, func(x, y int32) int { return cmpInt64(key(x), key(y)) }) {
		return order
	}
	slices.SortStableFunc(order, func(x, y int32) int { return cmpInt64(key(x), key(y)) })
	return order
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
