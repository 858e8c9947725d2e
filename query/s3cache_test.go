package query

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
	"github.com/flowq/flowq/internal/s3test"
)

// uploadDataset copies every file of a local dataset to s3://bucket/prefix/.
func uploadDataset(t *testing.T, srv *s3test.Server, bucket, prefix, root string) int {
	t.Helper()
	s3test.CreateBucket(t, srv, bucket)
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s3test.PutObject(t, srv, bucket, prefix+"/"+filepath.ToSlash(rel), body)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSyncS3FetchesOnlySelectedPartitions(t *testing.T) {
	d := loadDemo(t)
	srv := s3test.StartFake(t)
	uploadDataset(t, srv, "flows-bucket", "team/flowq-data", d.data)

	since := time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)
	filter := Filter{Since: since, Until: since.Add(time.Hour)}
	cache := t.TempDir()
	opts := SyncOptions{Bucket: "flows-bucket", Prefix: "team/flowq-data/", CacheDir: cache, Filter: filter}

	// The files that the same filter selects locally are what must be fetched.
	local, err := planDataset(d.data, filter)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := local.selectedFiles()

	gets := srv.Count(t, s3test.OpGetObject)
	stats, err := SyncS3(context.Background(), srv.Client, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Count(t, s3test.OpGetObject) - gets; got != wantFiles || stats.Downloaded != wantFiles {
		t.Errorf("GetObject requests = %d, downloaded = %d, want %d", got, stats.Downloaded, wantFiles)
	}
	for _, r := range srv.Requests(t) {
		if r.Op == s3test.OpGetObject && !strings.Contains(r.Key, "date=2026-11-02/hour=0") {
			t.Errorf("fetched %s, outside the range", r.Key)
		}
	}

	// A second run fetches nothing.
	gets = srv.Count(t, s3test.OpGetObject)
	stats, err = SyncS3(context.Background(), srv.Client, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Count(t, s3test.OpGetObject) - gets; got != 0 || stats.Cached != wantFiles {
		t.Errorf("second run: GetObject requests = %d, cached = %d, want 0 and %d", got, stats.Cached, wantFiles)
	}

	// Queries over the cache return what they return over the local dataset.
	want := queryInt(t, openEngine(t, Options{Data: d.data, Since: filter.Since, Until: filter.Until}), "SELECT count(*) FROM flows")
	got := queryInt(t, openEngine(t, Options{Data: cache, Since: filter.Since, Until: filter.Until}), "SELECT count(*) FROM flows")
	if got != want || got == 0 {
		t.Errorf("rows from the cache = %d, want %d", got, want)
	}
}

func TestSyncS3RefetchesChangedObjects(t *testing.T) {
	data := convertFiles(t, casePath("ipv6", "a.log"))
	srv := s3test.StartFake(t)
	uploadDataset(t, srv, "flows-bucket", "data", data)
	cache := t.TempDir()
	opts := SyncOptions{Bucket: "flows-bucket", Prefix: "data", CacheDir: cache}
	if _, err := SyncS3(context.Background(), srv.Client, opts); err != nil {
		t.Fatal(err)
	}

	// Replace the data file by the one of another dataset: its ETag changes.
	other := convertFiles(t, casePath("tcp-flags", "a.log"))
	otherFiles, _ := filepath.Glob(filepath.Join(other, filepath.FromSlash(dataset.TableGlob(dataset.FlowsTable))))
	files, _ := filepath.Glob(filepath.Join(data, filepath.FromSlash(dataset.TableGlob(dataset.FlowsTable))))
	if len(files) != 1 || len(otherFiles) != 1 {
		t.Fatalf("data files: %v and %v, want one each", files, otherFiles)
	}
	body, _ := os.ReadFile(otherFiles[0])
	rel, _ := filepath.Rel(data, files[0])
	s3test.PutObject(t, srv, "flows-bucket", "data/"+filepath.ToSlash(rel), body)

	gets := srv.Count(t, s3test.OpGetObject)
	stats, err := SyncS3(context.Background(), srv.Client, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Count(t, s3test.OpGetObject) - gets; got != 1 || stats.Downloaded != 1 {
		t.Errorf("GetObject requests after a change = %d, downloaded %d, want 1", got, stats.Downloaded)
	}
	if got := queryInt(t, openEngine(t, Options{Data: cache}), "SELECT count(*) FROM flows"); got != 6 {
		t.Errorf("rows after the change = %d, want the 6 of the new object", got)
	}
}

func TestSyncS3Versity(t *testing.T) {
	data := convertFiles(t, casePath("tcp-flags", "a.log"))
	srv := s3test.StartVersity(t)
	uploadDataset(t, srv, "flows-bucket", "flowq", data)
	files, _ := filepath.Glob(filepath.Join(data, filepath.FromSlash(dataset.TableGlob(dataset.FlowsTable))))
	cache := t.TempDir()
	stats, err := SyncS3(context.Background(), srv.Client, SyncOptions{Bucket: "flows-bucket", Prefix: "flowq", CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	// The manifest is not fetched: only data files are.
	if stats.Downloaded != len(files) || len(files) == 0 {
		t.Errorf("downloaded %d objects, want the %d data files", stats.Downloaded, len(files))
	}
	if got := queryInt(t, openEngine(t, Options{Data: cache}), "SELECT count(*) FROM flows WHERE tcp_flags IS NULL"); got != 1 {
		t.Errorf("rows with NULL tcp_flags = %d, want 1", got)
	}
}
