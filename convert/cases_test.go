package convert

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// These tests come from faults that other flow-log tools shipped. Each
// converts the fixture with the real converter and checks the Parquet
// dataset through DuckDB.

func TestAccountIDStaysText(t *testing.T) {
	out, sum := convertPaths(t, casePath("account-id-text", "a.log"))
	db := openDuck(t, out)
	if sum.Rows != 2 {
		t.Fatalf("rows = %d, want 2", sum.Rows)
	}
	typ := queryRow(t, db, "SELECT typeof(account_id) AS t FROM flows LIMIT 1")
	checkValues(t, typ, map[string]any{"t": "VARCHAR"})
	got := queryRows(t, db, "SELECT account_id FROM flows ORDER BY account_id")
	if got[0]["account_id"] != "012345678901" || got[1]["account_id"] != "unknown" {
		t.Errorf("account ids = %v, want 012345678901 and unknown", got)
	}
}

func TestAccountPartitionFromKeyKeepsLeadingZero(t *testing.T) {
	dir := t.TempDir()
	body, err := os.ReadFile(casePath("account-id-text", "b_only_numeric.log"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "AWSLogs/012345678901/vpcflowlogs/us-east-1/2023/11/14/012345678901_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20231114T2215Z_0a1b2c3d.log", string(body))
	out, _ := convertPaths(t, dir)
	db := openDuck(t, out)
	row := queryRow(t, db, "SELECT account_id, typeof(account_id) AS t, region, flow_log_id FROM flows")
	checkValues(t, row, map[string]any{"account_id": "012345678901", "t": "VARCHAR", "region": "us-east-1", "flow_log_id": "fl-0a1b2c3d4e5f60001"})
	if _, err := os.Stat(filepath.Join(out, "flows", "account_id=012345678901")); err != nil {
		t.Errorf("partition folder account_id=012345678901 missing: %v", err)
	}
}

func TestCustomOrderMapsByHeaderName(t *testing.T) {
	out, sum := convertPaths(t, casePath("custom-field-order", "a.log"))
	if sum.Rows != 2 || sum.RowsRejected != 0 || sum.ObjectsFailed != 0 {
		t.Fatalf("rows=%d rejected=%d failed=%d, want 2, 0, 0", sum.Rows, sum.RowsRejected, sum.ObjectsFailed)
	}
	db := openDuck(t, out)
	skip := queryRow(t, db, "SELECT * FROM flows WHERE log_status = 'SKIPDATA'")
	checkValues(t, skip, map[string]any{
		"version": 5, "account_id": "123456789012", "interface_id": "eni-0a1b2c3d4e5f60001",
		"instance_id": "i-0a1b2c3d4e5f60001", "subnet_id": "subnet-0a1b2c3d4e5f60001", "vpc_id": "vpc-0a1b2c3d4e5f60001",
		"region": "us-east-1", "az_id": "use1-az1", "start": 1700000000, "end": 1700000060,
	})
	for _, col := range []string{"action", "bytes", "dstaddr", "dstport", "flow_direction", "packets",
		"pkt_srcaddr", "pkt_dstaddr", "pkt_src_aws_service", "pkt_dst_aws_service", "protocol", "srcaddr",
		"srcport", "sublocation_type", "sublocation_id", "tcp_flags", "traffic_path", "type"} {
		if skip[col] != nil {
			t.Errorf("SKIPDATA %s = %v, want NULL", col, skip[col])
		}
	}
	ok := queryRow(t, db, "SELECT * FROM flows WHERE log_status = 'OK'")
	checkValues(t, ok, map[string]any{
		"action": "ACCEPT", "bytes": 8400, "packets": 10, "srcaddr": "10.0.1.10", "srcport": 49152,
		"dstaddr": "198.51.100.7", "dstport": 443, "protocol": 6, "tcp_flags": 19, "traffic_path": 8,
		"flow_direction": "egress", "type": "IPv4", "pkt_srcaddr": "10.0.1.10", "pkt_dstaddr": "198.51.100.7",
	})
}

func TestFieldCountMismatchIsRejected(t *testing.T) {
	out, sum := convertPaths(t, casePath("field-count-mismatch", "a.log"))
	if sum.Rows != 1 || sum.RowsRejected != 2 {
		t.Fatalf("rows=%d rejected=%d, want 1 and 2", sum.Rows, sum.RowsRejected)
	}
	db := openDuck(t, out)
	checkValues(t, queryRow(t, db, "SELECT srcport FROM flows"), map[string]any{"srcport": 49152})

	rejects := readRejects(t, out, sum)
	if len(rejects) != 2 {
		t.Fatalf("rejects = %+v, want 2", rejects)
	}
	want := []struct {
		line   int
		reason string
	}{{3, "missing columns, expected 14, got 13"}, {4, "too many columns"}}
	for i, w := range want {
		r := rejects[i]
		if r.Line != w.line || !strings.Contains(r.Reason, w.reason) || r.Key != "a.log" || r.Raw == "" {
			t.Errorf("reject %d = %+v, want line %d with %q", i, r, w.line, w.reason)
		}
	}
	if !strings.Contains(rejects[1].Reason, "got 15") {
		t.Errorf("reason %q does not give the count 15", rejects[1].Reason)
	}
}

func readRejects(t testing.TB, out string, sum *Summary) []Reject {
	t.Helper()
	var all []Reject
	for _, rel := range sum.RejectsFiles {
		f, err := os.Open(filepath.Join(out, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r Reject
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			all = append(all, r)
		}
		f.Close()
	}
	return all
}

func TestHeaderLineIsNotARecord(t *testing.T) {
	out, sum := convertPaths(t, casePath("header-line"))
	if sum.Rows != 2 || sum.ObjectsConverted != 2 || sum.ObjectsFailed != 0 {
		t.Fatalf("rows=%d converted=%d failed=%d, want 2, 2, 0", sum.Rows, sum.ObjectsConverted, sum.ObjectsFailed)
	}
	db := openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE account_id = 'account-id' OR version IS NULL"); n != 0 {
		t.Errorf("%d header rows in the table, want 0", n)
	}
}

func TestIPv6AddressesKeptVerbatim(t *testing.T) {
	out, _ := convertPaths(t, casePath("ipv6", "a.log"))
	db := openDuck(t, out)
	row := queryRow(t, db, "SELECT * FROM flows WHERE srcaddr LIKE '%:%'")
	checkValues(t, row, map[string]any{"srcaddr": "2001:db8:1::10", "dstaddr": "2001:db8:2::20",
		"srcport": 34892, "dstport": 22, "packets": 54, "bytes": 8855})
	if n := queryInt(t, db, "SELECT count(*) FROM flows"); n != 2 {
		t.Errorf("rows = %d, want 2", n)
	}
}

func TestLateDashInLargeFile(t *testing.T) {
	out, sum := convertPaths(t, casePath("late-dash", "big.log.gz"))
	if sum.RowsRejected != 0 {
		t.Fatalf("rejected = %d, want 0", sum.RowsRejected)
	}
	db := openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(*) FROM flows"); n != 30001 {
		t.Errorf("rows = %d, want 30001", n)
	}
	if n := queryInt(t, db, "SELECT count(srcport) FROM flows"); n != 30000 {
		t.Errorf("count(srcport) = %d, want 30000", n)
	}

	out2, _ := convertPaths(t, casePath("late-dash", "big2.log.gz"))
	db2 := openDuck(t, out2)
	for _, acct := range []string{"012345678901", "unknown"} {
		if n := queryInt(t, db2, "SELECT count(*) FROM flows WHERE account_id = ?", acct); n != 1 {
			t.Errorf("rows with account %q = %d, want 1", acct, n)
		}
	}
	checkValues(t, queryRow(t, db2, "SELECT typeof(account_id) AS t FROM flows LIMIT 1"), map[string]any{"t": "VARCHAR"})
}

