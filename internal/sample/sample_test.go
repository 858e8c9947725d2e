package sample

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// knownFields lists every field of VPC flow-log versions 2 to 8 and of
// Transit Gateway flow logs, from AWS's field reference.
var knownFields = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`
		version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
		vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr
		region az-id sublocation-type sublocation-id
		pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path
		ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id
		ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id
		reject-reason
		resource-type tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id
		tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id
		packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired`) {
		knownFields[f] = true
	}
}

const defaultHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

// Key layouts, written from AWS's documentation of flow-log delivery to S3.
var (
	fileNameRe   = regexp.MustCompile(`^(\d{12})_vpcflowlogs_([a-z]{2}-[a-z]+-\d)_(fl-[0-9a-f]{17})_(\d{8}T\d{4}Z)_([0-9a-f]{8})\.log\.gz$`)
	defaultRe    = regexp.MustCompile(`^(?:.+/)?AWSLogs/(\d{12})/vpcflowlogs/([a-z]{2}-[a-z]+-\d)/(\d{4})/(\d{2})/(\d{2})/([^/]+)$`)
	hourlyRe     = regexp.MustCompile(`^(?:.+/)?AWSLogs/(\d{12})/vpcflowlogs/([a-z]{2}-[a-z]+-\d)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/([^/]+)$`)
	hiveRe       = regexp.MustCompile(`^(?:.+/)?AWSLogs/aws-account-id=(\d{12})/aws-service=vpcflowlogs/aws-region=([a-z]{2}-[a-z]+-\d)/year=(\d{4})/month=(\d{2})/day=(\d{2})/([^/]+)$`)
	hiveHourRe   = regexp.MustCompile(`^(?:.+/)?AWSLogs/aws-account-id=(\d{12})/aws-service=vpcflowlogs/aws-region=([a-z]{2}-[a-z]+-\d)/year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/([^/]+)$`)
	cloudTrailRe = regexp.MustCompile(`^(?:.+/)?AWSLogs/\d{12}/CloudTrail/[a-z]{2}-[a-z]+-\d/\d{4}/\d{2}/\d{2}/\d{12}_CloudTrail_[a-z]{2}-[a-z]+-\d_\d{8}T\d{4}Z_[0-9a-zA-Z]{16}\.json\.gz$`)
)

// memWriter keeps every object in memory, in the order written.
type memWriter struct {
	keys   []string
	bodies map[string][]byte
}

func newMemWriter() *memWriter { return &memWriter{bodies: map[string][]byte{}} }

func (m *memWriter) WriteObject(key string, body []byte) error {
	if _, dup := m.bodies[key]; dup {
		return fmt.Errorf("key %q written twice", key)
	}
	m.keys = append(m.keys, key)
	m.bodies[key] = bytes.Clone(body)
	return nil
}

type discardWriter struct{ bytes int64 }

func (d *discardWriter) WriteObject(key string, body []byte) error {
	d.bytes += int64(len(body))
	return nil
}

// parsed is one flow-log object read back.
type parsed struct {
	key     string
	header  []string
	index   map[string]int
	lines   [][]string
	rawSize int
}

func (p *parsed) get(line []string, field string) string {
	i, ok := p.index[field]
	if !ok {
		return ""
	}
	return line[i]
}

func (p *parsed) isTGW() bool {
	_, ok := p.index["tgw-id"]
	return ok
}

func readObject(t *testing.T, key string, body []byte) *parsed {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("object %s: gzip: %v", key, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("object %s: gunzip: %v", key, err)
	}
	p := &parsed{key: key, index: map[string]int{}, rawSize: len(raw)}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), " ")
		if p.header == nil {
			p.header = fields
			for i, f := range fields {
				p.index[f] = i
			}
			continue
		}
		p.lines = append(p.lines, fields)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("object %s: read: %v", key, err)
	}
	return p
}

// archive is a generated archive and its objects read back.
type archive struct {
	opt     Options
	truth   *Truth
	writer  *memWriter
	objects []*parsed
	others  []string
	elapsed time.Duration
}

func generateArchive(t *testing.T, opt Options) *archive {
	t.Helper()
	w := newMemWriter()
	began := time.Now()
	truth, err := Generate(context.Background(), w, opt)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	a := &archive{opt: opt, truth: truth, writer: w, elapsed: time.Since(began)}
	for _, key := range w.keys {
		if strings.HasSuffix(key, ".log.gz") {
			a.objects = append(a.objects, readObject(t, key, w.bodies[key]))
		} else {
			a.others = append(a.others, key)
		}
	}
	return a
}

var (
	demoOnce    sync.Once
	demoArchive *archive
	demoFailed  bool
)

// demo returns the default demo archive, generated once for all tests.
func demo(t *testing.T) *archive {
	t.Helper()
	demoOnce.Do(func() {
		ok := false
		defer func() { demoFailed = !ok }()
		demoArchive = generateArchive(t, DemoOptions())
		ok = true
	})
	if demoFailed {
		t.Fatal("generating the demo archive failed in an earlier test")
	}
	return demoArchive
}

