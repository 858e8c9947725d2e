// Package s3store builds the S3 client that flowq uses and holds the small
// S3 helpers that several commands share: parsing s3:// URLs and uploading
// files.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// DefaultRegion is the region used when neither Config.Region nor the AWS
// configuration chain sets one.
const DefaultRegion = "us-east-1"

// DefaultMaxAttempts is the number of attempts per request, the first one
// included, when Config.MaxAttempts is 0.
const DefaultMaxAttempts = 10

// maxPutObjectSize is the largest object that one PutObject request may
// upload, 5 GiB as documented for Amazon S3.
const maxPutObjectSize = 5 << 30

// Config selects the account, region and endpoint of an S3 client. The zero
// value uses the AWS default configuration chain.
type Config struct {
	// Region is the AWS region of the bucket. Empty means the region from the
	// configuration chain (AWS_REGION, the profile's region), or DefaultRegion
	// when the chain sets none.
	Region string
	// Profile is the shared configuration profile to load credentials and
	// settings from. Empty means AWS_PROFILE, or the profile named "default".
	Profile string
	// EndpointURL replaces the AWS endpoint, such as http://127.0.0.1:9000
	// for an S3-compatible server, and turns on path-style addressing. Empty
	// means the AWS endpoint for Region.
	EndpointURL string
	// NoSignRequest sends requests without credentials, for public buckets.
	// False means requests are signed with credentials from the chain.
	NoSignRequest bool
	// MaxAttempts is the number of attempts per request, the first one
	// included. 0 means DefaultMaxAttempts, and 1 turns retries off.
	MaxAttempts int
}

// NewClient builds an S3 client from cfg and the AWS default configuration
// chain: environment variables, the shared configuration and credentials
// files, SSO and the instance or task role. optFns are applied after the
// options that cfg sets, so callers such as tests can replace the credentials
// or the shared files.
//
// The SDK's own warnings are discarded, because packages below cmd/ do not
// print. Pass config.WithLogger in optFns to see them.
//
// The client retries throttling (503 SlowDown), 5xx responses and dropped
// connections with exponential backoff and jitter, up to cfg.MaxAttempts.
func NewClient(ctx context.Context, cfg Config, optFns ...func(*config.LoadOptions) error) (*s3.Client, error) {
	if cfg.MaxAttempts < 0 {
		return nil, fmt.Errorf("invalid S3 max attempts %d: pass 0 for the default of %d, or 1 or more", cfg.MaxAttempts, DefaultMaxAttempts)
	}
	if cfg.EndpointURL != "" {
		if err := checkEndpointURL(cfg.EndpointURL); err != nil {
			return nil, err
		}
	}

	maxAttempts := cfg.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = DefaultMaxAttempts
	}

	loadOpts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(DefaultRegion),
		config.WithLogger(logging.Nop{}),
		config.WithRetryer(func() aws.Retryer { return newRetryer(maxAttempts) }),
	}
	if cfg.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.NoSignRequest {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	loadOpts = append(loadOpts, optFns...)

	awsCfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		if cfg.Profile != "" {
			return nil, fmt.Errorf("load AWS configuration for profile %q: %w", cfg.Profile, err)
		}
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}

	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
			o.UsePathStyle = true
		}
	})
	return client, nil
}

func checkEndpointURL(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("invalid S3 endpoint URL %q: expected a form like http://127.0.0.1:9000: %w", endpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid S3 endpoint URL %q: expected a form like http://127.0.0.1:9000 or https://s3.example.com", endpoint)
	}
	return nil
}

// newRetryer returns the SDK's standard retryer with two changes. The retry
// token bucket is off, because a conversion that reads thousands of objects
// under throttling should wait and go on rather than fail once the client's
// budget of 500 tokens runs out. A response body cut short while the SDK
// decodes it (an unexpected EOF, a reset or broken pipe) is retried like a
// connection that failed before the response.
func newRetryer(maxAttempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, droppedConnection{})
	})
}