func TestMixedFormatsInOnePrefix(t *testing.T) {
	out, sum := convertPaths(t, casePath("mixed-formats"))
	if sum.Rows != 2 || sum.RowsRejected != 0 {
		t.Fatalf("rows=%d rejected=%d, want 2 and 0", sum.Rows, sum.RowsRejected)
	}
	db := openDuck(t, out)
	a := queryRow(t, db, "SELECT * FROM flows WHERE version = 2")
	checkValues(t, a, map[string]any{"packets": 10, "bytes": 8400, "vpc_id": nil, "subnet_id": nil,
		"instance_id": nil, "type": nil, "pkt_srcaddr": nil, "pkt_dstaddr": nil, "tcp_flags": nil})
	b := queryRow(t, db, "SELECT * FROM flows WHERE version = 3")
	checkValues(t, b, map[string]any{"interface_id": "eni-0a1b2c3d4e5f60002", "srcaddr": "10.0.2.20",
		"dstaddr": "10.0.1.10", "srcport": 43418, "dstport": 5432, "pkt_srcaddr": "203.0.113.9",
		"protocol": 6, "packets": 3, "bytes": 180, "tcp_flags": 2})
}

func TestNewerVersionFields(t *testing.T) {
	out, sum := convertPaths(t, casePath("newer-fields", "a.log"))
	if sum.Rows != 2 {
		t.Fatalf("rows = %d, want 2", sum.Rows)
	}
	db := openDuck(t, out)
	r1 := queryRow(t, db, "SELECT *, typeof(traffic_path) AS tp_type FROM flows WHERE action = 'ACCEPT'")
	checkValues(t, r1, map[string]any{"flow_direction": "egress", "traffic_path": 8, "tp_type": "INTEGER",
		"pkt_src_aws_service": nil, "pkt_dst_aws_service": "AMAZON", "ecs_cluster_name": "demo-cluster",
		"ecs_task_id": "0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d", "reject_reason": nil})
	r2 := queryRow(t, db, "SELECT * FROM flows WHERE action = 'REJECT'")
	checkValues(t, r2, map[string]any{"traffic_path": nil, "ecs_cluster_name": nil, "ecs_task_id": nil, "reject_reason": "BPA"})
}

