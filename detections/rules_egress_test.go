package detections

import (
	"testing"
	"time"
)

func TestRiskyEgressFires(t *testing.T) {
	flows := []flow{
		{src: "10.0.2.5", dst: "198.51.100.30", sport: 50001, dport: 445, proto: 6, packets: 4, bytes: 240, at: 2 * time.Minute, dur: 5, direction: "egress"},
		{src: "10.0.2.5", dst: "198.51.100.30", sport: 50002, dport: 445, proto: 6, packets: 1, bytes: 60, at: 3 * time.Minute, dur: 1, action: "REJECT", direction: "egress"},
	}
	f := expectOne(t, findings(t, "risky_egress", flows, Config{}), "10.0.2.5 -> 198.51.100.30:445")
	if n := count(t, f, "accepted"); n != 1 {
		t.Errorf("accepted = %d, want 1", n)
	}
	if n := count(t, f, "rejected"); n != 1 {
		t.Errorf("rejected = %d, want 1", n)
	}
	expectSeen(t, f, testStart.Add(2*time.Minute), testStart.Add(3*time.Minute+time.Second))
}

// SMB inside the VPC, HTTPS to the internet and SMB from the internet
// inward do not fire.
func TestRiskyEgressNearMisses(t *testing.T) {
	flows := []flow{
		{src: "10.0.2.5", dst: "10.0.7.7", sport: 50001, dport: 445, proto: 6, packets: 40, bytes: 24000, dur: 5, direction: "egress"},
		{src: "10.0.2.5", dst: "198.51.100.30", sport: 50002, dport: 443, proto: 6, packets: 40, bytes: 24000, dur: 5, direction: "egress"},
		{src: "198.51.100.30", dst: "10.0.2.5", sport: 50003, dport: 445, proto: 6, packets: 40, bytes: 24000, dur: 5, direction: "ingress"},
	}
	expectNone(t, findings(t, "risky_egress", flows, Config{}))
}

func TestOutboundSMTPFires(t *testing.T) {
	flows := repeat(3, func(i int) flow {
		return flow{src: "10.0.5.50", dst: "203.0.113." + itoa(10+i), sport: 50000 + i, dport: 25, proto: 6, packets: 20, bytes: 8000,
			at: time.Duration(i) * time.Minute, dur: 10, direction: "egress"}
	})
	f := expectOne(t, findings(t, "outbound_smtp", flows, Config{}), "10.0.5.50")
	if n := count(t, f, "distinct_destinations"); n != 3 {
		t.Errorf("distinct_destinations = %d, want 3", n)
	}
	if n := count(t, f, "bytes"); n != 24000 {
		t.Errorf("bytes = %d, want 24000", n)
	}
	expectSeen(t, f, testStart, testStart.Add(2*time.Minute+10*time.Second))
}

// Mail to an internal relay, to an AWS service address and on a port
// outside the list does not fire.
func TestOutboundSMTPNearMisses(t *testing.T) {
	flows := []flow{
		{src: "10.0.5.50", dst: "10.0.6.25", sport: 50001, dport: 25, proto: 6, packets: 20, bytes: 8000, dur: 10, direction: "egress"},
		{src: "10.0.5.50", dst: "52.94.1.1", sport: 50002, dport: 587, proto: 6, packets: 20, bytes: 8000, dur: 10, direction: "egress", dstService: "AMAZON"},
		{src: "10.0.5.50", dst: "203.0.113.10", sport: 50003, dport: 2525, proto: 6, packets: 20, bytes: 8000, dur: 10, direction: "egress"},
	}
	expectNone(t, findings(t, "outbound_smtp", flows, Config{}))
}

func TestDNSUnapprovedResolverFires(t *testing.T) {
	flows := repeat(4, func(i int) flow {
		return flow{src: "10.0.3.33", dst: "8.8.8.8", sport: 53000 + i, dport: 53, proto: 17, packets: 1, bytes: 70,
			at: time.Duration(i) * 30 * time.Second, dur: 1, direction: "egress"}
	})
	f := expectOne(t, findings(t, "dns_unapproved_resolver", flows, Config{}), "10.0.3.33 -> 8.8.8.8")
	if n := count(t, f, "records"); n != 4 {
		t.Errorf("records = %d, want 4", n)
	}
	expectSeen(t, f, testStart, testStart.Add(90*time.Second+time.Second))
}