func TestDemoSizeAndSpeed(t *testing.T) {
	a := demo(t)
	records := a.truth.Records()
	t.Logf("demo archive: %d objects (%d flow-log), %d records, %d bytes compressed, %d bytes of text, generated in %v",
		len(a.truth.Objects), a.truth.FlowLogObjects, records, a.truth.CompressedBytes, a.truth.UncompressedBytes, a.elapsed)
	if records < 120_000 || records > 180_000 {
		t.Errorf("demo records = %d, want about 150,000", records)
	}
	// Generous bound for slow CI machines and the race detector; a
	// laptop needs well under a second.
	if a.elapsed > 30*time.Second {
		t.Errorf("demo generation took %v, want under 30s", a.elapsed)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	opt := Options{Days: 2, RecordsPerDay: 4000, Incidents: true, Workers: 1}
	first := generateArchive(t, opt)
	opt.Workers = 4
	second := generateArchive(t, opt)

	if !slices.Equal(first.writer.keys, second.writer.keys) {
		t.Fatalf("keys differ between runs: %d and %d keys", len(first.writer.keys), len(second.writer.keys))
	}
	for _, key := range first.writer.keys {
		if !bytes.Equal(first.writer.bodies[key], second.writer.bodies[key]) {
			t.Errorf("object %s differs between runs", key)
		}
	}

	opt.Seed = 2
	other := generateArchive(t, opt)
	if slices.Equal(first.writer.keys, other.writer.keys) {
		t.Error("seed 2 wrote the same keys as seed 1")
	}
}

func TestHeadersUseKnownFields(t *testing.T) {
	a := demo(t)
	for _, o := range a.objects {
		for _, f := range o.header {
			if !knownFields[f] {
				t.Errorf("object %s: header field %q is not a flow-log field", o.key, f)
			}
		}
		if len(o.index) != len(o.header) {
			t.Errorf("object %s: header repeats a field", o.key)
		}
	}
}

func TestLinesMatchHeader(t *testing.T) {
	a := demo(t)
	for _, o := range a.objects {
		if len(o.lines) == 0 {
			t.Errorf("object %s: no records", o.key)
		}
		for n, line := range o.lines {
			if len(line) != len(o.header) {
				t.Errorf("object %s line %d: %d fields, header has %d", o.key, n+2, len(line), len(o.header))
				continue
			}
			for i, v := range line {
				if v == "" {
					t.Errorf("object %s line %d: field %s is empty", o.key, n+2, o.header[i])
				}
			}
		}
	}
}

func TestKeysFollowAWSLayouts(t *testing.T) {
	a := demo(t)
	truth := a.truth
	used := map[string]bool{}
	for _, o := range a.objects {
		base := filepath.Base(o.key)
		name := fileNameRe.FindStringSubmatch(base)
		if name == nil {
			t.Errorf("key %s: file name does not match <account>_vpcflowlogs_<region>_<fl-id>_<time>_<hash>.log.gz", o.key)
			continue
		}
		fileTime, err := time.Parse("20060102T1504Z", name[4])
		if err != nil {
			t.Errorf("key %s: file time: %v", o.key, err)
			continue
		}
		var layout, account, region, year, month, day, hour string
		switch {
		case hiveHourRe.MatchString(o.key):
			m := hiveHourRe.FindStringSubmatch(o.key)
			layout, account, region, year, month, day, hour = "hive-hourly", m[1], m[2], m[3], m[4], m[5], m[6]
		case hiveRe.MatchString(o.key):
			m := hiveRe.FindStringSubmatch(o.key)
			layout, account, region, year, month, day = "hive", m[1], m[2], m[3], m[4], m[5]
		case hourlyRe.MatchString(o.key):
			m := hourlyRe.FindStringSubmatch(o.key)
			layout, account, region, year, month, day, hour = "hourly", m[1], m[2], m[3], m[4], m[5], m[6]
		case defaultRe.MatchString(o.key):
			m := defaultRe.FindStringSubmatch(o.key)
			layout, account, region, year, month, day = "default", m[1], m[2], m[3], m[4], m[5]
		default:
			t.Errorf("key %s: matches no AWS layout", o.key)
			continue
		}
		used[layout] = true
		if account != name[1] || region != name[2] {
			t.Errorf("key %s: folders name %s/%s, file name %s/%s", o.key, account, region, name[1], name[2])
		}
		if got := year + month + day; got != fileTime.Format("20060102") {
			t.Errorf("key %s: date folders %s, file time %s", o.key, got, name[4])
		}
		if hour != "" && hour != fileTime.Format("15") {
			t.Errorf("key %s: hour folder %s, file time %s", o.key, hour, name[4])
		}
		if fileTime.Before(truth.Start) || fileTime.After(truth.Start.AddDate(0, 0, truth.Days).Add(10*time.Minute)) {
			t.Errorf("key %s: file time %v outside the archive's days", o.key, fileTime)
		}
	}
	for _, layout := range []string{"default", "hourly", "hive", "hive-hourly"} {
		if !used[layout] {
			t.Errorf("no object uses the %s layout", layout)
		}
	}
}

// recount tallies an archive the way a converter would see it.
type recount struct {
	tables  map[string]*TableTruth
	objects map[string]int64
}

func recountArchive(t *testing.T, a *archive) recount {
	t.Helper()
	rc := recount{tables: map[string]*TableTruth{}, objects: map[string]int64{}}
	for _, name := range []string{"flows", "tgw_flows"} {
		rc.tables[name] = &TableTruth{LogStatus: map[string]int64{"OK": 0, "NODATA": 0, "SKIPDATA": 0}, Action: map[string]int64{}, Days: map[string]int64{}}
	}
	for d := 0; d < a.truth.Days; d++ {
		for _, tt := range rc.tables {
			tt.Days[a.truth.Start.AddDate(0, 0, d).Format("2006-01-02")] = 0
		}
	}
	rc.tables["flows"].Action["ACCEPT"] = 0
	rc.tables["flows"].Action["REJECT"] = 0
	for _, o := range a.objects {
		tt := rc.tables["flows"]
		if o.isTGW() {
			tt = rc.tables["tgw_flows"]
		}
		rc.objects[o.key] = int64(len(o.lines))
		for _, line := range o.lines {
			tt.Records++
			tt.LogStatus[o.get(line, "log-status")]++
			if v := o.get(line, "bytes"); v != "-" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("object %s: bytes %q: %v", o.key, v, err)
				}
				tt.Bytes += n
			}
			if v := o.get(line, "packets"); v != "-" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("object %s: packets %q: %v", o.key, v, err)
				}
				tt.Packets += n
			}
			if v := o.get(line, "action"); v != "" && v != "-" {
				tt.Action[v]++
			}
			start, err := strconv.ParseInt(o.get(line, "start"), 10, 64)
			if err != nil {
				t.Fatalf("object %s: start: %v", o.key, err)
			}
			tt.Days[time.Unix(start, 0).UTC().Format("2006-01-02")]++
		}
	}
	return rc
}

