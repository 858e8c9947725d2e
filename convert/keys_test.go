package convert

import (
	"strings"
	"testing"
	"time"
)

func TestParseKeyAWSLayouts(t *testing.T) {
	fileTime := time.Date(2024, 3, 9, 23, 55, 0, 0, time.UTC)
	day := time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		key    string
		layout KeyLayout
		prefix string
		hour   int
		format ContentFormat
	}{
		{"flowlogs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/09/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240309T2355Z_0a1b2c3d.log.gz", LayoutDefault, "flowlogs", -1, FormatText},
		{"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/09/23/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240309T2355Z_0a1b2c3d.log.gz", LayoutHourly, "", 23, FormatText},
		{"AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=03/day=09/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240309T2355Z_0a1b2c3d.log.parquet", LayoutHive, "", -1, FormatParquet},
		{"AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=03/day=09/hour=23/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240309T2355Z_0a1b2c3d.log.gz", LayoutHiveHourly, "", 23, FormatText},
	}
	for _, c := range cases {
		info, skip := ParseKey(c.key)
		if skip != "" {
			t.Errorf("%s: skipped (%s)", c.key, skip)
			continue
		}
		if info.Layout != c.layout || info.Prefix != c.prefix || info.Hour != c.hour || info.Format != c.format {
			t.Errorf("%s: layout=%v prefix=%q hour=%d format=%v, want %v %q %d %v", c.key, info.Layout, info.Prefix, info.Hour, info.Format, c.layout, c.prefix, c.hour, c.format)
		}
		if info.Account != "123456789012" || info.Region != "us-east-1" || !info.Date.Equal(day) {
			t.Errorf("%s: account=%q region=%q date=%v", c.key, info.Account, info.Region, info.Date)
		}
		if info.FlowLogID != "fl-0a1b2c3d4e5f60001" || !info.FileTime.Equal(fileTime) {
			t.Errorf("%s: flow log %q file time %v", c.key, info.FlowLogID, info.FileTime)
		}
	}
}

func TestParseKeyAccountWithLeadingZero(t *testing.T) {
	info, skip := ParseKey("AWSLogs/012345678901/vpcflowlogs/eu-west-1/2024/03/10/012345678901_vpcflowlogs_eu-west-1_fl-0a1b2c3d4e5f60002_20240310T0005Z_4e5f6a7b.log.gz")
	if skip != "" {
		t.Fatalf("skipped: %s", skip)
	}
	if info.Account != "012345678901" || info.Region != "eu-west-1" || info.Date.Format("2006-01-02") != "2024-03-10" {
		t.Errorf("got account=%q region=%q date=%v", info.Account, info.Region, info.Date)
	}
}

func TestParseKeySkipsOtherObjects(t *testing.T) {
	cases := map[string]SkipReason{
		"AWSLogs/123456789012/CloudTrail/us-east-1/2024/03/09/123456789012_CloudTrail_us-east-1_20240309T2355Z_0a1b2c3d4e5f6a7b.json.gz": SkipOtherService,
		"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/09/":                                                                         SkipFolderMarker,
		"AWSLogs/aws-account-id=1/aws-service=cloudtrail/x.log.gz":                                                                       SkipOtherService,
		"notes/readme.md": SkipNotLogFile,
		"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/3/9/a.log.gz": SkipOutsideLayout,
		"archive/.hidden.log.gz": SkipNotLogFile,
	}
	for key, want := range cases {
		if _, got := ParseKey(key); got != want {
			t.Errorf("%s: skip = %q, want %q", key, got, want)
		}
	}
}

func TestParseKeyOutsideLayout(t *testing.T) {
	for _, key := range []string{"a.log", "dir/b.log.gz", "x/y/flows.txt", "c.log.zst", "d.log.parquet"} {
		info, skip := ParseKey(key)
		if skip != "" || info.Layout != LayoutNone {
			t.Errorf("%s: skip=%q layout=%v, want converted outside the layout", key, skip, info.Layout)
		}
	}
}

func TestInRangeAllowsNextDayKeys(t *testing.T) {
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
	day := func(d int) KeyInfo {
		return KeyInfo{Date: time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC), Hour: -1}
	}
	file := func(d, h, m int) KeyInfo {
		return KeyInfo{FileTime: time.Date(2026, 11, d, h, m, 0, 0, time.UTC), Hour: -1}
	}
	cases := []struct {
		name string
		info KeyInfo
		want bool
	}{
		{"day before", day(0), false},
		{"first day", day(1), true},
		{"last day", day(7), true},
		{"next day may hold late records", day(8), true},
		{"two days after", day(9), false},
		{"file just after until", file(8, 0, 5), true},
		{"file well after until", file(8, 3, 0), false},
		{"file just before since", file(0, 23, 55), false},
		{"no date", KeyInfo{Hour: -1}, true},
	}
	for _, c := range cases {
		if got := inRange(c.info, since, until); got != c.want {
			t.Errorf("%s: inRange = %v, want %v", c.name, got, c.want)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/03/09/23/123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60001_20240309T2355Z_0a1b2c3d.log.gz")
	f.Add("p/AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=r/year=2024/month=03/day=09/hour=99/x.log.parquet")
	f.Add("AWSLogs//vpcflowlogs///////.log")
	f.Fuzz(func(t *testing.T, key string) {
		info, skip := ParseKey(key)
		if skip != "" {
			return
		}
		if info.Hour < -1 || info.Hour > 23 {
			t.Fatalf("hour %d out of range for %q", info.Hour, key)
		}
		if info.Layout != LayoutNone && (info.Account == "" || info.Region == "" || info.Date.IsZero()) {
			t.Fatalf("layout %v without account, region or date for %q", info.Layout, key)
		}
		if strings.HasSuffix(key, "/") {
			t.Fatalf("folder marker %q accepted", key)
		}
	})
}
