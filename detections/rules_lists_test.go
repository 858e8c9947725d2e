package detections

import (
	"fmt"
	"testing"
	"time"
)

func TestThreatListMatchFires(t *testing.T) {
	flows := []flow{
		{src: "10.0.2.20", dst: "198.51.100.66", sport: 50001, dport: 443, proto: 6, packets: 10, bytes: 3000, at: time.Minute, dur: 20, direction: "egress"},
		{src: "10.0.2.20", dst: "198.51.100.66", sport: 50002, dport: 443, proto: 6, packets: 1, bytes: 60, at: 4 * time.Minute, dur: 1, action: "REJECT", direction: "egress"},
		{src: "10.0.2.20", dst: "198.51.100.67", sport: 50003, dport: 443, proto: 6, packets: 10, bytes: 3000, at: 5 * time.Minute, dur: 20, direction: "egress"},
	}
	cfg := Config{ThreatList: ThreatList{mustPrefix(t, "198.51.100.66/31")}}
	got := findings(t, "threat_list_match", flows, cfg)
	if len(got) != 2 {
		t.Fatalf("got %d findings, want 2", len(got))
	}
	f := got[0]
	if f.Entity != "10.0.2.20 -> 198.51.100.66" {
		t.Fatalf("entity = %q, want 10.0.2.20 -> 198.51.100.66", f.Entity)
	}
	if n := count(t, f, "accepted"); n != 1 {
		t.Errorf("accepted = %d, want 1", n)
	}
	if n := count(t, f, "rejected"); n != 1 {
		t.Errorf("rejected = %d, want 1", n)
	}
	if f.Details["listed_side"] != "destination" || f.Details["listed_network"] != "198.51.100.66/31" {
		t.Errorf("details = %v", f.Details)
	}
	expectSeen(t, f, testStart.Add(time.Minute), testStart.Add(4*time.Minute+time.Second))
}

func TestThreatListMatchIPv6Source(t *testing.T) {
	flows := []flow{{src: "2001:db8:bad::5", dst: "2600:1f18::10", sport: 50001, dport: 22, proto: 6, packets: 3, bytes: 180, dur: 1, action: "REJECT", direction: "ingress"}}
	cfg := Config{ThreatList: ThreatList{mustPrefix(t, "2001:db8:bad::/48")}}
	f := expectOne(t, findings(t, "threat_list_match", flows, cfg), "2001:db8:bad::5 -> 2600:1f18::10")
	if f.Details["listed_side"] != "source" {
		t.Errorf("listed_side = %q, want source", f.Details["listed_side"])
	}
}

// A record between two listed addresses counts once, on the source side.
func TestThreatListMatchBothSidesListed(t *testing.T) {
	flows := []flow{
		{src: "203.0.113.9", dst: "198.51.100.66", sport: 50001, dport: 443, proto: 6, packets: 10, bytes: 3000, at: time.Minute, dur: 20, direction: "ingress"},
		{src: "203.0.113.9", dst: "198.51.100.66", sport: 50002, dport: 443, proto: 6, packets: 2, bytes: 120, at: 2 * time.Minute, dur: 1, action: "REJECT", direction: "ingress"},
	}
	cfg := Config{ThreatList: ThreatList{mustPrefix(t, "198.51.100.66/32"), mustPrefix(t, "203.0.113.0/24")}}
	f := expectOne(t, findings(t, "threat_list_match", flows, cfg), "203.0.113.9 -> 198.51.100.66")
	if n := count(t, f, "records"); n != 2 {
		t.Errorf("records = %d, want 2", n)
	}
	if n := count(t, f, "bytes"); n != 3120 {
		t.Errorf("bytes = %d, want 3120", n)
	}
	if f.Details["listed_side"] != "source" || f.Details["listed_network"] != "203.0.113.0/24" {
		t.Errorf("details = %v, want the source side and 203.0.113.0/24", f.Details)
	}
}

// An address just outside the listed network and an empty threat list do
// not fire.
func TestThreatListMatchNearMisses(t *testing.T) {
	flows := []flow{{src: "10.0.2.20", dst: "198.51.100.68", sport: 50001, dport: 443, proto: 6, packets: 10, bytes: 3000, dur: 20, direction: "egress"}}
	data := dataset(t, flows)
	rules := []*Rule{builtinRule(t, "threat_list_match")}
	expectNone(t, runRules(t, data, rules, Config{ThreatList: ThreatList{mustPrefix(t, "198.51.100.66/31")}}).Findings)
	expectNone(t, runRules(t, data, rules, Config{}).Findings)
}

