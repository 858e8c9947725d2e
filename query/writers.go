package query

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Format is an output format of results.
type Format string

// Output formats. FormatParquet is written by Engine.CopyToParquet, not by
// a ResultWriter.
const (
	// FormatTable aligns columns for reading on a terminal; NULL shows as NULL.
	FormatTable Format = "table"
	// FormatCSV is RFC 4180 CSV with a header line. NULL is an empty cell
	// and the empty string is "".
	FormatCSV Format = "csv"
	// FormatTSV separates cells with tabs and escapes tabs, newlines and
	// backslashes in values as \t, \n, \r and \\. NULL is an empty cell.
	FormatTSV Format = "tsv"
	// FormatJSON is one JSON array of objects, one object per row.
	FormatJSON Format = "json"
	// FormatNDJSON is one JSON object per line.
	FormatNDJSON Format = "ndjson"
	// FormatMarkdown is a Markdown table; NULL is an empty cell.
	FormatMarkdown Format = "markdown"
	// FormatParquet is a zstd-compressed Parquet file.
	FormatParquet Format = "parquet"
)

// Formats lists every output format.
var Formats = []Format{FormatTable, FormatCSV, FormatTSV, FormatJSON, FormatNDJSON, FormatMarkdown, FormatParquet}

// ParseFormat returns the format named s, ignoring case; "md" is markdown
// and "jsonl" is ndjson.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "md":
		return FormatMarkdown, nil
	case "jsonl":
		return FormatNDJSON, nil
	case FormatTable, FormatCSV, FormatTSV, FormatJSON, FormatNDJSON, FormatMarkdown, FormatParquet:
		return f, nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q: use %s", s, strings.Join(names, ", "))
}

// ResultWriter writes one result in an output format. Begin is called
// once, then Row for each row, then End.
type ResultWriter interface {
	Begin(cols []Column) error
	// Row writes one row, values typed as Rows.Values returns them. The
	// slice may be reused after Row returns.
	Row(values []any) error
	// End finishes the result and flushes the output.
	End() error
}

// aborter is a ResultWriter whose End would make a cut-short result look
// whole, such as the closing bracket of a JSON array or a table's row
// count. Abort flushes the rows written so far and nothing after them.
type aborter interface {
	Abort() error
}

// WriterOptions tunes a ResultWriter.
type WriterOptions struct {
	// Width is the number of terminal columns that a table fits into, by
	// shortening wide cells with "…". 0 means no limit.
	Width int
	// Footer adds a "(N rows)" line after a table.
	Footer bool
}

// NewResultWriter returns a writer of format f to w.
func NewResultWriter(f Format, w io.Writer, opts WriterOptions) (ResultWriter, error) {
	bw := bufio.NewWriter(w)
	switch f {
	case FormatTable:
		return &tableWriter{w: bw, opts: opts}, nil
	case FormatCSV:
		return &delimitedWriter{w: bw, tsv: false}, nil
	case FormatTSV:
		return &delimitedWriter{w: bw, tsv: true}, nil
	case FormatJSON:
		return &jsonWriter{w: bw, out: w, array: true}, nil
	case FormatNDJSON:
		return &jsonWriter{w: bw}, nil
	case FormatMarkdown:
		return &markdownWriter{w: bw}, nil
	case FormatParquet:
		return nil, fmt.Errorf("format %q writes a file: use Engine.CopyToParquet", f)
	}
	return nil, fmt.Errorf("unknown output format %q", f)
}

// WriteResult writes every row of rows through rw, from Begin to End, and
// returns the number of rows written. Rows stream through one at a time.
func WriteResult(rows *Rows, rw ResultWriter) (int64, error) {
	if err := rw.Begin(rows.Columns()); err != nil {
		return 0, err
	}
	var n int64
	for rows.Next() {
		if err := rw.Row(rows.Values()); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		// Flush what was written, so that the output ends where the error
		// struck, without a closing part that would make it look whole.
		if a, ok := rw.(aborter); ok {
			a.Abort()
		} else {
			rw.End()
		}
		return n, err
	}
	return n, rw.End()
}

// delimitedWriter writes CSV or TSV.
type delimitedWriter struct {
	w     *bufio.Writer
	tsv   bool
	types []string
	buf   []byte
}

func (d *delimitedWriter) Begin(cols []Column) error {
	d.types = make([]string, len(cols))
	names := make([]any, len(cols))
	for i, c := range cols {
		d.types[i] = c.Type
		names[i] = c.Name
	}
	return d.line(names, nil)
}

