package s3test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Fake credentials. gofakes3 does not check signatures, so their values do
// not matter, but the client still signs with them.
const (
	fakeAccessKey = "flowq-test-access-key"
	fakeSecretKey = "flowq-test-secret-key"
)

// Operation is the S3 API operation of a request, as the fake classifies it.
type Operation string

// Operations that the fake distinguishes. Requests on sub-resources such as
// ?uploads, ?versioning or ?tagging count as OpOther.
const (
	OpListBuckets   Operation = "ListBuckets"
	OpCreateBucket  Operation = "CreateBucket"
	OpHeadBucket    Operation = "HeadBucket"
	OpListObjects   Operation = "ListObjects"
	OpListObjectsV2 Operation = "ListObjectsV2"
	OpGetObject     Operation = "GetObject"
	OpHeadObject    Operation = "HeadObject"
	OpPutObject     Operation = "PutObject"
	OpDeleteObject  Operation = "DeleteObject"
	OpOther         Operation = "Other"
)

// Request is one request that the fake received, faults included.
type Request struct {
	Op     Operation
	Bucket string
	Key    string
	// Range and IfMatch are the request's Range and If-Match headers.
	Range   string
	IfMatch string
	// Status is the HTTP status that the fake sent; a cut connection keeps
	// the status of the response it cut.
	Status int
	// Injected is true when a fault of this package responded to or cut
	// the request.
	Injected bool
	// Signed is true when the request had an Authorization header.
	Signed bool
}

// StartFake starts gofakes3 with its in-memory backend on 127.0.0.1 at a
// random port, behind a handler that can inject faults, and stops it when the
// test ends.
func StartFake(t testing.TB) *Server {
	t.Helper()

	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	faults := &faultHandler{
		inner:    faker.Server(),
		slowDown: map[Operation]int{},
		cuts:     map[Operation][]int{},
	}

	// httptest.NewServer listens on 127.0.0.1 with a port the kernel picks.
	ts := httptest.NewServer(faults)
	t.Cleanup(ts.Close)

	srv := &Server{
		Endpoint:  ts.URL,
		Region:    testRegion,
		AccessKey: fakeAccessKey,
		SecretKey: fakeSecretKey,
		faults:    faults,
	}
	srv.Client = srv.NewClient(t, srv.AccessKey, srv.SecretKey)
	return srv
}