// The VPC resolver, an internal DNS server, a resolver added with --set
// and port 443 to a public resolver do not fire.
func TestDNSUnapprovedResolverAllowed(t *testing.T) {
	flows := []flow{
		{src: "10.0.3.33", dst: "169.254.169.253", sport: 53001, dport: 53, proto: 17, packets: 1, bytes: 70, dur: 1, direction: "egress"},
		{src: "10.0.3.33", dst: "10.0.0.2", sport: 53002, dport: 53, proto: 17, packets: 1, bytes: 70, dur: 1, direction: "egress"},
		{src: "10.0.3.33", dst: "1.1.1.1", sport: 53003, dport: 53, proto: 6, packets: 6, bytes: 400, dur: 1, direction: "egress"},
		{src: "10.0.3.33", dst: "8.8.8.8", sport: 53004, dport: 443, proto: 6, packets: 6, bytes: 400, dur: 1, direction: "egress"},
	}
	s := Settings{}
	if err := s.ParseSet("dns_unapproved_resolver.allowed_resolvers=169.254.169.253,10.0.0.0/8,1.1.1.0/24"); err != nil {
		t.Fatal(err)
	}
	expectNone(t, findings(t, "dns_unapproved_resolver", flows, Config{Settings: s}))
}

func TestICMPLargeOrTunnelLargePackets(t *testing.T) {
	flows := []flow{
		{src: "10.0.1.44", dst: "198.51.100.50", proto: 1, packets: 10, bytes: 14000, at: time.Minute, dur: 30, direction: "egress"},
		{src: "10.0.1.44", dst: "198.51.100.50", proto: 1, packets: 10, bytes: 840, at: 2 * time.Minute, dur: 30, direction: "egress"},
	}
	f := expectOne(t, findings(t, "icmp_large_or_tunnel", flows, Config{}), "10.0.1.44")
	if n := count(t, f, "large_records"); n != 1 {
		t.Errorf("large_records = %d, want 1", n)
	}
	if n := count(t, f, "max_bytes_per_packet"); n != 1400 {
		t.Errorf("max_bytes_per_packet = %d, want 1400", n)
	}
	if n := count(t, f, "records"); n != 2 {
		t.Errorf("records = %d, want 2", n)
	}
	expectSeen(t, f, testStart.Add(time.Minute), testStart.Add(2*time.Minute+30*time.Second))
}

func TestICMPLargeOrTunnelVolume(t *testing.T) {
	flows := repeat(20, func(i int) flow {
		return flow{src: "10.0.1.44", dst: "198.51.100.50", proto: 1, packets: 1000, bytes: 600_000,
			at: time.Duration(i) * time.Minute, dur: 59, direction: "egress"}
	})
	f := expectOne(t, findings(t, "icmp_large_or_tunnel", flows, Config{}), "10.0.1.44")
	if n := count(t, f, "bytes"); n != 12_000_000 {
		t.Errorf("bytes = %d, want 12000000", n)
	}
	if n := count(t, f, "large_records"); n != 0 {
		t.Errorf("large_records = %d, want 0", n)
	}
}

// Packets of 999 bytes and a volume just under min_bytes do not fire, nor
// does a large TCP record.
func TestICMPLargeOrTunnelNearMisses(t *testing.T) {
	flows := []flow{
		{src: "10.0.1.44", dst: "198.51.100.50", proto: 1, packets: 10, bytes: 9990, dur: 30, direction: "egress"},
		{src: "10.0.1.45", dst: "198.51.100.50", proto: 1, packets: 20000, bytes: 9_999_999, dur: 30, direction: "egress"},
		{src: "10.0.1.46", dst: "198.51.100.50", sport: 50000, dport: 443, proto: 6, packets: 10, bytes: 14000, dur: 30, direction: "egress"},
	}
	expectNone(t, findings(t, "icmp_large_or_tunnel", flows, Config{}))
}

func TestCryptoMiningPortsFires(t *testing.T) {
	// The miner's first record carries its SYN, the others no flags.
	flows := repeat(3, func(i int) flow {
		f := flow{src: "10.0.2.77", dst: "198.51.100.99", sport: 50000, dport: 3333, proto: 6, packets: 30, bytes: 5000,
			at: time.Duration(i) * 10 * time.Minute, dur: 600, direction: "egress"}
		if i == 0 {
			f.flags = 2
		}
		return f
	})
	f := expectOne(t, findings(t, "crypto_mining_ports", flows, Config{}), "10.0.2.77 -> 198.51.100.99:3333")
	if n := count(t, f, "records"); n != 3 {
		t.Errorf("records = %d, want 3", n)
	}
	if n := count(t, f, "bytes"); n != 15000 {
		t.Errorf("bytes = %d, want 15000", n)
	}
	expectSeen(t, f, testStart, testStart.Add(30*time.Minute))
}

