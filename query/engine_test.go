package query

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
	"github.com/flowq/flowq/internal/sample"
)

// flowLine formats one default-format record.
func flowLine(src, dst string, dport int, start time.Time, bytes int) string {
	return fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f60001 %s %s 40000 %d 6 10 %d %d %d ACCEPT OK",
		src, dst, dport, bytes, start.Unix(), start.Unix()+30)
}

const defaultHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

// corruptPartitions overwrites the data files of every partition folder
// that keep rejects, so that reading them fails.
func corruptPartitions(t *testing.T, root string, keep func(rel string) bool) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(root, dataset.FlowsTable), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, dataset.DataFileExt) {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(root, dataset.FlowsTable), filepath.Dir(path))
		if keep(filepath.ToSlash(rel)) {
			return nil
		}
		n++
		return os.WriteFile(path, []byte("this is not a Parquet file"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPartitionFiltersPrune(t *testing.T) {
	late := time.Date(2024, 3, 9, 23, 35, 0, 0, time.UTC)
	early := time.Date(2024, 3, 10, 5, 5, 0, 0, time.UTC)
	dir := t.TempDir()
	writeFile(t, dir, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/09/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240309T2355Z_0a1b2c3d.log",
		defaultHeader+"\n"+flowLine("10.0.1.10", "198.51.100.7", 443, late, 100)+"\n"+flowLine("10.0.1.10", "198.51.100.8", 443, late, 200)+"\n")
	writeFile(t, dir, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/10/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240310T0505Z_4e5f6a7b.log",
		defaultHeader+"\n"+flowLine("10.0.1.10", "198.51.100.9", 443, early, 300)+"\n")
	data := convertFiles(t, dir)
	e := openEngine(t, Options{Data: data})

	rows := queryRows(t, e, "SELECT typeof(account_id) AS a, typeof(region) AS r, typeof(date) AS d, typeof(hour) AS h FROM flows WHERE date = DATE '2024-03-09' LIMIT 1")
	want := map[string]any{"a": "VARCHAR", "r": "VARCHAR", "d": "DATE", "h": "INTEGER"}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("type of %s = %v, want %v", k, rows[0][k], v)
		}
	}
	if got := queryInt(t, e, "SELECT count(*) FROM flows"); got != 3 {
		t.Fatalf("rows = %d, want 3", got)
	}
	for _, where := range []string{"date = DATE '2024-03-09'", "hour = 23", "date = DATE '2024-03-09' AND hour = 23 AND account_id = '123456789012'"} {
		q := "SELECT count(*) FROM flows WHERE " + where
		if got := queryInt(t, e, q); got != 2 {
			t.Errorf("%s = %d, want 2", q, got)
		}
		if scanned, total := filesScanned(t, e, "SELECT sum(bytes) FROM flows WHERE "+where); scanned != 1 || total != 2 {
			t.Errorf("%s scanned %d of %d files, want 1 of 2", q, scanned, total)
		}
	}
}

// filesScanned returns the "Scanning Files: n/m" figures of a query's
// EXPLAIN ANALYZE: the files DuckDB read after pruning by partition
// values, and the files it was given.
func filesScanned(t *testing.T, e *Engine, q string) (scanned, total int) {
	t.Helper()
	var plan strings.Builder
	for _, r := range queryRows(t, e, "EXPLAIN ANALYZE "+q) {
		for _, v := range r {
			plan.WriteString(fmt.Sprint(v))
		}
	}
	i := strings.Index(plan.String(), "Scanning Files:")
	if i < 0 {
		t.Fatalf("EXPLAIN ANALYZE %s has no Scanning Files line:\n%s", q, plan.String())
	}
	if _, err := fmt.Sscanf(plan.String()[i:], "Scanning Files: %d/%d", &scanned, &total); err != nil {
		t.Fatal(err)
	}
	return scanned, total
}

