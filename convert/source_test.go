package convert

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/flowq/flowq/internal/s3store"
	"github.com/flowq/flowq/internal/s3test"
)

// sourceFixture is a Source over the objects that a conformance test asked
// for, and what the test needs to know about how the source names them.
type sourceFixture struct {
	source Source
	// keyPrefix is what the source puts before the keys that the test gave,
	// such as the S3 prefix.
	keyPrefix string
	// hasETag is true when listed objects carry the MD5 of their bytes as
	// ETag, as single-part S3 uploads do.
	hasETag bool
	// put adds or replaces one object after the source was built.
	put func(t *testing.T, key string, body []byte)
}

// newSourceFunc builds a source over objects. Keys ending in '/' are folder
// markers: empty S3 objects, or empty folders on disk.
type newSourceFunc func(t *testing.T, objects map[string][]byte) sourceFixture

// s3TestPageSize is MaxKeys for S3 sources under test, small so that every
// listing takes several pages.
const s3TestPageSize = 3

// conformanceObjects returns the objects that every source is tested with.
// The keys include folder markers, an empty object, and "a-c.log" next to
// "a/b.log": '-' sorts before '/', so a plain folder walk lists them in the
// wrong order.
func conformanceObjects() map[string][]byte {
	random := rand.New(rand.NewChaCha8([32]byte{1}))
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(random.Uint32())
		}
		return b
	}

	day := "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/01/02/"
	return map[string][]byte{
		"AWSLogs/":              nil,
		"AWSLogs/111122223333/": nil,
		day:                     nil,
		day + "111122223333_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240102T0000Z_0a1b2c3d.log.gz": randomBytes(300_000),
		day + "111122223333_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240102T0005Z_1b2c3d4e.log.gz": randomBytes(4096),
		day + "111122223333_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240102T0010Z_2c3d4e5f.log.gz": randomBytes(17),
		"a-c.log":          []byte("a-c\n"),
		"a/b.log":          []byte("a/b\n"),
		"empty.log":        {},
		"Upper.log":        []byte("upper case sorts first\n"),
		"with space.log":   []byte("space\n"),
		"z/deep/er/x.log":  randomBytes(1000),
		"z/deep/er2/y.log": randomBytes(1001),
	}
}

func TestLocalSourceConformance(t *testing.T) {
	testSourceConformance(t, newLocalFixture)
}

func TestS3SourceConformanceFake(t *testing.T) {
	testSourceConformance(t, func(t *testing.T, objects map[string][]byte) sourceFixture {
		return newS3Fixture(t, s3test.StartFake(t), objects)
	})
}

func TestS3SourceConformanceVersity(t *testing.T) {
	testSourceConformance(t, func(t *testing.T, objects map[string][]byte) sourceFixture {
		return newS3Fixture(t, s3test.StartVersity(t), objects)
	})
}

// newLocalFixture writes objects below a folder "root" and a decoy file in
// a sibling folder whose name starts with the same letters.
func newLocalFixture(t *testing.T, objects map[string][]byte) sourceFixture {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	put := func(t *testing.T, key string, body []byte) {
		t.Helper()
		writeTestFile(t, filepath.Join(root, filepath.FromSlash(key)), body)
	}

	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for key, body := range objects {
		if strings.HasSuffix(key, "/") {
			if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(key)), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		put(t, key, body)
	}
	writeTestFile(t, filepath.Join(dir, "root-other", "decoy.log"), []byte("outside the root"))

	source, err := NewLocalSource(root)
	if err != nil {
		t.Fatalf("NewLocalSource: %v", err)
	}
	return sourceFixture{source: source, put: put}
}

// newS3Fixture uploads objects below the prefix "logs/" of a new bucket on
// srv, with decoys whose keys share the prefix's first letters, and returns
// an S3Source that lists s3TestPageSize keys per page.
func newS3Fixture(t *testing.T, srv *s3test.Server, objects map[string][]byte) sourceFixture {
	const bucket, prefix = "flowq-conformance", "logs/"
	s3test.CreateBucket(t, srv, bucket)
	put := func(t *testing.T, key string, body []byte) {
		t.Helper()
		s3test.PutObject(t, srv, bucket, prefix+key, body)
	}

	for _, key := range sortedKeys(objects) {
		put(t, key, objects[key])
	}
	s3test.PutObject(t, srv, bucket, "logs-other/decoy.log", []byte("outside the prefix"))
	s3test.PutObject(t, srv, bucket, "log", []byte("outside the prefix"))

	source := NewS3Source(srv.Client, bucket, prefix)
	source.pageSize = s3TestPageSize
	return sourceFixture{source: source, keyPrefix: prefix, hasETag: true, put: put}
}

