package notebooks

import (
	"fmt"
	"io"
	"math"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/flowq/flowq/query"
)

// OutputFormat is a format that a Result is written in.
type OutputFormat string

// Output formats.
const (
	// OutputMarkdown is Markdown with one table per cell and small text
	// charts, for terminals and pull requests.
	OutputMarkdown OutputFormat = "markdown"
	// OutputHTML is one self-contained HTML page with inline CSS and SVG
	// charts, and no script or external reference.
	OutputHTML OutputFormat = "html"
	// OutputJSON is one JSON object with every cell's columns and rows.
	OutputJSON OutputFormat = "json"
)

// ParseOutputFormat returns the format named s, ignoring case; "md" is
// markdown and "htm" is html.
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "markdown", "md":
		return OutputMarkdown, nil
	case "html", "htm":
		return OutputHTML, nil
	case "json":
		return OutputJSON, nil
	}
	return "", fmt.Errorf("unknown output format %q: use markdown, html or json", s)
}

// OutputFormatForPath returns the format that a file name's extension
// (.md, .markdown, .html, .htm or .json) names.
func OutputFormatForPath(path string) (OutputFormat, error) {
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	if ext == "" {
		return "", fmt.Errorf("output file %q has no extension: name it .html, .md or .json, or give the format", path)
	}
	f, err := ParseOutputFormat(ext)
	if err != nil {
		return "", fmt.Errorf("output file %q: unknown extension %q: name it .html, .md or .json, or give the format", path, "."+ext)
	}
	return f, nil
}

// Write renders res in format f to w.
func Write(w io.Writer, res *Result, f OutputFormat) error {
	switch f {
	case OutputMarkdown:
		return WriteMarkdown(w, res)
	case OutputHTML:
		return WriteHTML(w, res)
	case OutputJSON:
		return WriteJSON(w, res)
	}
	return fmt.Errorf("unknown output format %q: use markdown, html or json", f)
}

// rangeText describes the time range, such as "2026-11-02T00:00:00Z to
// 2026-11-03T00:00:00Z".
func rangeText(since, until time.Time) string {
	s, u := "the beginning", "now"
	if !since.IsZero() {
		s = since.UTC().Format(time.RFC3339)
	}
	if !until.IsZero() {
		u = until.UTC().Format(time.RFC3339)
	}
	if since.IsZero() && until.IsZero() {
		return "all records"
	}
	return s + " to " + u
}

// paramsText lists the parameters as name=value, sorted by name.
func paramsText(params map[string]string) string {
	parts := make([]string, 0, len(params))
	for _, name := range sortedKeys(params) {
		parts = append(parts, name+"="+params[name])
	}
	return strings.Join(parts, ", ")
}

// rowsText writes a row count, such as "1 row" or "5 rows".
func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return strconv.FormatInt(n, 10) + " rows"
}

// cellText writes a value for a table cell: NULL as "", numbers in full,
// times in UTC, dates without a time.
func cellText(v any, colType string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		if colType == "DATE" {
			return x.UTC().Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02 15:04:05.999999Z07:00")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case []byte:
		return fmt.Sprintf("\\x%x", x)
	case *big.Int:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cellText(e, "")
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case query.Struct:
		parts := make([]string, len(x))
		for i, f := range x {
			parts[i] = f.Name + ": " + cellText(f.Value, "")
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case query.Map:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cellText(e.Key, "") + "=" + cellText(e.Value, "")
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// isNumericType reports whether a DuckDB column type holds numbers, which
// tables align to the right.
func isNumericType(t string) bool {
	for _, p := range []string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// numberOf converts a numeric value to float64 for drawing.
func numberOf(v any) (float64, bool) {
	switch x := v.(type) {
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case query.Decimal:
		f, err := strconv.ParseFloat(x.String(), 64)
		return f, err == nil
	}
	return 0, false
}

// siText writes a number with an SI suffix and three significant digits,
// such as 6.51G or 420k.
func siText(f float64) string {
	abs := math.Abs(f)
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if abs >= u.div {
			return strconv.FormatFloat(f/u.div, 'g', 3, 64) + u.suffix
		}
	}
	if abs == math.Trunc(abs) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 3, 64)
}
