package detections

import (
	"testing"
	"time"
)

func TestInboundAdminDBPortsFires(t *testing.T) {
	flows := []flow{
		{src: "198.51.100.20", dst: "10.0.4.40", sport: 50001, dport: 3306, proto: 6, packets: 12, bytes: 2400, at: time.Minute, dur: 30, direction: "ingress"},
		{src: "198.51.100.21", dst: "10.0.4.40", sport: 50002, dport: 3306, proto: 6, packets: 8, bytes: 900, at: 5 * time.Minute, dur: 20, direction: "ingress"},
		{src: "198.51.100.20", dst: "10.0.4.40", sport: 50003, dport: 3306, proto: 6, packets: 5, bytes: 500, at: 10 * time.Minute, dur: 10, direction: "ingress"},
	}
	f := expectOne(t, findings(t, "inbound_admin_db_ports", flows, Config{}), "10.0.4.40:3306")
	if n := count(t, f, "distinct_sources"); n != 2 {
		t.Errorf("distinct_sources = %d, want 2", n)
	}
	if n := count(t, f, "records"); n != 3 {
		t.Errorf("records = %d, want 3", n)
	}
	expectSeen(t, f, testStart.Add(time.Minute), testStart.Add(10*time.Minute+10*time.Second))
	if f.DstAddr != "10.0.4.40" || f.DstPort == nil || *f.DstPort != 3306 {
		t.Errorf("endpoints = %s %v", f.DstAddr, f.DstPort)
	}
}

// Rejected records, private sources and ports outside the list do not fire.
func TestInboundAdminDBPortsNearMisses(t *testing.T) {
	flows := []flow{
		{src: "198.51.100.20", dst: "10.0.4.40", sport: 50001, dport: 22, proto: 6, packets: 1, bytes: 60, dur: 1, action: "REJECT", direction: "ingress"},
		{src: "10.0.9.9", dst: "10.0.4.40", sport: 50002, dport: 5432, proto: 6, packets: 30, bytes: 9000, dur: 10, direction: "ingress"},
		{src: "198.51.100.20", dst: "10.0.4.40", sport: 50003, dport: 443, proto: 6, packets: 30, bytes: 9000, dur: 10, direction: "ingress"},
	}
	expectNone(t, findings(t, "inbound_admin_db_ports", flows, Config{}))
}

func TestInboundAdminDBPortsAllowlistedPort(t *testing.T) {
	flows := []flow{{src: "198.51.100.20", dst: "10.0.4.40", sport: 50001, dport: 22, proto: 6, packets: 12, bytes: 2400, dur: 30, direction: "ingress"}}
	allow := &Allowlist{Rules: map[string]AllowEntry{"inbound_admin_db_ports": {Ports: []int{22}}}}
	res := runRules(t, dataset(t, flows), []*Rule{builtinRule(t, "inbound_admin_db_ports")}, Config{Allowlist: allow})
	expectNone(t, res.Findings)
	if res.Suppressed != 1 {
		t.Errorf("suppressed = %d, want 1", res.Suppressed)
	}
}

// Replies of internet servers to a host's ephemeral port 5432 or 5900 are
// not connections to PostgreSQL or VNC; a client connecting to 5432 from
// port 443 is not ruled out by its source port alone, only by its flags.
func TestInboundAdminDBPortsRepliesIgnored(t *testing.T) {
	flows := []flow{
		{src: "198.51.100.20", dst: "10.0.4.40", sport: 443, dport: 5432, proto: 6, packets: 9, bytes: 9044, dur: 10, direction: "ingress"},
		{src: "198.51.100.21", dst: "10.0.4.40", sport: 8443, dport: 5900, proto: 6, packets: 6, bytes: 4783, dur: 10, direction: "ingress", flags: 18},
	}
	expectNone(t, findings(t, "inbound_admin_db_ports", flows, Config{}))

	flows = append(flows, flow{src: "198.51.100.22", dst: "10.0.4.40", sport: 50004, dport: 5900, proto: 6, packets: 6, bytes: 800, dur: 10, direction: "ingress", flags: 2})
	expectOne(t, findings(t, "inbound_admin_db_ports", flows, Config{}), "10.0.4.40:5900")
}

// The evidence shows the accepted inbound records that the rule counted,
// not the rejected attempts of other scanners on the same port.
func TestInboundAdminDBPortsEvidenceCounted(t *testing.T) {
	flows := []flow{
		{src: "198.51.100.20", dst: "10.0.4.40", sport: 50001, dport: 3306, proto: 6, packets: 12, bytes: 2400, at: time.Minute, dur: 30, direction: "ingress"},
		{src: "203.0.113.9", dst: "10.0.4.40", sport: 50002, dport: 3306, proto: 6, packets: 40, bytes: 90000, at: time.Minute + 10*time.Second, dur: 10, action: "REJECT", direction: "ingress"},
	}
	f := expectOne(t, findings(t, "inbound_admin_db_ports", flows, Config{}), "10.0.4.40:3306")
	if len(f.Evidence) != 1 || f.Evidence[0]["srcaddr"] != "198.51.100.20" {
		t.Errorf("evidence = %v, want the one accepted record from 198.51.100.20", f.Evidence)
	}
}
