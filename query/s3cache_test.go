package query

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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

// formatFiles returns 1 when a local dataset has a format file, else 0.
func formatFiles(t *testing.T, root string) int {
	t.Helper()
	_, err := os.Stat(filepath.Join(root, filepath.FromSlash(dataset.FormatFile)))
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return 1
}

func TestSyncS3FetchesOnlySelectedPartitions(t *testing.T) {
	d := loadDemo(t)
	srv := s3test.StartFake(t)
	uploadDataset(t, srv, "flows-bucket", "team/flowq-data", d.data)

	since := time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)
	filter := Filter{Since: since, Until: since.Add(time.Hour)}
	cache := t.TempDir()
	opts := SyncOptions{Bucket: "flows-bucket", Prefix: "team/flowq-data/", CacheDir: cache, Filter: filter}

	// The files that the same filter selects locally are what must be
	// fetched, and the format file when the dataset has one.
	local, err := planDataset(d.data, filter)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := local.selectedFiles() + formatFiles(t, d.data)

	gets := srv.Count(t, s3test.OpGetObject)
	stats, err := SyncS3(context.Background(), srv.Client, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Count(t, s3test.OpGetObject) - gets; got != wantFiles || stats.Downloaded != wantFiles {
		t.Errorf("GetObject requests = %d, downloaded = %d, want %d", got, stats.Downloaded, wantFiles)
	}
	for _, r := range srv.Requests(t) {
		if r.Op == s3test.OpGetObject && !strings.Contains(r.Key, "date=2026-11-02/hour=0") && !strings.HasSuffix(r.Key, "/"+dataset.FormatFile) {
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
	// The manifest is not fetched: only the data files and the format file are.
	if want := len(files) + formatFiles(t, data); stats.Downloaded != want || len(files) == 0 {
		t.Errorf("downloaded %d objects, want the %d data files and format files", stats.Downloaded, want)
	}
	if got := queryInt(t, openEngine(t, Options{Data: cache}), "SELECT count(*) FROM flows WHERE tcp_flags IS NULL"); got != 1 {
		t.Errorf("rows with NULL tcp_flags = %d, want 1", got)
	}
}

func TestSyncS3FormatFile(t *testing.T) {
	data := writeDataset(t, dataset.Format, dataFile{account: "111111111111", name: "a.parquet", derived: true, rows: []fixtureRow{
		{src: "10.0.0.1", dst: "8.8.8.8", srcPrivate: "true", dstPrivate: "false"},
	}})
	srv := s3test.StartFake(t)
	uploadDataset(t, srv, "flows-bucket", "data", data)
	cache := t.TempDir()
	opts := SyncOptions{Bucket: "flows-bucket", Prefix: "data", CacheDir: cache}
	key := "data/" + dataset.FormatFile
	cached := filepath.Join(cache, filepath.FromSlash(dataset.FormatFile))
	sync := func() *SyncStats {
		t.Helper()
		stats, err := SyncS3(context.Background(), srv.Client, opts)
		if err != nil {
			t.Fatal(err)
		}
		return stats
	}
	formatGets := func() []s3test.Request {
		var out []s3test.Request
		for _, r := range srv.Requests(t) {
			if r.Op == s3test.OpGetObject && r.Key == key {
				out = append(out, r)
			}
		}
		return out
	}
	mergesByName := func() bool {
		e := openEngine(t, Options{Data: cache})
		return strings.Contains(viewDefinition(t, e, dataset.FlowsTable), "union_by_name")
	}

	// The first run fetches the data file and the format file, requiring
	// the listed ETag of each, and the cache gets the fast view.
	if stats := sync(); stats.Downloaded != 2 || stats.Objects != 1 {
		t.Errorf("first run: downloaded %d, objects %d; want 2 and 1", stats.Downloaded, stats.Objects)
	}
	if gets := formatGets(); len(gets) != 1 || gets[0].IfMatch == "" {
		t.Errorf("GetObject requests of the format file = %+v, want one with If-Match", gets)
	}
	if b, err := os.ReadFile(cached); err != nil || string(b) != "2\n" {
		t.Errorf("cached format file = %q, %v; want %q", b, err, "2\n")
	}
	if mergesByName() {
		t.Error("the view over the cache of a format 2 dataset merges by name")
	}

	// A second run finds the format file up to date.
	if stats := sync(); stats.Cached != 2 || stats.Downloaded != 0 || len(formatGets()) != 1 {
		t.Errorf("second run: cached %d, downloaded %d, format file requests %d; want 2, 0, 1", stats.Cached, stats.Downloaded, len(formatGets()))
	}

	// A changed format file has another ETag and is fetched again.
	s3test.PutObject(t, srv, "flows-bucket", key, []byte("1\n"))
	if stats := sync(); stats.Downloaded != 1 || len(formatGets()) != 2 {
		t.Errorf("after a change: downloaded %d, format file requests %d; want 1 and 2", stats.Downloaded, len(formatGets()))
	}
	if b, _ := os.ReadFile(cached); string(b) != "1\n" {
		t.Errorf("cached format file after a change = %q, want %q", b, "1\n")
	}
	if !mergesByName() {
		t.Error("the view over the cache of a format 1 dataset does not merge by name")
	}

	// A format file that the bucket no longer has leaves the cache too.
	if _, err := srv.Client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("flows-bucket"), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	if stats := sync(); stats.Removed != 1 || stats.Downloaded != 0 {
		t.Errorf("after a deletion: removed %d, downloaded %d; want 1 and 0", stats.Removed, stats.Downloaded)
	}
	if _, err := os.Stat(cached); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cached format file after its deletion from S3: %v, want it removed", err)
	}
	state, err := readCacheState(cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := state[dataset.FormatFile]; ok {
		t.Error("the cache state still records the deleted format file")
	}
	if got := derivedValues(t, openEngine(t, Options{Data: cache}))["10.0.0.1"]; got != [2]string{"true", "false"} {
		t.Errorf("src_private, dst_private over the cache = %v, want true, false", got)
	}
}

// A format file in the bucket that this flowq cannot read fails the sync
// with the name of the object in the bucket, not of its cached copy.
func TestSyncS3BadFormatFileNamesObject(t *testing.T) {
	for _, tc := range []struct {
		content string
		newer   bool
	}{{"3\n", true}, {"abc\n", false}} {
		data := writeDataset(t, 0, dataFile{account: "111111111111", name: "a.parquet", derived: true, rows: []fixtureRow{
			{src: "10.0.0.1", dst: "8.8.8.8", srcPrivate: "true", dstPrivate: "false"},
		}})
		writeFile(t, data, dataset.FormatFile, tc.content)
		srv := s3test.StartFake(t)
		uploadDataset(t, srv, "flows-bucket", "data", data)
		cache := t.TempDir()
		_, err := SyncS3(context.Background(), srv.Client, SyncOptions{Bucket: "flows-bucket", Prefix: "data", CacheDir: cache})
		if err == nil {
			t.Fatalf("format file %q: sync succeeded", tc.content)
		}
		if want := "s3://flows-bucket/data/" + dataset.FormatFile; !strings.Contains(err.Error(), want) {
			t.Errorf("format file %q: error %q does not name %s", tc.content, err, want)
		}
		if strings.Contains(err.Error(), cache) {
			t.Errorf("format file %q: error %q names the cache", tc.content, err)
		}
		if errors.Is(err, dataset.ErrNewerFormat) != tc.newer {
			t.Errorf("format file %q: errors.Is(ErrNewerFormat) = %v, want %v", tc.content, !tc.newer, tc.newer)
		}
	}
}
