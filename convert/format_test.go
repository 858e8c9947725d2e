package convert

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowq/flowq/internal/dataset"
)

const format1Warning = "dataset written by an earlier flowq (format 1)"

// convertLogged converts the files below in into the dataset at out and
// returns the summary, the warnings logged and the error.
func convertLogged(t *testing.T, out, in string) (*Summary, string, error) {
	t.Helper()
	src, err := NewLocalSource(in)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sum, err := Run(context.Background(), src, Config{Out: out, Workers: 2, Logger: logger})
	return sum, logs.String(), err
}

func formatPath(out string) string {
	return filepath.Join(out, filepath.FromSlash(dataset.FormatFile))
}

func TestFormatFileWrittenOnNewDataset(t *testing.T) {
	for _, tc := range []struct {
		name    string
		objects map[string]string
	}{
		{"with objects", map[string]string{"a.log": lines(defaultHeader, record("1"))}},
		{"without objects", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := t.TempDir()
			for name, body := range tc.objects {
				writeFile(t, in, name, body)
			}
			out := t.TempDir()
			_, logs, err := convertLogged(t, out, in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(formatPath(out))
			if err != nil {
				t.Fatalf("read the format file: %v", err)
			}
			if string(got) != "2\n" {
				t.Errorf("format file contains %q, want %q", got, "2\n")
			}
			if _, err := os.Stat(formatPath(out) + dataset.TempSuffix); !os.IsNotExist(err) {
				t.Errorf("temporary format file left behind (stat error %v)", err)
			}
			if strings.Contains(logs, format1Warning) {
				t.Errorf("warning about format 1 on a new dataset: %s", logs)
			}
		})
	}
}

// TestFormatFileAfterCrashOfFirstCommit converts into a dataset that holds
// only a file and the pending marker of a first commit that died before its
// manifest line. Recovery removes the file, so the dataset holds no data and
// gets the current format.
func TestFormatFileAfterCrashOfFirstCommit(t *testing.T) {
	out := t.TempDir()
	leftover := writeFile(t, out, "flows/account_id=1/region=r/date=2024-01-01/hour=00/20240101T000000Z-abcdef-1.parquet", "PAR1")
	writeFile(t, out, dataset.PendingDir+"/20240101T000000Z-abcdef", "")
	in := t.TempDir()
	writeFile(t, in, "a.log", lines(defaultHeader, record("1")))
	_, logs, err := convertLogged(t, out, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the unlisted file is still there (stat error %v)", err)
	}
	if got, err := os.ReadFile(formatPath(out)); err != nil || string(got) != "2\n" {
		t.Errorf("format file contains %q (error %v), want %q", got, err, "2\n")
	}
	if strings.Contains(logs, format1Warning) {
		t.Errorf("warning about format 1: %s", logs)
	}
}

func TestFormatFileNotWrittenOverOldData(t *testing.T) {
	for _, tc := range []struct {
		name string
		// prepare makes out a dataset with data files and no format file.
		prepare func(t *testing.T, out string)
	}{
		{"files in the manifest", func(t *testing.T, out string) {
			in := t.TempDir()
			writeFile(t, in, "old.log", lines(defaultHeader, record("1")))
			convertInto(t, out, in)
			if err := os.Remove(formatPath(out)); err != nil {
				t.Fatal(err)
			}
		}},
		{"files only on disk", func(t *testing.T, out string) {
			writeFile(t, out, "flows/account_id=1/region=r/date=2024-01-01/hour=00/copied.parquet", "PAR1")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			tc.prepare(t, out)
			in := t.TempDir()
			writeFile(t, in, "new.log", lines(defaultHeader, record("2")))

			sum, logs, err := convertLogged(t, out, in)
			if err != nil {
				t.Fatal(err)
			}
			if sum.ObjectsConverted != 1 {
				t.Errorf("converted %d objects, want 1", sum.ObjectsConverted)
			}
			if _, err := os.Stat(formatPath(out)); !os.IsNotExist(err) {
				t.Errorf("format file written over a format-1 dataset (stat error %v)", err)
			}
			if n := strings.Count(logs, format1Warning); n != 1 {
				t.Errorf("%d warnings about format 1, want 1; logs:\n%s", n, logs)
			}
			for _, words := range []string{"level=WARN", "merge files by column name", "on the fly", "new folder"} {
				if !strings.Contains(logs, words) {
					t.Errorf("warning lacks %q: %s", words, logs)
				}
			}
		})
	}
}

func TestFormatFileRejected(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		newer         bool
		want          []string
	}{
		{"newer format", "3\n", true, []string{"a newer flowq wrote this dataset", "format 3"}},
		{"huge format", "99999999999999999999999\n", true, []string{"a newer flowq wrote this dataset"}},
		{"garbage", "two\n", false, []string{`"two\n"`, "not a format number"}},
		{"zero", "0\n", false, []string{`"0\n"`}},
		{"negative", "-2\n", false, []string{`"-2\n"`}},
		{"empty", "", false, []string{`""`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			writeFile(t, out, dataset.FormatFile, tc.content)
			// A file of an interrupted commit, which recovery would remove.
			// A newer flowq's files must stay untouched.
			unlisted := writeFile(t, out, "flows/account_id=1/region=r/date=2024-01-01/hour=00/20240101T000000Z-abcdef-1.parquet", "PAR1")
			writeFile(t, out, dataset.PendingDir+"/20240101T000000Z-abcdef", "")
			in := t.TempDir()
			writeFile(t, in, "a.log", lines(defaultHeader, record("1")))

			_, _, err := convertLogged(t, out, in)
			if err == nil {
				t.Fatal("conversion succeeded, want an error")
			}
			if !strings.Contains(err.Error(), formatPath(out)) {
				t.Errorf("error %q does not name %s", err, formatPath(out))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if errors.Is(err, dataset.ErrNewerFormat) != tc.newer {
				t.Errorf("errors.Is(%q, ErrNewerFormat) = %v, want %v", err, !tc.newer, tc.newer)
			}
			if _, err := os.Stat(unlisted); err != nil {
				t.Errorf("the conversion touched the dataset: %v", err)
			}
			if got, _ := os.ReadFile(formatPath(out)); string(got) != tc.content {
				t.Errorf("format file now contains %q, want it unchanged", got)
			}
		})
	}
}
