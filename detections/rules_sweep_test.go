package detections

import (
	"testing"
	"time"
)

// sweep returns one rejected probe from src to each of n hosts of
// 10.0.8.0/24 on port, one a second.
func sweep(src string, port, n int) []flow {
	return repeat(n, func(i int) flow {
		return flow{src: src, dst: "10.0.8." + itoa(i+1), sport: 51000, dport: port, proto: 6, packets: 1, bytes: 44,
			at: time.Duration(i) * time.Second, action: "REJECT", direction: "ingress"}
	})
}

func TestPortSweepHorizontalFires(t *testing.T) {
	got := findings(t, "port_sweep_horizontal", sweep("203.0.113.91", 445, 30), Config{})
	f := expectOne(t, got, "203.0.113.91 -> *:445")
	if n := count(t, f, "distinct_hosts"); n != 30 {
		t.Errorf("distinct_hosts = %d, want 30", n)
	}
	if n := count(t, f, "rejected"); n != 30 {
		t.Errorf("rejected = %d, want 30", n)
	}
	expectSeen(t, f, testStart, testStart.Add(29*time.Second))
	if f.SrcAddr != "203.0.113.91" || f.DstPort == nil || *f.DstPort != 445 {
		t.Errorf("endpoints = %s %v", f.SrcAddr, f.DstPort)
	}
}

func TestPortSweepHorizontalOneUnderThreshold(t *testing.T) {
	expectNone(t, findings(t, "port_sweep_horizontal", sweep("203.0.113.91", 445, 24), Config{}))
}

func TestPortSweepHorizontalExcludedPort(t *testing.T) {
	expectNone(t, findings(t, "port_sweep_horizontal", sweep("203.0.113.91", 443, 30), Config{}))
}

// 30 hosts probed from 08:08 to 08:12:50 fire, although neither 08:00–08:10
// nor 08:10–08:20 holds 25 of them: the window slides with each probe.
func TestPortSweepHorizontalAcrossWindowBoundary(t *testing.T) {
	flows := sweep("203.0.113.91", 445, 30)
	for i := range flows {
		flows[i].at = 8*time.Minute + time.Duration(i)*10*time.Second
	}
	f := expectOne(t, findings(t, "port_sweep_horizontal", flows, Config{}), "203.0.113.91 -> *:445")
	if n := count(t, f, "peak_window_hosts"); n != 30 {
		t.Errorf("peak_window_hosts = %d, want 30", n)
	}
	expectSeen(t, f, testStart.Add(8*time.Minute), testStart.Add(8*time.Minute+290*time.Second))
}

// 30 hosts probed one a minute never put 25 into one 10-minute window.
func TestPortSweepHorizontalSpreadOutIgnored(t *testing.T) {
	flows := sweep("203.0.113.91", 445, 30)
	for i := range flows {
		flows[i].at = time.Duration(i) * time.Minute
	}
	expectNone(t, findings(t, "port_sweep_horizontal", flows, Config{}))
}

// A DNS server's replies to port 40000 of 30 hosts are not probes, while
// probes of port 445 sent from source port 53 still count.
func TestPortSweepHorizontalServiceReplies(t *testing.T) {
	replies := sweep("10.0.2.53", 40000, 30)
	for i := range replies {
		replies[i].sport, replies[i].proto, replies[i].action = 53, 17, "ACCEPT"
	}
	expectNone(t, findings(t, "port_sweep_horizontal", replies, Config{}))

	probes := sweep("203.0.113.91", 445, 30)
	for i := range probes {
		probes[i].sport = 53
	}
	expectOne(t, findings(t, "port_sweep_horizontal", probes, Config{}), "203.0.113.91 -> *:445")
}