// SlowDown makes the next n requests of op fail with 503 SlowDown, the error
// that S3 returns when a prefix receives more requests than it can take.
func (s *Server) SlowDown(t testing.TB, op Operation, n int) {
	t.Helper()

	f := s.mustFaults(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slowDown[op] += n
}

// CutBody makes the next n successful requests of op send the response
// headers, Content-Length included, and the first after bytes of the body,
// and then close the connection. A body of after bytes or fewer is sent
// whole before the connection is closed.
func (s *Server) CutBody(t testing.TB, op Operation, n, after int) {
	t.Helper()

	f := s.mustFaults(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.cuts[op] = append(f.cuts[op], after)
	}
}

// Count returns how many requests of op the fake has received, injected
// faults included.
func (s *Server) Count(t testing.TB, op Operation) int {
	t.Helper()

	f := s.mustFaults(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	count := 0
	for _, r := range f.log {
		if r.Op == op {
			count++
		}
	}
	return count
}

// Requests returns a copy of every request that the fake has received, in
// the order they arrived.
func (s *Server) Requests(t testing.TB) []Request {
	t.Helper()

	f := s.mustFaults(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.log...)
}

func (s *Server) mustFaults(t testing.TB) *faultHandler {
	t.Helper()

	if s.faults == nil {
		t.Fatalf("fault injection and request counts need a server from StartFake, not %s", s.Endpoint)
	}
	return s.faults
}

// faultHandler passes requests to gofakes3 unless a fault is pending for the
// request's operation, and records every request.
type faultHandler struct {
	inner http.Handler

	mu       sync.Mutex
	slowDown map[Operation]int
	cuts     map[Operation][]int
	log      []Request
}

func (f *faultHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := classify(r)

	if f.takeSlowDown(req.Op) {
		req.Status = http.StatusServiceUnavailable
		req.Injected = true
		f.record(req)
		writeError(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	}

	// gofakes3 v1.2.0 ignores If-Match on GET, and the resuming reader in
	// package convert relies on it, so the fake checks it here.
	if req.Op == OpGetObject && req.IfMatch != "" {
		if etag, ok := f.currentETag(r); ok && !etagMatches(req.IfMatch, etag) {
			req.Status = http.StatusPreconditionFailed
			f.record(req)
			writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
		}
	}

	rec := httptest.NewRecorder()
	f.inner.ServeHTTP(rec, r)
	req.Status = rec.Code

	after, cut := -1, false
	if rec.Code >= 200 && rec.Code < 300 {
		after, cut = f.takeCut(req.Op)
	}
	req.Injected = cut
	f.record(req)

	for name, values := range rec.Header() {
		w.Header()[name] = values
	}
	w.WriteHeader(rec.Code)

	body := rec.Body.Bytes()
	if !cut {
		w.Write(body)
		return
	}

	w.Write(body[:min(after, len(body))])
	if flusher, ok := w.(http.Flusher); ok {
		flusher.Flush()
	}
	// net/http closes the connection without logging when a handler panics
	// with ErrAbortHandler, so the client sees a body shorter than its
	// Content-Length.
	panic(http.ErrAbortHandler)
}

func (f *faultHandler) takeSlowDown(op Operation) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.slowDown[op] == 0 {
		return false
	}
	f.slowDown[op]--
	return true
}

func (f *faultHandler) takeCut(op Operation) (after int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pending := f.cuts[op]
	if len(pending) == 0 {
		return 0, false
	}
	f.cuts[op] = pending[1:]
	return pending[0], true
}

func (f *faultHandler) record(req Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, req)
}

// currentETag fetches the object's ETag from gofakes3 with a HEAD request
// that bypasses the fault log. ok is false when the object does not exist,
// and the GET then gets gofakes3's own NoSuchKey response.
func (f *faultHandler) currentETag(r *http.Request) (etag string, ok bool) {
	head := r.Clone(r.Context())
	head.Method = http.MethodHead
	head.Header.Del("Range")
	head.Header.Del("If-Match")

	rec := httptest.NewRecorder()
	f.inner.ServeHTTP(rec, head)
	if rec.Code != http.StatusOK {
		return "", false
	}
	return rec.Header().Get("ETag"), true
}

// etagMatches compares an If-Match header with an ETag, ignoring quotes.
func etagMatches(ifMatch, etag string) bool {
	etag = strings.Trim(etag, `"`)
	for candidate := range strings.SplitSeq(ifMatch, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.Trim(candidate, `"`) == etag {
			return true
		}
	}
	return false
}

// classify names the operation of a path-style request.
func classify(r *http.Request) Request {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	req := Request{
		Bucket:  bucket,
		Key:     key,
		Range:   r.Header.Get("Range"),
		IfMatch: r.Header.Get("If-Match"),
		Signed:  r.Header.Get("Authorization") != "",
	}

	query := r.URL.Query()
	subresource := false
	for _, name := range []string{"uploads", "uploadId", "versioning", "versions", "versionId", "tagging", "acl", "location", "delete", "policy", "lifecycle", "cors"} {
		if query.Has(name) {
			subresource = true
			break
		}
	}

	switch {
	case subresource:
		req.Op = OpOther
	case bucket == "" && r.Method == http.MethodGet:
		req.Op = OpListBuckets
	case bucket == "":
		req.Op = OpOther
	case key == "":
		req.Op = classifyBucketRequest(r.Method, query.Get("list-type"))
	default:
		req.Op = classifyObjectRequest(r.Method, r.Header.Get("X-Amz-Copy-Source"))
	}
	return req
}

func classifyBucketRequest(method, listType string) Operation {
	switch method {
	case http.MethodGet:
		if listType == "2" {
			return OpListObjectsV2
		}
		return OpListObjects
	case http.MethodPut:
		return OpCreateBucket
	case http.MethodHead:
		return OpHeadBucket
	default:
		return OpOther
	}
}

func classifyObjectRequest(method, copySource string) Operation {
	switch method {
	case http.MethodGet:
		return OpGetObject
	case http.MethodHead:
		return OpHeadObject
	case http.MethodPut:
		if copySource != "" {
			return OpOther
		}
		return OpPutObject
	case http.MethodDelete:
		return OpDeleteObject
	default:
		return OpOther
	}
}

// s3Error is the XML error document that S3 sends with a failed request.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
}

// writeError sends an S3 error document, which the SDK decodes into an API
// error with the given code.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}

	doc := s3Error{Code: code, Message: message, Resource: r.URL.Path, RequestID: "s3test"}
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(doc)
}