func TestTimeRangeReadsOnlyItsHours(t *testing.T) {
	d := loadDemo(t)
	data := t.TempDir()
	if err := os.CopyFS(data, os.DirFS(d.data)); err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 11, 2, 10, 2, 0, 0, time.UTC)
	until := since.Add(time.Hour)

	// Every file outside the hours 10 and 11 of that day, and the hour 09
	// before them, is broken: the query succeeds only if the engine never
	// opens one.
	kept := func(rel string) bool {
		for _, h := range []string{"09", "10", "11"} {
			if strings.Contains(rel, "date=2026-11-02/hour="+h) {
				return true
			}
		}
		return false
	}
	corruptPartitions(t, data, kept)

	e := openEngine(t, Options{Data: data, Since: since, Until: until})
	plan := e.Plan().Tables[dataset.FlowsTable]
	if len(plan.Partitions) == 0 {
		t.Fatal("no partition selected")
	}
	for _, p := range plan.Partitions {
		if !kept(p) {
			t.Errorf("partition %s selected for %s to %s", p, since, until)
		}
	}
	var want int64
	for _, r := range d.records {
		if r.int("start") < until.Unix() && r.int("end") >= since.Unix() {
			want++
		}
	}
	if got := queryInt(t, e, "SELECT count(*) FROM flows"); got != want {
		t.Errorf("rows overlapping the hour = %d, want %d", got, want)
	}
	var straddling int64
	for _, r := range d.records {
		if r.int("start") < since.Unix() && r.int("end") >= since.Unix() {
			straddling++
		}
	}
	if straddling == 0 {
		t.Fatal("the archive has no record that starts before the range and overlaps it")
	}
	if got := queryInt(t, e, `SELECT count(*) FROM flows WHERE start < ?`, since.Unix()); got != straddling {
		t.Errorf("records that start before the range = %d, want %d", got, straddling)
	}
}

func TestAccountAndRegionFilters(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data, Accounts: []string{"210987654321"}, Regions: []string{"eu-west-1"}})
	rows := queryRows(t, e, "SELECT DISTINCT account_id, region FROM flows")
	if len(rows) != 1 || rows[0]["account_id"] != "210987654321" || rows[0]["region"] != "eu-west-1" {
		t.Errorf("partitions = %v, want only 210987654321 eu-west-1", rows)
	}
	for _, p := range e.Plan().Tables[dataset.FlowsTable].Partitions {
		if !strings.HasPrefix(p, "account_id=210987654321/region=eu-west-1/") {
			t.Errorf("partition %s selected", p)
		}
	}
}

func TestNullsAreNotEmpty(t *testing.T) {
	data := convertFiles(t, casePath("nodata-dashes", "a.log"))
	e := openEngine(t, Options{Data: data})
	checks := map[string]int64{
		"SELECT count(*) FROM flows":                                         3,
		"SELECT count(*) FROM flows WHERE srcport IS NULL":                   2,
		"SELECT count(*) FROM flows WHERE CAST(srcport AS VARCHAR) = ''":     0,
		"SELECT count(*) FROM flows WHERE srcaddr IN ('-', '')":              0,
		"SELECT count(*) FROM flows WHERE bytes IS NULL AND packets IS NULL": 2,
		"SELECT count(*) FROM flows WHERE log_status = 'SKIPDATA'":           1,
	}
	for q, want := range checks {
		if got := queryInt(t, e, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	rows := queryRows(t, e, "SELECT srcport, dstport, protocol FROM flows WHERE log_status = 'NODATA'")
	for _, c := range []string{"srcport", "dstport", "protocol"} {
		if rows[0][c] != nil {
			t.Errorf("%s of the NODATA row = %#v, want NULL", c, rows[0][c])
		}
	}
}

func TestIPv6AddressesKept(t *testing.T) {
	data := convertFiles(t, casePath("ipv6", "a.log"))
	e := openEngine(t, Options{Data: data})
	if got := queryInt(t, e, "SELECT count(*) FROM flows"); got != 2 {
		t.Errorf("rows = %d, want 2", got)
	}
	if got := queryInt(t, e, "SELECT count(*) FROM flows WHERE srcaddr LIKE '%:%'"); got != 1 {
		t.Errorf("IPv6 rows = %d, want 1", got)
	}
	rows := queryRows(t, e, "SELECT srcaddr, dstaddr, srcport, dstport, packets, bytes FROM flows WHERE srcaddr LIKE '%:%'")
	want := map[string]any{"srcaddr": "2001:db8:1::10", "dstaddr": "2001:db8:2::20",
		"srcport": int32(34892), "dstport": int32(22), "packets": int64(54), "bytes": int64(8855)}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("%s = %#v, want %#v", k, rows[0][k], v)
		}
	}
	if got := queryInt(t, e, "SELECT count(*) FROM flows WHERE in_cidr(srcaddr, '2001:db8:1::/48')"); got != 1 {
		t.Errorf("rows in 2001:db8:1::/48 = %d, want 1", got)
	}
	if got := queryInt(t, e, "SELECT count(*) FROM flows WHERE is_private(srcaddr)"); got != 1 {
		t.Errorf("private sources = %d, want 1 (10.0.1.10; 2001:db8::/32 is documentation space, public)", got)
	}
}

