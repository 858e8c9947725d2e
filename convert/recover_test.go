package convert

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
	"github.com/flowq/flowq/internal/sample"
)

// datasetFiles returns the content hash of every file in the table folders
// and the rejects folder of a dataset, by path relative to the root.
func datasetFiles(t *testing.T, root string) map[string][sha256.Size]byte {
	t.Helper()
	files := map[string][sha256.Size]byte{}
	for _, dir := range []string{dataset.FlowsTable, dataset.TGWFlowsTable, dataset.RejectsDir} {
		err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(dir)), func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			files[filepath.ToSlash(rel)] = sha256.Sum256(data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// checkSameFiles fails the test when a file of before is missing or changed
// in after, or after has a file that before lacks.
func checkSameFiles(t *testing.T, before, after map[string][sha256.Size]byte) {
	t.Helper()
	for rel, sum := range before {
		got, ok := after[rel]
		switch {
		case !ok:
			t.Errorf("%s was removed", rel)
		case got != sum:
			t.Errorf("%s was changed", rel)
		}
	}
	for rel := range after {
		if _, ok := before[rel]; !ok {
			t.Errorf("%s was added", rel)
		}
	}
}

// convertErr converts local paths into out and returns the run's error.
func convertErr(t *testing.T, out string, paths ...string) error {
	t.Helper()
	src, err := NewLocalSource(paths...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), src, Config{Out: out, Workers: 2})
	return err
}

// checkUnlistedError checks that err reports count unlisted files, names
// first, and lists the remedies.
func checkUnlistedError(t *testing.T, err error, count int, first string) {
	t.Helper()
	if !errors.Is(err, ErrUnlistedFiles) {
		t.Fatalf("error = %v, want ErrUnlistedFiles", err)
	}
	msg := err.Error()
	want := strconv.Itoa(count) + " data or rejects files "
	if count == 1 {
		want = "1 data or rejects file "
	}
	for _, s := range []string{want, strconv.Quote(first), dataset.ManifestFile, "out of the dataset", "convert into a new folder"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error does not contain %q: %s", s, msg)
		}
	}
}

// TestLostManifestKeepsDataFiles converts an archive, loses the bookkeeping
// and converts again: the conversion stops with an error and every data and
// rejects file stays. Restoring the manifest lets it go on.
func TestLostManifestKeepsDataFiles(t *testing.T) {
	archive := t.TempDir()
	opt := sample.DemoOptions()
	opt.Days = 1
	opt.RecordsPerDay = 2000
	if _, err := sample.GenerateToDir(context.Background(), archive, opt); err != nil {
		t.Fatal(err)
	}
	writeFile(t, archive, "bad.log", lines(defaultHeader, record("1"), record("x")))

	for _, tc := range []struct {
		name string
		// lose is the file or folder that goes missing, relative to the
		// dataset root.
		lose string
	}{
		{"manifest deleted", dataset.ManifestFile},
		{"bookkeeping folder deleted", dataset.MetaDir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, sum := convertPaths(t, archive)
			if sum.RowsRejected != 1 {
				t.Fatalf("%d lines rejected, want 1", sum.RowsRejected)
			}
			converted := datasetFiles(t, out)
			saved := t.TempDir()
			if err := os.Rename(filepath.Join(out, filepath.FromSlash(tc.lose)), filepath.Join(saved, "lost")); err != nil {
				t.Fatal(err)
			}
			before := datasetFiles(t, out)
			if len(before) < 2 {
				t.Fatalf("the dataset has %d files; the test needs several", len(before))
			}
			var first string
			for rel := range before {
				if first == "" || rel < first {
					first = rel
				}
			}

			err := convertErr(t, out, archive)
			checkUnlistedError(t, err, len(before), first)
			checkSameFiles(t, before, datasetFiles(t, out))
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(dataset.ManifestFile))); !os.IsNotExist(err) {
				t.Errorf("the failed conversion wrote a manifest (stat error %v)", err)
			}

			// Restoring what was lost, as the error suggests, lets the next
			// conversion find everything converted.
			dst := filepath.Join(out, filepath.FromSlash(tc.lose))
			if tc.lose == dataset.MetaDir {
				os.RemoveAll(dst)
			}
			if err := os.Rename(filepath.Join(saved, "lost"), dst); err != nil {
				t.Fatal(err)
			}
			again := convertInto(t, out, archive)
			if again.ObjectsConverted != 0 || again.ObjectsUnchanged != sum.ObjectsConverted {
				t.Errorf("after the restore: %d converted, %d unchanged; want 0 and %d",
					again.ObjectsConverted, again.ObjectsUnchanged, sum.ObjectsConverted)
			}
			checkSameFiles(t, converted, datasetFiles(t, out))
		})
	}
}

