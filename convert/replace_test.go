package convert

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChangedObjectReplacesItsRows converts two objects that share a
// partition file, changes one, converts again, and checks that the dataset
// holds the new version's rows and the other object's rows once each.
func TestChangedObjectReplacesItsRows(t *testing.T) {
	in := t.TempDir()
	head := defaultHeader
	rec := func(port int, bytes int) string {
		return strings.Join([]string{"2 123456789012 eni-1 10.0.1.10 198.51.100.7", strconv.Itoa(port), "443 6 10", strconv.Itoa(bytes), "1700000000 1700000060 ACCEPT OK"}, " ")
	}
	writeFile(t, in, "a.log", lines(head, rec(1, 100), rec(2, 200)))
	b := writeFile(t, in, "b.log", lines(head, rec(3, 300)))
	out := t.TempDir()
	convertInto(t, out, in)

	// A new version of b: different rows, a later modification time.
	if err := os.WriteFile(b, []byte(lines(head, rec(4, 4000), rec(5, 5000))), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(b, later, later); err != nil {
		t.Fatal(err)
	}
	sum := convertInto(t, out, in)
	if sum.ObjectsChanged != 1 || sum.ObjectsConverted != 1 || sum.ObjectsUnchanged != 1 {
		t.Errorf("changed=%d converted=%d unchanged=%d, want 1, 1, 1", sum.ObjectsChanged, sum.ObjectsConverted, sum.ObjectsUnchanged)
	}
	db := openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(*) FROM flows"); n != 4 {
		t.Errorf("rows = %d, want 4", n)
	}
	if n := queryInt(t, db, "SELECT sum(bytes)::BIGINT FROM flows"); n != 100+200+4000+5000 {
		t.Errorf("sum(bytes) = %d, want 9300", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE srcport = 3"); n != 0 {
		t.Errorf("the earlier version's row is still there")
	}

	// Nothing changes on a third run, and no unreferenced file is left.
	again := convertInto(t, out, in)
	if again.ObjectsConverted != 0 || again.ObjectsChanged != 0 {
		t.Errorf("third run converted %d, changed %d; want 0 and 0", again.ObjectsConverted, again.ObjectsChanged)
	}
	files, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*", "*.parquet"))
	man, err := loadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(out, f)
		if !man.files[filepath.ToSlash(rel)] {
			t.Errorf("%s is not in the manifest", rel)
		}
	}
}

// TestChangedObjectDropsEarlierRejects fixes a rejected line in an object
// and converts it again: the earlier rejects file goes away.
func TestChangedObjectDropsEarlierRejects(t *testing.T) {
	in := t.TempDir()
	good := "2 123456789012 eni-1 10.0.1.10 198.51.100.7 1 443 6 10 100 1700000000 1700000060 ACCEPT OK"
	bad := strings.Replace(good, " 100 ", " 1x0 ", 1)
	path := writeFile(t, in, "a.log", lines(defaultHeader, good, bad))
	out := t.TempDir()
	first := convertInto(t, out, in)
	if first.RowsRejected != 1 || len(first.RejectsFiles) != 1 {
		t.Fatalf("first run: %d rejected in %v, want 1 in one file", first.RowsRejected, first.RejectsFiles)
	}

	fixed := strings.Replace(bad, " 1x0 ", " 120 ", 1)
	if err := os.WriteFile(path, []byte(lines(defaultHeader, good, fixed)), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	second := convertInto(t, out, in)
	if second.RowsRejected != 0 || second.Rows != 2 {
		t.Errorf("second run: %d rows, %d rejected; want 2 and 0", second.Rows, second.RowsRejected)
	}
	if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(first.RejectsFiles[0]))); !os.IsNotExist(err) {
		t.Errorf("the earlier rejects file is still there (stat error %v)", err)
	}
	man, err := loadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(man.rejects) != 0 {
		t.Errorf("manifest still lists rejects files %v", man.rejects)
	}
}

// TestChangedObjectFailingKeepsRows changes an object into a truncated gzip
// stream, so that the only object of the round fails. The round commits
// nothing, so the file that holds the rows of both objects stays, and the
// next conversion finds no unlisted file.
func TestChangedObjectFailingKeepsRows(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "a.log", lines(defaultHeader, record("1"), record("2")))
	b := writeFile(t, in, "b.log", lines(defaultHeader, record("3")))
	out := t.TempDir()
	convertInto(t, out, in)

	whole := gzipBytes(t, lines(defaultHeader, record("4")))
	if err := os.WriteFile(b, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(b, later, later); err != nil {
		t.Fatal(err)
	}
	sum := convertInto(t, out, in)
	if sum.ObjectsChanged != 1 || sum.ObjectsFailed != 1 {
		t.Errorf("changed=%d failed=%d, want 1 and 1", sum.ObjectsChanged, sum.ObjectsFailed)
	}
	if n := queryInt(t, openDuck(t, out), "SELECT count(*) FROM flows"); n != 3 {
		t.Errorf("rows after the failed round = %d, want 3", n)
	}

	again := convertInto(t, out, in)
	if again.ObjectsFailed != 1 {
		t.Errorf("the next conversion failed %d objects, want 1", again.ObjectsFailed)
	}
	if n := queryInt(t, openDuck(t, out), "SELECT count(*) FROM flows"); n != 3 {
		t.Errorf("rows after the next conversion = %d, want 3", n)
	}
}
