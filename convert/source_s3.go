package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flowq/flowq/internal/s3store"
)

// Defaults for resuming a GetObject body after a dropped connection.
const (
	defaultMaxResumes  = 5
	defaultResumeDelay = 200 * time.Millisecond
	maxResumeDelay     = 5 * time.Second
)

// S3Source lists and reads the objects below a prefix of an S3 bucket.
type S3Source struct {
	client *s3.Client
	bucket string
	prefix string

	// pageSize is MaxKeys for ListObjectsV2; 0 leaves S3's default of 1000.
	pageSize int32
	// maxResumes bounds the Range requests that one reader sends after
	// dropped connections.
	maxResumes int
	// resumeDelay is the backoff before the first Range request. It doubles
	// for each further one, up to maxResumeDelay, with full jitter.
	resumeDelay time.Duration
}

// NewS3Source returns a source for the objects of bucket whose keys start
// with prefix. An empty prefix selects the whole bucket. The prefix is
// matched byte for byte, as S3 does: "logs" also selects "logs-old/x".
func NewS3Source(client *s3.Client, bucket, prefix string) *S3Source {
	return &S3Source{
		client:      client,
		bucket:      bucket,
		prefix:      prefix,
		maxResumes:  defaultMaxResumes,
		resumeDelay: defaultResumeDelay,
	}
}

// Name returns the source as an S3 URL, s3://bucket/prefix.
func (s *S3Source) Name() string {
	return "s3://" + s.bucket + "/" + s.prefix
}

// List calls fn for every object below the prefix in the order that
// ListObjectsV2 returns them, which S3 documents as ascending UTF-8 binary
// order of the keys. Keys ending in '/' are folder markers and are skipped.
// The keys passed to fn are full object keys, prefix included.
func (s *S3Source) List(ctx context.Context, fn func(Object) error) error {
	input := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)}
	if s.prefix != "" {
		input.Prefix = aws.String(s.prefix)
	}
	if s.pageSize > 0 {
		input.MaxKeys = aws.Int32(s.pageSize)
	}

	pages := s3.NewListObjectsV2Paginator(s.client, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %q: %w", s.Name(), err)
		}

		for _, item := range page.Contents {
			key := aws.ToString(item.Key)
			if strings.HasSuffix(key, "/") {
				continue
			}
			obj := Object{
				Key:      key,
				Size:     aws.ToInt64(item.Size),
				ETag:     unquoteETag(aws.ToString(item.ETag)),
				Modified: aws.ToTime(item.LastModified),
			}
			if err := fn(obj); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open sends GetObject for obj.Key and returns its body. When obj.ETag is set
// the request carries If-Match, so an object that changed since it was listed
// fails here instead of returning other bytes than the listing described.
//
// The returned reader resumes a body that ends early, from a dropped
// connection or an unexpected EOF before the Content-Length. It sends a Range
// request from the current offset with If-Match on the object's ETag, up to
// five times per reader, with exponential backoff and jitter.
func (s *S3Source) Open(ctx context.Context, obj Object) (io.ReadCloser, error) {
	input := &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(obj.Key),
	}
	if obj.ETag != "" {
		input.IfMatch = aws.String(quoteETag(obj.ETag))
	}

	out, err := s.client.GetObject(ctx, input)
	if err != nil {
		return nil, s.openError(obj.Key, obj.ETag, err)
	}

	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	etag := unquoteETag(aws.ToString(out.ETag))
	if obj.ETag != "" && etag != "" && etag != obj.ETag {
		out.Body.Close()
		return nil, fmt.Errorf("open %q: the object changed since it was listed, ETag %q is now %q: list the source again", s.objectURL(obj.Key), obj.ETag, etag)
	}
	if etag == "" {
		etag = obj.ETag
	}

	return &s3Reader{
		ctx:    ctx,
		source: s,
		key:    obj.Key,
		etag:   etag,
		size:   size,
		body:   out.Body,
	}, nil
}

func (s *S3Source) objectURL(key string) string {
	return "s3://" + s.bucket + "/" + key
}

// openError wraps a GetObject error with the object's URL. For the two errors
// that a caller can act on, it also describes the cause and the fix.
func (s *S3Source) openError(key, etag string, err error) error {
	url := s.objectURL(key)

	var noSuchKey *types.NoSuchKey
	if errors.As(err, &noSuchKey) {
		return fmt.Errorf("open %q: object not found, it may have been deleted since it was listed: %w", url, err)
	}
	if isPreconditionFailed(err) {
		return fmt.Errorf("open %q: the object changed since it was listed with ETag %q: list the source again: %w", url, etag, err)
	}
	return fmt.Errorf("open %q: %w", url, err)
}

