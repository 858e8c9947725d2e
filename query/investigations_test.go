package query

import (
	"fmt"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/sample"
)

// The investigations that AWS documents for Athena, as flowq SQL. docs/sql.md
// shows the same statements; each test below checks one against values
// computed in Go from the archive's gzip text or from the generator's Truth.

func TestDatasetMatchesTruth(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	for table, want := range d.truth.Tables {
		if got := queryInt(t, e, "SELECT count(*) FROM "+table); got != want.Records {
			t.Errorf("%s rows = %d, want %d", table, got, want.Records)
		}
		if got := queryInt(t, e, "SELECT coalesce(sum(bytes), 0) FROM "+table); got != want.Bytes {
			t.Errorf("%s bytes = %d, want %d", table, got, want.Bytes)
		}
	}
	if got, want := int64(len(d.records)), d.truth.Tables["flows"].Records; got != want {
		t.Fatalf("records read from the archive = %d, want %d", got, want)
	}
}

func TestInvestigationRowsOfOneDay(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	for day, want := range d.truth.Tables["flows"].Days {
		got := queryInt(t, e, `SELECT count(*) FROM flows WHERE date = CAST(? AS DATE)`, day)
		if got != want {
			t.Errorf("rows of %s = %d, want %d", day, got, want)
		}
	}
}

