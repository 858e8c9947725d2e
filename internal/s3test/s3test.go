// Package s3test starts S3 servers on 127.0.0.1 for tests: an in-process
// fake with fault injection (StartFake) and a versitygw process that checks
// request signatures (StartVersity). Both return a Server with a client that
// flowq's own s3store.NewClient built.
//
// Importing this package sets AWS_EC2_METADATA_DISABLED=true for the test
// binary, so no client in it queries the instance metadata service for
// credentials or a region.
package s3test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowq/flowq/internal/s3store"
)

func init() {
	// The clients below disable the metadata client through their options
	// too. The variable also covers clients that tests build themselves.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// testRegion is the region that both servers are started with.
const testRegion = "us-east-1"

// Server is a running S3 server on 127.0.0.1 and a client for it.
type Server struct {
	// Endpoint is the server's base URL, such as http://127.0.0.1:41234.
	Endpoint string
	// Region is the region that requests are signed for.
	Region string
	// AccessKey and SecretKey are the static credentials that Client uses.
	AccessKey string
	SecretKey string
	// Client is an S3 client from s3store.NewClient with path-style
	// addressing, the static credentials above and no shared AWS files.
	Client *s3.Client

	// faults is nil on servers that are not fakes.
	faults *faultHandler
}

// NewClient returns a client for the server that signs with the given keys,
// built by s3store.NewClient. The developer's own AWS setup (AWS_PROFILE,
// ~/.aws files, the instance metadata service) is not used.
func (s *Server) NewClient(t testing.TB, accessKey, secretKey string) *s3.Client {
	t.Helper()

	return s.NewClientWithConfig(t, s3store.Config{}, credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""))
}

// isolatedProfile is the only profile in the shared config file that test
// clients load.
const isolatedProfile = "flowq-s3test"

// NewClientWithConfig returns a client for the server from cfg with the
// endpoint and region filled in, signing with creds. Tests use it to change
// fields such as MaxAttempts. cfg.Profile is ignored: the client loads an
// empty profile from a temporary file instead, because the SDK fails when
// AWS_PROFILE names a profile that its files lack.
func (s *Server) NewClientWithConfig(t testing.TB, cfg s3store.Config, creds aws.CredentialsProvider) *s3.Client {
	t.Helper()

	configFile := filepath.Join(t.TempDir(), "aws-config")
	if err := os.WriteFile(configFile, []byte("[profile "+isolatedProfile+"]\n"), 0o600); err != nil {
		t.Fatalf("write isolated AWS config: %v", err)
	}

	cfg.EndpointURL = s.Endpoint
	if cfg.Region == "" {
		cfg.Region = s.Region
	}
	client, err := s3store.NewClient(context.Background(), cfg,
		config.WithCredentialsProvider(creds),
		config.WithSharedConfigFiles([]string{configFile}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithSharedConfigProfile(isolatedProfile),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	)
	if err != nil {
		t.Fatalf("build S3 client for %s: %v", s.Endpoint, err)
	}
	return client
}

// CreateBucket creates the bucket name on srv and fails the test on error.
func CreateBucket(t testing.TB, srv *Server, name string) {
	t.Helper()

	_, err := srv.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("create bucket %q on %s: %v", name, srv.Endpoint, err)
	}
}

// PutObject uploads body to s3://bucket/key on srv with s3store.PutBytes and
// fails the test on error.
func PutObject(t testing.TB, srv *Server, bucket, key string, body []byte) {
	t.Helper()

	if err := s3store.PutBytes(context.Background(), srv.Client, bucket, key, body); err != nil {
		t.Fatalf("put object on %s: %v", srv.Endpoint, err)
	}
}