// TestCopiedFileStopsConversion copies a data or rejects file of another
// dataset into a dataset: the next conversion stops, names the file and
// leaves it and the rest of the dataset alone.
func TestCopiedFileStopsConversion(t *testing.T) {
	for _, tc := range []struct {
		name string
		// pick returns the file of the other dataset to copy, relative to
		// its root.
		pick func(t *testing.T, sum *Summary, other string) string
	}{
		{"data file", func(t *testing.T, _ *Summary, other string) string {
			files, _ := filepath.Glob(filepath.Join(other, "flows", "*", "*", "*", "*", "*.parquet"))
			if len(files) == 0 {
				t.Fatal("the other dataset has no data file")
			}
			rel, _ := filepath.Rel(other, files[0])
			return filepath.ToSlash(rel)
		}},
		{"rejects file", func(t *testing.T, sum *Summary, _ string) string {
			if len(sum.RejectsFiles) != 1 {
				t.Fatalf("the other dataset has rejects files %v, want one", sum.RejectsFiles)
			}
			return sum.RejectsFiles[0]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := t.TempDir()
			writeFile(t, in, "a.log", lines(defaultHeader, record("1"), record("2")))
			out := t.TempDir()
			convertInto(t, out, in)

			otherIn := t.TempDir()
			writeFile(t, otherIn, "b.log", lines(defaultHeader, record("3"), record("x")))
			other, otherSum := convertPaths(t, otherIn)
			rel := tc.pick(t, otherSum, other)
			data, err := os.ReadFile(filepath.Join(other, filepath.FromSlash(rel)))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, out, rel, string(data))
			before := datasetFiles(t, out)

			err = convertErr(t, out, in)
			checkUnlistedError(t, err, 1, rel)
			checkSameFiles(t, before, datasetFiles(t, out))
		})
	}
}

// TestOtherNamesLeftAlone puts files that flowq never names into a dataset:
// a conversion keeps them and succeeds.
func TestOtherNamesLeftAlone(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "a.log", lines(defaultHeader, record("1")))
	out := t.TempDir()
	convertInto(t, out, in)
	otherFiles := []string{
		"flows/account_id=123456789012/README.txt",
		"flows/account_id=1/region=r/date=2024-01-01/hour=00/export.parquet",
		dataset.RejectsDir + "/notes.jsonl",
	}
	for _, rel := range otherFiles {
		writeFile(t, out, rel, "not flowq's")
	}
	writeFile(t, in, "b.log", lines(defaultHeader, record("2")))
	if sum := convertInto(t, out, in); sum.ObjectsConverted != 1 {
		t.Errorf("%d objects converted, want 1", sum.ObjectsConverted)
	}
	for _, rel := range otherFiles {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(rel))); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
}

