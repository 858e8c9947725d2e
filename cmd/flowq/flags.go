package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowq/flowq/detections"
	"github.com/flowq/flowq/internal/s3store"
)

// s3Flags are the flags of every command that reads or writes S3.
type s3Flags struct {
	region        string
	profile       string
	endpointURL   string
	noSignRequest bool
}

func (f *s3Flags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.region, "region", "", "AWS region of the bucket (default: from the AWS configuration, else us-east-1)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-configuration profile to take credentials from")
	fs.StringVar(&f.endpointURL, "endpoint-url", "", "URL of an S3-compatible endpoint, such as http://127.0.0.1:9000; turns on path-style addressing")
	fs.BoolVar(&f.noSignRequest, "no-sign-request", false, "send unsigned requests, for public buckets")
}

func (f *s3Flags) config() s3store.Config {
	return s3store.Config{Region: f.region, Profile: f.profile, EndpointURL: f.endpointURL, NoSignRequest: f.noSignRequest}
}

// defaultDataDir returns $FLOWQ_DATA, else ./flowq-data.
func defaultDataDir() string {
	if d := os.Getenv("FLOWQ_DATA"); d != "" {
		return d
	}
	return "flowq-data"
}

// parseTimeBound reads a --since or --until value: an RFC 3339 time, a date
// (midnight UTC), or a duration before now such as 90m, 24h, 7d or 2w.
func parseTimeBound(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if d, ok := parseAgo(s); ok {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, usageError(fmt.Errorf("invalid --%s %q: give a date (2026-11-01), an RFC 3339 time (2026-11-01T08:00:00Z) or a duration before now (90m, 24h, 7d, 2w)", flag, s))
}

// parseAgo reads a positive duration: Go durations plus leading weeks and
// days, such as 7d or 1d12h.
func parseAgo(s string) (time.Duration, bool) {
	d, err := detections.ParseDuration(s)
	return d, err == nil && d > 0
}

// parseSize reads a byte size such as 512MiB, 2GB or 1048576.
func parseSize(flag, s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, usageError(fmt.Errorf("invalid --%s %q: give a size such as 512MiB, 2GB or 1048576", flag, s))
	}
	return int64(f * float64(mult)), nil
}

// parseRange reads --since and --until and checks that the range is not empty.
func parseRange(sinceFlag, untilFlag string, now time.Time) (since, until time.Time, err error) {
	if since, err = parseTimeBound("since", sinceFlag, now); err != nil {
		return
	}
	if until, err = parseTimeBound("until", untilFlag, now); err != nil {
		return
	}
	if !since.IsZero() && !until.IsZero() && !until.After(since) {
		err = usageError(fmt.Errorf("invalid range: --until %s is not after --since %s", until.Format(time.RFC3339), since.Format(time.RFC3339)))
	}
	return
}

// checkEngineFlags validates --memory-limit and --threads of the commands
// that open a query engine, and returns the memory limit in the form
// DuckDB reads, such as "1048576B", or "" for DuckDB's default.
func checkEngineFlags(memoryLimit string, threads int) (string, error) {
	// An estimate: more threads than this add memory and scheduling cost
	// without speed, and 100,000 threads exhaust the machine.
	maxThreads := max(64, 8*runtime.NumCPU())
	if threads < 0 || threads > maxThreads {
		return "", usageError(fmt.Errorf("invalid --threads %d: give 1 to %d, or 0 for one per CPU core", threads, maxThreads))
	}
	if memoryLimit == "" {
		return "", nil
	}
	n, err := parseSize("memory-limit", memoryLimit)
	if err != nil {
		return "", err
	}
	if n <= 0 {
		return "", usageError(fmt.Errorf("invalid --memory-limit %q: give a size above 0, such as 512MiB or 2GB", memoryLimit))
	}
	return strconv.FormatInt(n, 10) + "B", nil
}
