package detections

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTableFloat(t *testing.T) {
	cases := map[float64]string{19704: "19704", 1.5e9: "1500000000", 12.345: "12.35", 0.5: "0.5", 3.999: "4", -2.25: "-2.25",
		1e-7: "0.0000001", 0.000123456: "0.000123", -0.00505: "-0.00505"}
	for f, want := range cases {
		if got := tableFloat(f); got != want {
			t.Errorf("tableFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestWriteTablePlainNumbers(t *testing.T) {
	f := &Finding{RuleID: "exfil_volume_anomaly", Severity: SeverityMedium, Entity: "10.0.3.30",
		FirstSeen: testStart, LastSeen: testStart.Add(time.Hour),
		Counts: map[string]any{"threshold_bytes": 19704.0, "bytes": int64(250000)}}
	var b bytes.Buffer
	if err := WriteTable(&b, []*Finding{f}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "bytes=250000 threshold_bytes=19704") {
		t.Errorf("table:\n%s\nwant bytes=250000 threshold_bytes=19704", b.String())
	}
}

func TestOCSFDirection(t *testing.T) {
	cases := []struct {
		direction any
		id        int
		name      string
	}{{"ingress", 1, "Inbound"}, {"egress", 2, "Outbound"}, {nil, 0, "Unknown"}}
	for _, c := range cases {
		f := &Finding{Evidence: []map[string]any{{"flow_direction": c.direction, "protocol": int64(6)}}}
		ev := f.OCSF("test")["evidences"].([]map[string]any)[0]
		conn := ev["connection_info"].(map[string]any)
		if conn["direction_id"] != c.id || conn["direction"] != c.name {
			t.Errorf("flow_direction %v: connection_info = %v, want direction_id %d, direction %s", c.direction, conn, c.id, c.name)
		}
	}
}

func TestWriteJSONKeepsArrows(t *testing.T) {
	f := &Finding{RuleID: "ssh_bruteforce", Entity: "203.0.113.66 -> 10.1.1.10:22", FirstSeen: testStart, LastSeen: testStart}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"json": func(b *bytes.Buffer) error { return WriteJSON(b, []*Finding{f}) },
		"ocsf": func(b *bytes.Buffer) error { return WriteOCSF(b, []*Finding{f}, "test") },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "203.0.113.66 -> 10.1.1.10:22") {
			t.Errorf("%s output does not contain the entity as written: %s", name, b.String())
		}
	}
}