func TestTruthMatchesRecount(t *testing.T) {
	a := demo(t)
	rc := recountArchive(t, a)
	for name, want := range rc.tables {
		got := a.truth.Tables[name]
		if got == nil {
			t.Errorf("truth has no table %s", name)
			continue
		}
		if got.Records != want.Records {
			t.Errorf("%s records: truth %d, recount %d", name, got.Records, want.Records)
		}
		if got.Bytes != want.Bytes {
			t.Errorf("%s bytes: truth %d, recount %d", name, got.Bytes, want.Bytes)
		}
		if got.Packets != want.Packets {
			t.Errorf("%s packets: truth %d, recount %d", name, got.Packets, want.Packets)
		}
		for _, pair := range []struct {
			what      string
			got, want map[string]int64
		}{{"log-status", got.LogStatus, want.LogStatus}, {"action", got.Action, want.Action}, {"day", got.Days, want.Days}} {
			if len(pair.got) != len(pair.want) {
				t.Errorf("%s %s counts: truth %v, recount %v", name, pair.what, pair.got, pair.want)
				continue
			}
			for k, n := range pair.want {
				if pair.got[k] != n {
					t.Errorf("%s %s %s: truth %d, recount %d", name, pair.what, k, pair.got[k], n)
				}
			}
		}
	}

	if a.truth.FlowLogObjects != len(a.objects) {
		t.Errorf("flow-log objects: truth %d, archive %d", a.truth.FlowLogObjects, len(a.objects))
	}
	if a.truth.OtherObjects != len(a.others) {
		t.Errorf("other objects: truth %d, archive %d", a.truth.OtherObjects, len(a.others))
	}
	if len(a.truth.Objects) != len(a.writer.keys) {
		t.Errorf("truth lists %d objects, %d were written", len(a.truth.Objects), len(a.writer.keys))
	}
	var size int64
	perLog := map[string]int64{}
	for i, o := range a.truth.Objects {
		if i < len(a.writer.keys) && o.Key != a.writer.keys[i] {
			t.Errorf("truth object %d is %s, written %s", i, o.Key, a.writer.keys[i])
		}
		if o.Size != int64(len(a.writer.bodies[o.Key])) {
			t.Errorf("object %s size: truth %d, written %d", o.Key, o.Size, len(a.writer.bodies[o.Key]))
		}
		size += o.Size
		if o.Table == "" {
			continue
		}
		if o.Records != rc.objects[o.Key] {
			t.Errorf("object %s records: truth %d, recount %d", o.Key, o.Records, rc.objects[o.Key])
		}
		perLog[o.FlowLogID] += o.Records
	}
	if size != a.truth.CompressedBytes {
		t.Errorf("compressed bytes: truth %d, objects add up to %d", a.truth.CompressedBytes, size)
	}
	var raw int64
	for _, o := range a.objects {
		raw += int64(o.rawSize)
	}
	if raw != a.truth.UncompressedBytes {
		t.Errorf("uncompressed bytes: truth %d, archive %d", a.truth.UncompressedBytes, raw)
	}
	for _, fl := range a.truth.FlowLogs {
		if fl.Records != perLog[fl.ID] {
			t.Errorf("flow log %s records: truth %d, objects add up to %d", fl.ID, fl.Records, perLog[fl.ID])
		}
	}
}