func (d *delimitedWriter) Row(values []any) error { return d.line(values, d.types) }

func (d *delimitedWriter) line(values []any, types []string) error {
	b := d.buf[:0]
	for i, v := range values {
		if i > 0 {
			if d.tsv {
				b = append(b, '\t')
			} else {
				b = append(b, ',')
			}
		}
		if v == nil {
			continue
		}
		colType := ""
		if types != nil {
			colType = types[i]
		}
		start := len(b)
		b = appendText(b, v, colType)
		if d.tsv {
			b = append(b[:start], escapeTSV(string(b[start:]))...)
		} else {
			b = append(b[:start], quoteCSV(string(b[start:]))...)
		}
	}
	b = append(b, '\n')
	d.buf = b
	_, err := d.w.Write(b)
	return err
}

func (d *delimitedWriter) End() error { return d.w.Flush() }

// quoteCSV quotes a CSV cell when it must be: it is empty (so that it
// differs from NULL), or holds a comma, quote, line break or leading or
// trailing space.
func quoteCSV(s string) string {
	if s != "" && !strings.ContainsAny(s, ",\"\r\n") && s[0] != ' ' && s[len(s)-1] != ' ' {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

var tsvEscaper = strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func escapeTSV(s string) string { return tsvEscaper.Replace(s) }

// jsonWriter writes a JSON array of objects, or NDJSON.
type jsonWriter struct {
	w *bufio.Writer
	// out is the writer below w, for Abort to drop an opening bracket
	// that no row followed.
	out   io.Writer
	array bool
	keys  [][]byte
	types []string
	rows  int
	buf   []byte
}

func (j *jsonWriter) Begin(cols []Column) error {
	j.keys = make([][]byte, len(cols))
	j.types = make([]string, len(cols))
	for i, c := range cols {
		j.keys[i] = append(appendJSONString(nil, c.Name), ':')
		j.types[i] = c.Type
	}
	if j.array {
		_, err := j.w.WriteString("[")
		return err
	}
	return nil
}

func (j *jsonWriter) Row(values []any) error {
	b := j.buf[:0]
	if j.array {
		if j.rows > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, '{')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j.keys[i]...)
		b = appendJSON(b, v, j.types[i])
	}
	b = append(b, '}')
	if !j.array {
		b = append(b, '\n')
	}
	j.buf = b
	j.rows++
	_, err := j.w.Write(b)
	return err
}

// Abort flushes the rows written so far. An array stays open, so that a
// JSON reader sees the result is incomplete. An array without rows is not
// written at all.
func (j *jsonWriter) Abort() error {
	if j.array && j.rows == 0 && j.out != nil {
		j.w.Reset(j.out)
		return nil
	}
	if j.array {
		j.w.WriteString("\n")
	}
	return j.w.Flush()
}

func (j *jsonWriter) End() error {
	if j.array {
		if j.rows > 0 {
			j.w.WriteString("\n")
		}
		j.w.WriteString("]\n")
	}
	return j.w.Flush()
}

// markdownWriter writes a Markdown table, numbers right-aligned.
type markdownWriter struct {
	w     *bufio.Writer
	types []string
}

var markdownEscaper = strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>", "\r", "<br>")

func (m *markdownWriter) Begin(cols []Column) error {
	m.types = make([]string, len(cols))
	var head, rule strings.Builder
	head.WriteString("|")
	rule.WriteString("|")
	for i, c := range cols {
		m.types[i] = c.Type
		head.WriteString(" " + markdownEscaper.Replace(c.Name) + " |")
		if isNumericType(c.Type) {
			rule.WriteString(" ---: |")
		} else {
			rule.WriteString(" --- |")
		}
	}
	_, err := m.w.WriteString(head.String() + "\n" + rule.String() + "\n")
	return err
}

func (m *markdownWriter) Row(values []any) error {
	var b strings.Builder
	b.WriteString("|")
	for i, v := range values {
		b.WriteString(" ")
		if v != nil {
			b.WriteString(markdownEscaper.Replace(string(appendText(nil, v, m.types[i]))))
		}
		b.WriteString(" |")
	}
	b.WriteString("\n")
	_, err := m.w.WriteString(b.String())
	return err
}

func (m *markdownWriter) End() error { return m.w.Flush() }