func TestTCPFlagsBitmask(t *testing.T) {
	data := convertFiles(t, casePath("tcp-flags", "a.log"))
	e := openEngine(t, Options{Data: data})
	checks := []struct {
		where string
		want  int64
	}{
		{"true", 6},
		{"tcp_flags = 2", 1},
		{"(tcp_flags & 2) <> 0", 4},
		{"(tcp_flags & 1) <> 0", 2},
		{"(tcp_flags & 18) = 18", 2},
		{"tcp_flags IS NULL", 1},
		{"tcp_flags = 0", 1},
		{"contains(tcp_flag_names(tcp_flags), 'SYN-ACK')", 2},
		{"tcp_flag_names(tcp_flags) = 'SYN-ACK,FIN'", 1},
		{"tcp_flag_names(tcp_flags) = 'SYN,FIN'", 1},
		{"tcp_flag_names(tcp_flags) IS NULL", 1},
	}
	for _, c := range checks {
		if got := queryInt(t, e, "SELECT count(*) FROM flows WHERE "+c.where); got != c.want {
			t.Errorf("count where %s = %d, want %d", c.where, got, c.want)
		}
	}
}

func TestEmptyTableHasFixedSchema(t *testing.T) {
	data := convertFiles(t, casePath("ipv6", "a.log"))
	e := openEngine(t, Options{Data: data})
	if got := queryInt(t, e, "SELECT count(*) FROM tgw_flows"); got != 0 {
		t.Errorf("tgw_flows rows = %d, want 0", got)
	}
	rows := queryRows(t, e, "SELECT tgw_id, packets_lost_no_route, start_time, date, hour FROM tgw_flows")
	if len(rows) != 0 {
		t.Errorf("rows = %d, want 0", len(rows))
	}
	// The empty view has the columns that read_parquet gives the other one.
	flows := queryRows(t, e, "SELECT column_name, column_type FROM (DESCRIBE flows)")
	tgw := queryRows(t, e, "SELECT column_name, column_type FROM (DESCRIBE tgw_flows)")
	if len(tgw) != len(dataset.TGWFlows.Columns)+4 {
		t.Errorf("tgw_flows has %d columns, want the %d of the schema, date, hour, start_time and end_time", len(tgw), len(dataset.TGWFlows.Columns))
	}
	var names []string
	for _, r := range flows {
		names = append(names, r["column_name"].(string))
	}
	for _, c := range []string{"account_id", "region", "date", "hour", "start_time", "end_time", "tcp_flags"} {
		if !contains(names, c) {
			t.Errorf("flows lacks column %s", c)
		}
	}

	// The empty view of flows has the real view's columns, in order and of
	// the same types, the derived BOOLEAN columns included.
	if got, want := emptyFlowsColumns(t), viewColumns(t, e, dataset.FlowsTable); !slices.Equal(got, want) {
		t.Errorf("columns of the empty flows view:\n%v\nwant those of the real view:\n%v", got, want)
	}
	tgwColumns := viewColumns(t, e, dataset.TGWFlowsTable)
	i := slices.Index(tgwColumns, dataset.ColSrcPrivate+" BOOLEAN")
	if i < 0 || i+2 >= len(tgwColumns) || tgwColumns[i+1] != dataset.ColDstPrivate+" BOOLEAN" || tgwColumns[i+2] != dataset.ColSourceKey+" VARCHAR" {
		t.Errorf("tgw_flows columns %v, want src_private and dst_private BOOLEAN before source_key", tgwColumns)
	}
}

func TestEmptyDatasetError(t *testing.T) {
	e := openEngine(t, Options{Data: filepath.Join(t.TempDir(), "missing")})
	_, err := e.Query(context.Background(), "SELECT count(*) FROM flows")
	if KindOf(err) != KindNoData || !errors.Is(err, ErrNoDataset) {
		t.Fatalf("error = %v (kind %v), want KindNoData wrapping ErrNoDataset", err, KindOf(err))
	}
	if !strings.Contains(err.Error(), "flowq convert") || !strings.Contains(err.Error(), "flowq demo") {
		t.Errorf("error %q does not say how to create a dataset", err)
	}
	// Statements that do not read the dataset still run.
	if got := queryInt(t, e, "SELECT 1 + 1"); got != 2 {
		t.Errorf("1 + 1 = %d", got)
	}
}

