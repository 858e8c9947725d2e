package convert

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// KeyLayout names the S3 prefix layouts that AWS writes flow logs under.
type KeyLayout uint8

const (
	// LayoutNone is a key outside AWS's layout, such as a file a user copied.
	LayoutNone KeyLayout = iota
	// LayoutDefault is AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/.
	LayoutDefault
	// LayoutHourly adds /<HH>/ after the day.
	LayoutHourly
	// LayoutHive is AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/aws-region=…/year=…/month=…/day=…/.
	LayoutHive
	// LayoutHiveHourly adds /hour=<HH>/ after the day.
	LayoutHiveHourly
)

func (l KeyLayout) String() string {
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
		return "none"
	}
}

// ContentFormat is the storage format of an object's records.
type ContentFormat uint8

const (
	// FormatText is a header line and space-separated records, gzip-compressed or plain.
	FormatText ContentFormat = iota
	// FormatParquet is AWS's Parquet delivery (.log.parquet).
	FormatParquet
)

// KeyInfo holds the fields parsed from an object key.
type KeyInfo struct {
	Layout KeyLayout
	// Prefix is the part of the key before "AWSLogs/", without its trailing slash.
	Prefix  string
	Account string
	Region  string
	// Date is midnight UTC of the day folder; zero outside AWS's layout.
	Date time.Time
	// Hour is the hour folder, or -1 when the layout has none.
	Hour int
	// FlowLogID is the flow-log id from the file name, such as fl-0a1b2c3d4e5f60001.
	FlowLogID string
	// FileTime is the creation time in the file name, to the minute; zero when absent.
	FileTime time.Time
	Format   ContentFormat
}

// SkipReason is the reason a key is not converted. The empty string means the key
// should be converted.
type SkipReason string

const (
	SkipFolderMarker  SkipReason = "folder marker"
	SkipOtherService  SkipReason = "not a VPC flow log: another AWS service's log"
	SkipNotLogFile    SkipReason = "not a flow-log file name"
	SkipOutsideLayout SkipReason = "AWSLogs key that does not follow AWS's flow-log layout"
)

const awsLogsDir = "AWSLogs/"

// ParseKey reads the layout, account, region, day, hour, flow-log id and file
// time from an object key. Keys outside AWS's layout are accepted when their
// file name looks like a log file, so that copied folders convert too. A key
// with a non-empty SkipReason is not a flow log and is not an error either.
func ParseKey(key string) (KeyInfo, SkipReason) {
	info := KeyInfo{Hour: -1}
	if key == "" || strings.HasSuffix(key, "/") {
		return info, SkipFolderMarker
	}
	base := path.Base(key)
	info.Format = formatFromName(base)

	at := strings.Index(key, awsLogsDir)
	if at >= 0 && (at == 0 || key[at-1] == '/') {
		info.Prefix = strings.TrimSuffix(key[:at], "/")
		dirs := strings.Split(key[at+len(awsLogsDir):], "/")
		dirs = dirs[:len(dirs)-1] // the file name is not a folder
		if reason := parseAWSDirs(&info, dirs); reason != "" {
			return KeyInfo{Hour: -1}, reason
		}
	}
	if !isLogFileName(base) {
		return KeyInfo{Hour: -1}, SkipNotLogFile
	}
	parseFileName(&info, base)
	return info, ""
}

// parseAWSDirs reads the folders after "AWSLogs/" in either naming.
func parseAWSDirs(info *KeyInfo, dirs []string) SkipReason {
	if len(dirs) >= 1 && strings.HasPrefix(dirs[0], "aws-account-id=") {
		return parseHiveDirs(info, dirs)
	}
	// default: <account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>[/<HH>]
	if len(dirs) >= 2 && dirs[1] != "vpcflowlogs" {
		return SkipOtherService
	}
	if len(dirs) != 6 && len(dirs) != 7 {
		return SkipOutsideLayout
	}
	date, ok := parseDate(dirs[3], dirs[4], dirs[5])
	if !ok || dirs[0] == "" || dirs[2] == "" {
		return SkipOutsideLayout
	}
	info.Layout, info.Account, info.Region, info.Date = LayoutDefault, dirs[0], dirs[2], date
	if len(dirs) == 7 {
		h, ok := parseHour(dirs[6])
		if !ok {
			return SkipOutsideLayout
		}
		info.Layout, info.Hour = LayoutHourly, h
	}
	return ""
}

