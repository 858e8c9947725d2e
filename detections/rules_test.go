package detections

import (
	"testing"
	"time"
)

// bruteForce returns n attempts from src to dst:port, one every 10 s. The
// first accepted attempts are accepted sessions and the rest are rejected.
func bruteForce(src, dst string, port, n, accepted int) []flow {
	return repeat(n, func(i int) flow {
		f := flow{src: src, dst: dst, sport: 40000 + i, dport: port, proto: 6, packets: 1, bytes: 60,
			at: time.Duration(i) * 10 * time.Second, dur: 1, action: "REJECT", direction: "ingress"}
		if i < accepted {
			f.packets, f.bytes, f.action, f.dur = 20, 3000, "ACCEPT", 4
		}
		return f
	})
}

func TestSSHBruteforceFires(t *testing.T) {
	got := findings(t, "ssh_bruteforce", bruteForce("203.0.113.66", "10.1.1.10", 22, 40, 10), Config{})
	f := expectOne(t, got, "203.0.113.66 -> 10.1.1.10:22")
	if n := count(t, f, "attempts"); n != 40 {
		t.Errorf("attempts = %d, want 40", n)
	}
	if n := count(t, f, "accepted"); n != 10 {
		t.Errorf("accepted = %d, want 10", n)
	}
	if n := count(t, f, "rejected"); n != 30 {
		t.Errorf("rejected = %d, want 30", n)
	}
	expectSeen(t, f, testStart, testStart.Add(390*time.Second+time.Second))
	if f.SrcAddr != "203.0.113.66" || f.DstAddr != "10.1.1.10" || f.DstPort == nil || *f.DstPort != 22 {
		t.Errorf("endpoints = %s %s %v", f.SrcAddr, f.DstAddr, f.DstPort)
	}
	if len(f.Evidence) != 5 {
		t.Errorf("evidence rows = %d, want 5", len(f.Evidence))
	}
}

// A burst of 8 minutes that straddles 08:10 fires: the window slides and
// is not aligned to the clock.
func TestSSHBruteforceAcrossWindowBoundary(t *testing.T) {
	flows := bruteForce("203.0.113.66", "10.1.1.10", 22, 40, 0)
	for i := range flows {
		flows[i].at = 6*time.Minute + time.Duration(i)*12*time.Second
	}
	f := expectOne(t, findings(t, "ssh_bruteforce", flows, Config{}), "203.0.113.66 -> 10.1.1.10:22")
	if n := count(t, f, "peak_window_attempts"); n != 40 {
		t.Errorf("peak_window_attempts = %d, want 40", n)
	}
}

// 40 attempts spread over 20 minutes never put 30 into one 10-minute
// window.
func TestSSHBruteforceSpreadOutIgnored(t *testing.T) {
	flows := bruteForce("203.0.113.66", "10.1.1.10", 22, 40, 0)
	for i := range flows {
		flows[i].at = time.Duration(i) * 30 * time.Second
	}
	expectNone(t, findings(t, "ssh_bruteforce", flows, Config{}))
}

func TestSSHBruteforceOneUnderThreshold(t *testing.T) {
	expectNone(t, findings(t, "ssh_bruteforce", bruteForce("203.0.113.66", "10.1.1.10", 22, 29, 0), Config{}))
}

func TestSSHBruteforceAllowlistedSource(t *testing.T) {
	allow := &Allowlist{Rules: map[string]AllowEntry{"ssh_bruteforce": {CIDRs: []netipPrefix{mustPrefix(t, "203.0.113.0/24")}}}}
	res := runRules(t, dataset(t, bruteForce("203.0.113.66", "10.1.1.10", 22, 40, 0)), []*Rule{builtinRule(t, "ssh_bruteforce")}, Config{Allowlist: allow})
	expectNone(t, res.Findings)
	if res.Suppressed != 1 {
		t.Errorf("suppressed = %d, want 1", res.Suppressed)
	}
}

func TestSSHBruteforceSetRaisesThreshold(t *testing.T) {
	s := Settings{}
	if err := s.ParseSet("ssh_bruteforce.min_attempts=50"); err != nil {
		t.Fatal(err)
	}
	expectNone(t, findings(t, "ssh_bruteforce", bruteForce("203.0.113.66", "10.1.1.10", 22, 40, 0), Config{Settings: s}))
}

func TestSSHBruteforceLongSessionsIgnored(t *testing.T) {
	flows := repeat(40, func(i int) flow {
		return flow{src: "203.0.113.66", dst: "10.1.1.10", sport: 40000 + i, dport: 22, proto: 6, packets: 500, bytes: 90000,
			at: time.Duration(i) * 10 * time.Second, dur: 5, direction: "ingress"}
	})
	expectNone(t, findings(t, "ssh_bruteforce", flows, Config{}))
}

