package convert

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// derivedCase is one record of the derived-column tests: its addresses,
// as the flow log writes them, and the src_private and dst_private that
// the converter must write, nil for NULL. srcport identifies each row.
type derivedCase struct {
	srcport          int
	src, dst         string
	srcWant, dstWant any
	status           string
}

// derivedCases covers private, public, IPv6, IPv4-mapped, NODATA and
// garbage addresses. Most rows differ between source and destination, so
// swapped columns fail, and each column holds true, false and NULL, so a
// constant column fails.
var derivedCases = []derivedCase{
	{srcport: 1, src: "10.0.1.10", dst: "198.51.100.7", srcWant: true, dstWant: false},
	{srcport: 2, src: "8.8.8.8", dst: "192.168.1.1", srcWant: false, dstWant: true},
	{srcport: 3, src: "172.31.0.9", dst: "172.32.0.9", srcWant: true, dstWant: false},
	{srcport: 4, src: "100.64.0.1", dst: "169.254.169.254", srcWant: true, dstWant: true},
	{srcport: 5, src: "2600:1f18::1", dst: "fd00::5", srcWant: false, dstWant: true},
	{srcport: 6, src: "fe80::1", dst: "2001:db8::1", srcWant: true, dstWant: false},
	{srcport: 7, src: "::ffff:10.1.2.3", dst: "::ffff:8.8.8.8", srcWant: true, dstWant: false},
	{srcport: 8, src: "bogus", dst: "10.0.0.1", srcWant: nil, dstWant: true},
	{srcport: 9, src: "203.0.113.5", dst: "10.0.0.256", srcWant: false, dstWant: nil},
	{srcport: 10, src: "-", dst: "-", srcWant: nil, dstWant: nil, status: "NODATA"},
}

// derivedLog returns a flow log with one record per case, in the default
// format, whose records start at start.
func derivedLog(cases []derivedCase, start int64) string {
	ls := []string{defaultHeader}
	for _, c := range cases {
		status := "OK"
		if c.status != "" {
			status = c.status
		}
		ls = append(ls, fmt.Sprintf("2 123456789012 eni-1 %s %s %d 443 6 10 840 %d %d ACCEPT %s",
			c.src, c.dst, c.srcport, start, start+60, status))
	}
	return lines(ls...)
}

// checkDerived reads srcport, src_private and dst_private of every row of
// the data files that match glob, and compares them with the cases.
func checkDerived(t *testing.T, db *sql.DB, glob string, cases []derivedCase) {
	t.Helper()
	rows := queryRows(t, db, "SELECT srcport, srcaddr, src_private, dst_private FROM read_parquet(?, hive_partitioning = false) ORDER BY srcport", glob)
	if len(rows) != len(cases) {
		t.Fatalf("%s has %d rows, want %d", glob, len(rows), len(cases))
	}
	for i, c := range cases {
		row := rows[i]
		if !sameValue(row["srcport"], int64(c.srcport)) {
			t.Fatalf("row %d has srcport %v, want %d", i, row["srcport"], c.srcport)
		}
		if row["src_private"] != c.srcWant {
			t.Errorf("src_private of %s = %v, want %v", c.src, row["src_private"], c.srcWant)
		}
		if row["dst_private"] != c.dstWant {
			t.Errorf("dst_private of %s = %v, want %v", c.dst, row["dst_private"], c.dstWant)
		}
	}
}

func TestDerivedColumnsFromConverter(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "a.log", derivedLog(derivedCases, 1700000000))
	out, sum := convertPaths(t, in)
	if sum.Rows != int64(len(derivedCases)) || sum.RowsRejected != 0 || sum.ObjectsFailed != 0 {
		t.Fatalf("rows=%d rejected=%d failed=%d, want %d, 0, 0", sum.Rows, sum.RowsRejected, sum.ObjectsFailed, len(derivedCases))
	}
	files, _ := filepath.Glob(filepath.Join(out, filepath.FromSlash(dataset.TableGlob(dataset.FlowsTable))))
	if len(files) != 1 {
		t.Fatalf("data files %v, want one", files)
	}
	db := openDuck(t, out)
	checkDerived(t, db, files[0], derivedCases)

	// Both columns are OPTIONAL BOOLEAN, between the flow-log fields and
	// the provenance columns.
	schema := queryRows(t, db, "SELECT name, type, repetition_type FROM parquet_schema(?) WHERE name <> 'schema'", files[0])
	names := make([]string, len(schema))
	for i, r := range schema {
		names[i] = r["name"].(string)
		if names[i] == dataset.ColSrcPrivate || names[i] == dataset.ColDstPrivate {
			checkValues(t, r, map[string]any{"type": "BOOLEAN", "repetition_type": "OPTIONAL"})
		}
	}
	got := strings.Join(names, ",")
	if want := "reject_reason,src_private,dst_private,source_key,"; !strings.Contains(got, want) {
		t.Errorf("columns %s, want %s in that order", got, want)
	}
}

func TestDerivedColumnsOfTransitGateway(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "tgw.log", lines(
		"version resource-type account-id tgw-id tgw-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type",
		"6 TransitGateway 123456789012 tgw-1 tgw-attach-1 10.0.0.1 8.8.4.4 1 443 6 10 5000 1700000000 1700000060 OK IPv4",
		"6 TransitGateway 123456789012 tgw-1 tgw-attach-1 2001:db8::7 fd12::1 2 443 6 10 5000 1700000000 1700000060 OK IPv6"))
	out, sum := convertPaths(t, in)
	if sum.RowsByTable[dataset.TGWFlowsTable] != 2 {
		t.Fatalf("rows by table %v, want 2 in tgw_flows", sum.RowsByTable)
	}
	db := openDuck(t, out)
	rows := queryRows(t, db, "SELECT src_private, dst_private FROM tgw_flows ORDER BY srcport")
	if len(rows) != 2 {
		t.Fatalf("tgw_flows has %d rows, want 2", len(rows))
	}
	checkValues(t, rows[0], map[string]any{"src_private": true, "dst_private": false})
	checkValues(t, rows[1], map[string]any{"src_private": false, "dst_private": true})
}