func parseHiveDirs(info *KeyInfo, dirs []string) SkipReason {
	vals := make(map[string]string, len(dirs))
	order := make([]string, 0, len(dirs))
	for _, d := range dirs {
		k, v, ok := strings.Cut(d, "=")
		if !ok {
			return SkipOutsideLayout
		}
		vals[k] = v
		order = append(order, k)
	}

	if s, ok := vals["aws-service"]; ok && s != "vpcflowlogs" {
		return SkipOtherService
	}
	want := []string{"aws-account-id", "aws-service", "aws-region", "year", "month", "day"}
	if len(order) != len(want) && len(order) != len(want)+1 {
		return SkipOutsideLayout
	}
	for i, k := range want {
		if order[i] != k {
			return SkipOutsideLayout
		}
	}

	date, ok := parseDate(vals["year"], vals["month"], vals["day"])
	if !ok || vals["aws-account-id"] == "" || vals["aws-region"] == "" {
		return SkipOutsideLayout
	}
	info.Layout, info.Account, info.Region, info.Date = LayoutHive, vals["aws-account-id"], vals["aws-region"], date

	if len(order) == len(want)+1 {
		if order[len(want)] != "hour" {
			return SkipOutsideLayout
		}
		h, ok := parseHour(vals["hour"])
		if !ok {
			return SkipOutsideLayout
		}
		info.Layout, info.Hour = LayoutHiveHourly, h
	}
	return ""
}

func parseDate(y, m, d string) (time.Time, bool) {
	if len(y) != 4 || len(m) != 2 || len(d) != 2 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", y+"-"+m+"-"+d)
	return t, err == nil
}

func parseHour(s string) (int, bool) {
	if len(s) != 2 {
		return 0, false
	}
	h, err := strconv.Atoi(s)
	return h, err == nil && h >= 0 && h <= 23
}

// formatFromName separates AWS's Parquet delivery from text by the name alone.
// The content decides between gzip and plain text later.
func formatFromName(base string) ContentFormat {
	if strings.HasSuffix(base, ".parquet") {
		return FormatParquet
	}
	return FormatText
}

// isLogFileName accepts the names flow-log files have: AWS's .log.gz and
// .log.parquet, and the plain, gzip and zstd copies users make of them.
func isLogFileName(base string) bool {
	if strings.HasPrefix(base, ".") {
		return false
	}
	for _, ext := range []string{".gz", ".zst", ".parquet"} {
		base = strings.TrimSuffix(base, ext)
	}
	return strings.HasSuffix(base, ".log") || strings.HasSuffix(base, ".txt")
}

// parseFileName reads <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.
// Missing parts leave the fields as they are.
func parseFileName(info *KeyInfo, base string) {
	name, _, _ := strings.Cut(base, ".")
	parts := strings.Split(name, "_")
	if len(parts) < 5 || parts[1] != "vpcflowlogs" {
		return
	}
	if info.Account == "" {
		info.Account = parts[0]
	}
	if info.Region == "" {
		info.Region = parts[2]
	}
	if strings.HasPrefix(parts[3], "fl-") {
		info.FlowLogID = parts[3]
	}
	if t, err := time.Parse("20060102T1504Z", parts[4]); err == nil {
		info.FileTime = t
		if info.Date.IsZero() {
			info.Date = t.Truncate(24 * time.Hour)
		}
	}
}