// s3Reader reads one GetObject body and resumes it with Range requests when
// the connection drops. It is not safe for concurrent use, as io.Reader
// implementations usually are not.
type s3Reader struct {
	ctx    context.Context
	source *S3Source
	key    string
	// etag is the unquoted ETag of the object being read. It is empty when
	// neither the listing nor the response had one, and then the reader does
	// not resume, because it could not detect a changed object.
	etag string
	// size is the Content-Length of the first response, or -1 when the
	// response had none.
	size int64

	// body is the current response body; nil after a dropped connection
	// until the next Read sends a Range request.
	body    io.ReadCloser
	offset  int64
	resumes int
	// dropped is the error that closed the last body early.
	dropped error
	// err is returned by every Read after the first error, io.EOF included.
	err error
}

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}

	for {
		if r.body == nil {
			if err := r.resume(); err != nil {
				r.err = err
				return 0, err
			}
		}

		n, err := r.body.Read(p)
		r.offset += int64(n)
		if err == nil {
			return n, nil
		}

		if err == io.EOF && (r.size < 0 || r.offset >= r.size) {
			r.err = io.EOF
			return n, io.EOF
		}
		if err == io.EOF {
			err = fmt.Errorf("body ended at byte %d of %d: %w", r.offset, r.size, io.ErrUnexpectedEOF)
		}
		if !s3store.IsDroppedConnection(err) || r.etag == "" {
			r.err = fmt.Errorf("read %q at byte %d: %w", r.source.objectURL(r.key), r.offset, err)
			return n, r.err
		}

		// The connection dropped. Close this body and send a Range request
		// on the next pass, after handing over the bytes already read.
		r.body.Close()
		r.body = nil
		r.dropped = err
		if r.size >= 0 && r.offset >= r.size {
			// Every byte arrived before the connection closed.
			r.err = io.EOF
			return n, io.EOF
		}
		if n > 0 {
			return n, nil
		}
	}
}

// resume waits for the backoff and sends GetObject with Range from the
// current offset and If-Match with the ETag read so far.
func (r *s3Reader) resume() error {
	url := r.source.objectURL(r.key)
	if r.resumes >= r.source.maxResumes {
		return fmt.Errorf("read %q: the connection dropped %d times, last at byte %d: %w", url, r.resumes+1, r.offset, r.dropped)
	}
	r.resumes++

	if err := sleepContext(r.ctx, r.backoff()); err != nil {
		return fmt.Errorf("read %q at byte %d: %w", url, r.offset, err)
	}

	input := &s3.GetObjectInput{
		Bucket:  aws.String(r.source.bucket),
		Key:     aws.String(r.key),
		Range:   aws.String(fmt.Sprintf("bytes=%d-", r.offset)),
		IfMatch: aws.String(quoteETag(r.etag)),
	}
	// A checksum header on a ranged response describes the whole object,
	// not the range (gofakes3 v1.2.0 sends one), so the SDK must not check
	// the range against it. If-Match and Content-Range guard the splice.
	out, err := r.source.client.GetObject(r.ctx, input, func(o *s3.Options) {
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if err != nil {
		if isPreconditionFailed(err) {
			return fmt.Errorf("read %q: the object changed while it was read, ETag %q no longer matches: %w", url, r.etag, err)
		}
		return fmt.Errorf("read %q: resume at byte %d after %v: %w", url, r.offset, r.dropped, err)
	}

	// A server that ignores Range or If-Match would return other bytes than
	// the ones that follow, so check both response headers before using the
	// body.
	wantRange := fmt.Sprintf("bytes %d-", r.offset)
	if got := aws.ToString(out.ContentRange); !strings.HasPrefix(got, wantRange) {
		out.Body.Close()
		return fmt.Errorf("read %q: resume at byte %d returned Content-Range %q, want one starting %q", url, r.offset, got, wantRange)
	}
	if got := unquoteETag(aws.ToString(out.ETag)); got != r.etag {
		out.Body.Close()
		return fmt.Errorf("read %q: the object changed while it was read, ETag %q is now %q", url, r.etag, got)
	}

	r.body = out.Body
	return nil
}

// backoff returns a random delay in [0, resumeDelay·2^(resumes-1)), capped
// at maxResumeDelay.
func (r *s3Reader) backoff() time.Duration {
	ceiling := r.source.resumeDelay << (r.resumes - 1)
	if ceiling <= 0 || ceiling > maxResumeDelay {
		ceiling = maxResumeDelay
	}
	return rand.N(ceiling)
}

func (r *s3Reader) Close() error {
	if r.err == nil {
		r.err = fmt.Errorf("read %q: the reader is closed", r.source.objectURL(r.key))
	}
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// isPreconditionFailed reports whether err is S3's response to an If-Match
// that did not match: HTTP 412 with the code PreconditionFailed.
func isPreconditionFailed(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var respErr *smithyhttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusPreconditionFailed
}

func unquoteETag(etag string) string {
	return strings.Trim(etag, `"`)
}

func quoteETag(etag string) string {
	return `"` + etag + `"`
}