func TestRDPBruteforceFires(t *testing.T) {
	got := findings(t, "rdp_bruteforce", bruteForce("198.51.100.9", "10.0.2.15", 3389, 35, 0), Config{})
	f := expectOne(t, got, "198.51.100.9 -> 10.0.2.15:3389")
	if n := count(t, f, "rejected"); n != 35 {
		t.Errorf("rejected = %d, want 35", n)
	}
}

func TestRDPBruteforceSSHPortIgnored(t *testing.T) {
	expectNone(t, findings(t, "rdp_bruteforce", bruteForce("198.51.100.9", "10.0.2.15", 22, 35, 0), Config{}))
}

// scan returns probes from src to dst on ports, one a second.
func scan(src, dst string, ports []int) []flow {
	return repeat(len(ports), func(i int) flow {
		return flow{src: src, dst: dst, sport: 51515, dport: ports[i], proto: 6, packets: 1, bytes: 44,
			at: time.Duration(i) * time.Second, action: "REJECT", direction: "ingress"}
	})
}

func portRange(lo, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = lo + i
	}
	return out
}

func TestPortScanVerticalFires(t *testing.T) {
	got := findings(t, "port_scan_vertical", scan("203.0.113.77", "10.0.1.30", portRange(1000, 30)), Config{})
	f := expectOne(t, got, "203.0.113.77 -> 10.0.1.30")
	if n := count(t, f, "distinct_ports"); n != 30 {
		t.Errorf("distinct_ports = %d, want 30", n)
	}
	expectSeen(t, f, testStart, testStart.Add(29*time.Second))
}

func TestPortScanVerticalCommonPortsExcluded(t *testing.T) {
	ports := append(portRange(1000, 24), 53, 80, 123, 443, 853, 8080, 8443)
	expectNone(t, findings(t, "port_scan_vertical", scan("203.0.113.77", "10.0.1.30", ports), Config{}))
}

func TestPortScanVerticalSessionsIgnored(t *testing.T) {
	flows := scan("203.0.113.77", "10.0.1.30", portRange(1000, 30))
	for i := range flows {
		flows[i].action, flows[i].packets, flows[i].bytes = "ACCEPT", 10, 4000
	}
	expectNone(t, findings(t, "port_scan_vertical", flows, Config{}))
}

func TestExfilLargeEgressFires(t *testing.T) {
	flows := repeat(4, func(i int) flow {
		return flow{src: "10.0.3.30", dst: "198.51.100.200", sport: 50000 + i, dport: 443, proto: 6, packets: 400000, bytes: 400_000_000,
			at: time.Duration(i) * time.Minute, dur: 50, direction: "egress"}
	})
	f := expectOne(t, findings(t, "exfil_large_egress", flows, Config{}), "10.0.3.30 -> 198.51.100.200")
	if n := count(t, f, "bytes"); n != 1_600_000_000 {
		t.Errorf("bytes = %d, want 1600000000", n)
	}
	expectSeen(t, f, testStart, testStart.Add(3*time.Minute+50*time.Second))
}

func TestExfilLargeEgressUnderThresholdAndAWSService(t *testing.T) {
	flows := []flow{
		{src: "10.0.3.30", dst: "198.51.100.200", sport: 50000, dport: 443, proto: 6, packets: 1000, bytes: 1_000_000_000, dur: 50, direction: "egress"},
		{src: "10.0.3.30", dst: "52.216.1.1", sport: 50001, dport: 443, proto: 6, packets: 1000, bytes: 5_000_000_000, dur: 50, direction: "egress", dstService: "S3"},
		{src: "198.51.100.200", dst: "10.0.3.30", sport: 443, dport: 50002, proto: 6, packets: 1000, bytes: 5_000_000_000, dur: 50, direction: "ingress"},
	}
	expectNone(t, findings(t, "exfil_large_egress", flows, Config{}))
}

// flood returns records of n sources sending UDP to dst, each pps packets
// a minute for minutes minutes.
func flood(dst string, n int, perMinute int64, minutes int) []flow {
	var out []flow
	for m := 0; m < minutes; m++ {
		for s := 0; s < n; s++ {
			out = append(out, flow{src: "198.19.66." + itoa(s+1), dst: dst, sport: 40000 + s, dport: 443, proto: 17,
				packets: perMinute, bytes: perMinute * 100, at: time.Duration(m) * time.Minute, dur: 59, direction: "ingress"})
		}
	}
	return out
}