// testSourceConformance checks the Source contract on a source that
// newSource builds over conformanceObjects.
func testSourceConformance(t *testing.T, newSource newSourceFunc) {
	objects := conformanceObjects()
	fx := newSource(t, objects)

	// want maps the keys the source should list to their bytes.
	want := map[string][]byte{}
	for key, body := range objects {
		if !strings.HasSuffix(key, "/") {
			want[fx.keyPrefix+key] = body
		}
	}
	wantKeys := sortedKeys(want)

	t.Run("list order and completeness", func(t *testing.T) {
		listed := listAll(t, fx.source)
		keys := objectKeys(listed)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("listed keys:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(wantKeys, "\n"))
		}
		if !slices.IsSorted(keys) {
			t.Errorf("listed keys are not in lexical order:\n%s", strings.Join(keys, "\n"))
		}
	})

	t.Run("list skips folder markers", func(t *testing.T) {
		for _, obj := range listAll(t, fx.source) {
			if strings.HasSuffix(obj.Key, "/") {
				t.Errorf("listed folder marker %q", obj.Key)
			}
		}
	})

	t.Run("list fills metadata", func(t *testing.T) {
		for _, obj := range listAll(t, fx.source) {
			body := want[obj.Key]
			if obj.Size != int64(len(body)) {
				t.Errorf("%q: Size = %d, want %d", obj.Key, obj.Size, len(body))
			}
			if obj.Modified.IsZero() {
				t.Errorf("%q: Modified is zero", obj.Key)
			}
			if obj.Version() == "" {
				t.Errorf("%q: Version is empty", obj.Key)
			}
			wantETag := ""
			if fx.hasETag {
				sum := md5.Sum(body)
				wantETag = hex.EncodeToString(sum[:])
			}
			if obj.ETag != wantETag {
				t.Errorf("%q: ETag = %q, want %q", obj.Key, obj.ETag, wantETag)
			}
		}
	})

	t.Run("list stops early", func(t *testing.T) {
		stop := errors.New("stop here")
		calls := 0
		err := fx.source.List(context.Background(), func(Object) error {
			calls++
			if calls == 4 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Errorf("List error = %v, want the error that fn returned", err)
		}
		if calls != 4 {
			t.Errorf("fn called %d times, want 4", calls)
		}
	})

	t.Run("open returns exact bytes", func(t *testing.T) {
		for _, obj := range listAll(t, fx.source) {
			got := readObject(t, fx.source, obj)
			if !bytes.Equal(got, want[obj.Key]) {
				t.Errorf("%q: read %d bytes that differ from the %d written", obj.Key, len(got), len(want[obj.Key]))
			}
		}
	})

	t.Run("open missing object names key", func(t *testing.T) {
		key := fx.keyPrefix + "AWSLogs/missing.log.gz"
		r, err := fx.source.Open(context.Background(), Object{Key: key, Size: 10})
		if err == nil {
			r.Close()
			t.Fatalf("Open of missing %q succeeded, want an error", key)
		}
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Open error %q does not name the key %q", err, key)
		}
	})

	t.Run("concurrent opens", func(t *testing.T) {
		listed := listAll(t, fx.source)
		const readers = 8
		var wg sync.WaitGroup
		for i := range readers {
			wg.Go(func() {
				// Each goroutine reads every object, starting at a
				// different one, so that reads of the same object overlap.
				for j := range listed {
					obj := listed[(i+j)%len(listed)]
					r, err := fx.source.Open(context.Background(), obj)
					if err != nil {
						t.Errorf("Open %q: %v", obj.Key, err)
						return
					}
					got, err := io.ReadAll(r)
					r.Close()
					if err != nil {
						t.Errorf("read %q: %v", obj.Key, err)
						return
					}
					if !bytes.Equal(got, want[obj.Key]) {
						t.Errorf("%q: concurrent read returned %d bytes that differ from the %d written", obj.Key, len(got), len(want[obj.Key]))
					}
				}
			})
		}
		wg.Wait()
	})

	// This subtest changes the objects, so it runs last.
	t.Run("list again sees changes", func(t *testing.T) {
		added := "AWSLogs/added-later.log"
		fx.put(t, added, []byte("new"))

		keys := objectKeys(listAll(t, fx.source))
		if !slices.Contains(keys, fx.keyPrefix+added) {
			t.Errorf("second List did not return %q added after the first", fx.keyPrefix+added)
		}
		if len(keys) != len(wantKeys)+1 {
			t.Errorf("second List returned %d keys, want %d", len(keys), len(wantKeys)+1)
		}
	})
}

