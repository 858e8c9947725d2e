package detections

import (
	"testing"
	"time"
)

// baselineConfig is the test hour with 48 hours of baseline before it.
var baselineConfig = Config{Window: Window{Since: testStart, Until: testStart.Add(time.Hour), Baseline: 48 * time.Hour}}

// rejectHistory returns 4, 5 or 6 rejected records from src on iface in
// each of the given hours before testStart, so the hourly mean is 5 and the
// standard deviation 0.82.
func rejectHistory(src, iface string, hours int) []flow {
	var out []flow
	for h := 1; h <= hours; h++ {
		for i := 0; i < 4+h%3; i++ {
			out = append(out, flow{iface: iface, src: src, dst: "10.0.1.10", sport: 40000 + i, dport: 22, proto: 6, packets: 1, bytes: 60,
				at: -time.Duration(h)*time.Hour + time.Duration(i)*time.Minute, dur: 1, action: "REJECT", direction: "ingress"})
		}
	}
	return out
}

// rejectBurst returns n rejected records from src on iface in the test
// hour, one every 10 s on ports 1000 up.
func rejectBurst(src, iface string, n int) []flow {
	return repeat(n, func(i int) flow {
		return flow{iface: iface, src: src, dst: "10.0.1.10", sport: 40000, dport: 1000 + i%50, proto: 6, packets: 1, bytes: 60,
			at: time.Duration(i) * 10 * time.Second, dur: 1, action: "REJECT", direction: "ingress"}
	})
}

func TestRejectSpikeSourceFires(t *testing.T) {
	flows := append(rejectHistory("203.0.113.40", "", 30), rejectBurst("203.0.113.40", "", 120)...)
	f := expectOne(t, findings(t, "reject_spike_source", flows, baselineConfig), "203.0.113.40")
	if n := count(t, f, "rejects"); n != 120 {
		t.Errorf("rejects = %d, want 120", n)
	}
	if n := count(t, f, "baseline_hours"); n != 30 {
		t.Errorf("baseline_hours = %d, want 30", n)
	}
	if n := count(t, f, "baseline_mean"); n != 5 {
		t.Errorf("baseline_mean = %d, want 5", n)
	}
	expectSeen(t, f, testStart, testStart.Add(1190*time.Second+time.Second))
}

// 99 rejects stay under the floor of 100, and a source with 23 baseline
// hours has too few samples.
func TestRejectSpikeSourceNearMisses(t *testing.T) {
	var flows []flow
	flows = append(flows, rejectHistory("203.0.113.40", "", 30)...)
	flows = append(flows, rejectBurst("203.0.113.40", "", 99)...)
	flows = append(flows, rejectHistory("203.0.113.41", "", 23)...)
	flows = append(flows, rejectBurst("203.0.113.41", "", 200)...)
	expectNone(t, findings(t, "reject_spike_source", flows, baselineConfig))
}

func TestRejectSpikeInterfaceFires(t *testing.T) {
	flows := append(rejectHistory("203.0.113.40", "eni-0a1b2c3d4e5f60042", 30), rejectBurst("203.0.113.99", "eni-0a1b2c3d4e5f60042", 150)...)
	f := expectOne(t, findings(t, "reject_spike_interface", flows, baselineConfig), "eni-0a1b2c3d4e5f60042")
	if n := count(t, f, "rejects"); n != 150 {
		t.Errorf("rejects = %d, want 150", n)
	}
	if f.InterfaceID != "eni-0a1b2c3d4e5f60042" {
		t.Errorf("interface_id = %q", f.InterfaceID)
	}
	expectSeen(t, f, testStart, testStart.Add(1490*time.Second+time.Second))
}

// Without a baseline (--baseline 0) the rule has no samples and stays
// silent, and a k of 200 puts the threshold (about 168) above 150 rejects.
func TestRejectSpikeInterfaceNearMisses(t *testing.T) {
	flows := append(rejectHistory("203.0.113.40", "eni-0a1b2c3d4e5f60042", 30), rejectBurst("203.0.113.99", "eni-0a1b2c3d4e5f60042", 150)...)
	data := dataset(t, flows)
	rules := []*Rule{builtinRule(t, "reject_spike_interface")}
	expectNone(t, runRules(t, data, rules, Config{}).Findings)
	s := Settings{}
	if err := s.ParseSet("reject_spike_interface.k=200"); err != nil {
		t.Fatal(err)
	}
	cfg := baselineConfig
	cfg.Settings = s
	expectNone(t, runRules(t, data, rules, cfg).Findings)
}

// portHistory returns 120 accepted records from src to port 5432 over the
// 40 hours before testStart.
func portHistory(src string) []flow {
	return repeat(120, func(i int) flow {
		return flow{src: src, dst: "10.0.6.60", sport: 40000 + i, dport: 5432, proto: 6, packets: 10, bytes: 2000,
			at: -time.Duration(i+1) * 20 * time.Minute, dur: 5, direction: "egress"}
	})
}