// incidentRecount is an incident counted from the records read back.
type incidentRecount struct {
	records, packets, bytes, accepted, rejected int64
	replyRecords, replyPackets, replyBytes      int64
	start, end                                  int64
	ports                                       map[string]bool
	sources                                     map[string]bool
	packetsPerMinute                            map[int64]int64
	maxRecordBytes, maxRecordPackets            int64
}

func recountIncident(t *testing.T, a *archive, inc *Incident) *incidentRecount {
	t.Helper()
	rc := &incidentRecount{start: -1, ports: map[string]bool{}, sources: map[string]bool{}, packetsPerMinute: map[int64]int64{}}
	sources := map[string]bool{}
	for _, s := range inc.SrcAddrs {
		sources[s] = true
	}
	proto := strconv.Itoa(inc.Protocol)
	for _, o := range a.objects {
		if o.isTGW() {
			continue
		}
		for _, line := range o.lines {
			if o.get(line, "log-status") != "OK" || o.get(line, "protocol") != proto || o.get(line, "interface-id") != inc.InterfaceID {
				continue
			}
			src, dst := o.get(line, "srcaddr"), o.get(line, "dstaddr")
			packets := mustInt(t, o.get(line, "packets"))
			bytesValue := mustInt(t, o.get(line, "bytes"))
			start, end := mustInt(t, o.get(line, "start")), mustInt(t, o.get(line, "end"))
			switch {
			case sources[src] && dst == inc.DstAddr:
				if inc.DstPort != 0 && o.get(line, "dstport") != strconv.Itoa(inc.DstPort) {
					continue
				}
				rc.records++
				rc.packets += packets
				rc.bytes += bytesValue
				if o.get(line, "action") == "REJECT" {
					rc.rejected++
				} else {
					rc.accepted++
				}
				if rc.start < 0 || start < rc.start {
					rc.start = start
				}
				rc.end = max(rc.end, end)
				rc.ports[o.get(line, "dstport")] = true
				rc.sources[src] = true
				rc.packetsPerMinute[start/60] += packets
				rc.maxRecordBytes = max(rc.maxRecordBytes, bytesValue)
				rc.maxRecordPackets = max(rc.maxRecordPackets, packets)
			case src == inc.DstAddr && sources[dst]:
				rc.replyRecords++
				rc.replyPackets += packets
				rc.replyBytes += bytesValue
			}
		}
	}
	return rc
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("integer field %q: %v", s, err)
	}
	return n
}

func TestIncidentsMatchRecords(t *testing.T) {
	a := demo(t)
	names := []string{IncidentSSHBruteForce, IncidentPortScan, IncidentExfiltration, IncidentDoS}
	if len(a.truth.Incidents) != len(names) {
		t.Fatalf("truth lists %d incidents, want %d", len(a.truth.Incidents), len(names))
	}
	for _, name := range names {
		inc := a.truth.Incident(name)
		if inc == nil {
			t.Errorf("incident %s missing", name)
			continue
		}
		rc := recountIncident(t, a, inc)
		checks := []struct {
			what      string
			got, want int64
		}{
			{"records", inc.Records, rc.records},
			{"packets", inc.Packets, rc.packets},
			{"bytes", inc.Bytes, rc.bytes},
			{"accepted", inc.Accepted, rc.accepted},
			{"rejected", inc.Rejected, rc.rejected},
			{"reply records", inc.ReplyRecords, rc.replyRecords},
			{"reply packets", inc.ReplyPackets, rc.replyPackets},
			{"reply bytes", inc.ReplyBytes, rc.replyBytes},
			{"distinct ports", int64(inc.DistinctDstPorts), int64(len(rc.ports))},
			{"distinct sources", int64(inc.DistinctSrcAddrs), int64(len(rc.sources))},
			{"start", inc.Start.Unix(), rc.start},
			{"end", inc.End.Unix(), rc.end},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s %s: truth %d, recount %d", name, c.what, c.got, c.want)
			}
		}
		t.Logf("%s: %s → %s port %d: %d records, %d packets, %d bytes, %d accepted, %d rejected, %d ports, %v to %v",
			name, strings.Join(inc.SrcAddrs[:min(3, len(inc.SrcAddrs))], ","), inc.DstAddr, inc.DstPort,
			inc.Records, inc.Packets, inc.Bytes, inc.Accepted, inc.Rejected, inc.DistinctDstPorts, inc.Start, inc.End)

		span := inc.End.Sub(inc.Start)
		switch name {
		case IncidentSSHBruteForce:
			if inc.Records < 300 || inc.DstPort != 22 {
				t.Errorf("ssh brute force: %d records to port %d, want several hundred to port 22", inc.Records, inc.DstPort)
			}
			if !(inc.Rejected > inc.Accepted && inc.Accepted > 0) {
				t.Errorf("ssh brute force: %d rejected, %d accepted, want most rejected and some accepted", inc.Rejected, inc.Accepted)
			}
			if rc.maxRecordBytes > 5000 {
				t.Errorf("ssh brute force: a record has %d bytes, want short low-byte connections", rc.maxRecordBytes)
			}
			if span < 15*time.Minute || span > 25*time.Minute {
				t.Errorf("ssh brute force lasts %v, want about 20 minutes", span)
			}
		case IncidentPortScan:
			if inc.DistinctDstPorts < 1000 {
				t.Errorf("port scan: %d distinct ports, want 1,000 or more", inc.DistinctDstPorts)
			}
			if float64(inc.Rejected) < 0.99*float64(inc.Records) {
				t.Errorf("port scan: %d of %d records rejected, want nearly all", inc.Rejected, inc.Records)
			}
			if rc.maxRecordPackets > 2 {
				t.Errorf("port scan: a record has %d packets, want 1 or 2", rc.maxRecordPackets)
			}
			if span > 5*time.Minute {
				t.Errorf("port scan lasts %v, want a few minutes", span)
			}
		case IncidentDoS:
			var peak int64
			for _, n := range rc.packetsPerMinute {
				peak = max(peak, n)
			}
			if peak < 500_000 {
				t.Errorf("dos: peak %d packets per minute, want far above background", peak)
			}
			if span < 9*time.Minute || span > 11*time.Minute {
				t.Errorf("dos lasts %v, want about 10 minutes", span)
			}
		case IncidentExfiltration:
			if inc.Bytes < 4<<30 || inc.Bytes > 8<<30 {
				t.Errorf("exfiltration: %d bytes, want 4 to 8 GiB", inc.Bytes)
			}
			if inc.Rejected != 0 || inc.Direction != "egress" || inc.DstPort != 443 {
				t.Errorf("exfiltration: %d rejected, direction %s, port %d, want accepted egress to 443", inc.Rejected, inc.Direction, inc.DstPort)
			}
			if span < 55*time.Minute || span > 65*time.Minute {
				t.Errorf("exfiltration lasts %v, want about an hour", span)
			}
		}
		day := inc.Start.Sub(a.truth.Start)
		if day < 0 || day >= 48*time.Hour {
			t.Errorf("%s starts at %v, want the first or second day", name, inc.Start)
		}
	}
}

