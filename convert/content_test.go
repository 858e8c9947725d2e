package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func gzipBytes(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func record(port string) string {
	return "2 123456789012 eni-1 10.0.1.10 198.51.100.7 " + port + " 443 6 10 8400 1700000000 1700000060 ACCEPT OK"
}

// TestTruncatedGzipContributesNoRows converts a truncated object beside a
// good one: the truncated one fails whole and is named, the good one
// converts, and a rerun tries the failed object again.
func TestTruncatedGzipContributesNoRows(t *testing.T) {
	in := t.TempDir()
	var many []string
	for i := 0; i < 5000; i++ {
		many = append(many, record("1000"))
	}
	whole := gzipBytes(t, lines(append([]string{defaultHeader}, many...)...))
	writeFile(t, in, "bad.log.gz", string(whole[:len(whole)/2]))
	writeFile(t, in, "good.log.gz", string(gzipBytes(t, lines(defaultHeader, record("2000")))))

	out := t.TempDir()
	sum := convertInto(t, out, in)
	if sum.ObjectsFailed != 1 || sum.ObjectsConverted != 1 || sum.Rows != 1 {
		t.Fatalf("failed=%d converted=%d rows=%d, want 1, 1, 1", sum.ObjectsFailed, sum.ObjectsConverted, sum.Rows)
	}
	f := sum.Failures[0]
	if f.Key != "bad.log.gz" || !strings.Contains(f.Error, "truncated or corrupt") {
		t.Errorf("failure = %+v, want bad.log.gz named as truncated", f)
	}
	db := openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE srcport = 1000"); n != 0 {
		t.Errorf("%d rows of the truncated object reached the dataset", n)
	}

	again := convertInto(t, out, in)
	if again.ObjectsFailed != 1 || again.ObjectsUnchanged != 1 {
		t.Errorf("rerun: failed=%d unchanged=%d, want the failed object tried again", again.ObjectsFailed, again.ObjectsUnchanged)
	}
}

func TestContentDetectedByMagicBytes(t *testing.T) {
	in := t.TempDir()
	// Two gzip members, as from concatenated files, each with its header.
	two := append(gzipBytes(t, lines(defaultHeader, record("1"))), gzipBytes(t, lines(defaultHeader, record("2")))...)
	writeFile(t, in, "concat.log.gz", string(two))
	// gzip content under a plain name, and plain text under a .gz name.
	writeFile(t, in, "named-plain.log", string(gzipBytes(t, lines(defaultHeader, record("3")))))
	writeFile(t, in, "named-gzip.log.gz", lines(defaultHeader, record("4")))
	var z bytes.Buffer
	zw, err := zstd.NewWriter(&z)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(lines(defaultHeader, record("5"))))
	zw.Close()
	writeFile(t, in, "z.log.zst", z.String())

	out, sum := convertPaths(t, in)
	if sum.ObjectsFailed != 0 || sum.Rows != 5 {
		t.Fatalf("failed=%d rows=%d, want 0 and 5: %+v", sum.ObjectsFailed, sum.Rows, sum.Failures)
	}
	db := openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(DISTINCT srcport) FROM flows"); n != 5 {
		t.Errorf("distinct ports = %d, want 5", n)
	}
}

func TestParquetNameWithTextContentFails(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "x.log.parquet", string(gzipBytes(t, lines(defaultHeader, record("1")))))
	_, sum := convertPaths(t, in)
	if sum.ObjectsFailed != 1 || !strings.Contains(sum.Failures[0].Error, "not Parquet") {
		t.Errorf("failures = %+v, want x.log.parquet rejected as not Parquet", sum.Failures)
	}
}

func TestNotAFlowLogObjectFails(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "notes.log", "hello there\nthis is not a flow log\n")
	out, sum := convertPaths(t, in)
	if sum.ObjectsFailed != 1 || !strings.Contains(sum.Failures[0].Error, "not a flow-log header") {
		t.Errorf("failures = %+v, want notes.log reported as not a flow log", sum.Failures)
	}
	var leftovers []string
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".tmp") {
			leftovers = append(leftovers, path)
		}
		return nil
	})
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}