func TestInvestigationRejectedTCPByDayAndENI(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	want := map[string]int64{}
	for _, r := range d.records {
		if r.str("action") == "REJECT" && r.str("protocol") == "6" {
			want[r.day()+" "+r.str("interface-id")]++
		}
	}
	rows := queryRows(t, e, `
		SELECT date, interface_id, count(*) AS rejected
		FROM flows
		WHERE action = 'REJECT' AND protocol = 6
		GROUP BY date, interface_id
		ORDER BY rejected DESC`)
	if len(rows) != len(want) {
		t.Errorf("groups = %d, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		key := row["date"].(time.Time).Format("2006-01-02") + " " + row["interface_id"].(string)
		if got := toInt(t, row["rejected"]); got != want[key] {
			t.Errorf("rejected TCP of %s = %d, want %d", key, got, want[key])
		}
	}
	// The SSH brute force and the port scan are the largest groups.
	if top := rows[0]["interface_id"]; top != d.truth.Incident(sample.IncidentPortScan).InterfaceID &&
		top != d.truth.Incident(sample.IncidentSSHBruteForce).InterfaceID {
		t.Errorf("top ENI = %v, want the port scan's or the brute force's target", top)
	}
}

// topN returns the n keys with the largest sums, largest first, ties by key.
func topN(sums map[string]int64, n int) []string {
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if sums[keys[i]] != sums[keys[j]] {
			return sums[keys[i]] > sums[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// checkTop compares a top-n query, ordered by value and then key, with sums
// computed in Go.
func checkTop(t *testing.T, e *Engine, sql, keyCol, valueCol string, sums map[string]int64, n int) []map[string]any {
	t.Helper()
	rows := queryRows(t, e, sql)
	want := topN(sums, n)
	if len(rows) != len(want) {
		t.Fatalf("%s: %d rows, want %d", sql, len(rows), len(want))
	}
	for i, row := range rows {
		key := fmt.Sprint(row[keyCol])
		if key != want[i] || toInt(t, row[valueCol]) != sums[want[i]] {
			t.Errorf("row %d = %s %d, want %s %d", i+1, key, toInt(t, row[valueCol]), want[i], sums[want[i]])
		}
	}
	return rows
}

func TestInvestigationBusiestHTTPSServers(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	sums := map[string]int64{}
	for _, r := range d.records {
		if r.str("dstport") == "443" {
			sums[r.str("dstaddr")] += r.int("packets")
		}
	}
	rows := checkTop(t, e, `
		SELECT dstaddr, sum(packets) AS packets
		FROM flows
		WHERE dstport = 443
		GROUP BY dstaddr
		ORDER BY packets DESC, dstaddr
		LIMIT 10`, "dstaddr", "packets", sums, 10)
	// The DoS floods UDP 443 of the public API with millions of packets.
	if rows[0]["dstaddr"] != d.truth.Incident(sample.IncidentDoS).DstAddr {
		t.Errorf("busiest HTTPS server = %v, want the DoS target", rows[0]["dstaddr"])
	}
}

func TestInvestigationRecordsOfOneSourceInRange(t *testing.T) {
	d := loadDemo(t)
	inc := d.truth.Incident(sample.IncidentSSHBruteForce)
	e := openEngine(t, Options{Data: d.data, Since: inc.Start, Until: inc.End})
	var want, packets int64
	for _, r := range d.records {
		if r.str("srcaddr") == inc.SrcAddrs[0] && r.int("start") <= inc.End.Unix() && r.int("end") >= inc.Start.Unix() {
			want++
			packets += r.int("packets")
		}
	}
	if want != inc.Records {
		t.Fatalf("archive records of %s = %d, truth says %d", inc.SrcAddrs[0], want, inc.Records)
	}
	rows := queryRows(t, e, `
		SELECT count(*) AS records, sum(packets) AS packets, min(start_time) AS first, max(end_time) AS last
		FROM flows
		WHERE srcaddr = ?`, inc.SrcAddrs[0])
	if got := toInt(t, rows[0]["records"]); got != want {
		t.Errorf("records = %d, want %d", got, want)
	}
	if got := toInt(t, rows[0]["packets"]); got != packets {
		t.Errorf("packets = %d, want %d", got, packets)
	}
	if got := rows[0]["first"].(time.Time); !got.Equal(inc.Start) {
		t.Errorf("first = %s, want %s", got, inc.Start)
	}
	if got := rows[0]["last"].(time.Time); !got.Equal(inc.End) {
		t.Errorf("last = %s, want %s", got, inc.End)
	}
}

func TestInvestigationRecordsOfOneDestinationInRange(t *testing.T) {
	d := loadDemo(t)
	inc := d.truth.Incident(sample.IncidentPortScan)
	e := openEngine(t, Options{Data: d.data, Since: inc.Start, Until: inc.End})
	want := map[string]int64{}
	for _, r := range d.records {
		if r.str("dstaddr") == inc.DstAddr && r.int("start") <= inc.End.Unix() && r.int("end") >= inc.Start.Unix() {
			want[r.str("srcaddr")+" "+r.str("action")]++
		}
	}
	rows := queryRows(t, e, `
		SELECT srcaddr, action, count(*) AS records
		FROM flows
		WHERE dstaddr = ?
		GROUP BY srcaddr, action`, inc.DstAddr)
	if len(rows) != len(want) {
		t.Errorf("groups = %d, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		key := fmt.Sprint(row["srcaddr"], " ", row["action"])
		if got := toInt(t, row["records"]); got != want[key] {
			t.Errorf("records of %s = %d, want %d", key, got, want[key])
		}
	}
	scanner := inc.SrcAddrs[0]
	if got := want[scanner+" REJECT"] + want[scanner+" ACCEPT"]; got != inc.Records {
		t.Errorf("scanner records in the range = %d, want %d", got, inc.Records)
	}
}

func TestInvestigationSourcesInsideCIDR(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	prefix := netip.MustParsePrefix("198.19.66.0/24")
	want := map[string]int64{}
	for _, r := range d.records {
		if a, err := netip.ParseAddr(r.str("srcaddr")); err == nil && prefix.Contains(a) {
			want[r.str("srcaddr")] += r.int("packets")
		}
	}
	rows := queryRows(t, e, `
		SELECT srcaddr, sum(packets) AS packets
		FROM flows
		WHERE in_cidr(srcaddr, '198.19.66.0/24')
		GROUP BY srcaddr`)
	if len(rows) != len(want) || len(rows) != d.truth.Incident(sample.IncidentDoS).DistinctSrcAddrs {
		t.Errorf("sources = %d, want %d (Go) and %d (truth)", len(rows), len(want), d.truth.Incident(sample.IncidentDoS).DistinctSrcAddrs)
	}
	for _, row := range rows {
		if got := toInt(t, row["packets"]); got != want[row["srcaddr"].(string)] {
			t.Errorf("packets of %s = %d, want %d", row["srcaddr"], got, want[row["srcaddr"].(string)])
		}
	}
}

func TestInvestigationAcceptedTCP(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	var want, bytes int64
	for _, r := range d.records {
		if r.str("action") == "ACCEPT" && r.str("protocol") == "6" {
			want++
			bytes += r.int("bytes")
		}
	}
	rows := queryRows(t, e, `
		SELECT count(*) AS records, sum(bytes) AS bytes
		FROM flows
		WHERE action = 'ACCEPT' AND protocol = 6`)
	if got := toInt(t, rows[0]["records"]); got != want {
		t.Errorf("accepted TCP records = %d, want %d", got, want)
	}
	if got := toInt(t, rows[0]["bytes"]); got != bytes {
		t.Errorf("accepted TCP bytes = %d, want %d", got, bytes)
	}
}

func TestInvestigationTopTalkers(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	for _, c := range []struct{ column, field string }{
		{"srcaddr", "srcaddr"}, {"pkt_srcaddr", "pkt-srcaddr"}, {"instance_id", "instance-id"}, {"subnet_id", "subnet-id"},
	} {
		t.Run(c.column, func(t *testing.T) {
			sums := map[string]int64{}
			for _, r := range d.records {
				if r.has(c.field) && r.has("bytes") {
					sums[r.str(c.field)] += r.int("bytes")
				}
			}
			rows := checkTop(t, e, fmt.Sprintf(`
				SELECT %[1]s, sum(bytes) AS bytes
				FROM flows
				WHERE %[1]s IS NOT NULL AND bytes IS NOT NULL
				GROUP BY %[1]s
				ORDER BY bytes DESC, %[1]s
				LIMIT 10`, c.column), c.column, "bytes", sums, 10)
			if c.column == "srcaddr" && rows[0]["srcaddr"] != "10.0.3.30" {
				t.Errorf("top talker = %v, want the exfiltrating ETL instance 10.0.3.30", rows[0]["srcaddr"])
			}
		})
	}
}

func TestInvestigationAdminPorts(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	want := map[string]int64{}
	for _, r := range d.records {
		if (r.str("dstport") == "22" || r.str("dstport") == "3389") && !goIsPrivate(r.str("srcaddr")) {
			want[r.str("srcaddr")+" "+r.str("dstport")+" "+r.str("action")]++
		}
	}
	rows := queryRows(t, e, `
		SELECT srcaddr, dstport, action, count(*) AS records
		FROM flows
		WHERE dstport IN (22, 3389) AND NOT src_private
		GROUP BY srcaddr, dstport, action
		ORDER BY records DESC`)
	if len(rows) != len(want) {
		t.Errorf("groups = %d, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		key := fmt.Sprint(row["srcaddr"], " ", row["dstport"], " ", row["action"])
		if got := toInt(t, row["records"]); got != want[key] {
			t.Errorf("records of %s = %d, want %d", key, got, want[key])
		}
	}
	inc := d.truth.Incident(sample.IncidentSSHBruteForce)
	if got := want["203.0.113.66 22 ACCEPT"]; got != inc.Accepted {
		t.Errorf("accepted brute-force records = %d, want %d", got, inc.Accepted)
	}
	if got := want["203.0.113.66 22 REJECT"]; got != inc.Rejected {
		t.Errorf("rejected brute-force records = %d, want %d", got, inc.Rejected)
	}
}

func TestInvestigationIPv4VersusIPv6Bytes(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	want := map[string]int64{}
	for _, r := range d.records {
		if !r.has("srcaddr") {
			continue
		}
		family := "IPv4"
		if a, _ := netip.ParseAddr(r.str("srcaddr")); a.Is6() {
			family = "IPv6"
		}
		want[family] += r.int("bytes")
	}
	if want["IPv6"] == 0 {
		t.Fatal("the archive has no IPv6 traffic to compare")
	}
	rows := queryRows(t, e, `
		SELECT CASE WHEN contains(srcaddr, ':') THEN 'IPv6' ELSE 'IPv4' END AS family,
		       sum(bytes) AS bytes
		FROM flows
		WHERE srcaddr IS NOT NULL
		GROUP BY family`)
	for _, row := range rows {
		if got := toInt(t, row["bytes"]); got != want[row["family"].(string)] {
			t.Errorf("%s bytes = %d, want %d", row["family"], got, want[row["family"].(string)])
		}
	}
}

func TestInvestigationSSHAndRDPTraffic(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	want := map[string][2]int64{}
	for _, r := range d.records {
		port := r.str("dstport")
		if r.str("protocol") == "6" && (port == "22" || port == "3389") {
			svc := map[string]string{"22": "ssh", "3389": "rdp"}[port]
			key := svc + " " + r.str("action")
			v := want[key]
			want[key] = [2]int64{v[0] + 1, v[1] + r.int("bytes")}
		}
	}
	rows := queryRows(t, e, `
		SELECT service_port(dstport) AS service, action, count(*) AS records, sum(bytes) AS bytes
		FROM flows
		WHERE protocol = 6 AND dstport IN (22, 3389)
		GROUP BY ALL`)
	if len(rows) != len(want) {
		t.Errorf("groups = %d, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		key := fmt.Sprint(row["service"], " ", row["action"])
		if got := [2]int64{toInt(t, row["records"]), toInt(t, row["bytes"])}; got != want[key] {
			t.Errorf("%s records, bytes = %v, want %v", key, got, want[key])
		}
	}
}

func TestInvestigationBytesBetweenPairs(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	sums := map[string]int64{}
	for _, r := range d.records {
		if r.has("bytes") {
			sums[r.str("srcaddr")+" -> "+r.str("dstaddr")] += r.int("bytes")
		}
	}
	rows := checkTop(t, e, `
		SELECT srcaddr || ' -> ' || dstaddr AS pair, sum(bytes) AS bytes
		FROM flows
		WHERE bytes IS NOT NULL
		GROUP BY srcaddr, dstaddr
		ORDER BY bytes DESC, pair
		LIMIT 10`, "pair", "bytes", sums, 10)
	inc := d.truth.Incident(sample.IncidentExfiltration)
	if rows[0]["pair"] != "10.0.3.30 -> 198.51.100.200" || toInt(t, rows[0]["bytes"]) < inc.Bytes {
		t.Errorf("top pair = %v %v, want the exfiltration with at least %d bytes", rows[0]["pair"], rows[0]["bytes"], inc.Bytes)
	}
}

func TestInvestigationFirstAndLastSeen(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	inc := d.truth.Incident(sample.IncidentPortScan)
	rows := queryRows(t, e, `
		SELECT srcaddr, min(start_time) AS first_seen, max(end_time) AS last_seen,
		       count(DISTINCT dstaddr) AS destinations, count(DISTINCT dstport) AS ports
		FROM flows
		WHERE srcaddr = ?
		GROUP BY srcaddr`, inc.SrcAddrs[0])
	if len(rows) != 1 {
		t.Fatalf("rows = %d, want 1", len(rows))
	}
	row := rows[0]
	if got := row["first_seen"].(time.Time); !got.Equal(inc.Start) {
		t.Errorf("first seen = %s, want %s", got, inc.Start)
	}
	if got := row["last_seen"].(time.Time); !got.Equal(inc.End) {
		t.Errorf("last seen = %s, want %s", got, inc.End)
	}
	if got := toInt(t, row["destinations"]); got != 1 {
		t.Errorf("destinations = %d, want 1", got)
	}
	if got := toInt(t, row["ports"]); got != int64(inc.DistinctDstPorts) {
		t.Errorf("ports = %d, want %d", got, inc.DistinctDstPorts)
	}
}

func TestInvestigationDailyTopInternalSenders(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	perDay := map[string]map[string]int64{}
	for _, r := range d.records {
		if r.has("bytes") && goIsPrivate(r.str("srcaddr")) {
			if perDay[r.day()] == nil {
				perDay[r.day()] = map[string]int64{}
			}
			perDay[r.day()][r.str("srcaddr")] += r.int("bytes")
		}
	}
	rows := queryRows(t, e, `
		SELECT date, srcaddr, sum(bytes) AS bytes
		FROM flows
		WHERE src_private AND bytes IS NOT NULL
		GROUP BY date, srcaddr
		QUALIFY row_number() OVER (PARTITION BY date ORDER BY sum(bytes) DESC, srcaddr) = 1
		ORDER BY date`)
	if len(rows) != len(perDay) {
		t.Fatalf("days = %d, want %d", len(rows), len(perDay))
	}
	for _, row := range rows {
		day := row["date"].(time.Time).Format("2006-01-02")
		top := topN(perDay[day], 1)[0]
		if row["srcaddr"] != top || toInt(t, row["bytes"]) != perDay[day][top] {
			t.Errorf("%s top sender = %v %v, want %s %d", day, row["srcaddr"], row["bytes"], top, perDay[day][top])
		}
	}
	exfilDay := d.truth.Incident(sample.IncidentExfiltration).Start.Format("2006-01-02")
	if topN(perDay[exfilDay], 1)[0] != "10.0.3.30" {
		t.Errorf("top sender of %s = %s, want 10.0.3.30", exfilDay, topN(perDay[exfilDay], 1)[0])
	}
}

func TestInvestigationPrivateToPublic(t *testing.T) {
	d := loadDemo(t)
	e := openEngine(t, Options{Data: d.data})
	sums := map[string]int64{}
	for _, r := range d.records {
		if r.str("log-status") == "OK" && r.has("bytes") && goIsPrivate(r.str("srcaddr")) && !goIsPrivate(r.str("dstaddr")) {
			sums[r.str("dstaddr")] += r.int("bytes")
		}
	}
	rows := checkTop(t, e, `
		SELECT dstaddr, sum(bytes) AS bytes
		FROM flows
		WHERE log_status = 'OK' AND src_private AND NOT dst_private
		GROUP BY dstaddr
		ORDER BY bytes DESC, dstaddr
		LIMIT 20`, "dstaddr", "bytes", sums, 20)
	if rows[0]["dstaddr"] != "198.51.100.200" {
		t.Errorf("top external destination = %v, want the exfiltration's 198.51.100.200", rows[0]["dstaddr"])
	}
}

func TestInvestigationDoSTarget(t *testing.T) {
	d := loadDemo(t)
	inc := d.truth.Incident(sample.IncidentDoS)
	e := openEngine(t, Options{Data: d.data, Since: inc.Start, Until: inc.End})
	rows := queryRows(t, e, `
		SELECT count(DISTINCT srcaddr) AS sources, sum(packets) AS packets
		FROM flows
		WHERE dstaddr = ? AND protocol = 17 AND dstport = 443 AND in_cidr(srcaddr, '198.19.66.0/24')`, inc.DstAddr)
	if got := toInt(t, rows[0]["sources"]); got != int64(inc.DistinctSrcAddrs) {
		t.Errorf("sources = %d, want %d", got, inc.DistinctSrcAddrs)
	}
	if got := toInt(t, rows[0]["packets"]); got != inc.Packets {
		t.Errorf("packets = %d, want %d", got, inc.Packets)
	}
}
