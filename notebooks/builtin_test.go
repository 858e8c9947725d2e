package notebooks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/sample"
)

func TestBuiltinNotebooksParse(t *testing.T) {
	names := BuiltinNames()
	if len(names) == 0 {
		t.Fatal("no built-in notebooks")
	}
	for _, name := range names {
		nb, err := Builtin(name)
		if err != nil {
			t.Errorf("built-in %s: %v", name, err)
			continue
		}
		if nb.Title == "" || nb.Description == "" {
			t.Errorf("built-in %s lacks a title or description", name)
		}
		if len(nb.Cells()) == 0 {
			t.Errorf("built-in %s has no cells", name)
		}
		for _, c := range nb.Cells() {
			if c.Name == "" {
				t.Errorf("built-in %s: cell on line %d has no name", name, c.Line)
			}
		}
	}
}

// runBuiltin runs a built-in notebook over [since, until) and fails the
// test when a cell fails.
func runBuiltin(t *testing.T, name string, since, until time.Time, params map[string]string) *Result {
	t.Helper()
	nb, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), openEngine(t, since, until), nb, RunOptions{Params: params})
	if err != nil && res != nil {
		for _, cr := range res.Failed() {
			t.Errorf("cell %s failed: %v", cr.Cell.Table(), cr.Err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var (
	nov1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	nov2 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	nov3 = time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	nov4 = time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)
)

func TestBuiltinExfiltration(t *testing.T) {
	exfil := loadDemo(t).truth.Incident(sample.IncidentExfiltration)
	res := runBuiltin(t, "exfiltration", nov1, nov3, nil)

	top := cellRows(t, res, "by_destination")[0]
	if top["dstaddr"] != exfil.DstAddr || toInt64(t, top["bytes"]) != exfil.Bytes {
		t.Errorf("top destination = %v with %v bytes, want %s with %d", top["dstaddr"], top["bytes"], exfil.DstAddr, exfil.Bytes)
	}
	src := cellRows(t, res, "by_source")[0]
	if src["srcaddr"] != exfil.SrcAddrs[0] || src["interface_id"] != exfil.InterfaceID {
		t.Errorf("top source = %v on %v, want %s on %s", src["srcaddr"], src["interface_id"], exfil.SrcAddrs[0], exfil.InterfaceID)
	}
	if toInt64(t, src["bytes"]) < exfil.Bytes {
		t.Errorf("top source bytes = %v, want at least %d", src["bytes"], exfil.Bytes)
	}
	port := cellRows(t, res, "by_port")[0]
	if port["service"] != "https/TCP" || toInt64(t, port["bytes"]) < exfil.Bytes {
		t.Errorf("top port = %v with %v bytes, want https/TCP with at least %d", port["service"], port["bytes"], exfil.Bytes)
	}
	// The range is 1 and 2 November, so the recent 24 hours are 2 November,
	// the day of the exfiltration.
	newDst := cellRows(t, res, "new_destinations")
	if len(newDst) == 0 || newDst[0]["dstaddr"] != exfil.DstAddr || toInt64(t, newDst[0]["bytes"]) != exfil.Bytes {
		t.Errorf("new destinations = %v, want %s first with %d bytes", newDst, exfil.DstAddr, exfil.Bytes)
	}
	peak := cellRows(t, res, "peak_hours")
	wantHour := exfil.Start.Truncate(time.Hour)
	if got, ok := peak[0]["hour"].(time.Time); !ok || !got.Equal(wantHour) {
		t.Errorf("peak hour = %v, want %v", peak[0]["hour"], wantHour)
	}
	var hourlyTotal int64
	for _, row := range cellRows(t, res, "hourly") {
		h := row["hour"].(time.Time)
		if !h.Before(exfil.Start.Truncate(time.Hour)) && h.Before(exfil.End) {
			hourlyTotal += toInt64(t, row["bytes"])
		}
	}
	if hourlyTotal < exfil.Bytes {
		t.Errorf("hourly bytes over the exfiltration hours = %d, want at least %d", hourlyTotal, exfil.Bytes)
	}
}

func TestBuiltinHost(t *testing.T) {
	exfil := loadDemo(t).truth.Incident(sample.IncidentExfiltration)
	ip := exfil.SrcAddrs[0]
	res := runBuiltin(t, "host", nov1, nov4, map[string]string{"ip": ip})

	peers := cellRows(t, res, "peers")
	top := peers[0]
	if top["peer"] != exfil.DstAddr || top["scope"] != "public" {
		t.Errorf("top peer = %v (%v), want public %s", top["peer"], top["scope"], exfil.DstAddr)
	}
	if got := toInt64(t, top["bytes_sent"]); got != exfil.Bytes {
		t.Errorf("bytes sent to the top peer = %d, want %d", got, exfil.Bytes)
	}
	if got := toInt64(t, top["bytes_received"]); got != exfil.ReplyBytes {
		t.Errorf("bytes received from the top peer = %d, want %d", got, exfil.ReplyBytes)
	}
	if got := toInt64(t, top["records"]); got != exfil.Records+exfil.ReplyRecords {
		t.Errorf("records with the top peer = %d, want %d", got, exfil.Records+exfil.ReplyRecords)
	}
	first, last := top["first_seen"].(time.Time), top["last_seen"].(time.Time)
	if !first.Equal(exfil.Start) || !last.Equal(exfil.End) {
		t.Errorf("top peer seen %v to %v, want %v to %v", first, last, exfil.Start, exfil.End)
	}

	summary := cellRows(t, res, "summary")[0]
	if !strings.Contains(summary["interfaces"].(string), exfil.InterfaceID) {
		t.Errorf("interfaces = %v, want %s among them", summary["interfaces"], exfil.InterfaceID)
	}
	if toInt64(t, summary["bytes_sent"]) < exfil.Bytes {
		t.Errorf("bytes sent = %v, want at least %d", summary["bytes_sent"], exfil.Bytes)
	}
	ports := cellRows(t, res, "ports")
	found := false
	for _, row := range ports {
		if row["port"] == "out https/TCP" && row["action"] == "ACCEPT" && toInt64(t, row["bytes"]) >= exfil.Bytes {
			found = true
		}
	}
	if !found {
		t.Errorf("ports lack outbound https/TCP with at least %d bytes: %v", exfil.Bytes, ports)
	}
	if len(cellRows(t, res, "hourly")) == 0 {
		t.Error("hourly has no rows")
	}
}

func TestBuiltinRejected(t *testing.T) {
	truth := loadDemo(t).truth
	scan := truth.Incident(sample.IncidentPortScan)
	brute := truth.Incident(sample.IncidentSSHBruteForce)
	res := runBuiltin(t, "rejected", nov1, nov4, nil)

	sources := cellRows(t, res, "by_source")
	if sources[0]["srcaddr"] != scan.SrcAddrs[0] || sources[1]["srcaddr"] != brute.SrcAddrs[0] {
		t.Errorf("top sources = %v, %v; want %s, %s", sources[0]["srcaddr"], sources[1]["srcaddr"], scan.SrcAddrs[0], brute.SrcAddrs[0])
	}
	if got := toInt64(t, sources[1]["records"]); got != brute.Rejected {
		t.Errorf("brute force rejected records = %d, want %d", got, brute.Rejected)
	}
	if got := toInt64(t, sources[0]["ports"]); got != int64(scan.DistinctDstPorts-1) {
		t.Errorf("port scan rejected ports = %d, want %d (every port but the accepted one)", got, scan.DistinctDstPorts-1)
	}
	if got := toInt64(t, sources[0]["records"]); got < scan.Rejected {
		t.Errorf("port scan rejected records = %d, want at least %d", got, scan.Rejected)
	}

	var ssh map[string]any
	for _, row := range cellRows(t, res, "by_port") {
		if row["port"] == "ssh/TCP" {
			ssh = row
		}
	}
	if ssh == nil || toInt64(t, ssh["records"]) < brute.Rejected {
		t.Errorf("ssh/TCP row = %v, want at least %d records", ssh, brute.Rejected)
	}

	ifaces := cellRows(t, res, "by_interface")
	if top := ifaces[0]["interface_id"]; top != scan.InterfaceID && top != brute.InterfaceID {
		t.Errorf("top interface = %v, want the port scan's or the brute force's", top)
	}

	spikes := cellRows(t, res, "spikes")
	want := map[string]time.Time{scan.SrcAddrs[0]: scan.Start.Truncate(time.Hour), brute.SrcAddrs[0]: brute.Start.Truncate(time.Hour)}
	for src, hour := range want {
		found := false
		for _, row := range spikes {
			if row["top_source"] == src && row["hour"].(time.Time).Equal(hour) {
				found = true
			}
		}
		if !found {
			t.Errorf("spikes lack %s at %v: %v", src, hour, spikes)
		}
	}
}

func TestBuiltinExposure(t *testing.T) {
	truth := loadDemo(t).truth
	brute := truth.Incident(sample.IncidentSSHBruteForce)
	dos := truth.Incident(sample.IncidentDoS)
	res := runBuiltin(t, "exposure", nov1, nov4, nil)

	var bruteRow map[string]any
	for _, row := range cellRows(t, res, "admin_ports") {
		if row["srcaddr"] == brute.SrcAddrs[0] && row["target"] == brute.DstAddr {
			bruteRow = row
		}
	}
	if bruteRow == nil {
		t.Fatalf("admin_ports lacks %s to %s", brute.SrcAddrs[0], brute.DstAddr)
	}
	if bruteRow["port"] != "ssh/TCP" || toInt64(t, bruteRow["records"]) != brute.Accepted {
		t.Errorf("brute force row = %v, want ssh/TCP with %d accepted records", bruteRow, brute.Accepted)
	}

	var dosRow map[string]any
	for _, row := range cellRows(t, res, "targets") {
		if row["target"] == dos.DstAddr && row["port"] == "https/UDP" {
			dosRow = row
		}
	}
	if dosRow == nil || toInt64(t, dosRow["sources"]) < int64(dos.DistinctSrcAddrs) {
		t.Errorf("targets row of the DoS = %v, want at least %d sources", dosRow, dos.DistinctSrcAddrs)
	}
	if len(cellRows(t, res, "by_port")) == 0 || len(cellRows(t, res, "top_sources")) == 0 {
		t.Error("by_port or top_sources has no rows")
	}
}

func TestBuiltinAthena(t *testing.T) {
	truth := loadDemo(t).truth
	brute := truth.Incident(sample.IncidentSSHBruteForce)
	scan := truth.Incident(sample.IncidentPortScan)
	dos := truth.Incident(sample.IncidentDoS)
	exfil := truth.Incident(sample.IncidentExfiltration)
	res := runBuiltin(t, "athena", time.Time{}, time.Time{}, nil)

	days := cellRows(t, res, "rows_per_day")
	if len(days) != len(truth.Tables["flows"].Days) {
		t.Errorf("days = %d, want %d", len(days), len(truth.Tables["flows"].Days))
	}
	for _, row := range days {
		if want := truth.Tables["flows"].Days[row["day"].(string)]; toInt64(t, row["records"]) != want {
			t.Errorf("records of %v = %v, want %d", row["day"], row["records"], want)
		}
	}
	if got := res.Cell("source_records").RowCount; got != brute.Records {
		t.Errorf("records of %s = %d, want %d", brute.SrcAddrs[0], got, brute.Records)
	}
	if got := len(cellRows(t, res, "sources_in_cidr")); got != dos.DistinctSrcAddrs {
		t.Errorf("sources in the CIDR = %d, want %d", got, dos.DistinctSrcAddrs)
	}
	if got := res.Cell("destination_records").RowCount; got < scan.Records {
		t.Errorf("records to %s = %d, want at least the port scan's %d", scan.DstAddr, got, scan.Records)
	}
	seen := cellRows(t, res, "first_last_seen_of_source")[0]
	if toInt64(t, seen["destinations"]) != 1 || toInt64(t, seen["ports"]) != int64(brute.DistinctDstPorts) {
		t.Errorf("brute force reached %v destinations and %v ports, want 1 and %d", seen["destinations"], seen["ports"], brute.DistinctDstPorts)
	}
	if !seen["first_seen"].(time.Time).Equal(brute.Start) || !seen["last_seen"].(time.Time).Equal(brute.End) {
		t.Errorf("brute force seen %v to %v, want %v to %v", seen["first_seen"], seen["last_seen"], brute.Start, brute.End)
	}
	var familyBytes int64
	for _, row := range cellRows(t, res, "ipv4_vs_ipv6") {
		familyBytes += toInt64(t, row["bytes"])
	}
	if familyBytes != truth.Tables["flows"].Bytes {
		t.Errorf("IPv4 plus IPv6 bytes = %d, want %d", familyBytes, truth.Tables["flows"].Bytes)
	}
	if top := cellRows(t, res, "private_to_public")[0]; top["dstaddr"] != exfil.DstAddr || toInt64(t, top["bytes"]) != exfil.Bytes {
		t.Errorf("top private-to-public destination = %v with %v, want %s with %d", top["dstaddr"], top["bytes"], exfil.DstAddr, exfil.Bytes)
	}
	for _, row := range cellRows(t, res, "daily_top_internal_senders") {
		if row["date"].(time.Time).Equal(nov2) && row["srcaddr"] != exfil.SrcAddrs[0] {
			t.Errorf("top internal sender of 2 November = %v, want %s", row["srcaddr"], exfil.SrcAddrs[0])
		}
	}
	var sshRejected int64
	for _, row := range cellRows(t, res, "ssh_and_rdp") {
		if row["service"] == "ssh" && row["action"] == "REJECT" {
			sshRejected = toInt64(t, row["records"])
		}
	}
	if sshRejected < brute.Rejected {
		t.Errorf("rejected SSH records = %d, want at least %d", sshRejected, brute.Rejected)
	}
	for _, name := range []string{"rejected_tcp_by_day_and_eni", "busiest_https_servers", "accepted_tcp", "top_talkers_by_address",
		"top_talkers_by_packet_address", "top_talkers_by_instance", "top_talkers_by_subnet", "admin_ports_from_internet", "bytes_between_pairs"} {
		if len(cellRows(t, res, name)) == 0 {
			t.Errorf("cell %s has no rows", name)
		}
	}
}