// A rejected attempt, a pool port inside the VPC, a port outside the list
// and the replies of services to clients whose ephemeral port is a pool
// port do not fire.
func TestCryptoMiningPortsNearMisses(t *testing.T) {
	flows := []flow{
		{src: "10.0.2.77", dst: "198.51.100.99", sport: 50000, dport: 3333, proto: 6, packets: 1, bytes: 60, dur: 1, action: "REJECT", direction: "egress"},
		{src: "10.0.2.77", dst: "10.0.9.99", sport: 50001, dport: 4444, proto: 6, packets: 30, bytes: 5000, dur: 60, direction: "egress"},
		{src: "10.0.2.77", dst: "198.51.100.99", sport: 50002, dport: 3335, proto: 6, packets: 30, bytes: 5000, dur: 60, direction: "egress"},
		// An HTTPS server's reply, SYN-ACK and FIN seen.
		{src: "10.0.1.20", dst: "198.18.8.88", sport: 443, dport: 45700, proto: 6, packets: 12, bytes: 9000, dur: 30, direction: "egress", flags: 19},
		// A later interval of the same reply carries no SYN-ACK.
		{src: "10.0.1.20", dst: "198.18.8.88", sport: 443, dport: 45700, proto: 6, packets: 12, bytes: 9000, at: 5 * time.Minute, dur: 30, direction: "egress"},
		// A service on a high port replies with SYN-ACK.
		{src: "10.0.1.21", dst: "198.18.8.89", sport: 8443, dport: 3333, proto: 6, packets: 12, bytes: 9000, dur: 30, direction: "egress", flags: 18},
	}
	expectNone(t, findings(t, "crypto_mining_ports", flows, Config{}))
}

func TestUnusualProtocolFires(t *testing.T) {
	flows := []flow{
		{src: "10.0.1.5", dst: "198.51.100.7", proto: 47, packets: 100, bytes: 50000, at: time.Minute, dur: 60, direction: "egress"},
		{src: "10.0.1.5", dst: "198.51.100.7", proto: 47, packets: 50, bytes: 20000, at: 5 * time.Minute, dur: 60, direction: "egress"},
	}
	f := expectOne(t, findings(t, "unusual_protocol", flows, Config{}), "10.0.1.5 -> 198.51.100.7 protocol 47")
	if n := count(t, f, "records"); n != 2 {
		t.Errorf("records = %d, want 2", n)
	}
	if f.Protocol == nil || *f.Protocol != 47 {
		t.Errorf("protocol = %v, want 47", f.Protocol)
	}
	expectSeen(t, f, testStart.Add(time.Minute), testStart.Add(6*time.Minute))
}

// The four common protocols, a rejected GRE record and ESP once allowed
// with --set do not fire.
func TestUnusualProtocolNearMisses(t *testing.T) {
	flows := []flow{
		{src: "10.0.1.5", dst: "198.51.100.7", proto: 1, packets: 10, bytes: 840, dur: 10, direction: "egress"},
		{src: "10.0.1.5", dst: "198.51.100.7", sport: 1, dport: 443, proto: 6, packets: 10, bytes: 840, dur: 10, direction: "egress"},
		{src: "10.0.1.5", dst: "198.51.100.7", sport: 1, dport: 53, proto: 17, packets: 10, bytes: 840, dur: 10, direction: "egress"},
		{src: "10.0.1.5", dst: "198.51.100.7", proto: 58, packets: 10, bytes: 840, dur: 10, direction: "egress"},
		{src: "10.0.1.5", dst: "198.51.100.7", proto: 47, packets: 10, bytes: 840, dur: 10, action: "REJECT", direction: "egress"},
		{src: "10.0.1.5", dst: "198.51.100.7", proto: 50, packets: 10, bytes: 840, dur: 10, direction: "egress"},
	}
	s := Settings{}
	if err := s.ParseSet("unusual_protocol.allowed_protocols=1,6,17,50,58"); err != nil {
		t.Fatal(err)
	}
	expectNone(t, findings(t, "unusual_protocol", flows, Config{Settings: s}))
}

// egressFlood returns one record a minute for minutes minutes from src to
// one public address, perMinute packets each.
func egressFlood(src string, perMinute int64, minutes int) []flow {
	return repeat(minutes, func(i int) flow {
		return flow{src: src, dst: "198.51.100.120", sport: 40000, dport: 80, proto: 17, packets: perMinute, bytes: perMinute * 60,
			at: time.Duration(i) * time.Minute, dur: 59, direction: "egress"}
	})
}

func TestDoSSourceFires(t *testing.T) {
	f := expectOne(t, findings(t, "dos_source", egressFlood("10.0.4.4", 150000, 5), Config{}), "10.0.4.4")
	if n := count(t, f, "packets"); n != 750000 {
		t.Errorf("packets = %d, want 750000", n)
	}
	if n := count(t, f, "peak_packets_per_minute"); n != 150000 {
		t.Errorf("peak_packets_per_minute = %d, want 150000", n)
	}
	expectSeen(t, f, testStart, testStart.Add(4*time.Minute+59*time.Second))
}

// 99,999 packets a minute stays under the default rate.
func TestDoSSourceUnderRate(t *testing.T) {
	expectNone(t, findings(t, "dos_source", egressFlood("10.0.4.4", 99999, 5), Config{}))
}