func TestS3SourceListsEveryPage(t *testing.T) {
	srv := s3test.StartFake(t)
	objects := conformanceObjects()
	fx := newS3Fixture(t, srv, objects)

	listed := listAll(t, fx.source)
	if len(listed) != len(objects)-3 {
		t.Errorf("listed %d objects, want %d (all but three folder markers)", len(listed), len(objects)-3)
	}

	// Folder markers count toward MaxKeys, so every key below the prefix
	// fills a page slot.
	minPages := (len(objects) + s3TestPageSize - 1) / s3TestPageSize
	if n := srv.Count(t, s3test.OpListObjectsV2); n < minPages {
		t.Errorf("ListObjectsV2 requests = %d, want at least %d pages of %d keys", n, minPages, s3TestPageSize)
	}
}

func TestS3SourceName(t *testing.T) {
	tests := []struct {
		bucket, prefix, want string
	}{
		{"logs", "AWSLogs/", "s3://logs/AWSLogs/"},
		{"logs", "", "s3://logs/"},
	}
	for _, tt := range tests {
		if got := NewS3Source(nil, tt.bucket, tt.prefix).Name(); got != tt.want {
			t.Errorf("Name() of bucket %q prefix %q = %q, want %q", tt.bucket, tt.prefix, got, tt.want)
		}
	}
}

// newFakeSource starts a fake with one bucket holding key and body, and
// returns an S3Source over the bucket that resumes without waiting long.
func newFakeSource(t *testing.T, key string, body []byte) (*s3test.Server, *S3Source) {
	srv := s3test.StartFake(t)
	s3test.CreateBucket(t, srv, "logs")
	s3test.PutObject(t, srv, "logs", key, body)

	source := NewS3Source(srv.Client, "logs", "")
	source.resumeDelay = time.Millisecond
	return srv, source
}

func TestS3SourceGetSlowDownRetried(t *testing.T) {
	body := bytes.Repeat([]byte("flow log line\n"), 1000)
	srv, source := newFakeSource(t, "x.log", body)
	obj := listOne(t, source)

	srv.SlowDown(t, s3test.OpGetObject, 2)
	got := readObject(t, source, obj)

	if !bytes.Equal(got, body) {
		t.Errorf("read %d bytes that differ from the %d written", len(got), len(body))
	}
	if n := srv.Count(t, s3test.OpGetObject); n != 3 {
		t.Errorf("GetObject requests = %d, want 3 (two 503 SlowDown and one success)", n)
	}
}

func TestS3SourceResumesCutBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 10_000)
	srv, source := newFakeSource(t, "x.log", body)
	obj := listOne(t, source)

	srv.CutBody(t, s3test.OpGetObject, 1, 1000)
	got := readObject(t, source, obj)

	if !bytes.Equal(got, body) {
		t.Errorf("read %d bytes that differ from the %d written", len(got), len(body))
	}
	gets := requestsOf(srv.Requests(t), s3test.OpGetObject)
	if len(gets) != 2 {
		t.Fatalf("GetObject requests = %+v, want the cut one and one Range request", gets)
	}
	if !gets[0].Injected {
		t.Errorf("first GetObject %+v was not cut", gets[0])
	}
	if gets[1].Range != "bytes=1000-" {
		t.Errorf("resume Range = %q, want %q", gets[1].Range, "bytes=1000-")
	}
	if wantIfMatch := `"` + obj.ETag + `"`; gets[1].IfMatch != wantIfMatch {
		t.Errorf("resume If-Match = %q, want %q", gets[1].IfMatch, wantIfMatch)
	}
}