// isNumericType reports whether a column type holds numbers, which tables
// align to the right.
func isNumericType(t string) bool {
	switch {
	case strings.HasPrefix(t, "DECIMAL"):
		return true
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return false
}

// tableSample is the number of rows a table reads before it fixes its
// column widths; later rows stream out with those widths.
const tableSample = 1000

// minCellWidth is the narrowest that the table shrinks a column to fit
// the terminal.
const minCellWidth = 6

// tableWriter aligns columns from the widths of the first tableSample rows.
type tableWriter struct {
	w      *bufio.Writer
	opts   WriterOptions
	cols   []Column
	right  []bool
	widths []int
	sample [][]string
	fixed  bool
	rows   int64
}

func (t *tableWriter) Begin(cols []Column) error {
	t.cols = cols
	t.right = make([]bool, len(cols))
	for i, c := range cols {
		t.right[i] = isNumericType(c.Type)
	}
	return nil
}

func (t *tableWriter) cells(values []any) []string {
	out := make([]string, len(values))
	for i, v := range values {
		if v == nil {
			out[i] = "NULL"
			continue
		}
		s := string(appendText(nil, v, t.cols[i].Type))
		out[i] = tableCleaner.Replace(s)
	}
	return out
}

// tableCleaner keeps each row on one line.
var tableCleaner = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`, "\t", " ")

func (t *tableWriter) Row(values []any) error {
	t.rows++
	cells := t.cells(values)
	if !t.fixed {
		t.sample = append(t.sample, cells)
		if len(t.sample) < tableSample {
			return nil
		}
		if err := t.fix(); err != nil {
			return err
		}
		return nil
	}
	return t.line(cells)
}

// fix computes the widths from the header and the sample, writes the
// header and the sample, and switches to streaming.
func (t *tableWriter) fix() error {
	t.fixed = true
	t.widths = make([]int, len(t.cols))
	for i, c := range t.cols {
		t.widths[i] = runewidth.StringWidth(c.Name)
	}
	for _, row := range t.sample {
		for i, s := range row {
			t.widths[i] = max(t.widths[i], runewidth.StringWidth(s))
		}
	}
	t.fit()

	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.Name
	}
	if err := t.line(names); err != nil {
		return err
	}
	rule := make([]string, len(t.cols))
	for i, w := range t.widths {
		rule[i] = strings.Repeat("-", w)
	}
	if _, err := t.w.WriteString(strings.Join(rule, "-+-") + "\n"); err != nil {
		return err
	}
	for _, row := range t.sample {
		if err := t.line(row); err != nil {
			return err
		}
	}
	t.sample = nil
	return nil
}

// fit narrows the widest text columns until the table fits opts.Width.
// Numbers keep their width, because a cut number reads as another number.
func (t *tableWriter) fit() {
	if t.opts.Width <= 0 || len(t.widths) == 0 {
		return
	}
	total := func() int {
		n := 3 * (len(t.widths) - 1)
		for _, w := range t.widths {
			n += w
		}
		return n
	}
	for total() > t.opts.Width {
		widest := -1
		for i, w := range t.widths {
			if !t.right[i] && (widest < 0 || w > t.widths[widest]) {
				widest = i
			}
		}
		if widest < 0 || t.widths[widest] <= minCellWidth {
			return
		}
		t.widths[widest]--
	}
}

func (t *tableWriter) line(cells []string) error {
	var b strings.Builder
	for i, s := range cells {
		if i > 0 {
			b.WriteString(" | ")
		}
		w := t.widths[i]
		// A number wider than its column, seen after the rows that set the
		// widths, is printed whole and pushes the rest of its line right.
		if runewidth.StringWidth(s) > w && !t.right[i] {
			s = runewidth.Truncate(s, w, "…")
		}
		pad := strings.Repeat(" ", max(0, w-runewidth.StringWidth(s)))
		if t.right[i] {
			b.WriteString(pad + s)
		} else if i < len(cells)-1 {
			b.WriteString(s + pad)
		} else {
			b.WriteString(s)
		}
	}
	b.WriteString("\n")
	_, err := t.w.WriteString(b.String())
	return err
}

// Abort prints the rows so far without the row count.
func (t *tableWriter) Abort() error {
	if !t.fixed {
		if err := t.fix(); err != nil {
			return err
		}
	}
	return t.w.Flush()
}

func (t *tableWriter) End() error {
	if !t.fixed {
		if err := t.fix(); err != nil {
			return err
		}
	}
	if t.opts.Footer {
		noun := "rows"
		if t.rows == 1 {
			noun = "row"
		}
		fmt.Fprintf(t.w, "(%s %s)\n", strconv.FormatInt(t.rows, 10), noun)
	}
	return t.w.Flush()
}
