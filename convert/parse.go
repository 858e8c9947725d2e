package convert

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/flowq/flowq/internal/dataset"
)

// Reject is a line that does not fit its header. Rejected lines are written
// to the dataset's rejects files and never reach a table.
type Reject struct {
	Key    string `json:"key"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

// maxTimeSeconds is the largest start or end read as Unix seconds. Larger
// values are Unix milliseconds, which some exports of flow logs carry.
const maxTimeSeconds = 1<<31 - 1

// maxLineBytes bounds one line. Real lines are a few hundred bytes; the bound
// stops a file without newlines from taking all memory.
const maxLineBytes = 1 << 20

// errNotFlowLog marks an object whose first line is not a flow-log header.
var errNotFlowLog = errors.New("first line is not a flow-log header")

// headerMap is the column map that a header line defines: the table, the
// file schema and the column of each field position.
type headerMap struct {
	schema fileSchema
	text   string
	// col is the schema column of each field position, and kind its type.
	col  []int
	kind []dataset.Kind
	// limit is the largest valid value of each integer position; start and
	// end have none, because larger values are milliseconds.
	limit []int64
	// Field positions of the values that place a row, or -1 when absent.
	startPos, endPos, accountPos, regionPos int
	// fillAccount and fillRegion are the schema columns to fill from the
	// object key because the header lacks the field, or -1.
	fillAccount, fillRegion int
	unknown                 []string
}

// parseHeader builds the column map of a header line. Fields flowq does not
// know become string columns named after the field.
func parseHeader(line []byte) (*headerMap, error) {
	fields := bytes.Fields(line)
	if len(fields) == 0 {
		return nil, errNotFlowLog
	}
	names := make([]string, len(fields))
	known := 0
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		if !isFieldName(f) {
			return nil, fmt.Errorf("%w: %q is not a field name", errNotFlowLog, truncate(f, 40))
		}
		names[i] = string(f)
		if seen[names[i]] {
			return nil, fmt.Errorf("header names field %q twice", names[i])
		}
		seen[names[i]] = true
		if dataset.IsKnownField(names[i]) {
			known++
		}
	}
	if known == 0 {
		return nil, fmt.Errorf("%w: no known field among %d names", errNotFlowLog, len(names))
	}

	table := dataset.TableForHeader(names)
	h := &headerMap{text: string(line), col: make([]int, len(names)),
		startPos: -1, endPos: -1, accountPos: -1, regionPos: -1}
	for _, n := range names {
		if table.Lookup(n) < 0 {
			h.unknown = append(h.unknown, n)
		}
	}
	h.schema = newFileSchema(table, sortedColumnNames(h.unknown))
	if err := checkUnknownFields(table, h.unknown); err != nil {
		return nil, err
	}
	for i, n := range names {
		if c := table.Lookup(n); c >= 0 {
			h.col[i] = c
		} else {
			h.col[i] = len(table.Columns) + indexOf(h.schema.extra, dataset.ColumnName(n))
		}
		switch n {
		case "start":
			h.startPos = i
		case "end":
			h.endPos = i
		case "account-id":
			h.accountPos = i
		case "region":
			h.regionPos = i
		}
	}
	h.kind = make([]dataset.Kind, len(names))
	h.limit = make([]int64, len(names))
	for i, c := range h.col {
		h.kind[i] = h.schema.kind(c)
		switch {
		case i == h.startPos || i == h.endPos:
			h.limit[i] = -1
		case c < len(table.Columns) && table.Columns[c].Max > 0:
			h.limit[i] = table.Columns[c].Max
		case h.kind[i] == dataset.Int32:
			h.limit[i] = maxTimeSeconds
		default:
			h.limit[i] = 1<<63 - 1
		}
	}
	h.fillAccount, h.fillRegion = -1, -1
	if h.accountPos < 0 {
		h.fillAccount = table.Lookup("account-id")
	}
	if h.regionPos < 0 {
		h.fillRegion = table.Lookup("region")
	}
	return h, nil
}

// checkUnknownFields rejects unknown header fields whose columns would
// repeat a column of the table, as a field src-private would, or each
// other, as fields x-a and x_a would. A Parquet file cannot hold two
// columns of one name.
func checkUnknownFields(table *dataset.Table, fields []string) error {
	seen := make(map[string]string, len(fields))
	for _, f := range fields {
		name := dataset.ColumnName(f)
		if table.ColumnIndex(name) >= 0 {
			return fmt.Errorf("header field %q would be column %q, which table %s already has", f, name, table.Name)
		}
		if other, ok := seen[name]; ok {
			return fmt.Errorf("header fields %q and %q would both be column %q", other, f, name)
		}
		seen[name] = f
	}
	return nil
}

func isFieldName(b []byte) bool {
	if len(b) == 0 || b[0] < 'a' || b[0] > 'z' {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// looksLikeHeader reports whether a data line is in fact another header, as
// in files concatenated together. Every token must be a known field name.
func looksLikeHeader(line []byte) bool {
	if len(line) == 0 || line[0] < 'a' || line[0] > 'z' {
		return false
	}
	// Fast path: a record's first value is never a field name.
	first := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		first = line[:i]
	}
	if !dataset.IsKnownField(string(first)) {
		return false
	}
	for _, f := range bytes.Fields(line) {
		if !dataset.IsKnownField(string(f)) {
			return false
		}
	}
	return true
}

func sortedColumnNames(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = dataset.ColumnName(f)
	}
	slices.Sort(out)
	return out
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// objectStats counts what one object contributed.
type objectStats struct {
	Rows    int64
	Rejects int64
	// Lines is the number of lines read, the header included.
	Lines int64
	// MillisTimes counts start or end values read as milliseconds.
	MillisTimes int64
	// KeyTimeRows counts rows without start and end, placed by the key's time.
	KeyTimeRows int64
	// Unknown lists header fields flowq does not know.
	Unknown []string
	Tables  map[string]int64
}

// lineParser turns the lines of one object into rows of its sink.
type lineParser struct {
	obj  Object
	info KeyInfo
	prov *provenance
	sink *objectSink
	// fallbackHour places rows without start and end: the file time from the
	// key, else the object's modification time, in Unix seconds.
	fallbackTime int64

	h      *headerMap
	tokens [][]byte
	// lastAccount and lastRegion are the previous row's partition values.
	lastAccount, lastRegion string
	ints                    []int64
	nulls                   []bool
	stats                   objectStats
	reject                  func(Reject) error
}

func newLineParser(obj Object, info KeyInfo, sink *objectSink, reject func(Reject) error) *lineParser {
	p := &lineParser{obj: obj, info: info, sink: sink, reject: reject}
	p.prov = &provenance{key: obj.Key, flowLogID: info.FlowLogID, fileTime: -1}
	p.fallbackTime = obj.Modified.Unix()
	if !info.FileTime.IsZero() {
		p.prov.fileTime = info.FileTime.Unix()
		p.fallbackTime = p.prov.fileTime
	} else if !info.Date.IsZero() {
		p.fallbackTime = info.Date.Unix()
		if info.Hour >= 0 {
			p.fallbackTime += int64(info.Hour) * 3600
		}
	}
	p.stats.Tables = map[string]int64{}
	return p
}

// parseText reads a header line and records from r. It returns the first
// error that makes the object unusable; rejected lines are not such errors.
func (p *lineParser) parseText(r io.Reader) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var long []byte // a line longer than the reader's buffer
	lineNo := 0
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			if len(long) > maxLineBytes {
				return fmt.Errorf("line %d is longer than %d bytes; the object is not a flow-log text file", lineNo+1, maxLineBytes)
			}
			continue
		}
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		if len(line) > 0 {
			lineNo++
			if perr := p.parseLine(trimEOL(line), lineNo); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if p.h == nil {
		return fmt.Errorf("%w: the object is empty", errNotFlowLog)
	}
	return nil
}

func trimEOL(line []byte) []byte {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n]
}

// parseLine handles one line without its end-of-line bytes.
func (p *lineParser) parseLine(line []byte, lineNo int) error {
	p.stats.Lines++
	if len(line) == 0 {
		return nil
	}
	if p.h == nil {
		h, err := parseHeader(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
		p.setHeader(h)
		return nil
	}
	// Slow path: a second header, from files concatenated into one.
	if line[0] >= 'a' && line[0] <= 'z' && looksLikeHeader(line) {
		if string(line) != p.h.text {
			h, err := parseHeader(line)
			if err != nil {
				return fmt.Errorf("line %d: %w", lineNo, err)
			}
			p.setHeader(h)
		}
		return nil
	}
	if reason := p.parseRecord(line); reason != "" {
		p.stats.Rejects++
		return p.reject(Reject{Key: p.obj.Key, Line: lineNo, Reason: reason, Raw: string(line)})
	}
	return nil
}

func (p *lineParser) setHeader(h *headerMap) {
	p.h = h
	n := len(h.col)
	p.tokens = make([][]byte, n)
	p.ints = make([]int64, n)
	p.nulls = make([]bool, n)
	for _, u := range h.unknown {
		if indexOf(p.stats.Unknown, u) < 0 {
			p.stats.Unknown = append(p.stats.Unknown, u)
		}
	}
}

// parseRecord checks every value of a record against its column and, when
// all fit, appends the row. It returns the reason for rejecting the line, or
// "" when the row was appended. Nothing is appended for a rejected line.
func (p *lineParser) parseRecord(line []byte) string {
	h := p.h
	want := len(h.col)

	// Split on single spaces: no value contains a space, and an empty value
	// between two spaces is a malformed line, not a NULL.
	n := 0
	for len(line) > 0 {
		i := bytes.IndexByte(line, ' ')
		if n == want {
			return fmt.Sprintf("too many columns, expected %d, got %d", want, n+1+bytes.Count(line, []byte{' '}))
		}
		if i < 0 {
			p.tokens[n] = line
			n++
			break
		}
		p.tokens[n] = line[:i]
		n++
		line = line[i+1:]
		if len(line) == 0 {
			return fmt.Sprintf("line ends with a space after %d values; expected %d values separated by single spaces", n, want)
		}
	}
	if n < want {
		return fmt.Sprintf("missing columns, expected %d, got %d", want, n)
	}

	return p.parseTokens()
}

// parseTokens checks the values in p.tokens against their columns and, when
// all fit, appends the row. It returns the reason for rejecting the record,
// or "" when the row was appended. Nothing is appended for a rejected record.
func (p *lineParser) parseTokens() string {
	h := p.h
	want := len(h.col)
	// Validate every value before appending any.
	schema := h.schema
	for i := 0; i < want; i++ {
		tok := p.tokens[i]
		if len(tok) == 0 {
			return fmt.Sprintf("empty value at position %d; expected %d values separated by single spaces", i+1, want)
		}
		null := len(tok) == 1 && tok[0] == '-'
		p.nulls[i] = null
		if null || h.kind[i] == dataset.String {
			continue
		}
		v, ok := parseUint(tok)
		if !ok {
			return fmt.Sprintf("invalid value %q for %s: not a whole number", truncate(tok, 40), schema.name(h.col[i]))
		}
		switch limit := h.limit[i]; {
		case limit < 0:
			if v > maxTimeSeconds {
				v /= 1000
				p.stats.MillisTimes++
			}
		case v > limit:
			return fmt.Sprintf("value %d for %s is out of range 0-%d", v, schema.name(h.col[i]), limit)
		}
		p.ints[i] = v
	}

	// Place the row: record time, else the key's time.
	t := int64(-1)
	switch {
	case h.startPos >= 0 && !p.nulls[h.startPos]:
		t = p.ints[h.startPos]
	case h.endPos >= 0 && !p.nulls[h.endPos]:
		t = p.ints[h.endPos]
	default:
		t = p.fallbackTime
		p.stats.KeyTimeRows++
	}
	account := p.info.Account
	if h.accountPos >= 0 && !p.nulls[h.accountPos] {
		p.lastAccount = reuseString(p.tokens[h.accountPos], p.lastAccount)
		account = p.lastAccount
	}
	region := p.info.Region
	if h.regionPos >= 0 && !p.nulls[h.regionPos] {
		p.lastRegion = reuseString(p.tokens[h.regionPos], p.lastRegion)
		region = p.lastRegion
	}
	b := p.sink.batchFor(schema, account, region, t)

	for i := 0; i < want; i++ {
		c := &b.cols[h.col[i]]
		c.padTo(b.rows)
		switch {
		case p.nulls[i]:
			c.appendNull()
		case c.kind == dataset.String:
			c.appendString(p.tokens[i])
		default:
			c.appendInt(p.ints[i])
		}
	}
	p.fillMissing(b, account, region)
	b.addRow(p.prov)
	p.stats.Rows++
	p.stats.Tables[schema.table.Name]++
	return ""
}

// fillMissing appends the key's account and region where the header lacks
// those fields. Other fields the header lacks stay NULL by padding.
func (p *lineParser) fillMissing(b *batch, account, region string) {
	if i := p.h.fillAccount; i >= 0 && account != "" {
		b.cols[i].padTo(b.rows)
		b.cols[i].appendString([]byte(account))
	}
	if i := p.h.fillRegion; i >= 0 && region != "" {
		b.cols[i].padTo(b.rows)
		b.cols[i].appendString([]byte(region))
	}
}

// reuseString returns b as a string, reusing prev when it is equal so that
// the common case of one account per file allocates nothing.
func reuseString(b []byte, prev string) string {
	if string(b) == prev {
		return prev
	}
	return string(b)
}

// parseUint parses a non-negative decimal integer without allocating.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		if len(b) > 18 {
			v, err := strconv.ParseInt(string(b), 10, 64)
			return v, err == nil && v >= 0
		}
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// hourOf truncates Unix seconds to the start of their UTC hour.
func hourOf(t int64) int64 {
	h := t - t%3600
	if t < 0 && t%3600 != 0 {
		h -= 3600
	}
	return h
}
