package s3test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowq/flowq/internal/s3store"
)

// isolateAWSEnv points the AWS configuration chain at an empty config file
// and clears the variables that would otherwise set a region, profile,
// endpoint or credentials from the developer's environment.
func isolateAWSEnv(t *testing.T, configText string) {
	t.Helper()

	configFile := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(configFile, []byte(configText), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "no-credentials"))
	for _, name := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
	} {
		t.Setenv(name, "")
	}
}

func newClient(t *testing.T, cfg s3store.Config) *s3.Client {
	t.Helper()

	client, err := s3store.NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewClient(%+v): %v", cfg, err)
	}
	return client
}

func TestNewClientRegion(t *testing.T) {
	isolateAWSEnv(t, "[profile eu]\nregion = eu-north-1\n")

	if got := newClient(t, s3store.Config{}).Options().Region; got != s3store.DefaultRegion {
		t.Errorf("region with nothing set = %q, want %q", got, s3store.DefaultRegion)
	}
	if got := newClient(t, s3store.Config{Profile: "eu"}).Options().Region; got != "eu-north-1" {
		t.Errorf("region from profile = %q, want %q", got, "eu-north-1")
	}

	t.Setenv("AWS_REGION", "eu-west-3")
	if got := newClient(t, s3store.Config{}).Options().Region; got != "eu-west-3" {
		t.Errorf("region from AWS_REGION = %q, want %q", got, "eu-west-3")
	}
	if got := newClient(t, s3store.Config{Region: "ap-south-1"}).Options().Region; got != "ap-south-1" {
		t.Errorf("region from Config = %q, want %q over AWS_REGION", got, "ap-south-1")
	}
}

func TestNewClientMissingProfile(t *testing.T) {
	isolateAWSEnv(t, "")

	_, err := s3store.NewClient(context.Background(), s3store.Config{Profile: "no-such-profile"})
	if err == nil {
		t.Fatalf("NewClient with a missing profile succeeded, want an error")
	}
	if !strings.Contains(err.Error(), `"no-such-profile"`) {
		t.Errorf("error %q does not quote the profile", err)
	}
}

func TestNewClientMaxAttempts(t *testing.T) {
	isolateAWSEnv(t, "")

	if got := newClient(t, s3store.Config{}).Options().Retryer.MaxAttempts(); got != s3store.DefaultMaxAttempts {
		t.Errorf("default max attempts = %d, want %d", got, s3store.DefaultMaxAttempts)
	}
	if got := newClient(t, s3store.Config{MaxAttempts: 3}).Options().Retryer.MaxAttempts(); got != 3 {
		t.Errorf("max attempts = %d, want 3", got)
	}
	if _, err := s3store.NewClient(context.Background(), s3store.Config{MaxAttempts: -1}); err == nil {
		t.Errorf("NewClient with MaxAttempts -1 succeeded, want an error")
	}
}

func TestNewClientEndpoint(t *testing.T) {
	isolateAWSEnv(t, "")

	options := newClient(t, s3store.Config{EndpointURL: "http://127.0.0.1:9000"}).Options()
	if got := aws.ToString(options.BaseEndpoint); got != "http://127.0.0.1:9000" {
		t.Errorf("BaseEndpoint = %q, want %q", got, "http://127.0.0.1:9000")
	}
	if !options.UsePathStyle {
		t.Errorf("UsePathStyle is false with an endpoint URL, want true")
	}

	for _, endpoint := range []string{"127.0.0.1:9000", "ftp://127.0.0.1", "http://"} {
		_, err := s3store.NewClient(context.Background(), s3store.Config{EndpointURL: endpoint})
		if err == nil {
			t.Errorf("NewClient with endpoint %q succeeded, want an error", endpoint)
			continue
		}
		if !strings.Contains(err.Error(), endpoint) {
			t.Errorf("error %q does not quote the endpoint %q", err, endpoint)
		}
	}
}

func TestNewClientNoSignRequest(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "public")
	isolateAWSEnv(t, "")

	anonymous := newClient(t, s3store.Config{EndpointURL: srv.Endpoint, NoSignRequest: true})
	_, err := anonymous.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("public")})
	if err != nil {
		t.Fatalf("anonymous ListObjectsV2: %v", err)
	}
	_, err = srv.Client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("public")})
	if err != nil {
		t.Fatalf("signed ListObjectsV2: %v", err)
	}

	lists := requestsOfOp(srv.Requests(t), OpListObjectsV2)
	if len(lists) != 2 {
		t.Fatalf("ListObjectsV2 requests = %+v, want 2", lists)
	}
	if lists[0].Signed {
		t.Errorf("request with NoSignRequest had an Authorization header")
	}
	if !lists[1].Signed {
		t.Errorf("request with credentials had no Authorization header")
	}
}

func TestPutFile(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "uploads")
	body := bytes.Repeat([]byte("parquet bytes "), 5000)
	path := filepath.Join(t.TempDir(), "part-0.parquet")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := s3store.PutFile(context.Background(), srv.Client, "uploads", "ds/part-0.parquet", path); err != nil {
		t.Fatalf("PutFile: %v", err)
	}
	out, err := srv.Client.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String("uploads"),
		Key:    aws.String("ds/part-0.parquet"),
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("uploaded %d bytes that differ from the %d in the file", len(got), len(body))
	}
}

func TestPutFileErrors(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "uploads")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.parquet")

	for _, path := range []string{missing, dir} {
		err := s3store.PutFile(context.Background(), srv.Client, "uploads", "k", path)
		if err == nil {
			t.Errorf("PutFile(%q) succeeded, want an error", path)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("PutFile error %q does not name the path %q", err, path)
		}
	}
	if n := srv.Count(t, OpPutObject); n != 0 {
		t.Errorf("PutObject requests = %d, want none for files that cannot be read", n)
	}
}

func TestPutBytesSlowDownRetried(t *testing.T) {
	srv := StartFake(t)
	CreateBucket(t, srv, "uploads")

	srv.SlowDown(t, OpPutObject, 1)
	if err := s3store.PutBytes(context.Background(), srv.Client, "uploads", "k", []byte("body")); err != nil {
		t.Fatalf("PutBytes after one SlowDown: %v", err)
	}
	if n := srv.Count(t, OpPutObject); n != 2 {
		t.Errorf("PutObject requests = %d, want 2 (a 503 and a retry)", n)
	}
}

func requestsOfOp(requests []Request, op Operation) []Request {
	var matching []Request
	for _, r := range requests {
		if r.Op == op {
			matching = append(matching, r)
		}
	}
	return matching
}