// TestDerivedColumnsAfterReplace converts two objects into one partition
// file, makes that file look written by an earlier flowq, without derived
// columns, or with wrong ones, changes one object and converts again. The
// rewritten file must hold the derived values of both objects' rows.
func TestDerivedColumnsAfterReplace(t *testing.T) {
	for _, tc := range []struct {
		name string
		// query selects the content of the old file, as DuckDB SQL over
		// the file's rows in a view named old.
		query string
	}{
		{"file from an earlier flowq", "SELECT * EXCLUDE (src_private, dst_private) FROM old"},
		{"file with wrong values", "SELECT * REPLACE (NOT src_private AS src_private, dst_private IS NULL AS dst_private) FROM old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := t.TempDir()
			unchanged, changed := derivedCases[:5], derivedCases[5:]
			writeFile(t, in, "a.log", derivedLog(unchanged, 1700000000))
			b := writeFile(t, in, "b.log", derivedLog(changed, 1700000000))
			out := t.TempDir()
			convertInto(t, out, in)

			glob := filepath.Join(out, filepath.FromSlash(dataset.TableGlob(dataset.FlowsTable)))
			files, _ := filepath.Glob(glob)
			if len(files) != 1 {
				t.Fatalf("data files %v, want one shared by both objects", files)
			}
			rewriteWithDuckDB(t, files[0], tc.query)

			// A new version of b: the same addresses, in new rows.
			var next []derivedCase
			for _, c := range changed {
				c.srcport += 100
				next = append(next, c)
			}
			if err := os.WriteFile(b, []byte(derivedLog(next, 1700000000)), 0o644); err != nil {
				t.Fatal(err)
			}
			later := time.Now().Add(time.Minute)
			if err := os.Chtimes(b, later, later); err != nil {
				t.Fatal(err)
			}
			sum := convertInto(t, out, in)
			if sum.ObjectsChanged != 1 {
				t.Fatalf("changed objects = %d, want 1", sum.ObjectsChanged)
			}
			if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
				t.Errorf("the replaced file is still there (stat error %v)", err)
			}
			checkDerived(t, openDuck(t, out), glob, append(append([]derivedCase{}, unchanged...), next...))
		})
	}
}

// rewriteWithDuckDB replaces a Parquet file with the result of query over
// its rows, which the query reads from a view named old.
func rewriteWithDuckDB(t *testing.T, file, query string) {
	t.Helper()
	db := openDuck(t, t.TempDir())
	mustExec(t, db, "CREATE VIEW old AS SELECT * FROM read_parquet('"+file+"', hive_partitioning = false)")
	tmp := file + ".rewrite"
	mustExec(t, db, "COPY ("+query+") TO '"+tmp+"' (FORMAT parquet)")
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

// TestDerivedColumnNameInHeaderFailsObject converts a flow log whose header
// names a field src-private beside a good flow log. The first object fails,
// since its field would repeat a derived column, and the run goes on.
func TestDerivedColumnNameInHeaderFailsObject(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "a.log", lines(defaultHeader+" src-private", record("1")+" yes"))
	writeFile(t, in, "b.log", lines(defaultHeader, record("2")))
	out, sum := convertPaths(t, in)
	if sum.ObjectsFailed != 1 || sum.ObjectsConverted != 1 {
		t.Fatalf("failed=%d converted=%d, want 1 and 1", sum.ObjectsFailed, sum.ObjectsConverted)
	}
	if f := sum.Failures[0]; f.Key != "a.log" || !strings.Contains(f.Error, `"src_private"`) {
		t.Errorf("failure = %+v, want a.log with a message naming src_private", f)
	}
	row := queryRow(t, openDuck(t, out), "SELECT srcport, src_private FROM flows")
	checkValues(t, row, map[string]any{"srcport": 2, "src_private": true})
}

// TestDerivedColumnInParquetInputFailsObject converts an AWS Parquet object
// that has a src_private column with a wrong value. flowq never takes a
// derived value from its input, so the object fails and names the column.
func TestDerivedColumnInParquetInputFailsObject(t *testing.T) {
	in := t.TempDir()
	object := filepath.Join(in, "x.log.parquet")
	db := openDuck(t, t.TempDir())
	mustExec(t, db, "COPY (SELECT *, false AS src_private FROM read_parquet('"+casePath("parquet-widths", "aws_native.parquet")+"')) TO '"+object+"' (FORMAT parquet)")
	writeFile(t, in, "a.log", lines(defaultHeader, record("2")))

	_, sum := convertPaths(t, in)
	if sum.ObjectsFailed != 1 || sum.ObjectsConverted != 1 {
		t.Fatalf("failed=%d converted=%d, want 1 and 1", sum.ObjectsFailed, sum.ObjectsConverted)
	}
	if f := sum.Failures[0]; f.Key != "x.log.parquet" || !strings.Contains(f.Error, `"src_private"`) {
		t.Errorf("failure = %+v, want x.log.parquet with a message naming src_private", f)
	}
}
