package convert

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/flowq/flowq/internal/dataset"
)

// convertPaths converts local files or folders into a new dataset and
// returns the dataset root with the run's summary.
func convertPaths(t testing.TB, paths ...string) (string, *Summary) {
	t.Helper()
	out := t.TempDir()
	return out, convertInto(t, out, paths...)
}

func convertInto(t testing.TB, out string, paths ...string) *Summary {
	t.Helper()
	src, err := NewLocalSource(paths...)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), src, Config{Out: out, Workers: 2})
	if err != nil {
		t.Fatalf("convert %v: %v", paths, err)
	}
	return sum
}

// openDuck opens an in-memory DuckDB with views flows and tgw_flows over a
// dataset, partition columns typed as flowq's query engine types them.
func openDuck(t testing.TB, root string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	mustExec(t, db, "SET autoinstall_known_extensions=false")
	mustExec(t, db, "SET autoload_known_extensions=false")
	for _, table := range []string{dataset.FlowsTable, dataset.TGWFlowsTable} {
		glob := filepath.Join(root, filepath.FromSlash(dataset.TableGlob(table)))
		matches, _ := filepath.Glob(glob)
		if len(matches) == 0 {
			continue
		}
		mustExec(t, db, "CREATE VIEW "+table+" AS SELECT * FROM read_parquet('"+glob+
			"', hive_partitioning=true, union_by_name=true, hive_types={'account_id': VARCHAR, 'region': VARCHAR, 'date': DATE, 'hour': INTEGER})")
	}
	return db
}

func mustExec(t testing.TB, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// queryInt runs a query that returns one integer; NULL gives -1.
func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var v sql.NullInt64
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if !v.Valid {
		return -1
	}
	return v.Int64
}

// queryRow returns one row as a map from column name to value; NULL is nil.
func queryRow(t testing.TB, db *sql.DB, q string, args ...any) map[string]any {
	t.Helper()
	rows := queryRows(t, db, q, args...)
	if len(rows) != 1 {
		t.Fatalf("%s: got %d rows, want 1", q, len(rows))
	}
	return rows[0]
}

func queryRows(t testing.TB, db *sql.DB, q string, args ...any) []map[string]any {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkValues compares the named columns of a row with the wanted values.
// Integers compare as int64; nil means NULL.
func checkValues(t testing.TB, row map[string]any, want map[string]any) {
	t.Helper()
	for col, w := range want {
		got, ok := row[col]
		if !ok {
			t.Errorf("column %s missing", col)
			continue
		}
		if !sameValue(got, w) {
			t.Errorf("%s = %#v, want %#v", col, got, w)
		}
	}
}

func sameValue(got, want any) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	switch w := want.(type) {
	case int:
		return asInt64(got) == int64(w) && isInt(got)
	case int64:
		return asInt64(got) == w && isInt(got)
	}
	return got == want
}

func isInt(v any) bool {
	switch v.(type) {
	case int32, int64, int16, int8, int:
		return true
	}
	return false
}

func asInt64(v any) int64 {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	case int16:
		return int64(x)
	}
	return -1 << 62
}

// casePath returns a file or folder of the failure-case fixtures.
func casePath(parts ...string) string {
	return filepath.Join(append([]string{"testdata", "cases"}, parts...)...)
}

// writeFile writes a file below dir, creating folders, and returns its path.
func writeFile(t testing.TB, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lines joins lines with newlines and ends the text with one.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
