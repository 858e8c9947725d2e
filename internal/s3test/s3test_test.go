package s3test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flowq/flowq/internal/s3store"
)

func TestFakeRoundTrip(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "logs")
	PutObject(t, srv, "logs", "a/b.txt", []byte("hello"))

	out, err := srv.Client.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String("logs"),
		Key:    aws.String("a/b.txt"),
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if string(got) != "hello" {
		t.Errorf("body = %q, want %q", got, "hello")
	}
	if n := srv.Count(t, OpGetObject); n != 1 {
		t.Errorf("GetObject count = %d, want 1", n)
	}
	if n := srv.Count(t, OpPutObject); n != 1 {
		t.Errorf("PutObject count = %d, want 1", n)
	}
	if n := srv.Count(t, OpCreateBucket); n != 1 {
		t.Errorf("CreateBucket count = %d, want 1", n)
	}
}

func TestFakeSlowDownIsRetried(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "logs")
	PutObject(t, srv, "logs", "k", []byte("body"))

	srv.SlowDown(t, OpHeadObject, 2)
	_, err := srv.Client.HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String("logs"),
		Key:    aws.String("k"),
	})
	if err != nil {
		t.Fatalf("HeadObject after two SlowDown errors: %v", err)
	}
	if n := srv.Count(t, OpHeadObject); n != 3 {
		t.Errorf("HeadObject count = %d, want 3 (two 503 responses and one success)", n)
	}
}

func TestFakeSlowDownExhaustsAttempts(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "logs")
	client := srv.NewClientWithConfig(t, s3store.Config{MaxAttempts: 1}, staticCreds(srv))

	srv.SlowDown(t, OpListObjectsV2, 1)
	_, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("logs")})

	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("ListObjectsV2 error = %v, want an API error", err)
	}
	if apiErr.ErrorCode() != "SlowDown" {
		t.Errorf("error code = %q, want SlowDown", apiErr.ErrorCode())
	}
	if n := srv.Count(t, OpListObjectsV2); n != 1 {
		t.Errorf("ListObjectsV2 count = %d, want 1 with MaxAttempts 1", n)
	}
}

func TestFakeCutBody(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "logs")
	body := bytes.Repeat([]byte("0123456789"), 100)
	PutObject(t, srv, "logs", "k", body)

	srv.CutBody(t, OpGetObject, 1, 250)
	out, err := srv.Client.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String("logs"),
		Key:    aws.String("k"),
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()

	got, err := io.ReadAll(out.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v, want %v", err, io.ErrUnexpectedEOF)
	}
	if !bytes.Equal(got, body[:250]) {
		t.Errorf("read %d bytes before the cut, want the first 250 bytes of the object", len(got))
	}
	requests := srv.Requests(t)
	last := requests[len(requests)-1]
	if !last.Injected {
		t.Errorf("last request %+v is not marked as injected", last)
	}
}

func TestFakeIfMatchOnGet(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "logs")
	PutObject(t, srv, "logs", "k", []byte("first"))

	head, err := srv.Client.HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String("logs"),
		Key:    aws.String("k"),
	})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}

	get := func() error {
		out, err := srv.Client.GetObject(context.Background(), &s3.GetObjectInput{
			Bucket:  aws.String("logs"),
			Key:     aws.String("k"),
			IfMatch: head.ETag,
		})
		if err == nil {
			out.Body.Close()
		}
		return err
	}

	if err := get(); err != nil {
		t.Fatalf("GetObject with the current ETag: %v", err)
	}

	PutObject(t, srv, "logs", "k", []byte("second"))
	err = get()
	var respErr *smithyhttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusPreconditionFailed {
		t.Errorf("GetObject with a stale ETag: error = %v, want HTTP 412", err)
	}
}

func TestVersityChecksSignatures(t *testing.T) {
	srv := StartVersity(t)
	CreateBucket(t, srv, "signed")
	PutObject(t, srv, "signed", "k", []byte("body"))

	_, err := srv.Client.HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String("signed"),
		Key:    aws.String("k"),
	})
	if err != nil {
		t.Fatalf("HeadObject with the right secret: %v", err)
	}

	wrong := srv.NewClient(t, srv.AccessKey, srv.SecretKey+"x")
	_, err = wrong.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("signed")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("ListObjectsV2 with a wrong secret: error = %v, want an API error", err)
	}
	if apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("error code with a wrong secret = %q, want SignatureDoesNotMatch", apiErr.ErrorCode())
	}

	unknown := srv.NewClient(t, srv.AccessKey+"x", srv.SecretKey)
	_, err = unknown.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("signed")})
	if err == nil {
		t.Errorf("ListObjectsV2 with an unknown access key succeeded, want an error")
	}
}

func TestFaultsNeedFake(t *testing.T) {
	srv := &Server{Endpoint: "http://127.0.0.1:1"}
	recorder := &fatalRecorder{TB: t}

	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.SlowDown(recorder, OpGetObject, 1)
	}()
	<-done

	if !recorder.fatal {
		t.Errorf("SlowDown on a server without faults did not fail the test")
	}
}

// fatalRecorder records Fatalf instead of stopping the test, so that a test
// can check that a helper fails.
type fatalRecorder struct {
	testing.TB
	fatal bool
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.fatal = true
	runtime.Goexit()
}

func staticCreds(srv *Server) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")
}