func TestNoDataInRangeError(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data, Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)})
	_, err := e.Query(context.Background(), "SELECT count(*) FROM flows")
	if KindOf(err) != KindNoData || !errors.Is(err, ErrNoDataInRange) {
		t.Fatalf("error = %v (kind %v), want KindNoData wrapping ErrNoDataInRange", err, KindOf(err))
	}
}

func TestErrorKinds(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	cases := []struct {
		sql  string
		kind Kind
		text string
	}{
		{"SELEC 1", KindSyntax, "syntax error"},
		{"SELECT nosuch FROM flows", KindBinder, "nosuch"},
		{"SELECT * FROM nosuch", KindBinder, "nosuch"},
		{"SELECT CAST('abc' AS INTEGER)", KindQuery, "abc"},
		{"SELECT * FROM read_parquet('/nonexistent/x.parquet')", KindIO, "nonexistent"},
		{"ATTACH 'x.db'", KindReadOnly, "ATTACH"},
		{"INSTALL inet", KindReadOnly, "extensions"},
		{"LOAD inet", KindReadOnly, "extensions"},
		{"SET autoinstall_known_extensions = true", KindQuery, "locked"},
		{"COPY (SELECT 1) TO '" + filepath.Join(d.data, "x.csv") + "'", KindReadOnly, "dataset"},
		{"COPY (SELECT 1) TO '" + filepath.Join(d.data, "flows", "x.parquet") + "' (FORMAT parquet)", KindReadOnly, "dataset"},
		{"", KindSyntax, "no SQL"},
	}
	for _, c := range cases {
		err := runAll(e, c.sql)
		if err == nil {
			t.Errorf("%q succeeded", c.sql)
			continue
		}
		if KindOf(err) != c.kind || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%q: error %q of kind %v, want kind %v containing %q", c.sql, err, KindOf(err), c.kind, c.text)
		}
	}
	// The binder error keeps DuckDB's position marker.
	_, err := e.Query(context.Background(), "SELECT nosuch FROM flows")
	if !strings.Contains(err.Error(), "LINE 1") {
		t.Errorf("binder error %q has no position", err)
	}
}

// runAll runs a script and reads its last result, returning the first error.
func runAll(e *Engine, sql string) error {
	rows, err := e.Query(context.Background(), sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func TestCopyOutsideDatasetAllowed(t *testing.T) {
	data := convertFiles(t, casePath("ipv6", "a.log"))
	e := openEngine(t, Options{Data: data})
	out := filepath.Join(t.TempDir(), "out.csv")
	if _, err := e.Exec(context.Background(), "COPY (SELECT srcaddr FROM flows) TO '"+out+"'"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "2001:db8:1::10") {
		t.Errorf("COPY output = %q, %v", b, err)
	}
	// A symbolic link into the dataset does not get around the check.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	_, err := e.Exec(context.Background(), "COPY (SELECT 1) TO '"+filepath.Join(link, "x.csv")+"'")
	if KindOf(err) != KindReadOnly {
		t.Errorf("COPY through a link into the dataset: %v, want KindReadOnly", err)
	}
}

func TestCopyToParquet(t *testing.T) {
	data := convertFiles(t, casePath("nodata-dashes", "a.log"))
	e := openEngine(t, Options{Data: data})
	out := filepath.Join(t.TempDir(), "out.parquet")
	n, err := e.CopyToParquet(context.Background(), "SELECT srcport, log_status FROM flows ORDER BY log_status", out)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("rows written = %d, want 3", n)
	}
	if got := queryInt(t, e, "SELECT count(*) FROM read_parquet(?) WHERE srcport IS NULL", out); got != 2 {
		t.Errorf("NULL srcport rows in the Parquet output = %d, want 2", got)
	}
	if _, err := e.CopyToParquet(context.Background(), "SELECT 1", filepath.Join(data, "x.parquet")); KindOf(err) != KindReadOnly {
		t.Errorf("Parquet output into the dataset: %v, want KindReadOnly", err)
	}
}

func TestCancelInterruptsQuery(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	ctx, cancel := context.WithCancel(context.Background())
	// A cross join of the dataset with itself runs far longer than the test.
	rows, err := e.Query(ctx, "SELECT count(*) FROM flows a, flows b WHERE a.bytes + b.bytes = -1")
	if err == nil {
		go cancel()
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	} else {
		cancel()
	}
	cancel()
	if err == nil {
		t.Fatal("the query finished although it was cancelled")
	}
	if KindOf(err) != KindInterrupted || !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Errorf("error %v of kind %v, want KindInterrupted wrapping context.Canceled", err, KindOf(err))
	}
	// The session still works after the interrupt.
	if got := queryInt(t, e, "SELECT count(*) FROM flows WHERE log_status = 'OK'"); got != d.truth.Tables["flows"].LogStatus["OK"] {
		t.Errorf("OK rows after the interrupt = %d, want %d", got, d.truth.Tables["flows"].LogStatus["OK"])
	}
}

