package query

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// fixtureHour is the partition hour of the test data files that views_test
// writes.
var fixtureHour = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// fixtureRow is one record of a test data file: its addresses, the values
// stored in src_private and dst_private ("true", "false" or "NULL"), and
// more columns as SQL literals by name. Names outside the table's schema
// become extra VARCHAR columns.
type fixtureRow struct {
	src, dst               string
	srcPrivate, dstPrivate string
	more                   map[string]string
}

// dataFile describes one data file of a test dataset.
type dataFile struct {
	account string
	// name is the file name in the partition folder.
	name string
	// derived writes src_private and dst_private, as format 2 does.
	derived bool
	rows    []fixtureRow
}

// writeDataset writes data files of the flows table with DuckDB's COPY, in
// the partition of fixtureHour of each file's account, and the format file
// when format is above 0. The files hold every column of the schema in
// schema order, without the derived ones unless dataFile.derived is set,
// and then their extra columns.
func writeDataset(t *testing.T, format int, files ...dataFile) string {
	t.Helper()
	root := t.TempDir()
	w := openEngine(t, Options{Data: t.TempDir()})
	for _, f := range files {
		dir := filepath.Join(root, filepath.FromSlash(dataset.Partition{Account: f.account, Region: "us-east-1", Hour: fixtureHour}.Dir(dataset.FlowsTable)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var extra []string
		for _, r := range f.rows {
			for name := range r.more {
				if !slices.Contains(extra, name) {
					extra = append(extra, name)
				}
			}
		}
		slices.Sort(extra)
		selects := make([]string, len(f.rows))
		for i, r := range f.rows {
			selects[i] = fixtureSelect(f, extra, i, r)
		}
		copySQL := fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet)", strings.Join(selects, "\nUNION ALL "), sqlString(filepath.Join(dir, f.name)))
		if _, err := w.Exec(t.Context(), copySQL); err != nil {
			t.Fatalf("write %s: %v", f.name, err)
		}
	}
	if format > 0 {
		writeFile(t, root, dataset.FormatFile, fmt.Sprintf("%d\n", format))
	}
	return root
}

// fixtureSelect returns a SELECT of one row with every column of a file,
// the extra columns last.
func fixtureSelect(f dataFile, extra []string, i int, r fixtureRow) string {
	values := map[string]string{
		"version": "2", "account_id": sqlString(f.account), "srcaddr": sqlLiteral(r.src), "dstaddr": sqlLiteral(r.dst),
		"start": fmt.Sprint(fixtureHour.Unix() + int64(i)), "end": fmt.Sprint(fixtureHour.Unix() + int64(i) + 30),
		dataset.ColSrcPrivate: r.srcPrivate, dataset.ColDstPrivate: r.dstPrivate,
		dataset.ColSourceKey: sqlString(f.name), dataset.ColFileTime: fmt.Sprint(fixtureHour.Unix()),
	}
	var cols []string
	for _, c := range dataset.Flows.Columns {
		if c.IsDerived() && !f.derived {
			continue
		}
		v := values[c.Name]
		if v == "" {
			v = "NULL"
		}
		cols = append(cols, fmt.Sprintf("CAST(%s AS %s) AS %s", v, c.Kind.SQLType(), quoteIdent(c.Name)))
	}
	for _, name := range extra {
		v := r.more[name]
		if v == "" {
			v = "NULL"
		}
		cols = append(cols, fmt.Sprintf("CAST(%s AS VARCHAR) AS %s", v, quoteIdent(name)))
	}
	return "SELECT " + strings.Join(cols, ", ")
}

// sqlLiteral quotes s as a string literal, or returns NULL for "".
func sqlLiteral(s string) string {
	if s == "" {
		return "NULL"
	}
	return sqlString(s)
}

// viewDefinition returns the SQL that defines one of the engine's views.
func viewDefinition(t *testing.T, e *Engine, view string) string {
	t.Helper()
	rows := queryRows(t, e, "SELECT sql FROM duckdb_views() WHERE view_name = ?", view)
	if len(rows) != 1 {
		t.Fatalf("view %s: %d definitions, want 1", view, len(rows))
	}
	return rows[0]["sql"].(string)
}

// viewColumns returns the columns of a view as "name TYPE", in order.
func viewColumns(t *testing.T, e *Engine, view string) []string {
	t.Helper()
	var out []string
	// duckdb_columns() reads the catalog, so it works on an empty view too,
	// which a query that names the view may not read.
	rows := queryRows(t, e, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", view)
	for _, r := range rows {
		out = append(out, fmt.Sprint(r["column_name"], " ", r["data_type"]))
	}
	return out
}

// emptyFlowsColumns returns the columns of the flows view over an empty
// dataset, which emptyViewSQL defines.
func emptyFlowsColumns(t *testing.T) []string {
	t.Helper()
	return viewColumns(t, openEngine(t, Options{Data: t.TempDir()}), dataset.FlowsTable)
}

// derivedValues returns src_private and dst_private of each row of flows
// by srcaddr, as "true", "false" or "NULL".
func derivedValues(t *testing.T, e *Engine) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, r := range queryRows(t, e, "SELECT srcaddr, src_private, dst_private FROM flows") {
		out[fmt.Sprint(r["srcaddr"])] = [2]string{sqlBool(r["src_private"]), sqlBool(r["dst_private"])}
	}
	return out
}

func sqlBool(v any) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(v)
}