func TestS3SourceResumesRepeatedCuts(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 10_000)
	srv, source := newFakeSource(t, "x.log", body)
	obj := listOne(t, source)

	// Each cut counts bytes from the start of its own response.
	srv.CutBody(t, s3test.OpGetObject, 1, 100)
	srv.CutBody(t, s3test.OpGetObject, 1, 50_000)
	srv.CutBody(t, s3test.OpGetObject, 1, 7)
	got := readObject(t, source, obj)

	if !bytes.Equal(got, body) {
		t.Errorf("read %d bytes that differ from the %d written", len(got), len(body))
	}
	var ranges []string
	for _, r := range requestsOf(srv.Requests(t), s3test.OpGetObject) {
		ranges = append(ranges, r.Range)
	}
	wantRanges := []string{"", "bytes=100-", "bytes=50100-", "bytes=50107-"}
	if !slices.Equal(ranges, wantRanges) {
		t.Errorf("GetObject Range headers = %q, want %q", ranges, wantRanges)
	}
}

func TestS3SourceGivesUpAfterMaxResumes(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 10_000)
	srv, source := newFakeSource(t, "dir/x.log", body)
	source.maxResumes = 2
	obj := listOne(t, source)

	srv.CutBody(t, s3test.OpGetObject, 3, 10)
	r, err := source.Open(context.Background(), obj)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)

	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v, want one wrapping %v", err, io.ErrUnexpectedEOF)
	}
	if err != nil && !strings.Contains(err.Error(), "s3://logs/dir/x.log") {
		t.Errorf("read error %q does not name the object", err)
	}
	if len(got) != 30 {
		t.Errorf("read %d bytes before giving up, want 30 from three cut responses", len(got))
	}
	if n := srv.Count(t, s3test.OpGetObject); n != 3 {
		t.Errorf("GetObject requests = %d, want 3 (the first and two resumes)", n)
	}
}

func TestS3SourceObjectChangedMidRead(t *testing.T) {
	body := bytes.Repeat([]byte("old content "), 1000)
	srv, source := newFakeSource(t, "x.log", body)
	obj := listOne(t, source)

	srv.CutBody(t, s3test.OpGetObject, 1, 1000)
	r, err := source.Open(context.Background(), obj)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()

	head := make([]byte, 1000)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatalf("read the bytes before the cut: %v", err)
	}
	s3test.PutObject(t, srv, "logs", "x.log", bytes.Repeat([]byte("new content "), 1000))

	_, err = io.ReadAll(r)
	if err == nil {
		t.Fatalf("read after the object changed succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "changed") || !strings.Contains(err.Error(), "s3://logs/x.log") {
		t.Errorf("read error %q does not say that s3://logs/x.log changed", err)
	}
}

func TestS3SourceOpenChangedSinceList(t *testing.T) {
	srv, source := newFakeSource(t, "x.log", []byte("old"))
	obj := listOne(t, source)
	s3test.PutObject(t, srv, "logs", "x.log", []byte("new"))

	r, err := source.Open(context.Background(), obj)
	if err == nil {
		r.Close()
		t.Fatalf("Open of an object that changed since List succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "changed since it was listed") {
		t.Errorf("Open error %q does not say that the object changed", err)
	}
}

func TestS3SourceOpenMissingIsNoSuchKey(t *testing.T) {
	_, source := newFakeSource(t, "x.log", []byte("x"))

	_, err := source.Open(context.Background(), Object{Key: "gone.log"})
	var noSuchKey *types.NoSuchKey
	if !errors.As(err, &noSuchKey) {
		t.Errorf("Open error = %v, want one wrapping NoSuchKey", err)
	}
}

func TestS3SourceListSlowDownRetried(t *testing.T) {
	srv, source := newFakeSource(t, "x.log", []byte("x"))

	srv.SlowDown(t, s3test.OpListObjectsV2, 1)
	keys := objectKeys(listAll(t, source))

	if !slices.Equal(keys, []string{"x.log"}) {
		t.Errorf("listed %q, want [x.log]", keys)
	}
	lists := requestsOf(srv.Requests(t), s3test.OpListObjectsV2)
	if len(lists) != 2 || !lists[0].Injected || lists[0].Status != 503 {
		t.Errorf("ListObjectsV2 requests = %+v, want a 503 and a retry", lists)
	}
}

func TestS3SourceListCutRetried(t *testing.T) {
	srv, source := newFakeSource(t, "x.log", []byte("x"))

	srv.CutBody(t, s3test.OpListObjectsV2, 1, 100)
	keys := objectKeys(listAll(t, source))

	if !slices.Equal(keys, []string{"x.log"}) {
		t.Errorf("listed %q, want [x.log]", keys)
	}
	if n := srv.Count(t, s3test.OpListObjectsV2); n != 2 {
		t.Errorf("ListObjectsV2 requests = %d, want 2 (the cut one and a retry)", n)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in         string
		bucket     string
		prefix     string
		wantErrSub string
	}{
		{in: "s3://logs/AWSLogs/", bucket: "logs", prefix: "AWSLogs/"},
		{in: "s3://logs/AWSLogs", bucket: "logs", prefix: "AWSLogs"},
		{in: "s3://logs", bucket: "logs", prefix: ""},
		{in: "s3://logs/", bucket: "logs", prefix: ""},
		{in: "S3://logs/a b/c", bucket: "logs", prefix: "a b/c"},
		{in: "s3://my.bucket-1/x//y", bucket: "my.bucket-1", prefix: "x//y"},
		{in: "s3://", wantErrSub: "bucket name is missing"},
		{in: "s3:///prefix", wantErrSub: "bucket name is missing"},
		{in: "https://logs.s3.amazonaws.com/x", wantErrSub: "expected the form s3://bucket/prefix"},
		{in: "logs/AWSLogs", wantErrSub: "expected the form s3://bucket/prefix"},
		{in: "s3:/logs", wantErrSub: "expected the form s3://bucket/prefix"},
		{in: "s3://lo/x", wantErrSub: "3 to 63 characters"},
		{in: "s3://logs:1/x", wantErrSub: "not allowed"},
	}
	for _, tt := range tests {
		bucket, prefix, err := s3store.ParseURL(tt.in)
		if tt.wantErrSub != "" {
			if err == nil {
				t.Errorf("ParseURL(%q) = %q, %q, want an error", tt.in, bucket, prefix)
				continue
			}
			if !strings.Contains(err.Error(), tt.wantErrSub) {
				t.Errorf("ParseURL(%q) error %q does not contain %q", tt.in, err, tt.wantErrSub)
			}
			if !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseURL(%q) error %q does not quote the input", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURL(%q) error: %v", tt.in, err)
			continue
		}
		if bucket != tt.bucket || prefix != tt.prefix {
			t.Errorf("ParseURL(%q) = %q, %q, want %q, %q", tt.in, bucket, prefix, tt.bucket, tt.prefix)
		}
	}
}