func TestNewPortForInstanceFires(t *testing.T) {
	flows := append(portHistory("10.0.2.30"),
		flow{src: "10.0.2.30", dst: "10.0.6.60", sport: 41000, dport: 5432, proto: 6, packets: 10, bytes: 2000, at: time.Minute, dur: 5, direction: "egress"},
		flow{src: "10.0.2.30", dst: "198.51.100.80", sport: 41001, dport: 8081, proto: 6, packets: 10, bytes: 2000, at: 2 * time.Minute, dur: 5, direction: "egress"},
		flow{src: "10.0.2.30", dst: "198.51.100.80", sport: 41002, dport: 8081, proto: 6, packets: 10, bytes: 3000, at: 7 * time.Minute, dur: 5, direction: "egress"})
	f := expectOne(t, findings(t, "new_port_for_instance", flows, baselineConfig), "10.0.2.30 new port 8081/6")
	if n := count(t, f, "records"); n != 2 {
		t.Errorf("records = %d, want 2", n)
	}
	if n := count(t, f, "baseline_records"); n != 120 {
		t.Errorf("baseline_records = %d, want 120", n)
	}
	expectSeen(t, f, testStart.Add(2*time.Minute), testStart.Add(7*time.Minute+5*time.Second))
}

// A port used in the baseline, an excluded port, a reply to an ephemeral
// port and an address without enough history do not fire.
func TestNewPortForInstanceNearMisses(t *testing.T) {
	flows := append(portHistory("10.0.2.30"),
		flow{src: "10.0.2.30", dst: "10.0.6.61", sport: 41000, dport: 5432, proto: 6, packets: 10, bytes: 2000, at: time.Minute, dur: 5, direction: "egress"},
		flow{src: "10.0.2.30", dst: "198.51.100.80", sport: 41001, dport: 443, proto: 6, packets: 10, bytes: 2000, at: time.Minute, dur: 5, direction: "egress"},
		flow{src: "10.0.2.30", dst: "198.51.100.80", sport: 8443, dport: 50123, proto: 6, packets: 10, bytes: 2000, at: time.Minute, dur: 5, direction: "egress"},
		flow{src: "10.0.2.31", dst: "198.51.100.80", sport: 41002, dport: 8081, proto: 6, packets: 10, bytes: 2000, at: time.Minute, dur: 5, direction: "egress"})
	expectNone(t, findings(t, "new_port_for_instance", flows, baselineConfig))
}

// egressHistory returns one accepted egress record of 10 MB from src in
// each of the given hours before testStart.
func egressHistory(src string, hours int) []flow {
	return repeat(hours, func(i int) flow {
		return flow{src: src, dst: "198.51.100.140", sport: 40000 + i, dport: 443, proto: 6, packets: 10000, bytes: 10_000_000,
			at: -time.Duration(i+1) * time.Hour, dur: 60, direction: "egress"}
	})
}

func egressHour(src string, bytes int64) flow {
	return flow{src: src, dst: "198.51.100.141", sport: 45000, dport: 443, proto: 6, packets: 100000, bytes: bytes,
		at: 10 * time.Minute, dur: 600, direction: "egress"}
}

func TestExfilVolumeAnomalyFires(t *testing.T) {
	flows := append(egressHistory("10.0.3.31", 30), egressHour("10.0.3.31", 500_000_000))
	f := expectOne(t, findings(t, "exfil_volume_anomaly", flows, baselineConfig), "10.0.3.31")
	if n := count(t, f, "bytes"); n != 500_000_000 {
		t.Errorf("bytes = %d, want 500000000", n)
	}
	if n := count(t, f, "baseline_hours"); n != 30 {
		t.Errorf("baseline_hours = %d, want 30", n)
	}
	if n := count(t, f, "baseline_mean_bytes"); n != 10_000_000 {
		t.Errorf("baseline_mean_bytes = %d, want 10000000", n)
	}
	expectSeen(t, f, testStart.Add(10*time.Minute), testStart.Add(20*time.Minute))
}

// One byte under the floor of 100 MiB, and a source with 23 baseline
// hours, do not fire.
func TestExfilVolumeAnomalyNearMisses(t *testing.T) {
	var flows []flow
	flows = append(flows, egressHistory("10.0.3.31", 30)...)
	flows = append(flows, egressHour("10.0.3.31", 104_857_599))
	flows = append(flows, egressHistory("10.0.3.32", 23)...)
	flows = append(flows, egressHour("10.0.3.32", 900_000_000))
	expectNone(t, findings(t, "exfil_volume_anomaly", flows, baselineConfig))
}
