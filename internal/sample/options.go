package sample

import (
	"errors"
	"fmt"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Layout is one of the S3 key layouts that AWS writes flow logs under.
type Layout uint8

const (
	// LayoutDefault is AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/.
	LayoutDefault Layout = iota
	// LayoutHourly adds /<HH>/ after the day folder.
	LayoutHourly
	// LayoutHive is AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/aws-region=…/year=…/month=…/day=…/.
	LayoutHive
	// LayoutHiveHourly adds /hour=<HH>/ after the day folder.
	LayoutHiveHourly
)

func (l Layout) String() string {
	switch l {
	case LayoutDefault:
		return "default"
	case LayoutHourly:
		return "hourly"
	case LayoutHive:
		return "hive"
	case LayoutHiveHourly:
		return "hive-hourly"
	default:
		return fmt.Sprintf("layout(%d)", uint8(l))
	}
}

// Defaults of Options.
const (
	// DefaultRecordsPerDay sizes the demo archive: three days of it, the
	// incidents and the NODATA/SKIPDATA rows come to about 150,000 records.
	DefaultRecordsPerDay = 48_000
	DefaultDays          = 3
	DefaultSeed          = 1
	// MaxObjectSize is the largest flow-log object AWS delivers, 75 MB.
	MaxObjectSize = 75_000_000
	// MaxDays bounds Options.Days so that a typo cannot fill a disk.
	MaxDays = 366
)

// DefaultStart is the first day of the archive unless Options.Start is set.
var DefaultStart = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// Options describes the archive that Generate writes. The zero value is
// valid: every zero field takes the default stated on it, except Incidents,
// which stays off.
type Options struct {
	// Start is the first day, at midnight UTC. Default DefaultStart.
	Start time.Time
	// Days is the number of days of records, 1 to MaxDays. Default 3.
	// Incidents that do not fit in the days are left out.
	Days int
	// Seed selects the traffic; the estate (accounts, instances, ids) is the
	// same for every seed. Default 1, so seed 0 cannot be chosen.
	Seed int64
	// RecordsPerDay is the approximate number of background OK records per
	// day across all flow logs. Default DefaultRecordsPerDay.
	RecordsPerDay int
	// Incidents embeds the four incidents that the package documentation
	// lists. DemoOptions sets it.
	Incidents bool
	// Layouts assigns key layouts to the flow logs in turn. Empty means the
	// built-in mix, which uses all four layouts.
	Layouts []Layout
	// Prefix is an optional key prefix before "AWSLogs/", such as "logs/vpc".
	// It must be a relative slash-separated path without "." or ".." parts.
	Prefix string
	// GzipLevel is the compression level of every object, as in
	// github.com/klauspost/compress/gzip: 1 (fastest) to 9, or -2 for
	// Huffman-only and -3 for stateless compression. 0 means the gzip
	// default, level 6.
	GzipLevel int
	// Workers is the number of goroutines that generate and compress
	// objects. Default runtime.GOMAXPROCS(0).
	Workers int
	// MaxObjectSize is the largest uncompressed size of one object, in bytes.
	// Records of one flow log and 5 minutes that exceed it are split into
	// several objects with the same time in their names, as AWS does.
	// Default and maximum MaxObjectSize. The compressed object is always
	// smaller.
	MaxObjectSize int
}

// DemoOptions returns the options of the demo archive: the defaults with
// the incidents embedded.
func DemoOptions() Options {
	return Options{Incidents: true}
}

// withDefaults fills the zero fields and validates the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	o.Start = o.Start.UTC()
	if !o.Start.Equal(o.Start.Truncate(24 * time.Hour)) {
		return o, fmt.Errorf("sample: start %q is not midnight UTC", o.Start.Format(time.RFC3339))
	}

	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Days < 0 || o.Days > MaxDays {
		return o, fmt.Errorf("sample: days %q is outside 1 to %d", fmt.Sprint(o.Days), MaxDays)
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.RecordsPerDay == 0 {
		o.RecordsPerDay = DefaultRecordsPerDay
	}
	if o.RecordsPerDay < 0 {
		return o, fmt.Errorf("sample: records per day %q is negative", fmt.Sprint(o.RecordsPerDay))
	}

	for _, l := range o.Layouts {
		if l > LayoutHiveHourly {
			return o, fmt.Errorf("sample: layout %q is unknown", l.String())
		}
	}
	prefix, err := cleanPrefix(o.Prefix)
	if err != nil {
		return o, err
	}
	o.Prefix = prefix

	if o.GzipLevel == 0 {
		o.GzipLevel = gzip.DefaultCompression
	}
	if o.GzipLevel < gzip.StatelessCompression || o.GzipLevel > gzip.BestCompression {
		return o, fmt.Errorf("sample: gzip level %q is outside -3 to 9", fmt.Sprint(o.GzipLevel))
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("sample: workers %q is negative", fmt.Sprint(o.Workers))
	}

	if o.MaxObjectSize == 0 {
		o.MaxObjectSize = MaxObjectSize
	}
	if o.MaxObjectSize < minObjectSize || o.MaxObjectSize > MaxObjectSize {
		return o, fmt.Errorf("sample: max object size %q is outside %d to %d bytes",
			fmt.Sprint(o.MaxObjectSize), minObjectSize, MaxObjectSize)
	}
	return o, nil
}

// minObjectSize leaves room for a header line and a few records.
const minObjectSize = 4096

// errBadPrefix is wrapped by every prefix validation error.
var errBadPrefix = errors.New("use a relative path of plain folder names")

// cleanPrefix returns the prefix with one trailing slash, or "".
func cleanPrefix(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || path.Clean(p) != p {
		return "", fmt.Errorf("sample: prefix %q is invalid: %w", p, errBadPrefix)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "." || part == ".." {
			return "", fmt.Errorf("sample: prefix %q is invalid: %w", p, errBadPrefix)
		}
	}
	return p + "/", nil
}