func TestCancelBeforeFirstRow(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Query(ctx, "SELECT * FROM flows")
	if KindOf(err) != KindInterrupted {
		t.Errorf("error %v of kind %v, want KindInterrupted", err, KindOf(err))
	}
}

func TestRowsStreamLargeResult(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir(), MemoryLimit: "64MB", Threads: 1})
	// About 300 MB of text, far above the memory limit: only a streamed
	// result fits.
	rows, err := e.Query(context.Background(), "SELECT i, repeat('x', 100) || i::VARCHAR AS s FROM range(3000000) t(i)")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 3000000 {
		t.Errorf("rows = %d, want 3000000", n)
	}
}

func TestStatementsRunInOrder(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	script := `
		-- a comment; with a semicolon
		CREATE TEMP TABLE t AS SELECT 1 AS x;
		INSERT INTO t VALUES (2), (3);
		SELECT sum(x) AS total, 'a;b' AS text FROM t; -- trailing comment`
	var results []int
	err := e.Run(context.Background(), script, func(r *Rows) error {
		results = append(results, r.Statement())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Errorf("statements run = %v, want 3", results)
	}
	rows := queryRows(t, e, "INSERT INTO t VALUES (4); SELECT sum(x) AS total FROM t")
	if len(rows) != 1 || toInt(t, rows[0]["total"]) != 10 {
		t.Errorf("last result = %v, want total 10", rows)
	}
	_, err = e.Query(context.Background(), "SELECT 1; SELEC 2")
	var qe *Error
	if !errors.As(err, &qe) || qe.Statement != 2 {
		t.Errorf("error %v, want one in statement 2", err)
	}
}

func TestQueryArguments(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	rows := queryRows(t, e, "SELECT $1::VARCHAR AS s, $2 + 1 AS n, $3 AS t, $4 IS NULL AS null_arg",
		"10.0.0.1", int64(41), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), nil)
	if rows[0]["s"] != "10.0.0.1" || toInt(t, rows[0]["n"]) != 42 || rows[0]["null_arg"] != true {
		t.Errorf("row = %v", rows[0])
	}
	if !rows[0]["t"].(time.Time).Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("time argument = %v", rows[0]["t"])
	}
	if _, err := e.Query(context.Background(), "SELECT $1", 1, 2); KindOf(err) != KindBinder {
		t.Errorf("too many arguments: %v", err)
	}
}

func TestConnsAreIndependentSessions(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	c, err := e.Conn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Exec(context.Background(), "CREATE TEMP TABLE mine AS SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Query(context.Background(), "SELECT * FROM mine"); KindOf(err) != KindBinder {
		t.Errorf("another session sees the temporary table: %v", err)
	}
	rows, err := c.Query(context.Background(), "SELECT count(*) AS n FROM flows WHERE is_private(srcaddr)")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
}

func TestIncidentWindowsWithSinceUntil(t *testing.T) {
	d := loadDemo(t)
	inc := d.truth.Incident(sample.IncidentExfiltration)
	e := openEngine(t, Options{Data: d.data, Since: inc.Start, Until: inc.End})
	got := queryInt(t, e, "SELECT sum(bytes) FROM flows WHERE srcaddr = '10.0.3.30' AND dstaddr = '198.51.100.200'")
	if got != inc.Bytes {
		t.Errorf("exfiltrated bytes in the incident window = %d, want %d", got, inc.Bytes)
	}
}

func TestAnyOrderSetting(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		anyOrder bool
		want     int64
	}{{false, 1}, {true, 0}} {
		e := openEngine(t, Options{Data: filepath.Join(dir, "missing"), AnyOrder: tc.anyOrder})
		got := queryInt(t, e, "SELECT current_setting('preserve_insertion_order')::INTEGER")
		if got != tc.want {
			t.Errorf("AnyOrder %v: preserve_insertion_order = %d, want %d", tc.anyOrder, got, tc.want)
		}
	}
}
