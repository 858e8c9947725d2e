package query

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// tableOutput writes the result of sql as a table with the given width.
func tableOutput(t *testing.T, sql string, width int) string {
	t.Helper()
	e := openEngine(t, Options{Data: filepath.Join(t.TempDir(), "missing")})
	rows, err := e.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out bytes.Buffer
	rw, err := NewResultWriter(FormatTable, &out, WriterOptions{Width: width})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteResult(rows, rw); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// A number wider than the rows that set the column widths is printed
// whole, never cut to a shorter number.
func TestTableKeepsLateWideNumbers(t *testing.T) {
	out := tableOutput(t, "SELECT i FROM range(1003) t(i)", 0)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last != "1002" {
		t.Errorf("last line = %q, want 1002", last)
	}
	if strings.Contains(out, "…") {
		t.Errorf("a number was cut:\n%s", out[len(out)-80:])
	}
}

// A narrow terminal cuts text columns, never numbers.
func TestTableNarrowsTextNotNumbers(t *testing.T) {
	out := tableOutput(t, "SELECT 123456789012345 AS bytes, repeat('x', 60) AS note", 30)
	if !strings.Contains(out, "123456789012345") {
		t.Errorf("number cut:\n%s", out)
	}
	if !strings.Contains(out, "…") {
		t.Errorf("text column not narrowed to 30 columns:\n%s", out)
	}
}