func TestSkipdataLostTelemetryFires(t *testing.T) {
	flows := []flow{
		{iface: "eni-0a1b2c3d4e5f60009", at: 5 * time.Minute, dur: 60, status: "SKIPDATA"},
		{iface: "eni-0a1b2c3d4e5f60009", at: 20 * time.Minute, dur: 60, status: "SKIPDATA"},
		{iface: "eni-0a1b2c3d4e5f60009", at: 30 * time.Minute, dur: 60, status: "NODATA"},
		// A NODATA record between the two is no evidence of lost telemetry.
		{iface: "eni-0a1b2c3d4e5f60009", at: 10 * time.Minute, dur: 60, status: "NODATA"},
	}
	f := expectOne(t, findings(t, "skipdata_lost_telemetry", flows, Config{}), "eni-0a1b2c3d4e5f60009")
	if n := count(t, f, "skipped_records"); n != 2 {
		t.Errorf("skipped_records = %d, want 2", n)
	}
	if f.InterfaceID != "eni-0a1b2c3d4e5f60009" {
		t.Errorf("interface_id = %q", f.InterfaceID)
	}
	if len(f.Evidence) != 2 {
		t.Errorf("evidence rows = %d, want 2", len(f.Evidence))
	}
	for _, e := range f.Evidence {
		if e["log_status"] != "SKIPDATA" {
			t.Errorf("evidence record %v is not SKIPDATA", e)
		}
	}
	expectSeen(t, f, testStart.Add(5*time.Minute), testStart.Add(21*time.Minute))
}

// NODATA records and traffic records do not fire.
func TestSkipdataLostTelemetryNoDataIgnored(t *testing.T) {
	flows := []flow{
		{iface: "eni-0a1b2c3d4e5f60009", at: 5 * time.Minute, dur: 60, status: "NODATA"},
		{iface: "eni-0a1b2c3d4e5f60009", src: "10.0.1.1", dst: "10.0.1.2", sport: 1, dport: 2, proto: 6, packets: 1, bytes: 40, dur: 1},
	}
	expectNone(t, findings(t, "skipdata_lost_telemetry", flows, Config{}))
}

// A list of thousands of networks of several prefix lengths finds the
// addresses inside them and no other.
func TestThreatListMatchLargeList(t *testing.T) {
	flows := []flow{
		{src: "10.0.2.20", dst: "198.51.100.77", sport: 50001, dport: 443, proto: 6, packets: 10, bytes: 3000, dur: 20, direction: "egress"},
		{src: "10.0.2.20", dst: "198.51.101.77", sport: 50002, dport: 443, proto: 6, packets: 10, bytes: 3000, dur: 20, direction: "egress"},
		{src: "2600:1f18::20", dst: "2001:db8:bad:1::5", sport: 50003, dport: 443, proto: 6, packets: 3, bytes: 180, dur: 1, direction: "egress"},
		{src: "2600:1f18::20", dst: "2001:db8:bad:2::5", sport: 50004, dport: 443, proto: 6, packets: 3, bytes: 180, dur: 1, direction: "egress"},
	}
	var list ThreatList
	for i := 0; i < 3000; i++ {
		list = append(list, mustPrefix(t, fmt.Sprintf("100.%d.%d.%d/32", 64+i/65536, i/256%256, i%256)))
		list = append(list, mustPrefix(t, fmt.Sprintf("203.0.%d.0/24", i%256)))
	}
	list = append(list, mustPrefix(t, "198.51.96.0/21"), mustPrefix(t, "2001:db8:bad:1::/64"))
	got := findings(t, "threat_list_match", flows, Config{ThreatList: list})
	entities := map[string]string{}
	for _, f := range got {
		entities[f.Entity] = f.Details["listed_network"]
	}
	want := map[string]string{
		"10.0.2.20 -> 198.51.100.77":         "198.51.96.0/21",
		"10.0.2.20 -> 198.51.101.77":         "198.51.96.0/21",
		"2600:1f18::20 -> 2001:db8:bad:1::5": "2001:db8:bad:1::/64",
	}
	if len(entities) != len(want) {
		t.Errorf("findings %v, want %v", entities, want)
	}
	for e, network := range want {
		if entities[e] != network {
			t.Errorf("%s: listed network %q, want %q", e, entities[e], network)
		}
	}
}

// The networks 0.0.0.0/0 and ::/0 hold every address.
func TestThreatListMatchWholeSpace(t *testing.T) {
	flows := []flow{
		{src: "10.0.2.20", dst: "198.51.100.77", sport: 50001, dport: 443, proto: 6, packets: 10, bytes: 3000, dur: 20, direction: "egress"},
		{src: "2600:1f18::20", dst: "2001:db8:bad:1::5", sport: 50003, dport: 443, proto: 6, packets: 3, bytes: 180, dur: 1, direction: "egress"},
	}
	got := findings(t, "threat_list_match", flows, Config{ThreatList: ThreatList{mustPrefix(t, "0.0.0.0/0"), mustPrefix(t, "::/0")}})
	if len(got) != 2 {
		t.Errorf("%d findings, want 2", len(got))
	}
	for _, f := range got {
		if f.Details["listed_side"] != "source" {
			t.Errorf("%s: listed_side %q, want source", f.Entity, f.Details["listed_side"])
		}
	}
}