func TestUnknownFieldKeptAsString(t *testing.T) {
	body, err := os.ReadFile(casePath("newer-fields", "a.log"))
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.Split(strings.TrimSpace(string(body)), "\n")
	ls[0] += " x-future-field"
	for i := 1; i < len(ls); i++ {
		ls[i] += " abc"
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "future.log", lines(ls...))
	out, sum := convertPaths(t, path)
	if sum.Rows != 2 || sum.RowsRejected != 0 || sum.ObjectsFailed != 0 {
		t.Fatalf("rows=%d rejected=%d failed=%d, want 2, 0, 0", sum.Rows, sum.RowsRejected, sum.ObjectsFailed)
	}
	if sum.UnknownFields["x-future-field"] != "future.log" {
		t.Errorf("unknown fields = %v, want x-future-field reported", sum.UnknownFields)
	}
	db := openDuck(t, out)
	row := queryRow(t, db, "SELECT x_future_field, typeof(x_future_field) AS t FROM flows WHERE action = 'ACCEPT'")
	checkValues(t, row, map[string]any{"x_future_field": "abc", "t": "VARCHAR"})
}

func TestNoDataDashesAreNull(t *testing.T) {
	out, sum := convertPaths(t, casePath("nodata-dashes", "a.log"))
	if sum.Rows != 3 || sum.RowsRejected != 0 || sum.ObjectsFailed != 0 {
		t.Fatalf("rows=%d rejected=%d failed=%d, want 3, 0, 0", sum.Rows, sum.RowsRejected, sum.ObjectsFailed)
	}
	db := openDuck(t, out)
	ok := queryRow(t, db, "SELECT * FROM flows WHERE log_status = 'OK'")
	checkValues(t, ok, map[string]any{"version": 2, "account_id": "123456789012", "interface_id": "eni-0a1b2c3d4e5f60001",
		"srcaddr": "10.0.1.10", "dstaddr": "198.51.100.7", "srcport": 49152, "dstport": 443, "protocol": 6,
		"packets": 10, "bytes": 8400, "start": 1700000000, "end": 1700000060, "action": "ACCEPT"})
	for _, st := range []struct {
		status, eni string
		start, end  int
	}{{"NODATA", "eni-0a1b2c3d4e5f60001", 1700000060, 1700000120}, {"SKIPDATA", "eni-0a1b2c3d4e5f60002", 1700000000, 1700000060}} {
		row := queryRow(t, db, "SELECT * FROM flows WHERE log_status = ?", st.status)
		checkValues(t, row, map[string]any{"interface_id": st.eni, "start": st.start, "end": st.end,
			"srcaddr": nil, "dstaddr": nil, "srcport": nil, "dstport": nil, "protocol": nil,
			"packets": nil, "bytes": nil, "action": nil})
	}
	if n := queryInt(t, db, "SELECT sum(bytes)::BIGINT FROM flows"); n != 8400 {
		t.Errorf("sum(bytes) = %d, want 8400", n)
	}
	if n := queryInt(t, db, "SELECT sum(packets)::BIGINT FROM flows"); n != 10 {
		t.Errorf("sum(packets) = %d, want 10", n)
	}
	if n := queryInt(t, db, "SELECT count(srcport) FROM flows"); n != 1 {
		t.Errorf("count(srcport) = %d, want 1", n)
	}
	noDashes(t, db)
}

// noDashes checks that no string cell of the flows table is '-' or empty.
func noDashes(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, c := range dataset.Flows.Columns {
		if c.Kind != dataset.String {
			continue
		}
		q := fmt.Sprintf("SELECT count(*) FROM flows WHERE %q IN ('-', '')", c.Name)
		if n := queryInt(t, db, q); n != 0 {
			t.Errorf("%d cells of %s are '-' or empty, want NULL", n, c.Name)
		}
	}
}

