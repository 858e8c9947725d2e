package query

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowq/flowq/convert"
	"github.com/flowq/flowq/internal/sample"
)

// demoFixture is the demo archive, converted once per test binary and
// shared by the tests that only read it.
type demoFixture struct {
	archive string
	data    string
	truth   *sample.Truth
	// records are the VPC flow-log records of the archive, read from its
	// gzip text independently of the converter.
	records []record
}

var (
	demoOnce sync.Once
	demo     *demoFixture
	demoErr  error
	demoRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if demoRoot != "" {
		os.RemoveAll(demoRoot)
	}
	os.Exit(code)
}

// loadDemo returns the shared demo dataset, building it on first use.
func loadDemo(t testing.TB) *demoFixture {
	t.Helper()
	demoOnce.Do(func() {
		demoRoot, demoErr = os.MkdirTemp("", "flowq-query-test-")
		if demoErr != nil {
			return
		}
		demo, demoErr = buildDemo(demoRoot)
	})
	if demoErr != nil {
		t.Fatalf("build the demo dataset: %v", demoErr)
	}
	return demo
}

func buildDemo(root string) (*demoFixture, error) {
	ctx := context.Background()
	f := &demoFixture{archive: filepath.Join(root, "archive"), data: filepath.Join(root, "data")}
	truth, err := sample.GenerateToDir(ctx, f.archive, sample.DemoOptions())
	if err != nil {
		return nil, err
	}
	f.truth = truth
	if err := convertDir(ctx, f.archive, f.data); err != nil {
		return nil, err
	}
	f.records, err = readArchive(f.archive)
	return f, err
}

// convertDir converts a local archive with the real converter.
func convertDir(ctx context.Context, archive, out string) error {
	src, err := convert.NewLocalSource(archive)
	if err != nil {
		return err
	}
	sum, err := convert.Run(ctx, src, convert.Config{Out: out})
	if err != nil {
		return err
	}
	if sum.ObjectsFailed > 0 || sum.RowsRejected > 0 {
		return fmt.Errorf("convert %s: %d objects failed, %d rows rejected", archive, sum.ObjectsFailed, sum.RowsRejected)
	}
	return nil
}

// record is one VPC flow-log line: its fields by header name, without the
// fields whose value is "-".
type record map[string]string

func (r record) str(f string) string { return r[f] }

func (r record) has(f string) bool { _, ok := r[f]; return ok }

func (r record) int(f string) int64 {
	v, ok := r[f]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("field %s=%q: %v", f, v, err))
	}
	return n
}

// day returns the UTC date of the record's start.
func (r record) day() string {
	return time.Unix(r.int("start"), 0).UTC().Format("2006-01-02")
}

// readArchive reads every VPC flow-log record of a generated archive from
// its gzip text, each file by its own header line. Transit Gateway logs and
// other objects are skipped.
func readArchive(dir string) ([]record, error) {
	var out []record
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".log.gz") || !strings.Contains(path, "vpcflowlogs") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var header []string
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if header == nil {
				header = fields
				if contains(header, "tgw-id") {
					return nil
				}
				continue
			}
			r := make(record, len(fields))
			for i, v := range fields {
				if v != "-" {
					r[header[i]] = v
				}
			}
			out = append(out, r)
		}
		return sc.Err()
	})
	return out, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// privatePrefixes are the ranges that is_private must call private,
// written independently of the SQL macro.
var privatePrefixes = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("::1/128"),
}

func goIsPrivate(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	a = a.WithZone("").Unmap()
	for _, p := range privatePrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// openEngine opens an engine and closes it when the test ends.
func openEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open engine over %s: %v", opts.Data, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// queryRows runs a query and returns every row as a map from column name
// to value.
func queryRows(t testing.TB, e *Engine, sql string, args ...any) []map[string]any {
	t.Helper()
	rows, err := e.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		m := map[string]any{}
		for i, v := range rows.Values() {
			m[rows.Columns()[i].Name] = v
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// queryInt runs a query that returns one integer; NULL gives -1.
func queryInt(t testing.TB, e *Engine, sql string, args ...any) int64 {
	t.Helper()
	rows := queryRows(t, e, sql, args...)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: got %d rows, want one row of one column", sql, len(rows))
	}
	for _, v := range rows[0] {
		if v == nil {
			return -1
		}
		return toInt(t, v)
	}
	return 0
}

func toInt(t testing.TB, v any) int64 {
	t.Helper()
	if b, ok := v.(*big.Int); ok {
		if !b.IsInt64() {
			t.Fatalf("value %s does not fit in int64", b)
		}
		return b.Int64()
	}
	n, ok := toInt64(v)
	if !ok {
		t.Fatalf("value %v (%T) is not an integer", v, v)
	}
	return n
}

// casePath returns a file of the failure-case fixtures that the converter's
// tests keep.
func casePath(parts ...string) string {
	return filepath.Join(append([]string{"..", "convert", "testdata", "cases"}, parts...)...)
}

// convertFiles converts files or folders into a new dataset.
func convertFiles(t testing.TB, paths ...string) string {
	t.Helper()
	out := t.TempDir()
	src, err := convert.NewLocalSource(paths...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Run(context.Background(), src, convert.Config{Out: out}); err != nil {
		t.Fatalf("convert %v: %v", paths, err)
	}
	return out
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
