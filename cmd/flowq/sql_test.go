package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chzyer/readline"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/s3test"
	"github.com/flowq/flowq/query"
)

// nullsDataset converts the NODATA/SKIPDATA case: one OK row and two rows
// whose ports, addresses and counters are NULL.
func nullsDataset(t *testing.T) string {
	t.Helper()
	return convertCase(t, filepath.Join("..", "..", "convert", "testdata", "cases", "nodata-dashes", "a.log"))
}

func convertCase(t *testing.T, paths ...string) string {
	t.Helper()
	out := t.TempDir()
	src, err := convert.NewLocalSource(paths...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Run(context.Background(), src, convert.Config{Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

const goldenQuery = `SELECT log_status, srcaddr, srcport, bytes, start_time, date,
       CAST(coalesce(bytes, 0) AS HUGEINT) * 100000000000000000000 AS big, '' AS empty
FROM flows ORDER BY log_status`

func TestSQLOutputFormats(t *testing.T) {
	data := nullsDataset(t)
	golden := map[string]string{
		"csv": `log_status,srcaddr,srcport,bytes,start_time,date,big,empty
NODATA,,,,2023-11-14T22:14:20Z,2023-11-14,0,""
OK,10.0.1.10,49152,8400,2023-11-14T22:13:20Z,2023-11-14,840000000000000000000000,""
SKIPDATA,,,,2023-11-14T22:13:20Z,2023-11-14,0,""
`,
		"tsv": "log_status\tsrcaddr\tsrcport\tbytes\tstart_time\tdate\tbig\tempty\n" +
			"NODATA\t\t\t\t2023-11-14T22:14:20Z\t2023-11-14\t0\t\n" +
			"OK\t10.0.1.10\t49152\t8400\t2023-11-14T22:13:20Z\t2023-11-14\t840000000000000000000000\t\n" +
			"SKIPDATA\t\t\t\t2023-11-14T22:13:20Z\t2023-11-14\t0\t\n",
		"json": `[
{"log_status":"NODATA","srcaddr":null,"srcport":null,"bytes":null,"start_time":"2023-11-14T22:14:20Z","date":"2023-11-14","big":0,"empty":""},
{"log_status":"OK","srcaddr":"10.0.1.10","srcport":49152,"bytes":8400,"start_time":"2023-11-14T22:13:20Z","date":"2023-11-14","big":840000000000000000000000,"empty":""},
{"log_status":"SKIPDATA","srcaddr":null,"srcport":null,"bytes":null,"start_time":"2023-11-14T22:13:20Z","date":"2023-11-14","big":0,"empty":""}
]
`,
		"ndjson": `{"log_status":"NODATA","srcaddr":null,"srcport":null,"bytes":null,"start_time":"2023-11-14T22:14:20Z","date":"2023-11-14","big":0,"empty":""}
{"log_status":"OK","srcaddr":"10.0.1.10","srcport":49152,"bytes":8400,"start_time":"2023-11-14T22:13:20Z","date":"2023-11-14","big":840000000000000000000000,"empty":""}
{"log_status":"SKIPDATA","srcaddr":null,"srcport":null,"bytes":null,"start_time":"2023-11-14T22:13:20Z","date":"2023-11-14","big":0,"empty":""}
`,
		"markdown": `| log_status | srcaddr | srcport | bytes | start_time | date | big | empty |
| --- | --- | ---: | ---: | --- | --- | ---: | --- |
| NODATA |  |  |  | 2023-11-14T22:14:20Z | 2023-11-14 | 0 |  |
| OK | 10.0.1.10 | 49152 | 8400 | 2023-11-14T22:13:20Z | 2023-11-14 | 840000000000000000000000 |  |
| SKIPDATA |  |  |  | 2023-11-14T22:13:20Z | 2023-11-14 | 0 |  |
`,
		"table": `log_status | srcaddr   | srcport | bytes | start_time           | date       |                      big | empty
-----------+-----------+---------+-------+----------------------+------------+--------------------------+------
NODATA     | NULL      |    NULL |  NULL | 2023-11-14T22:14:20Z | 2023-11-14 |                        0 | 
OK         | 10.0.1.10 |   49152 |  8400 | 2023-11-14T22:13:20Z | 2023-11-14 | 840000000000000000000000 | 
SKIPDATA   | NULL      |    NULL |  NULL | 2023-11-14T22:13:20Z | 2023-11-14 |                        0 | 
`,
	}
	for format, want := range golden {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runCLI(t, "sql", "--data", data, "--format", format, goldenQuery)
			if code != exitOK {
				t.Fatalf("status %d: %s", code, errOut)
			}
			if out != want {
				t.Errorf("output:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

func TestSQLJSONKeepsNullPortsAndBigIntegers(t *testing.T) {
	data := nullsDataset(t)
	code, out, errOut := runCLI(t, "sql", "--data", data, "--format", "json",
		"SELECT srcport, dstport, 18446744073709551615::UBIGINT AS u, 170141183460469231731687303715884105727::HUGEINT AS h FROM flows WHERE log_status = 'NODATA'")
	if code != exitOK {
		t.Fatalf("status %d: %s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		t.Fatalf("output %q is not JSON: %v", out, err)
	}
	if len(rows) != 1 || rows[0]["srcport"] != nil || rows[0]["dstport"] != nil {
		t.Errorf("ports = %v, want JSON null", rows)
	}
	if rows[0]["u"] != json.Number("18446744073709551615") || rows[0]["h"] != json.Number("170141183460469231731687303715884105727") {
		t.Errorf("big integers = %v %v, want every digit", rows[0]["u"], rows[0]["h"])
	}
}

func TestSQLParquetOutput(t *testing.T) {
	data := nullsDataset(t)
	out := filepath.Join(t.TempDir(), "out.parquet")
	code, _, errOut := runCLI(t, "sql", "--data", data, "--format", "parquet", "--out", out, "SELECT srcport, log_status FROM flows")
	if code != exitOK {
		t.Fatalf("status %d: %s", code, errOut)
	}
	code, csv, errOut := runCLI(t, "sql", "--data", data, "SELECT count(*) AS nulls FROM read_parquet('"+out+"') WHERE srcport IS NULL")
	if code != exitOK || csv != "nulls\n2\n" {
		t.Errorf("status %d, output %q, stderr %q; want 2 NULL ports in the Parquet file", code, csv, errOut)
	}
	if code, _, _ := runCLI(t, "sql", "--data", data, "--format", "parquet", "SELECT 1"); code != exitUsage {
		t.Errorf("--format parquet without --out: status %d, want %d", code, exitUsage)
	}
}

func TestSQLOutFileInsideDatasetRejected(t *testing.T) {
	data := nullsDataset(t)
	code, _, errOut := runCLI(t, "sql", "--data", data, "--out", filepath.Join(data, "x.csv"), "SELECT 1")
	if code != exitSQL || !strings.Contains(errOut, "dataset") {
		t.Errorf("status %d, stderr %q; want %d and a message about the dataset", code, errOut, exitSQL)
	}
	if _, err := os.Stat(filepath.Join(data, "x.csv")); err == nil {
		t.Error("the file was written into the dataset")
	}
}

func TestSQLExitStatuses(t *testing.T) {
	data := nullsDataset(t)
	broken := convertCase(t, filepath.Join("..", "..", "convert", "testdata", "cases", "tcp-flags", "a.log"))
	filepath.WalkDir(filepath.Join(broken, "flows"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.WriteFile(p, []byte("not parquet"), 0o644)
		}
		return err
	})
	cases := []struct {
		name string
		args []string
		code int
		text string
	}{
		{"syntax", []string{"--data", data, "SELEC 1"}, exitSQL, "syntax error"},
		{"unknown column", []string{"--data", data, "SELECT nosuch FROM flows"}, exitSQL, "nosuch"},
		{"unknown table", []string{"--data", data, "SELECT * FROM nosuch"}, exitSQL, "nosuch"},
		{"failed cast", []string{"--data", data, "SELECT CAST(srcaddr AS INTEGER) FROM flows WHERE srcaddr IS NOT NULL"}, exitSQL, "Conversion"},
		{"write to dataset", []string{"--data", data, "COPY (SELECT 1) TO '" + filepath.Join(data, "x.csv") + "'"}, exitSQL, "dataset"},
		{"extension", []string{"--data", data, "INSTALL httpfs"}, exitSQL, "extensions"},
		{"no dataset", []string{"--data", filepath.Join(t.TempDir(), "none"), "SELECT count(*) FROM flows"}, exitNoData, "flowq demo"},
		{"no data in range", []string{"--data", data, "--since", "2020-01-01", "--until", "2020-01-02", "SELECT count(*) FROM flows"}, exitNoData, "requested range"},
		{"unreadable file", []string{"--data", broken, "SELECT count(*) FROM flows"}, exitIO, "cannot read"},
		{"out of memory", []string{"--data", data, "--memory-limit", "20MB", "--threads", "1",
			"SELECT list(repeat('x', 1000) || i::VARCHAR) FROM range(1000000) t(i)"}, exitOutOfMemory, "memory"},
		{"bad range", []string{"--data", data, "--since", "2026-11-02", "--until", "2026-11-01", "SELECT 1"}, exitUsage, "not after"},
		{"bad format", []string{"--data", data, "--format", "xml", "SELECT 1"}, exitUsage, "format"},
		{"bad memory limit", []string{"--data", data, "--memory-limit", "lots", "SELECT 1"}, exitUsage, "memory-limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"sql"}, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.text) {
				t.Errorf("status %d, stderr %q; want %d and %q", code, errOut, c.code, c.text)
			}
		})
	}
}

func TestSQLScriptFromFile(t *testing.T) {
	data := nullsDataset(t)
	script := filepath.Join(t.TempDir(), "investigation.sql")
	os.WriteFile(script, []byte(`
-- Count the rows; then the NULL ports.
CREATE TEMP TABLE quiet AS SELECT * FROM flows WHERE log_status <> 'OK';
SELECT count(*) AS rows FROM flows;
SELECT count(*) AS null_ports FROM quiet WHERE srcport IS NULL;
`), 0o644)
	code, out, errOut := runCLI(t, "sql", "--data", data, "-f", script)
	if code != exitOK || out != "null_ports\n2\n" {
		t.Errorf("status %d, output %q, stderr %q; want only the last result", code, out, errOut)
	}
	code, out, _ = runCLI(t, "sql", "--data", data, "--all", "-f", script)
	if code != exitOK || out != "rows\n3\nnull_ports\n2\n" {
		t.Errorf("--all: status %d, output %q; want both results", code, out)
	}
}

func TestSQLFromStandardInput(t *testing.T) {
	data := nullsDataset(t)
	var out bytes.Buffer
	no := false
	g := &globalOptions{stdout: &out, stderr: &out, logger: slog.New(slog.DiscardHandler)}
	o := &sqlOptions{data: data, stdin: strings.NewReader("SELECT count(*) AS n FROM flows;"), interactive: &no}
	if err := runSQL(context.Background(), g, o, nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != "n\n3\n" {
		t.Errorf("output %q, want n 3", out.String())
	}
}

func TestSQLTimeFilters(t *testing.T) {
	data := nullsDataset(t)
	// The OK row spans 22:13:20 to 22:14:20 on 2023-11-14.
	code, out, errOut := runCLI(t, "sql", "--data", data, "--since", "2023-11-14T22:14:00Z", "--until", "2023-11-14T22:14:10Z",
		"SELECT log_status FROM flows ORDER BY 1")
	if code != exitOK || out != "log_status\nOK\nSKIPDATA\n" {
		t.Errorf("status %d, output %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "sql", "--data", data, "--account", "999999999999", "SELECT count(*) FROM flows")
	if code != exitNoData {
		t.Errorf("unknown account: status %d, output %q; want %d", code, out, exitNoData)
	}
}

// scriptedInput feeds the shell lines and then io.EOF; an "^C" line stands
// for Ctrl-C.
type scriptedInput struct {
	lines   []string
	prompts []string
}

func (s *scriptedInput) Readline() (string, error) {
	if len(s.lines) == 0 {
		return "", io.EOF
	}
	line := s.lines[0]
	s.lines = s.lines[1:]
	if line == "^C" {
		return "", readline.ErrInterrupt
	}
	return line, nil
}

func (s *scriptedInput) SetPrompt(p string) { s.prompts = append(s.prompts, p) }

func newTestShell(t *testing.T, data string, lines ...string) (*shell, *scriptedInput, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	engine, err := query.Open(context.Background(), query.Options{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	in := &scriptedInput{lines: lines}
	var out, errOut bytes.Buffer
	sh := &shell{engine: engine, in: in, out: &out, errOut: &errOut, format: query.FormatTable,
		width: func() int { return 0 }, statementContext: context.WithCancel}
	return sh, in, &out, &errOut
}

func TestShellCommands(t *testing.T) {
	data := nullsDataset(t)
	sh, in, out, errOut := newTestShell(t, data,
		".format csv",
		"SELECT log_status",
		"FROM flows",
		"WHERE srcport IS NULL ORDER BY 1;",
		"SELECT 'never run'",
		"^C",
		".tables",
		".schema tgw_flows",
		".format json",
		"SELECT 1 AS one; SELECT 2 AS two;",
		".timer on",
		"SELECT 3 AS three;",
		".format parquet",
		".bogus",
		"SELECT nosuch FROM flows;",
		".help",
		".quit",
		"SELECT 'after quit';",
	)
	if err := sh.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"log_status\nNODATA\nSKIPDATA\n",        // a statement over three lines
		"name,type\nflows,view\ntgw_flows,view", // .tables in CSV
		"tgw_id,VARCHAR",                        // .schema
		"[\n{\"one\":1}\n]\n[\n{\"two\":2}\n]",  // both results of a line
		"[\n{\"three\":3}\n]\nRun time: ",       // .timer
		"in_cidr(ip, cidr)",                     // .help lists the macros
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "never run") || strings.Contains(got, "after quit") {
		t.Errorf("a cancelled or late statement ran:\n%s", got)
	}
	for _, want := range []string{"cannot print Parquet", `unknown command ".bogus"`, "SQL error", "nosuch"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("errors lack %q:\n%s", want, errOut.String())
		}
	}
	if !contains(in.prompts, shellContinue) {
		t.Errorf("prompts %q lack the continuation prompt", in.prompts)
	}
}

func TestShellCancelKeepsSession(t *testing.T) {
	data := nullsDataset(t)
	sh, _, out, errOut := newTestShell(t, data,
		"SELECT count(*) AS n FROM range(100000000000) a;",
		"SELECT 42 AS answer;",
	)
	// The first statement's context is cancelled before it runs, as a
	// Ctrl-C during it would; the shell reports it and goes on.
	first := true
	sh.statementContext = func(parent context.Context) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(parent)
		if first {
			cancel()
			first = false
		}
		return ctx, cancel
	}
	if err := sh.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("errors %q do not report the interrupt", errOut.String())
	}
	if !strings.Contains(out.String(), "42") {
		t.Errorf("the statement after the interrupt did not run:\n%s", out.String())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSQLFromS3(t *testing.T) {
	data := nullsDataset(t)
	srv := s3test.StartFake(t)
	s3test.CreateBucket(t, srv, "flows-bucket")
	var keys int
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(data, p)
		body, _ := os.ReadFile(p)
		s3test.PutObject(t, srv, "flows-bucket", "prefix/data/"+filepath.ToSlash(rel), body)
		keys++
		return nil
	})
	cfg := filepath.Join(t.TempDir(), "aws-config")
	os.WriteFile(cfg, []byte("[default]\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cfg)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cache := t.TempDir()
	args := []string{"sql", "--data", "s3://flows-bucket/prefix/data", "--endpoint-url", srv.Endpoint, "--s3-region", srv.Region,
		"--cache-dir", cache, "SELECT count(*) AS n FROM flows"}
	code, out, errOut := runCLI(t, args...)
	if code != exitOK || out != "n\n3\n" {
		t.Fatalf("status %d, output %q, stderr %q", code, out, errOut)
	}
	gets := srv.Count(t, s3test.OpGetObject)
	if code, out, _ = runCLI(t, args...); code != exitOK || out != "n\n3\n" {
		t.Fatalf("second run: status %d, output %q", code, out)
	}
	if again := srv.Count(t, s3test.OpGetObject) - gets; again != 0 {
		t.Errorf("second run downloaded %d objects, want 0", again)
	}
}

func TestSQLFailedQueryLeavesNoOutFile(t *testing.T) {
	data := nullsDataset(t)
	out := filepath.Join(t.TempDir(), "result.csv")
	code, _, errOut := runCLI(t, "sql", "--data", data, "--out", out, "SELECT CAST(dstaddr AS INTEGER) FROM flows")
	if code != exitSQL {
		t.Fatalf("status %d, want %d; stderr:\n%s", code, exitSQL, errOut)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 0 {
		t.Errorf("files left after a failed query: %v", entries)
	}
}

// A query that fails while rows stream out must not leave output that reads
// as a whole JSON result.
func TestSQLFailedJSONResultLooksIncomplete(t *testing.T) {
	data := nullsDataset(t)
	code, out, errOut := runCLI(t, "sql", "--data", data, "--format", "json", "SELECT CAST(dstaddr AS INTEGER) AS n FROM flows")
	if code != exitSQL {
		t.Fatalf("status %d, want %d; stderr:\n%s", code, exitSQL, errOut)
	}
	if out != "" {
		t.Errorf("a query that failed before its first row printed %q", out)
	}

	// Rows first, then an error: the array is left open. DuckDB computes
	// a streamed result a few million rows ahead, so the error comes late.
	code, out, errOut = runCLI(t, "sql", "--data", data, "--format", "json",
		"SELECT CASE WHEN i < 4000000 THEN i ELSE error('row ' || i || ' is bad') END AS n FROM range(8000000) t(i)")
	if code != exitSQL {
		t.Fatalf("status %d, want %d; stderr:\n%s", code, exitSQL, errOut)
	}
	if !strings.HasPrefix(out, "[\n{\"n\":0}") {
		t.Errorf("output starts %.40q, want the rows before the error", out)
	}
	if strings.Contains(out, "]") {
		t.Errorf("output of a failed query closes the JSON array: %.80q", out[max(0, len(out)-80):])
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err == nil {
		t.Errorf("output of a failed query parses as JSON")
	}
}