func TestIsURL(t *testing.T) {
	tests := map[string]bool{
		"s3://logs/x": true,
		"S3://logs":   true,
		"s3:/logs":    false,
		"./logs":      false,
		"s3":          false,
		"":            false,
	}
	for in, want := range tests {
		if got := s3store.IsURL(in); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLocalSourceSingleFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "flow.log.gz")
	writeTestFile(t, path, []byte("single file"))

	source, err := NewLocalSource(path)
	if err != nil {
		t.Fatalf("NewLocalSource: %v", err)
	}
	listed := listAll(t, source)
	if len(listed) != 1 {
		t.Fatalf("listed %d objects, want 1", len(listed))
	}
	obj := listed[0]

	if obj.Key != "flow.log.gz" {
		t.Errorf("Key = %q, want the base name %q", obj.Key, "flow.log.gz")
	}
	if obj.Size != int64(len("single file")) {
		t.Errorf("Size = %d, want %d", obj.Size, len("single file"))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !obj.Modified.Equal(info.ModTime()) {
		t.Errorf("Modified = %v, want the file's mtime %v", obj.Modified, info.ModTime())
	}
	if obj.ETag != "" {
		t.Errorf("ETag = %q, want empty for a local file", obj.ETag)
	}
	if got := readObject(t, source, obj); string(got) != "single file" {
		t.Errorf("read %q, want %q", got, "single file")
	}
}

func TestLocalSourceFolderAndFile(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "folder", "b.log"), []byte("b"))
	writeTestFile(t, filepath.Join(dir, "folder", "d", "e.log"), []byte("e"))
	writeTestFile(t, filepath.Join(dir, "c.log"), []byte("c"))

	source, err := NewLocalSource(filepath.Join(dir, "folder"), filepath.Join(dir, "c.log"))
	if err != nil {
		t.Fatalf("NewLocalSource: %v", err)
	}
	keys := objectKeys(listAll(t, source))
	if want := []string{"b.log", "c.log", "d/e.log"}; !slices.Equal(keys, want) {
		t.Errorf("listed %q, want %q in lexical order across both paths", keys, want)
	}
	if got := readObject(t, source, Object{Key: "c.log"}); string(got) != "c" {
		t.Errorf("read c.log = %q, want %q", got, "c")
	}
	if got := readObject(t, source, Object{Key: "d/e.log"}); string(got) != "e" {
		t.Errorf("read d/e.log = %q, want %q", got, "e")
	}
}

