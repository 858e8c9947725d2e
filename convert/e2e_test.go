package convert

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/s3test"
	"github.com/flowq/flowq/internal/sample"
)

// s3Writer uploads generated objects to a test S3 server.
type s3Writer struct {
	t      testing.TB
	srv    *s3test.Server
	bucket string
	prefix string
}

func (w s3Writer) WriteObject(key string, body []byte) error {
	s3test.PutObject(w.t, w.srv, w.bucket, w.prefix+key, body)
	return nil
}

// checkAgainstTruth compares a converted dataset with what the generator
// wrote: row counts, byte and packet sums, and counts per log status, per
// action and per day, for each table.
func checkAgainstTruth(t *testing.T, db *sql.DB, truth *sample.Truth) {
	t.Helper()
	for table, want := range truth.Tables {
		if want.Records == 0 {
			continue
		}
		if n := queryInt(t, db, "SELECT count(*) FROM "+table); n != want.Records {
			t.Errorf("%s rows = %d, want %d", table, n, want.Records)
		}
		if n := queryInt(t, db, "SELECT coalesce(sum(bytes), 0)::BIGINT FROM "+table); n != want.Bytes {
			t.Errorf("%s sum(bytes) = %d, want %d", table, n, want.Bytes)
		}
		if n := queryInt(t, db, "SELECT coalesce(sum(packets), 0)::BIGINT FROM "+table); n != want.Packets {
			t.Errorf("%s sum(packets) = %d, want %d", table, n, want.Packets)
		}
		for status, count := range want.LogStatus {
			if n := queryInt(t, db, "SELECT count(*) FROM "+table+" WHERE log_status = ?", status); n != count {
				t.Errorf("%s %s rows = %d, want %d", table, status, n, count)
			}
		}
		if table == "flows" {
			for action, count := range want.Action {
				if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE action = ?", action); n != count {
					t.Errorf("flows %s rows = %d, want %d", action, n, count)
				}
			}
		}
		for day, count := range want.Days {
			q := "SELECT count(*) FROM " + table + " WHERE start IS NOT NULL AND date = CAST(? AS DATE)"
			if n := queryInt(t, db, q, day); n != count {
				t.Errorf("%s rows of %s = %d, want %d", table, day, n, count)
			}
		}
	}
}

// TestConvertFromVersityTwice converts a multi-day generated archive from a
// signature-checking S3 gateway, twice, and checks the dataset against the
// generator's truth after each run.
func TestConvertFromVersityTwice(t *testing.T) {
	srv := s3test.StartVersity(t)
	s3test.CreateBucket(t, srv, "flowlogs")
	opt := sample.DemoOptions()
	opt.Days = 3
	opt.RecordsPerDay = 8000
	opt.Prefix = "org"
	truth, err := sample.Generate(context.Background(), s3Writer{t: t, srv: srv, bucket: "flowlogs"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	src := NewS3Source(srv.Client, "flowlogs", "org/AWSLogs/")
	out := t.TempDir()

	for run := 1; run <= 2; run++ {
		sum, err := Run(context.Background(), src, Config{Out: out, Workers: 4})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if sum.ObjectsFailed != 0 || sum.RowsRejected != 0 {
			t.Fatalf("run %d: %d objects failed, %d rows rejected: %+v", run, sum.ObjectsFailed, sum.RowsRejected, sum.Failures)
		}
		wantConverted := int64(truth.FlowLogObjects)
		if run == 2 {
			wantConverted = 0
		}
		if sum.ObjectsConverted != wantConverted {
			t.Errorf("run %d converted %d objects, want %d", run, sum.ObjectsConverted, wantConverted)
		}
		if run == 1 && sum.ObjectsSkipped[string(SkipOtherService)] != 1 {
			t.Errorf("skipped = %v, want the CloudTrail object", sum.ObjectsSkipped)
		}
		checkAgainstTruth(t, openDuck(t, out), truth)
	}
}

func TestConvertSinceUntilPrunesByKeyDate(t *testing.T) {
	archive := t.TempDir()
	opt := sample.DemoOptions()
	opt.Days = 4
	opt.RecordsPerDay = 2000
	opt.Start = sample.DefaultStart
	truth, err := sample.GenerateToDir(context.Background(), archive, opt)
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewLocalSource(archive)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	since := opt.Start.Add(24 * time.Hour)
	until := since.Add(24 * time.Hour)
	sum, err := Run(context.Background(), src, Config{Out: out, Since: since, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ObjectsOutOfRange == 0 {
		t.Error("no object was left out by the range")
	}
	db := openDuck(t, out)
	day := since.Format("2006-01-02")
	// Every record of the chosen day is there, including those delivered in the next day's keys.
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE date = CAST(? AS DATE) AND start IS NOT NULL", day); n != truth.Tables["flows"].Days[day] {
		t.Errorf("rows of %s = %d, want %d", day, n, truth.Tables["flows"].Days[day])
	}
	// Days well outside the range were not read.
	last := opt.Start.Add(3 * 24 * time.Hour).Format("2006-01-02")
	if n := queryInt(t, db, "SELECT count(*) FROM flows WHERE date = CAST(? AS DATE)", last); n != 0 {
		t.Errorf("rows of %s = %d, want 0", last, n)
	}
}

// TestConvertSurvivesThrottlingAndCutConnections converts from an S3
// server that throttles and drops connections mid-body, and checks the
// dataset is still exact.
func TestConvertSurvivesThrottlingAndCutConnections(t *testing.T) {
	srv := s3test.StartFake(t)
	s3test.CreateBucket(t, srv, "logs")
	opt := sample.DemoOptions()
	opt.Days = 1
	opt.RecordsPerDay = 3000
	truth, err := sample.Generate(context.Background(), s3Writer{t: t, srv: srv, bucket: "logs"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv.SlowDown(t, s3test.OpListObjectsV2, 1)
	srv.SlowDown(t, s3test.OpGetObject, 5)
	srv.CutBody(t, s3test.OpGetObject, 5, 200)

	out := t.TempDir()
	sum, err := Run(context.Background(), NewS3Source(srv.Client, "logs", ""), Config{Out: out, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ObjectsFailed != 0 {
		t.Fatalf("failures: %+v", sum.Failures)
	}
	checkAgainstTruth(t, openDuck(t, out), truth)
	// The faults were met and retried: the 5 throttled GETs come on top of
	// one GET per object, and cut bodies were resumed with ranged GETs.
	if got, min := srv.Count(t, s3test.OpGetObject), truth.FlowLogObjects+5; got < min {
		t.Errorf("GetObject requests = %d, want at least %d", got, min)
	}
	ranged := 0
	for _, r := range srv.Requests(t) {
		if r.Op == s3test.OpGetObject && r.Range != "" {
			ranged++
		}
	}
	if ranged == 0 {
		t.Error("no ranged GET: no cut body was resumed")
	}
}
