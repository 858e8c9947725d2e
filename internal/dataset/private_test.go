package dataset

import "testing"

func TestIsPrivate(t *testing.T) {
	for _, tc := range []struct {
		addr          string
		private, isIP bool
	}{
		{"10.0.0.1", true, true},
		{"010.0.0.1", true, true},
		{"9.255.255.255", false, true},
		{"11.0.0.0", false, true},
		{"172.15.255.255", false, true},
		{"172.16.0.0", true, true},
		{"172.31.255.255", true, true},
		{"172.32.0.0", false, true},
		{"192.168.1.1", true, true},
		{"192.169.0.1", false, true},
		{"100.63.255.255", false, true},
		{"100.64.0.0", true, true},
		{"100.127.255.255", true, true},
		{"100.128.0.0", false, true},
		{"127.0.0.1", true, true},
		{"169.254.169.254", true, true},
		{"169.253.0.1", false, true},
		{"203.0.113.66", false, true},
		{"198.51.100.200", false, true},
		{"198.18.0.1", false, true},
		{"8.8.8.8", false, true},
		{"fd00::1", true, true},
		{"fc00::", true, true},
		{"fe80::1%eth0", true, true},
		{"febf::1", true, true},
		{"fec0::1", false, true},
		{"::1", true, true},
		{"::2", false, true},
		{"::ffff:10.1.2.3", true, true},
		{"::ffff:8.8.8.8", false, true},
		{"2001:db8::1", false, true},
		{"2600:1f18::1", false, true},
		{"", false, false},
		{"-", false, false},
		{"10.0.0", false, false},
		{"10.0.0.1.2", false, false},
		{"10.0.0.256", false, false},
		{"10.0.0.1000", false, false},
		{"10..0.1", false, false},
		{"10.0.0.", false, false},
		{" 10.0.0.1", false, false},
		{"0x0a.0.0.1", false, false},
		{"1:2:3", false, false},
		{"fd00::1::2", false, false},
	} {
		private, ok := IsPrivate([]byte(tc.addr))
		if private != tc.private || ok != tc.isIP {
			t.Errorf("IsPrivate(%q) = %v, %v; want %v, %v", tc.addr, private, ok, tc.private, tc.isIP)
		}
	}
}

func TestDerivedColumnsPrecedeProvenance(t *testing.T) {
	for _, table := range Tables {
		var derived, provenance []string
		for _, c := range table.Columns {
			switch {
			case c.IsDerived():
				if len(provenance) > 0 {
					t.Errorf("%s: derived column %s follows a provenance column", table.Name, c.Name)
				}
				if table.ColumnIndex(c.From) < 0 {
					t.Errorf("%s: %s classifies %s, which the table lacks", table.Name, c.Name, c.From)
				}
				derived = append(derived, c.Name)
			case c.IsProvenance():
				provenance = append(provenance, c.Name)
			}
		}
		if len(derived) != 2 || len(provenance) != 3 {
			t.Errorf("%s: derived %v, provenance %v", table.Name, derived, provenance)
		}
	}
}