// TestRecoveryRemovesPendingCommitsOnly places the files of two commits that
// no manifest line lists: one has a pending marker, the other not. The
// conversion stops on the unmarked commit's file without removing anything.
// Once that file is moved out, recovery removes the marked commit's files
// and its marker.
func TestRecoveryRemovesPendingCommitsOnly(t *testing.T) {
	in := t.TempDir()
	writeFile(t, in, "a.log", lines(defaultHeader, record("1")))
	out := t.TempDir()
	convertInto(t, out, in)

	const part = "flows/account_id=1/region=r/date=2024-01-01/hour=00/"
	pendingFiles := []string{
		part + "20240101T000000Z-aaaaaa-1.parquet",
		part + "20240101T000000Z-aaaaaa-2.extra.parquet",
		dataset.RejectsDir + "/20240101T000000Z-aaaaaa-3.jsonl",
	}
	for _, rel := range pendingFiles {
		writeFile(t, out, rel, "PAR1")
	}
	marker := writeFile(t, out, dataset.PendingDir+"/20240101T000000Z-aaaaaa", "")
	foreign := writeFile(t, out, part+"20240101T000000Z-bbbbbb-1.parquet", "PAR1")
	before := datasetFiles(t, out)

	err := convertErr(t, out, in)
	checkUnlistedError(t, err, 1, part+"20240101T000000Z-bbbbbb-1.parquet")
	checkSameFiles(t, before, datasetFiles(t, out))
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the failed conversion removed the pending marker: %v", err)
	}

	if err := os.Remove(foreign); err != nil {
		t.Fatal(err)
	}
	convertInto(t, out, in)
	for _, rel := range pendingFiles {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(rel))); !os.IsNotExist(err) {
			t.Errorf("%s of the pending commit is still there (stat error %v)", rel, err)
		}
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the pending marker is still there (stat error %v)", err)
	}
}

// TestCrashAfterManifestNoDuplicates kills a conversion that replaces the
// rows of a changed object right after its manifest line, before it removes
// the replaced file. The next conversion removes that file, so the rows it
// holds are not read twice.
func TestCrashAfterManifestNoDuplicates(t *testing.T) {
	in := t.TempDir()
	rec := func(port, bytes int) string {
		return strings.Join([]string{"2 123456789012 eni-1 10.0.1.10 198.51.100.7", strconv.Itoa(port), "443 6 10", strconv.Itoa(bytes), "1700000000 1700000060 ACCEPT OK"}, " ")
	}
	writeFile(t, in, "a.log", lines(defaultHeader, rec(1, 100), rec(2, 200)))
	b := writeFile(t, in, "b.log", lines(defaultHeader, rec(3, 300)))
	out := t.TempDir()
	convertInto(t, out, in)
	old, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*", "*.parquet"))
	if len(old) != 1 {
		t.Fatalf("the first conversion wrote %d data files, want 1 shared by both objects", len(old))
	}

	if err := os.WriteFile(b, []byte(lines(defaultHeader, rec(4, 4000), rec(5, 5000))), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(b, later, later); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$")
	cmd.Env = append(os.Environ(), "FLOWQ_CRASH_SRC="+in, "FLOWQ_CRASH_OUT="+out, "FLOWQ_CRASH_MODE=die-after-manifest")
	if err := cmd.Run(); err == nil {
		t.Fatal("the child that kills itself after its manifest line finished")
	}

	// The crash left the replaced file beside its replacement.
	if _, err := os.Stat(old[0]); err != nil {
		t.Fatalf("the replaced file is gone before recovery, so the test checks nothing: %v", err)
	}
	man, err := loadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if man.commits != 2 {
		t.Fatalf("the manifest has %d commits, want 2", man.commits)
	}

	sum := convertInto(t, out, in)
	if sum.ObjectsConverted != 0 {
		t.Errorf("recovery run converted %d objects, want 0", sum.ObjectsConverted)
	}
	if _, err := os.Stat(old[0]); !os.IsNotExist(err) {
		t.Errorf("the replaced file is still there (stat error %v)", err)
	}
	db := openDuck(t, out)
	if n := queryInt(t, db, "SELECT count(*) FROM flows"); n != 4 {
		t.Errorf("rows = %d, want 4", n)
	}
	if n := queryInt(t, db, "SELECT sum(bytes)::BIGINT FROM flows"); n != 100+200+4000+5000 {
		t.Errorf("sum(bytes) = %d, want 9300", n)
	}
}