// isPrivateSQL returns dataset.IsPrivate of an address as "true", "false"
// or "NULL", the value that a computed derived column must hold.
func isPrivateSQL(addr string) string {
	private, ok := dataset.IsPrivate([]byte(addr))
	if !ok {
		return "NULL"
	}
	return fmt.Sprint(private)
}

func TestFormat2ViewReadsExactSchema(t *testing.T) {
	// The stored values of the second row are the opposite of is_private's,
	// so the test detects whether the view reads the columns or computes them.
	data := writeDataset(t, dataset.Format,
		dataFile{account: "111111111111", name: "a.parquet", derived: true, rows: []fixtureRow{
			{src: "10.0.0.1", dst: "8.8.8.8", srcPrivate: "true", dstPrivate: "false"},
			{src: "192.168.1.1", dst: "172.16.0.1", srcPrivate: "false", dstPrivate: "false"},
		}},
		dataFile{account: "222222222222", name: "b.parquet", derived: true, rows: []fixtureRow{
			{src: "2600:1f18::1", dst: "fd00::1", srcPrivate: "false", dstPrivate: "true"},
			{src: "not-an-address", srcPrivate: "NULL", dstPrivate: "NULL"},
		}})
	e := openEngine(t, Options{Data: data})

	if def := viewDefinition(t, e, dataset.FlowsTable); strings.Contains(def, "union_by_name") || strings.Contains(def, "is_private") {
		t.Errorf("flows view over a format 2 dataset merges by name or computes a column:\n%s", def)
	}
	want := map[string][2]string{
		"10.0.0.1":       {"true", "false"},
		"192.168.1.1":    {"false", "false"},
		"2600:1f18::1":   {"false", "true"},
		"not-an-address": {"NULL", "NULL"},
	}
	got := derivedValues(t, e)
	for src, w := range want {
		if got[src] != w {
			t.Errorf("src_private, dst_private of %s = %v, want the stored %v", src, got[src], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rows = %v, want %d", got, len(want))
	}
	if got, want := viewColumns(t, e, dataset.FlowsTable), emptyFlowsColumns(t); !slices.Equal(got, want) {
		t.Errorf("columns of the flows view:\n%v\nwant those of the empty view:\n%v", got, want)
	}

	// A view of selected partitions reads them the same way.
	oneAccount := openEngine(t, Options{Data: data, Accounts: []string{"222222222222"}})
	if def := viewDefinition(t, oneAccount, dataset.FlowsTable); strings.Contains(def, "union_by_name") {
		t.Errorf("flows view of one account merges by name:\n%s", def)
	}
	if n := queryInt(t, oneAccount, "SELECT count(*) FROM flows WHERE dst_private"); n != 1 {
		t.Errorf("rows of one account with a private destination = %d, want 1", n)
	}
}

func TestFormat2ExtraFileMergesByName(t *testing.T) {
	data := writeDataset(t, dataset.Format,
		dataFile{account: "111111111111", name: "a.parquet", derived: true, rows: []fixtureRow{
			{src: "10.0.0.1", dst: "8.8.8.8", srcPrivate: "true", dstPrivate: "false"},
		}},
		dataFile{account: "111111111111", name: "b" + dataset.ExtraFileSuffix, derived: true, rows: []fixtureRow{
			{src: "10.0.0.2", dst: "8.8.4.4", srcPrivate: "true", dstPrivate: "false", more: map[string]string{"custom_field": "'blue'"}},
		}},
		dataFile{account: "222222222222", name: "c.parquet", derived: true, rows: []fixtureRow{
			// Stored values opposite to is_private's, as in the test above.
			{src: "8.8.8.8", dst: "10.1.1.1", srcPrivate: "true", dstPrivate: "false"},
		}})
	e := openEngine(t, Options{Data: data})

	if def := viewDefinition(t, e, dataset.FlowsTable); !strings.Contains(def, "union_by_name = true") || strings.Contains(def, "is_private") {
		t.Errorf("flows view over a dataset with an extra file does not merge by name, or computes a column:\n%s", def)
	}
	rows := queryRows(t, e, "SELECT srcaddr, custom_field FROM flows ORDER BY srcaddr")
	wantExtra := map[string]any{"10.0.0.1": nil, "10.0.0.2": "blue", "8.8.8.8": nil}
	if len(rows) != len(wantExtra) {
		t.Fatalf("rows = %v, want %d", rows, len(wantExtra))
	}
	for _, r := range rows {
		if src := r["srcaddr"].(string); r["custom_field"] != wantExtra[src] {
			t.Errorf("custom_field of %s = %v, want %v", src, r["custom_field"], wantExtra[src])
		}
	}
	want := map[string][2]string{"10.0.0.1": {"true", "false"}, "10.0.0.2": {"true", "false"}, "8.8.8.8": {"true", "false"}}
	got := derivedValues(t, e)
	for src, w := range want {
		if got[src] != w {
			t.Errorf("src_private, dst_private of %s = %v, want the stored %v", src, got[src], w)
		}
	}

	// The extra file lies outside this selection, so the view skips merging.
	other := openEngine(t, Options{Data: data, Accounts: []string{"222222222222"}})
	if def := viewDefinition(t, other, dataset.FlowsTable); strings.Contains(def, "union_by_name") {
		t.Errorf("flows view without the extra file merges by name:\n%s", def)
	}
	if n := queryInt(t, other, "SELECT count(*) FROM flows WHERE src_private"); n != 1 {
		t.Errorf("rows of the other account with src_private = %d, want 1", n)
	}
}

func TestFormat1ViewComputesDerived(t *testing.T) {
	addrs := []string{"10.0.0.1", "8.8.8.8", "172.31.255.255", "100.64.0.0", "fe80::1%eth0", "2001:db8::1", "::ffff:192.168.0.1", "-x-", ""}
	var rows []fixtureRow
	for i, a := range addrs {
		rows = append(rows, fixtureRow{src: a, dst: addrs[len(addrs)-1-i]})
	}
	data := writeDataset(t, 0, dataFile{account: "111111111111", name: "a.parquet", rows: rows[:4]},
		dataFile{account: "222222222222", name: "b.parquet", rows: rows[4:]})
	e := openEngine(t, Options{Data: data})

	if def := viewDefinition(t, e, dataset.FlowsTable); !strings.Contains(def, "union_by_name = true") || !strings.Contains(def, "is_private(srcaddr) AS src_private") {
		t.Errorf("flows view over format 1 files does not compute src_private:\n%s", def)
	}
	var got [][3]any
	for _, r := range queryRows(t, e, "SELECT srcaddr, src_private, dst_private, dstaddr FROM flows") {
		if r["srcaddr"] == nil {
			r["srcaddr"] = ""
		}
		if r["dstaddr"] == nil {
			r["dstaddr"] = ""
		}
		got = append(got, [3]any{r["srcaddr"], sqlBool(r["src_private"]), sqlBool(r["dst_private"])})
		if want := isPrivateSQL(r["dstaddr"].(string)); sqlBool(r["dst_private"]) != want {
			t.Errorf("dst_private of %q = %v, want %s", r["dstaddr"], r["dst_private"], want)
		}
	}
	if len(got) != len(addrs) {
		t.Fatalf("rows = %v, want %d", got, len(addrs))
	}
	for _, g := range got {
		if want := isPrivateSQL(g[0].(string)); g[1] != want {
			t.Errorf("src_private of %q = %v, want %s", g[0], g[1], want)
		}
	}
	if got, want := viewColumns(t, e, dataset.FlowsTable), emptyFlowsColumns(t); !slices.Equal(got, want) {
		t.Errorf("columns of the flows view:\n%v\nwant those of the empty view:\n%v", got, want)
	}

	// The time predicate survives the redefinition. The rows of each file
	// start one second apart from the partition hour, so the first two
	// seconds hold 10.0.0.1, 8.8.8.8, fe80::1%eth0 and 2001:db8::1.
	early := openEngine(t, Options{Data: data, Since: fixtureHour, Until: fixtureHour.Add(2 * time.Second)})
	if n := queryInt(t, early, "SELECT count(*) FROM flows"); n != 4 {
		t.Errorf("rows in the first two seconds = %d, want 4", n)
	}
	if n := queryInt(t, early, "SELECT count(*) FROM flows WHERE src_private"); n != 2 {
		t.Errorf("private sources in the first two seconds = %d, want 2", n)
	}
}

func TestMixedFormat1ViewCoalesces(t *testing.T) {
	// a.parquet was written by format 2 into a format 1 dataset. Its stored
	// values are the opposite of is_private's, so the test detects that the
	// view keeps them, and computes the columns only for b.parquet.
	data := writeDataset(t, 0,
		dataFile{account: "111111111111", name: "a.parquet", derived: true, rows: []fixtureRow{
			{src: "10.0.0.1", dst: "8.8.8.8", srcPrivate: "false", dstPrivate: "true"},
		}},
		dataFile{account: "111111111111", name: "b.parquet", rows: []fixtureRow{
			{src: "10.0.0.2", dst: "8.8.4.4", more: map[string]string{"custom_field": "'blue'"}},
			{src: "9.9.9.9", dst: "fd00::1"},
		}})
	e := openEngine(t, Options{Data: data})

	if def := viewDefinition(t, e, dataset.FlowsTable); !strings.Contains(def, "union_by_name = true") || !strings.Contains(def, "COALESCE(src_private, is_private(srcaddr))") {
		t.Errorf("flows view over mixed files does not coalesce src_private:\n%s", def)
	}
	want := map[string][2]string{"10.0.0.1": {"false", "true"}, "10.0.0.2": {"true", "false"}, "9.9.9.9": {"false", "true"}}
	got := derivedValues(t, e)
	for src, w := range want {
		if got[src] != w {
			t.Errorf("src_private, dst_private of %s = %v, want %v", src, got[src], w)
		}
	}
	if n := queryInt(t, e, "SELECT count(*) FROM flows WHERE custom_field = 'blue'"); n != 1 {
		t.Errorf("rows with the extra column set = %d, want 1", n)
	}

	// The extra column follows the table's columns and precedes the
	// partition columns.
	cols := viewColumns(t, e, dataset.FlowsTable)
	empty := emptyFlowsColumns(t)
	i := slices.Index(cols, "custom_field VARCHAR")
	if i < 0 || !slices.Equal(slices.Delete(slices.Clone(cols), i, i+1), empty) || cols[i-1] != dataset.ColFileTime+" BIGINT" {
		t.Errorf("columns of the flows view:\n%v\nwant those of the empty view with custom_field after %s:\n%v", cols, dataset.ColFileTime, empty)
	}
}

func TestOpenRejectsUnknownFormat(t *testing.T) {
	newer := writeDataset(t, dataset.Format+1, dataFile{account: "111111111111", name: "a.parquet", rows: []fixtureRow{{src: "10.0.0.1"}}})
	if _, err := Open(t.Context(), Options{Data: newer}); !errors.Is(err, dataset.ErrNewerFormat) {
		t.Errorf("open a dataset of format %d: %v, want an error wrapping dataset.ErrNewerFormat", dataset.Format+1, err)
	}

	invalid := t.TempDir()
	path := writeFile(t, invalid, dataset.FormatFile, "two\n")
	if _, err := Open(t.Context(), Options{Data: invalid}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("open a dataset whose format file holds %q: %v, want an error that names the file", "two\n", err)
	}
}

func TestConvertedDatasetViews(t *testing.T) {
	start := time.Date(2024, 3, 9, 23, 35, 0, 0, time.UTC)
	const prefix = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/09/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_"
	dir := t.TempDir()
	writeFile(t, dir, prefix+"20240309T2340Z_0a1b2c3d.log",
		defaultHeader+"\n"+flowLine("10.0.1.10", "198.51.100.7", 443, start, 100)+"\n")
	plain := convertFiles(t, dir)
	writeFile(t, dir, prefix+"20240309T2345Z_4e5f6a7b.log",
		defaultHeader+" x-future-field\n"+flowLine("198.51.100.8", "10.0.1.11", 443, start, 200)+" blue\n")
	withExtra := convertFiles(t, dir)

	// The converter declares format 2 in a new dataset, so a view over files
	// without extra columns does not merge by name.
	e := openEngine(t, Options{Data: plain})
	if e.Plan().Format != dataset.Format {
		t.Errorf("format of a new dataset = %d, want %d", e.Plan().Format, dataset.Format)
	}
	if def := viewDefinition(t, e, dataset.FlowsTable); strings.Contains(def, "union_by_name") {
		t.Errorf("flows view over converted files without extra columns merges by name:\n%s", def)
	}
	if got := derivedValues(t, e)["10.0.1.10"]; got != [2]string{"true", "false"} {
		t.Errorf("src_private, dst_private of 10.0.1.10 = %v, want true, false", got)
	}

	// A file with an unknown field makes the view merge by name.
	e = openEngine(t, Options{Data: withExtra})
	if e.Plan().Tables[dataset.FlowsTable].ExtraFiles != 1 {
		t.Errorf("files with extra columns = %d, want 1", e.Plan().Tables[dataset.FlowsTable].ExtraFiles)
	}
	if def := viewDefinition(t, e, dataset.FlowsTable); !strings.Contains(def, "union_by_name = true") {
		t.Errorf("flows view over a converted file with an extra column does not merge by name:\n%s", def)
	}
	rows := queryRows(t, e, "SELECT srcaddr, x_future_field, src_private, dst_private FROM flows ORDER BY srcaddr")
	want := []map[string]any{
		{"srcaddr": "10.0.1.10", "x_future_field": nil, "src_private": true, "dst_private": false},
		{"srcaddr": "198.51.100.8", "x_future_field": "blue", "src_private": false, "dst_private": true},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %v, want %v", rows, want)
	}
	for i, w := range want {
		for k, v := range w {
			if rows[i][k] != v {
				t.Errorf("%s of %s = %v, want %v", k, w["srcaddr"], rows[i][k], v)
			}
		}
	}
}

// A file without the derived columns in a format-2 dataset fails queries
// as a data-file error that explains what to do, not with DuckDB's advice to
// merge by name.
func TestFormat2FileWithoutColumnsExplained(t *testing.T) {
	row := []fixtureRow{{src: "10.0.0.1", dst: "8.8.8.8", srcPrivate: "true", dstPrivate: "false"}}
	data := writeDataset(t, dataset.Format,
		dataFile{account: "111111111111", name: "a.parquet", derived: true, rows: row},
		dataFile{account: "222222222222", name: "b.parquet", derived: false, rows: row})
	e := openEngine(t, Options{Data: data})
	rows, err := e.Query(t.Context(), "SELECT count(*), count(src_private) FROM flows")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil {
		t.Fatal("query over a file without the derived columns succeeded")
	}
	if KindOf(err) != KindIO {
		t.Errorf("kind = %v, want %v", KindOf(err), KindIO)
	}
	if !strings.Contains(err.Error(), dataset.FormatFile) || !strings.Contains(err.Error(), "Move the file") {
		t.Errorf("error %q does not say what to do", err)
	}
}