func TestLocalSourceSkipsHidden(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "a.log"), []byte("a"))
	writeTestFile(t, filepath.Join(dir, ".hidden.log"), []byte("h"))
	writeTestFile(t, filepath.Join(dir, ".git", "config"), []byte("g"))
	writeTestFile(t, filepath.Join(dir, "sub", ".DS_Store"), []byte("d"))
	writeTestFile(t, filepath.Join(dir, "sub", "b.log"), []byte("b"))

	source, err := NewLocalSource(dir)
	if err != nil {
		t.Fatalf("NewLocalSource: %v", err)
	}
	keys := objectKeys(listAll(t, source))
	if want := []string{"a.log", "sub/b.log"}; !slices.Equal(keys, want) {
		t.Errorf("listed %q, want %q without hidden files and folders", keys, want)
	}
}

func TestLocalSourceHiddenRootIsWalked(t *testing.T) {
	root := filepath.Join(t.TempDir(), ".cache")
	writeTestFile(t, filepath.Join(root, "a.log"), []byte("a"))

	source, err := NewLocalSource(root)
	if err != nil {
		t.Fatalf("NewLocalSource: %v", err)
	}
	keys := objectKeys(listAll(t, source))
	if want := []string{"a.log"}; !slices.Equal(keys, want) {
		t.Errorf("listed %q, want %q from a hidden folder given directly", keys, want)
	}
}

func TestLocalSourceMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-folder")

	_, err := NewLocalSource(missing)
	if err == nil {
		t.Fatalf("NewLocalSource(%q) succeeded, want an error", missing)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name the path %q", err, missing)
	}
	if !strings.Contains(err.Error(), "pass an existing folder") {
		t.Errorf("error %q does not say what to pass instead", err)
	}
}

func TestLocalSourceNoPaths(t *testing.T) {
	if _, err := NewLocalSource(); err == nil {
		t.Errorf("NewLocalSource() with no paths succeeded, want an error")
	}
}

func TestLocalSourceDuplicateKeys(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "one", "x.log"), []byte("1"))
	writeTestFile(t, filepath.Join(dir, "two", "x.log"), []byte("2"))

	source, err := NewLocalSource(filepath.Join(dir, "one"), filepath.Join(dir, "two"))
	if err != nil {
		t.Fatalf("NewLocalSource: %v", err)
	}
	err = source.List(context.Background(), func(Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `"x.log"`) {
		t.Errorf("List error = %v, want one naming the duplicate key x.log", err)
	}
}

func TestLocalSourceOpenRejectsEscapingKey(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "secret"), []byte("outside"))
	root := filepath.Join(dir, "root")
	writeTestFile(t, filepath.Join(root, "a.log"), []byte("a"))

	source, err := NewLocalSource(root)
	if err != nil {
		t.Fatalf("NewLocalSource: %v", err)
	}
	for _, key := range []string{"../secret", "/etc/passwd", ""} {
		r, err := source.Open(context.Background(), Object{Key: key})
		if err == nil {
			r.Close()
			t.Errorf("Open(%q) succeeded, want an error", key)
		}
	}
}

func listAll(t *testing.T, source Source) []Object {
	t.Helper()

	var listed []Object
	err := source.List(context.Background(), func(obj Object) error {
		listed = append(listed, obj)
		return nil
	})
	if err != nil {
		t.Fatalf("List %s: %v", source.Name(), err)
	}
	return listed
}

func listOne(t *testing.T, source Source) Object {
	t.Helper()

	listed := listAll(t, source)
	if len(listed) != 1 {
		t.Fatalf("List %s returned %d objects, want 1", source.Name(), len(listed))
	}
	return listed[0]
}

func readObject(t *testing.T, source Source, obj Object) []byte {
	t.Helper()

	r, err := source.Open(context.Background(), obj)
	if err != nil {
		t.Fatalf("Open %q: %v", obj.Key, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", obj.Key, err)
	}
	return got
}

func objectKeys(objects []Object) []string {
	keys := make([]string, len(objects))
	for i, obj := range objects {
		keys[i] = obj.Key
	}
	return keys
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

func requestsOf(requests []s3test.Request, op s3test.Operation) []s3test.Request {
	var matching []s3test.Request
	for _, r := range requests {
		if r.Op == op {
			matching = append(matching, r)
		}
	}
	return matching
}

func writeTestFile(t *testing.T, path string, body []byte) {
	t.Helper()

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
}