func TestTruthJSONFieldNames(t *testing.T) {
	a := demo(t)
	text, err := json.Marshal(a.truth)
	if err != nil {
		t.Fatalf("marshal truth: %v", err)
	}
	var decoded struct {
		Tables map[string]struct {
			Records   int64            `json:"records"`
			LogStatus map[string]int64 `json:"log_status"`
		} `json:"tables"`
		FlowLogObjects int `json:"flow_log_objects"`
		OtherObjects   int `json:"other_objects"`
		Objects        []struct {
			Key     string `json:"key"`
			Records int64  `json:"records"`
			Table   string `json:"table"`
		} `json:"objects"`
		Incidents []struct {
			Name    string    `json:"name"`
			DstAddr string    `json:"dst_addr"`
			Start   time.Time `json:"start"`
			Bytes   int64     `json:"bytes"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal(text, &decoded); err != nil {
		t.Fatalf("unmarshal truth: %v", err)
	}
	if decoded.Tables["flows"].Records != a.truth.Tables["flows"].Records {
		t.Errorf("tables.flows.records = %d, want %d", decoded.Tables["flows"].Records, a.truth.Tables["flows"].Records)
	}
	if decoded.Tables["tgw_flows"].LogStatus["OK"] == 0 {
		t.Error("tables.tgw_flows.log_status.OK is missing")
	}
	if decoded.FlowLogObjects != a.truth.FlowLogObjects || decoded.OtherObjects != a.truth.OtherObjects {
		t.Errorf("object counts %d/%d, want %d/%d", decoded.FlowLogObjects, decoded.OtherObjects, a.truth.FlowLogObjects, a.truth.OtherObjects)
	}
	if len(decoded.Objects) != len(a.truth.Objects) || decoded.Objects[len(decoded.Objects)-1].Key == "" {
		t.Errorf("objects decoded %d, want %d with keys", len(decoded.Objects), len(a.truth.Objects))
	}
	if len(decoded.Incidents) != len(a.truth.Incidents) || decoded.Incidents[0].Name == "" || decoded.Incidents[0].Start.IsZero() {
		t.Errorf("incidents decoded as %+v", decoded.Incidents)
	}
}

func TestIncidentsLeftOutWhenDaysTooFew(t *testing.T) {
	a := generateArchive(t, Options{Days: 1, RecordsPerDay: 2000, Incidents: true})
	var names []string
	for _, inc := range a.truth.Incidents {
		names = append(names, inc.Name)
	}
	want := []string{IncidentSSHBruteForce, IncidentPortScan}
	if !slices.Equal(names, want) {
		t.Errorf("one-day archive has incidents %v, want %v", names, want)
	}
	none := generateArchive(t, Options{Days: 2, RecordsPerDay: 2000})
	if len(none.truth.Incidents) != 0 {
		t.Errorf("archive without Incidents lists %d incidents", len(none.truth.Incidents))
	}
}

// TestBackgroundStaysBelowIncidents checks that no background traffic comes
// near what the detectors should find: repeated SSH from one source, many
// ports from one source, packets per minute to one host, bytes from one
// host to the internet.
func TestBackgroundStaysBelowIncidents(t *testing.T) {
	a := demo(t)
	incidentPair := map[[2]string]bool{}
	for _, inc := range a.truth.Incidents {
		for _, s := range inc.SrcAddrs {
			incidentPair[[2]string{s, inc.DstAddr}] = true
			incidentPair[[2]string{inc.DstAddr, s}] = true
		}
	}
	// SSH connections (distinct source ports) per source, target and 20 minutes.
	ssh := map[string]map[string]bool{}
	// Ports probed per source, target and day: rejected ports, and any
	// port below 1024. Replies to ephemeral ports are no probes.
	ports := map[string]map[string]bool{}
	packets := map[string]int64{} // dst|minute
	egress := map[string]int64{}  // source|hour, to addresses outside 10/8
	var recordPackets int64       // maximum packets in one record
	for _, o := range a.objects {
		if o.isTGW() {
			continue
		}
		for _, line := range o.lines {
			if o.get(line, "log-status") != "OK" {
				continue
			}
			src, dst := o.get(line, "srcaddr"), o.get(line, "dstaddr")
			if incidentPair[[2]string{src, dst}] {
				continue
			}
			start := mustInt(t, o.get(line, "start"))
			dstPort := o.get(line, "dstport")
			if dstPort == "22" {
				addTo(ssh, src+"|"+dst+"|"+strconv.FormatInt(start/1200, 10), o.get(line, "srcport"))
			}
			if o.get(line, "action") == "REJECT" || mustInt(t, dstPort) < 1024 {
				addTo(ports, src+"|"+dst+"|"+strconv.FormatInt(start/86400, 10), dstPort)
			}
			n := mustInt(t, o.get(line, "packets"))
			packets[dst+"|"+strconv.FormatInt(start/60, 10)] += n
			recordPackets = max(recordPackets, n)
			if !strings.HasPrefix(dst, "10.") && strings.HasPrefix(src, "10.") {
				if b := o.get(line, "bytes"); b != "-" {
					egress[src+"|"+strconv.FormatInt(start/3600, 10)] += mustInt(t, b)
				}
			}
		}
	}
	maxOf := func(m map[string]int64) (string, int64) {
		var key string
		var best int64
		for k, v := range m {
			if v > best {
				key, best = k, v
			}
		}
		return key, best
	}
	largest := func(sets map[string]map[string]bool) (key string, n int) {
		for k, set := range sets {
			if len(set) > n {
				key, n = k, len(set)
			}
		}
		return key, n
	}
	sshKey, sshMax := largest(ssh)
	portsKey, portsMax := largest(ports)
	packetsKey, packetsMax := maxOf(packets)
	egressKey, egressMax := maxOf(egress)
	t.Logf("background maxima: %d SSH connections in 20 min (%s), %d probed ports in a day (%s), %d packets in a minute (%s), %d egress bytes in an hour (%s), %d packets in a record",
		sshMax, sshKey, portsMax, portsKey, packetsMax, packetsKey, egressMax, egressKey, recordPackets)
	if recordPackets >= 10_000 {
		t.Errorf("background record with %d packets, want under 10,000", recordPackets)
	}

	for k, set := range ssh {
		if len(set) > 20 {
			t.Errorf("background SSH: %d connections in 20 minutes for %s, want at most 20", len(set), k)
		}
	}
	for k, set := range ports {
		if len(set) > 20 {
			t.Errorf("background ports: %d distinct ports in a day for %s, want at most 20", len(set), k)
		}
	}
	if k, n := maxOf(packets); n > 100_000 {
		t.Errorf("background packets: %d in one minute to %s, want at most 100,000", n, k)
	}
	if k, n := maxOf(egress); n > 512<<20 {
		t.Errorf("background egress: %d bytes in one hour for %s, want at most 512 MiB", n, k)
	}
}

func addTo(sets map[string]map[string]bool, key, value string) {
	if sets[key] == nil {
		sets[key] = map[string]bool{}
	}
	sets[key][value] = true
}

func TestArchiveHasAWSVariety(t *testing.T) {
	a := demo(t)
	accounts, regions, flowLogs, types := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var v5, ecs, tgw, defaults, ipv6, natRewrite, midnight, hourCross, skip, nodata bool
	for _, o := range a.objects {
		name := fileNameRe.FindStringSubmatch(filepath.Base(o.key))
		if name == nil {
			continue
		}
		accounts[name[1]], regions[name[2]], flowLogs[name[3]] = true, true, true
		fileTime, _ := time.Parse("20060102T1504Z", name[4])
		header := strings.Join(o.header, " ")
		switch {
		case header == defaultHeader:
			defaults = true
		case o.isTGW():
			tgw = true
		case o.index["ecs-task-id"] > 0 && o.index["reject-reason"] > 0:
			ecs = true
		case hasAll(o.index, "flow-direction", "traffic-path", "pkt-srcaddr", "pkt-dstaddr", "tcp-flags", "pkt-src-aws-service", "az-id") &&
			o.header[0] != "version":
			v5 = true
		}
		for _, line := range o.lines {
			status := o.get(line, "log-status")
			switch status {
			case "NODATA", "SKIPDATA":
				if status == "NODATA" {
					nodata = true
				} else {
					skip = true
				}
				for _, f := range []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action",
					"tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "flow-direction", "traffic-path", "reject-reason"} {
					if v := o.get(line, f); v != "" && v != "-" {
						t.Errorf("object %s: %s record has %s %q, want '-'", o.key, status, f, v)
					}
				}
			}
			if v := o.get(line, "type"); v != "" && v != "-" {
				types[v] = true
			}
			if strings.HasPrefix(o.get(line, "srcaddr"), "2001:db8:") {
				ipv6 = true
			}
			if p := o.get(line, "pkt-dstaddr"); p != "" && p != "-" && p != o.get(line, "dstaddr") {
				natRewrite = true
			}
			start := time.Unix(mustInt(t, o.get(line, "start")), 0).UTC()
			if start.After(fileTime) {
				t.Errorf("object %s: record starts at %v, after the file time %v", o.key, start, fileTime)
			}
			if start.YearDay() != fileTime.YearDay() {
				midnight = true
			}
			if start.Hour() != fileTime.Hour() {
				hourCross = true
			}
		}
	}
	if len(accounts) < 2 || !accounts["012345678901"] {
		t.Errorf("accounts %v, want two or more including 012345678901", accounts)
	}
	if len(regions) < 2 {
		t.Errorf("regions %v, want two or more", regions)
	}
	if len(flowLogs) < 4 {
		t.Errorf("flow logs %v, want four or more", flowLogs)
	}
	for what, ok := range map[string]bool{
		"default format": defaults, "custom v5 format": v5, "ECS v8 format": ecs, "Transit Gateway format": tgw,
		"IPv6 record": ipv6 && types["IPv6"], "pkt-dstaddr differing from dstaddr": natRewrite,
		"record in the previous day's key": midnight, "record in the previous hour's key": hourCross,
		"NODATA record": nodata, "SKIPDATA record": skip,
	} {
		if !ok {
			t.Errorf("archive has no %s", what)
		}
	}
	windows := map[int]bool{}
	for _, fl := range a.truth.FlowLogs {
		windows[fl.WindowSeconds] = true
	}
	if !windows[60] || !windows[600] {
		t.Errorf("aggregation windows %v, want 60 and 600", windows)
	}

	var trail, marker bool
	for _, key := range a.others {
		switch {
		case cloudTrailRe.MatchString(key):
			trail = true
		case strings.HasSuffix(key, "/") && len(a.writer.bodies[key]) == 0:
			marker = true
		}
	}
	if !trail || !marker {
		t.Errorf("other objects %v, want a CloudTrail log and a zero-byte folder marker", a.others)
	}
}

func hasAll(index map[string]int, fields ...string) bool {
	for _, f := range fields {
		if _, ok := index[f]; !ok {
			return false
		}
	}
	return true
}

func TestRecordsStayInsideWindows(t *testing.T) {
	a := demo(t)
	window := map[string]int64{}
	for _, fl := range a.truth.FlowLogs {
		window[fl.ID] = int64(fl.WindowSeconds)
	}
	for _, o := range a.objects {
		name := fileNameRe.FindStringSubmatch(filepath.Base(o.key))
		w := window[name[3]]
		for _, line := range o.lines {
			start, end := mustInt(t, o.get(line, "start")), mustInt(t, o.get(line, "end"))
			if end < start || end-start >= w {
				t.Errorf("object %s: record from %d to %d does not fit a %d s window", o.key, start, end, w)
			}
		}
	}
}

// Public ranges the sample may use: RFC 5737 documentation, RFC 2544
// benchmarking and RFC 3849 IPv6 documentation.
var allowedPublic = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("10.0.0.0/8"),
}

func TestAddressesUseReservedRanges(t *testing.T) {
	a := demo(t)
	seen := map[string]bool{}
	for _, o := range a.objects {
		for _, line := range o.lines {
			for _, f := range []string{"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"} {
				v := o.get(line, f)
				if v == "" || v == "-" || seen[v] {
					continue
				}
				seen[v] = true
				addr, err := netip.ParseAddr(v)
				if err != nil {
					t.Errorf("object %s: %s %q is not an address", o.key, f, v)
					continue
				}
				if !slices.ContainsFunc(allowedPublic, func(p netip.Prefix) bool { return p.Contains(addr) }) {
					t.Errorf("object %s: %s %s is outside the documentation and benchmark ranges", o.key, f, v)
				}
			}
		}
	}
}

func TestOptionsRejectInvalidValues(t *testing.T) {
	cases := []struct {
		name string
		opt  Options
	}{
		{"start not midnight", Options{Start: DefaultStart.Add(time.Hour)}},
		{"negative days", Options{Days: -1}},
		{"too many days", Options{Days: MaxDays + 1}},
		{"negative records", Options{RecordsPerDay: -5}},
		{"prefix with dot-dot", Options{Prefix: "logs/../x"}},
		{"absolute prefix", Options{Prefix: "/logs"}},
		{"gzip level", Options{GzipLevel: 12}},
		{"tiny objects", Options{MaxObjectSize: 100}},
		{"huge objects", Options{MaxObjectSize: MaxObjectSize + 1}},
		{"unknown layout", Options{Layouts: []Layout{9}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Generate(context.Background(), &discardWriter{}, c.opt); err == nil {
				t.Error("Generate accepted the options")
			}
		})
	}
}

func TestPrefixAndLayoutOptions(t *testing.T) {
	a := generateArchive(t, Options{Days: 1, RecordsPerDay: 2000, Prefix: "logs/vpc/", Layouts: []Layout{LayoutHive}})
	for _, key := range a.writer.keys {
		if !strings.HasPrefix(key, "logs/vpc/AWSLogs/") {
			t.Errorf("key %s lacks the prefix", key)
		}
	}
	for _, o := range a.objects {
		if !hiveRe.MatchString(o.key) {
			t.Errorf("key %s is not in the Hive layout", o.key)
		}
	}
}

func TestLargeSlotsSplitIntoObjects(t *testing.T) {
	const limit = 64 << 10
	a := generateArchive(t, Options{Days: 1, RecordsPerDay: 300_000, MaxObjectSize: limit, GzipLevel: 1})
	sameTime := map[string]int{}
	for _, o := range a.objects {
		if o.rawSize > limit {
			t.Errorf("object %s has %d bytes of text, limit %d", o.key, o.rawSize, limit)
		}
		name := fileNameRe.FindStringSubmatch(filepath.Base(o.key))
		sameTime[name[3]+name[4]]++
	}
	split := 0
	for _, n := range sameTime {
		if n > 1 {
			split++
		}
	}
	if split == 0 {
		t.Error("no flow log's 5 minutes were split into several objects")
	}
	rc := recountArchive(t, a)
	if got, want := a.truth.Tables["flows"].Records, rc.tables["flows"].Records; got != want {
		t.Errorf("flows records after splitting: truth %d, recount %d", got, want)
	}
}

func TestGzipLevelsWriteReadableObjects(t *testing.T) {
	for _, level := range []int{-3, -2, 1, 9} {
		t.Run(strconv.Itoa(level), func(t *testing.T) {
			a := generateArchive(t, Options{Days: 1, RecordsPerDay: 2000, GzipLevel: level})
			rc := recountArchive(t, a)
			if got, want := a.truth.Tables["flows"].Records, rc.tables["flows"].Records; got != want {
				t.Errorf("flows records at level %d: truth %d, recount %d", level, got, want)
			}
		})
	}
}

type failingWriter struct {
	after int
	err   error
}

func (f *failingWriter) WriteObject(key string, body []byte) error {
	if f.after == 0 {
		return f.err
	}
	f.after--
	return nil
}

func TestGenerateStopsOnWriterError(t *testing.T) {
	sentinel := errors.New("disk full")
	_, err := Generate(context.Background(), &failingWriter{after: 10, err: sentinel}, Options{Days: 1, RecordsPerDay: 2000})
	if !errors.Is(err, sentinel) {
		t.Errorf("Generate returned %v, want the writer's error", err)
	}
}

func TestGenerateStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, &discardWriter{}, Options{Days: 1, RecordsPerDay: 2000})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Generate returned %v, want context.Canceled", err)
	}
}

func TestGenerateToDirWritesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	truth, err := GenerateToDir(context.Background(), dir, Options{Days: 1, RecordsPerDay: 2000})
	if err != nil {
		t.Fatalf("GenerateToDir: %v", err)
	}
	for _, o := range truth.Objects {
		p := filepath.Join(dir, filepath.FromSlash(o.Key))
		info, err := os.Stat(p)
		if err != nil {
			t.Errorf("object %s: %v", o.Key, err)
			continue
		}
		if strings.HasSuffix(o.Key, "/") {
			if !info.IsDir() {
				t.Errorf("folder marker %s is not a folder", o.Key)
			}
		} else if info.Size() != o.Size {
			t.Errorf("file %s has %d bytes, truth %d", o.Key, info.Size(), o.Size)
		}
	}
}

func TestDirWriterRejectsEscapingKeys(t *testing.T) {
	w := NewDirWriter(t.TempDir())
	for _, key := range []string{"../outside.log.gz", "/abs/file", "a/../../b"} {
		if err := w.WriteObject(key, []byte("x")); err == nil {
			t.Errorf("WriteObject(%q) succeeded", key)
		}
	}
}

// BenchmarkGenerate measures generation and compression at gzip level 1,
// the setting for large benchmark archives. MB/s counts uncompressed text.
func BenchmarkGenerate(b *testing.B) {
	opt := Options{Days: 1, RecordsPerDay: 1_000_000, GzipLevel: 1}
	var records, raw int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		truth, err := Generate(context.Background(), &discardWriter{}, opt)
		if err != nil {
			b.Fatal(err)
		}
		records += truth.Records()
		raw += truth.UncompressedBytes
	}
	seconds := b.Elapsed().Seconds()
	b.ReportMetric(float64(records)/seconds, "records/s")
	b.ReportMetric(float64(raw)/seconds/1e6, "MB/s")
}