func TestDoSTargetFires(t *testing.T) {
	got := findings(t, "dos_target", flood("10.0.1.20", 10, 25000, 10), Config{})
	f := expectOne(t, got, "10.0.1.20")
	if n := count(t, f, "packets"); n != 2_500_000 {
		t.Errorf("packets = %d, want 2500000", n)
	}
	if n := count(t, f, "peak_window_sources"); n != 10 {
		t.Errorf("peak_window_sources = %d, want 10", n)
	}
	expectSeen(t, f, testStart, testStart.Add(9*time.Minute+59*time.Second))
}

// The evidence of a flood shows the largest record of each of five sources
// before a second record of any, although one source sends the ten largest.
func TestDoSTargetEvidenceSpreadsSources(t *testing.T) {
	flows := flood("10.0.1.20", 10, 25000, 10)
	for i := range flows {
		if flows[i].src == "198.19.66.1" {
			flows[i].packets, flows[i].bytes = 50000, 50000*100
		}
	}
	f := expectOne(t, findings(t, "dos_target", flows, Config{}), "10.0.1.20")
	sources := map[any]bool{}
	for _, e := range f.Evidence {
		sources[e["srcaddr"]] = true
	}
	if len(f.Evidence) != 5 || len(sources) != 5 {
		t.Errorf("evidence has %d rows from %d sources, want 5 from 5: %v", len(f.Evidence), len(sources), f.Evidence)
	}
	if len(f.Evidence) > 0 && f.Evidence[0]["srcaddr"] != "198.19.66.1" {
		t.Errorf("first evidence source = %v, want the largest sender 198.19.66.1", f.Evidence[0]["srcaddr"])
	}
}

func TestDoSTargetUnderRate(t *testing.T) {
	expectNone(t, findings(t, "dos_target", flood("10.0.1.20", 10, 19000, 10), Config{}))
}

// 30 ports probed from 08:08 to 08:12:50 fire, although neither 08:00–08:10
// nor 08:10–08:20 holds 25 of them: the window slides with each probe.
func TestPortScanVerticalAcrossWindowBoundary(t *testing.T) {
	flows := scan("203.0.113.77", "10.0.1.30", portRange(1000, 30))
	for i := range flows {
		flows[i].at = 8*time.Minute + time.Duration(i)*10*time.Second
	}
	f := expectOne(t, findings(t, "port_scan_vertical", flows, Config{}), "203.0.113.77 -> 10.0.1.30")
	if n := count(t, f, "peak_window_ports"); n != 30 {
		t.Errorf("peak_window_ports = %d, want 30", n)
	}
	expectSeen(t, f, testStart.Add(8*time.Minute), testStart.Add(8*time.Minute+290*time.Second))
}

// 30 ports probed one a minute never put 25 into one 10-minute window.
func TestPortScanVerticalSpreadOutIgnored(t *testing.T) {
	flows := scan("203.0.113.77", "10.0.1.30", portRange(1000, 30))
	for i := range flows {
		flows[i].at = time.Duration(i) * time.Minute
	}
	expectNone(t, findings(t, "port_scan_vertical", flows, Config{}))
}

// A DNS server's replies to 30 ephemeral ports of a client, and a web
// server's SYN-ACK replies from port 8443, are not probes.
func TestPortScanVerticalServiceRepliesIgnored(t *testing.T) {
	dns := scan("10.0.2.53", "10.0.1.20", portRange(40000, 30))
	for i := range dns {
		dns[i].sport, dns[i].proto, dns[i].action = 53, 17, "ACCEPT"
	}
	web := scan("10.0.2.80", "10.0.1.20", portRange(50000, 30))
	for i := range web {
		web[i].sport, web[i].action, web[i].flags = 8443, "ACCEPT", 18
	}
	expectNone(t, findings(t, "port_scan_vertical", append(dns, web...), Config{}))
}

// A scan sent from source port 53 still counts toward ports below 1024.
func TestPortScanVerticalLowSourcePortFires(t *testing.T) {
	flows := scan("203.0.113.77", "10.0.1.30", portRange(20, 30))
	for i := range flows {
		flows[i].sport = 53
	}
	f := expectOne(t, findings(t, "port_scan_vertical", flows, Config{}), "203.0.113.77 -> 10.0.1.30")
	if n := count(t, f, "distinct_ports"); n != 30 {
		t.Errorf("distinct_ports = %d, want 30", n)
	}
}

// An IPv6 destination is written in brackets before its port.
func TestSSHBruteforceIPv6Entity(t *testing.T) {
	expectOne(t, findings(t, "ssh_bruteforce", bruteForce("2001:db8:bad::1", "2001:db8:1::10", 22, 35, 0), Config{}),
		"2001:db8:bad::1 -> [2001:db8:1::10]:22")
}