func TestNoDataWithoutTimesPlacedByKey(t *testing.T) {
	dir := t.TempDir()
	body, err := os.ReadFile(casePath("nodata-dash-times", "dash_times.log"))
	if err != nil {
		t.Fatal(err)
	}
	key := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/09/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240309T2355Z_0a1b2c3d.log"
	writeFile(t, dir, key, string(body))
	dashes, err := os.ReadFile(casePath("nodata-dashes", "a.log"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "other/a.log", string(dashes))

	out := t.TempDir()
	sum := convertInto(t, out, dir)
	if sum.Rows != 4 || sum.RowsRejected != 0 || sum.ObjectsFailed != 0 {
		t.Fatalf("rows=%d rejected=%d failed=%d, want 4, 0, 0", sum.Rows, sum.RowsRejected, sum.ObjectsFailed)
	}
	if sum.KeyTimeRows != 1 {
		t.Errorf("rows placed by key time = %d, want 1 (a warning, not an error)", sum.KeyTimeRows)
	}
	db := openDuck(t, out)
	row := queryRow(t, db, "SELECT start, \"end\", date, hour, file_time FROM flows WHERE start IS NULL")
	checkValues(t, row, map[string]any{"start": nil, "end": nil, "hour": 23,
		"file_time": time.Date(2024, 3, 9, 23, 55, 0, 0, time.UTC).Unix()})
	if d, ok := row["date"].(time.Time); !ok || d.Format("2006-01-02") != "2024-03-09" {
		t.Errorf("date = %v, want 2024-03-09", row["date"])
	}

	again := convertInto(t, out, dir)
	if again.ObjectsConverted != 0 || again.ObjectsUnchanged != 2 {
		t.Errorf("second run converted %d and left %d unchanged, want 0 and 2", again.ObjectsConverted, again.ObjectsUnchanged)
	}
	if n := queryInt(t, openDuck(t, out), "SELECT count(*) FROM flows"); n != 4 {
		t.Errorf("rows after the second run = %d, want 4", n)
	}
}

func TestNullIsNotEmpty(t *testing.T) {
	out, _ := convertPaths(t, casePath("nodata-dashes", "a.log"))
	db := openDuck(t, out)
	files, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*", "*.parquet"))
	var nulls int64
	for _, f := range files {
		nulls += queryInt(t, db, "SELECT coalesce(sum(stats_null_count), 0)::BIGINT FROM parquet_metadata(?) WHERE path_in_schema = 'srcport'", f)
		rep := queryRow(t, db, "SELECT repetition_type AS r, type AS t FROM parquet_schema(?) WHERE name = 'srcport'", f)
		checkValues(t, rep, map[string]any{"r": "OPTIONAL", "t": "INT32"})
	}
	if nulls != 2 {
		t.Errorf("srcport null_count over all files = %d, want 2", nulls)
	}
	for q, want := range map[string]int64{
		"SELECT count(*) FROM flows WHERE srcport IS NULL":               2,
		"SELECT count(*) FROM flows WHERE CAST(srcport AS VARCHAR) = ''": 0,
		"SELECT count(*) FROM flows WHERE srcaddr IN ('-', '')":          0,
	} {
		if n := queryInt(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

// TestParquetWidthsIdenticalAcrossFiles converts text and AWS Parquet inputs
// together, one of them with BIGINT columns, and checks every output file
// has the same physical types and that text and Parquet give the same row.
func TestParquetWidthsIdenticalAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	text, err := os.ReadFile(casePath("nodata-dashes", "a.log"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "text/a.log", string(text))
	for _, name := range []string{"aws_native.parquet", "converter_bigint.parquet"} {
		b, err := os.ReadFile(casePath("parquet-widths", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, "pq/"+strings.TrimSuffix(name, ".parquet")+".log.parquet", string(b))
	}
	out, sum := convertPaths(t, dir)
	if sum.ObjectsFailed != 0 || sum.RowsRejected != 0 {
		t.Fatalf("failed=%d rejected=%d: %+v", sum.ObjectsFailed, sum.RowsRejected, sum.Failures)
	}
	db := openDuck(t, out)
	files, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*", "*.parquet"))
	if len(files) == 0 {
		t.Fatal("no data files")
	}
	var first string
	for _, f := range files {
		var schema []string
		for _, r := range queryRows(t, db, "SELECT name, type, coalesce(converted_type, '') AS c, repetition_type AS r FROM parquet_schema(?) WHERE name <> 'duckdb_schema' ORDER BY name", f) {
			schema = append(schema, fmt.Sprint(r["name"], ":", r["type"], ":", r["c"], ":", r["r"]))
		}
		s := strings.Join(schema, ",")
		if first == "" {
			first = s
		} else if s != first {
			t.Errorf("schema of %s differs:\n%s\nwant\n%s", f, s, first)
		}
		for _, col := range []string{"version", "srcport", "dstport", "protocol", "tcp_flags", "traffic_path"} {
			if !strings.Contains(s, col+":INT32:") {
				t.Errorf("%s: %s is not INT32 in %s", f, col, s)
			}
		}
		for _, col := range []string{"packets", "bytes", "start", "end"} {
			if !strings.Contains(s, col+":INT64:") {
				t.Errorf("%s: %s is not INT64", f, col)
			}
		}
	}
	cols := "version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, \"end\", action, log_status"
	same := "SELECT count(*) FROM (SELECT DISTINCT " + cols + " FROM flows WHERE source_key IN ('text/a.log', 'pq/aws_native.log.parquet') AND log_status = 'OK')"
	if n := queryInt(t, db, same); n != 1 {
		t.Errorf("the same record from text and Parquet gave %d distinct rows, want 1", n)
	}
	// The BIGINT file's values land in the same INT32 columns.
	row := queryRow(t, db, "SELECT protocol, typeof(protocol) AS t FROM flows WHERE source_key = 'pq/converter_bigint.log.parquet' AND log_status = 'OK'")
	checkValues(t, row, map[string]any{"protocol": 17, "t": "INTEGER"})
}

func TestTCPFlagsBitmask(t *testing.T) {
	out, _ := convertPaths(t, casePath("tcp-flags", "a.log"))
	db := openDuck(t, out)
	for cond, want := range map[string]int64{
		"true":                  6,
		"tcp_flags = 2":         1,
		"(tcp_flags & 2) <> 0":  4,
		"(tcp_flags & 1) <> 0":  2,
		"(tcp_flags & 18) = 18": 2,
		"tcp_flags IS NULL":     1,
		"tcp_flags = 0":         1,
	} {
		if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE "+cond); n != want {
			t.Errorf("count where %s = %d, want %d", cond, n, want)
		}
	}
}

func TestHiveParquetKeysPartitionByRecordTime(t *testing.T) {
	out, sum := convertPaths(t, casePath("hive-parquet-keys"))
	if sum.ObjectsFailed != 0 {
		t.Fatalf("failures: %+v", sum.Failures)
	}
	db := openDuck(t, out)
	types := queryRow(t, db, "SELECT typeof(date) AS d, typeof(hour) AS h, typeof(account_id) AS a FROM flows LIMIT 1")
	checkValues(t, types, map[string]any{"d": "DATE", "h": "INTEGER", "a": "VARCHAR"})
	total := queryInt(t, db, "SELECT count(*) FROM flows")
	if total == 0 {
		t.Fatal("no rows")
	}
	// Partitions follow each record's start in UTC.
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE start IS NOT NULL AND (date <> CAST(to_timestamp(start) AT TIME ZONE 'UTC' AS DATE) OR hour <> hour(to_timestamp(start) AT TIME ZONE 'UTC'))"); n != 0 {
		t.Errorf("%d rows sit in a partition other than their start's UTC hour", n)
	}
	var byPartition int64
	for _, r := range queryRows(t, db, "SELECT DISTINCT date, hour FROM flows") {
		d := r["date"].(time.Time).Format("2006-01-02")
		byPartition += queryInt(t, db, "SELECT count(*) FROM flows WHERE date = CAST(? AS DATE) AND hour = ?", d, r["hour"])
	}
	if byPartition != total {
		t.Errorf("rows found by date and hour filters = %d, want %d", byPartition, total)
	}
}

// TestPartitionsAreUTCWhateverTheLocalZone converts with a local time zone
// far from UTC and checks that partitions still follow UTC.
func TestPartitionsAreUTCWhateverTheLocalZone(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("UTC-7", -7*3600)
	t.Cleanup(func() { time.Local = saved })

	// 1700000000 is 2023-11-14T22:13:20Z, which is 15:13 on the 14th at UTC-7.
	out, _ := convertPaths(t, casePath("nodata-dashes", "a.log"))
	dir := filepath.Join(out, "flows", "account_id=123456789012", "region=__HIVE_DEFAULT_PARTITION__", "date=2023-11-14", "hour=22")
	if _, err := os.Stat(dir); err != nil {
		entries, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*"))
		t.Fatalf("partition %s missing: %v; have %v", dir, err, entries)
	}
}
