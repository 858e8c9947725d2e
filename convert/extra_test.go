package convert

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
)

// extraLog returns a flow log in the default format plus the unknown field
// x-future-field, with one record per source port.
func extraLog(value string, ports ...string) string {
	ls := []string{defaultHeader + " x-future-field"}
	for _, p := range ports {
		ls = append(ls, record(p)+" "+value)
	}
	return lines(ls...)
}

// dataFiles returns the data files of the flows table relative to out,
// split into those with extra columns and the others.
func dataFiles(t *testing.T, out string) (extra, plain []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, filepath.FromSlash(dataset.TableGlob(dataset.FlowsTable))))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(out, f)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, dataset.ExtraFileSuffix) {
			extra = append(extra, rel)
		} else {
			plain = append(plain, rel)
		}
	}
	return extra, plain
}

// checkManifestLists fails the test unless the manifest lists every file.
func checkManifestLists(t *testing.T, out string, files []string) {
	t.Helper()
	man, err := loadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !man.files[f] {
			t.Errorf("%s is not in the manifest", f)
		}
	}
}

func TestExtraColumnsGetExtraFileName(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "a.log", lines(defaultHeader, record("1"), record("2")))
	x := writeFile(t, in, "x.log", extraLog("abc", "3", "4"))
	out := t.TempDir()
	sum := convertInto(t, out, in)
	if sum.Rows != 4 || sum.ObjectsFailed != 0 {
		t.Fatalf("rows=%d failed=%d, want 4 and 0", sum.Rows, sum.ObjectsFailed)
	}

	extra, plain := dataFiles(t, out)
	if len(extra) != 1 || len(plain) != 1 {
		t.Fatalf("files with extra columns %v, others %v; want one of each", extra, plain)
	}
	checkManifestLists(t, out, append(extra, plain...))
	man, err := loadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if files := man.objects["x.log"].Files; !slices.Equal(files, extra) {
		t.Errorf("manifest files of x.log = %v, want %v", files, extra)
	}
	db := openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE x_future_field = 'abc' AND srcport IN (3, 4) AND src_private AND NOT dst_private"); n != 2 {
		t.Errorf("rows of x.log with x_future_field and derived values = %d, want 2", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE x_future_field IS NULL AND srcport IN (1, 2)"); n != 2 {
		t.Errorf("rows of a.log without x_future_field = %d, want 2", n)
	}

	// A new version of x.log: its file is rewritten, and the new file still
	// has the extra column and its suffix.
	if err := os.WriteFile(x, []byte(extraLog("def", "5")), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(x, later, later); err != nil {
		t.Fatal(err)
	}
	again := convertInto(t, out, in)
	if again.ObjectsChanged != 1 {
		t.Fatalf("changed objects = %d, want 1", again.ObjectsChanged)
	}
	newExtra, newPlain := dataFiles(t, out)
	if len(newExtra) != 1 || newExtra[0] == extra[0] || !slices.Equal(newPlain, plain) {
		t.Fatalf("after the change: files with extra columns %v, others %v; want a new extra file beside %v", newExtra, newPlain, plain)
	}
	checkManifestLists(t, out, append(newExtra, newPlain...))
	db = openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE x_future_field IS NOT NULL"); n != 1 {
		t.Errorf("rows with x_future_field = %d, want 1", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE x_future_field = 'def' AND srcport = 5 AND src_private"); n != 1 {
		t.Errorf("rows of the new x.log = %d, want 1", n)
	}
}

// TestExtraFileRecoveredAfterCrash kills a conversion after it moved its
// files into place and before it wrote its manifest line. The next run
// must remove the unlisted file with extra columns and convert its object
// again.
func TestExtraFileRecoveredAfterCrash(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "x.log", extraLog("abc", "1", "2"))
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$")
	cmd.Env = append(os.Environ(), "FLOWQ_CRASH_SRC="+in, "FLOWQ_CRASH_OUT="+out, "FLOWQ_CRASH_MODE=die-before-manifest")
	if err := cmd.Run(); err == nil {
		t.Fatal("the child that kills itself before its manifest line finished")
	}
	left, _ := dataFiles(t, out)
	if len(left) != 1 {
		t.Fatalf("files with extra columns after the crash: %v, want the one the child moved into place", left)
	}

	sum := convertInto(t, out, in)
	if sum.ObjectsConverted != 1 || sum.Rows != 2 {
		t.Fatalf("converted=%d rows=%d after the crash, want 1 and 2", sum.ObjectsConverted, sum.Rows)
	}
	if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(left[0]))); !os.IsNotExist(err) {
		t.Errorf("the unlisted file %s is still there (stat error %v)", left[0], err)
	}
	extra, plain := dataFiles(t, out)
	if len(extra) != 1 || len(plain) != 0 {
		t.Fatalf("files with extra columns %v, others %v; want one with extra columns", extra, plain)
	}
	checkManifestLists(t, out, extra)
	if n := queryInt(t, openDuck(t, out), "SELECT count(*) FROM flows WHERE x_future_field = 'abc'"); n != 2 {
		t.Errorf("rows = %d, want 2", n)
	}
}