// droppedConnection marks errors from a connection that closed mid-response
// as retryable. The SDK's own checks cover failures before the response.
type droppedConnection struct{}

func (droppedConnection) IsErrorRetryable(err error) aws.Ternary {
	if IsDroppedConnection(err) {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// IsDroppedConnection reports whether err comes from a connection that the
// server or the network closed early: an unexpected EOF, a connection reset
// or a broken pipe. Context cancellation is never a dropped connection.
func IsDroppedConnection(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED)
}

const urlScheme = "s3://"

// IsURL reports whether s is an S3 URL, that is whether it starts with
// "s3://" in any letter case. It does not check the rest: ParseURL does.
func IsURL(s string) bool {
	return len(s) >= len(urlScheme) && strings.EqualFold(s[:len(urlScheme)], urlScheme)
}

// ParseURL splits an S3 URL of the form s3://bucket/prefix into the bucket
// and the prefix. The prefix may be empty ("s3://bucket" or "s3://bucket/")
// and is returned as written, trailing slash included, because S3 matches
// prefixes byte for byte.
func ParseURL(s string) (bucket, prefix string, err error) {
	if !IsURL(s) {
		return "", "", fmt.Errorf("invalid S3 URL %q: expected the form s3://bucket/prefix", s)
	}

	rest := s[len(urlScheme):]
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("invalid S3 URL %q: the bucket name is missing, expected the form s3://bucket/prefix", s)
	}
	if err := checkBucketName(bucket); err != nil {
		return "", "", fmt.Errorf("invalid S3 URL %q: %w", s, err)
	}
	return bucket, prefix, nil
}

// checkBucketName accepts the characters that current and legacy bucket names
// may contain (legacy us-east-1 buckets allow upper case and underscores), so
// that typos such as a space or a colon fail here rather than as a signature
// or DNS error.
func checkBucketName(bucket string) error {
	if len(bucket) < 3 || len(bucket) > 255 {
		return fmt.Errorf("invalid bucket name %q: expected 3 to 63 characters, or up to 255 for a legacy bucket", bucket)
	}
	for _, r := range bucket {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
		if !ok {
			return fmt.Errorf("invalid bucket name %q: character %q is not allowed, expected letters, digits, '.', '-' and '_'", bucket, r)
		}
	}
	return nil
}

// PutFile uploads the local file at localPath to s3://bucket/key with one
// PutObject request. The SDK retries the request from the start of the file,
// so the file must not change during the upload.
//
// NOTE: one PutObject request is limited to 5 GiB, and PutFile rejects larger
// files rather than starting a multipart upload.
func PutFile(ctx context.Context, client *s3.Client, bucket, key, localPath string) error {
	f, err := os.Open(localPath)
	if err != nil {
		return fmt.Errorf("upload %q to %q: %w", localPath, objectURL(bucket, key), err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload %q to %q: %w", localPath, objectURL(bucket, key), err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("upload %q to %q: not a regular file", localPath, objectURL(bucket, key))
	}
	if info.Size() > maxPutObjectSize {
		return fmt.Errorf("upload %q to %q: the file has %d bytes, more than the 5 GiB that one PutObject request accepts", localPath, objectURL(bucket, key), info.Size())
	}

	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          f,
		ContentLength: aws.Int64(info.Size()),
	})
	if err != nil {
		return fmt.Errorf("upload %q to %q: %w", localPath, objectURL(bucket, key), err)
	}
	return nil
}

// PutBytes uploads body to s3://bucket/key with one PutObject request.
func PutBytes(ctx context.Context, client *s3.Client, bucket, key string, body []byte) error {
	if int64(len(body)) > maxPutObjectSize {
		return fmt.Errorf("upload to %q: the body has %d bytes, more than the 5 GiB that one PutObject request accepts", objectURL(bucket, key), len(body))
	}

	_, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("upload to %q: %w", objectURL(bucket, key), err)
	}
	return nil
}

func objectURL(bucket, key string) string {
	return urlScheme + bucket + "/" + key
}
