package query

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowq/flowq/internal/dataset"
)

// macroValue evaluates one macro call with SQL literal arguments.
func macroValue(t *testing.T, e *Engine, call string) any {
	t.Helper()
	rows := queryRows(t, e, "SELECT "+call+" AS v")
	return rows[0]["v"]
}

func TestIsPrivate(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	cases := map[string]any{
		"10.0.0.1": true, "10.255.255.255": true, "9.255.255.255": false, "11.0.0.0": false,
		"172.16.0.1": true, "172.31.255.255": true, "172.15.255.255": false, "172.32.0.0": false,
		"192.168.1.1": true, "192.169.0.1": false,
		"100.64.0.1": true, "100.127.255.255": true, "100.63.255.255": false, "100.128.0.0": false,
		"127.0.0.1": true, "169.254.169.254": true, "169.255.0.1": false,
		"192.0.2.10": false, "198.51.100.200": false, "203.0.113.66": false, "198.18.0.1": false, "198.19.66.5": false,
		"8.8.8.8": false,
		"fd00::1": true, "fc00::": true, "fe80::1": true, "fe80::1%eth0": true, "febf::1": true, "fec0::1": false,
		"::1": true, "::": false, "2001:db8::1": false, "2600::1": false,
		"::ffff:10.0.0.1": true, "::ffff:8.8.8.8": false, "::ffff:c0a8:0101": true,
		"FD00::1": true,
		// Not addresses.
		"": nil, "10.0.0": nil, "10.0.0.256": nil, "0x0a.0.0.1": nil, " 10.0.0.1": nil, "10..0.1": nil,
		"1::2::3": nil, "1:2:3:4:5:6:7:8:9": nil, "12345::1": nil, "g::1": nil, "1:2:3:4:5:6:7": nil,
	}
	for ip, want := range cases {
		got := macroValue(t, e, fmt.Sprintf("is_private(%s)", sqlString(ip)))
		if got != want {
			t.Errorf("is_private(%q) = %v, want %v", ip, got, want)
		}
		// Cross-check valid addresses with Go's parser and the same ranges.
		if a, err := netip.ParseAddr(ip); err == nil && want != nil && goIsPrivate(a.String()) != want {
			t.Errorf("the test's own ranges disagree on %q", ip)
		}
	}
	if got := macroValue(t, e, "is_private(NULL)"); got != nil {
		t.Errorf("is_private(NULL) = %v, want NULL", got)
	}
}

func TestAddressToInteger(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	for _, ip := range []string{"::", "::1", "1::", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "fe80::1:2:3:4",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.1", "64:ff9b::198.51.100.7", "1:2:3:4:5:6::8"} {
		a := netip.MustParseAddr(ip)
		b := a.As16()
		want := new(big.Int).SetBytes(b[:])
		got, ok := macroValue(t, e, fmt.Sprintf("ipv6_to_int(%s)", sqlString(ip))).(*big.Int)
		if !ok || got.Cmp(want) != 0 {
			t.Errorf("ipv6_to_int(%q) = %v, want %s", ip, got, want)
		}
	}
	for ip, want := range map[string]any{"0.0.0.0": int64(0), "255.255.255.255": int64(4294967295), "10.0.3.30": int64(167772958), "1.2.3": nil} {
		if got := macroValue(t, e, fmt.Sprintf("ipv4_to_int(%s)", sqlString(ip))); got != want {
			t.Errorf("ipv4_to_int(%q) = %v, want %v", ip, got, want)
		}
	}
}

func TestInCIDR(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	cases := []struct {
		ip, cidr string
		want     any
	}{
		{"10.0.3.30", "10.0.0.0/16", true},
		{"10.1.3.30", "10.0.0.0/16", false},
		{"10.0.3.30", "10.0.3.30", true},
		{"10.0.3.31", "10.0.3.30/32", false},
		{"10.0.3.30", "10.0.3.0/31", false},
		{"10.0.3.30", "10.0.3.5/24", true}, // host bits of the network are ignored
		{"203.0.113.66", "0.0.0.0/0", true},
		{"198.19.66.48", "198.18.0.0/15", true},
		{"198.20.0.1", "198.18.0.0/15", false},
		{"2001:db8:1::10", "2001:db8::/32", true},
		{"2001:db9::1", "2001:db8::/32", false},
		{"2001:db8::1", "::/0", true},
		{"2001:db8::1", "2001:db8::1/128", true},
		{"2001:db8::2", "2001:db8::1/128", false},
		{"fe80::1%eth0", "fe80::/10", true},
		{"10.0.0.1", "::/0", false}, // families differ
		{"::1", "0.0.0.0/0", false}, // families differ
		{"10.0.0.1", "10.0.0.0/33", nil},
		{"10.0.0.1", "10.0.0.0/-1", nil},
		{"2001:db8::1", "2001:db8::/129", nil},
		{"not-an-ip", "10.0.0.0/8", nil},
		{"10.0.0.1", "10.0.0.0/x", nil},
	}
	for _, c := range cases {
		got := macroValue(t, e, fmt.Sprintf("in_cidr(%s, %s)", sqlString(c.ip), sqlString(c.cidr)))
		if got != c.want {
			t.Errorf("in_cidr(%q, %q) = %v, want %v", c.ip, c.cidr, got, c.want)
		}
		if c.want == nil {
			continue
		}
		// Cross-check with Go's prefix arithmetic.
		p := netip.MustParsePrefix(withBits(c.cidr))
		a := netip.MustParseAddr(stripZone(c.ip))
		if p.Masked().Contains(a) != c.want {
			t.Errorf("the test's own check disagrees on %s in %s", c.ip, c.cidr)
		}
	}
	if got := macroValue(t, e, "in_cidr(NULL, '10.0.0.0/8')"); got != nil {
		t.Errorf("in_cidr(NULL, …) = %v, want NULL", got)
	}
}

func withBits(cidr string) string {
	if a, err := netip.ParseAddr(cidr); err == nil {
		return netip.PrefixFrom(a, a.BitLen()).String()
	}
	return cidr
}

func stripZone(ip string) string {
	a := netip.MustParseAddr(ip)
	return a.WithZone("").String()
}

func TestProtocolName(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	cases := map[string]any{"1": "ICMP", "6": "TCP", "17": "UDP", "58": "ICMPv6", "47": "GRE", "50": "ESP",
		"51": "AH", "132": "SCTP", "0": "HOPOPT", "253": "253", "-1": "-1", "NULL": nil}
	for n, want := range cases {
		if got := macroValue(t, e, "protocol_name("+n+")"); got != want {
			t.Errorf("protocol_name(%s) = %v, want %v", n, got, want)
		}
	}
}

func TestTCPFlagNames(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	cases := map[string]any{
		"0": "", "1": "FIN", "2": "SYN", "3": "SYN,FIN", "4": "RST", "16": "ACK", "18": "SYN-ACK",
		"19": "SYN-ACK,FIN", "22": "SYN-ACK,RST", "6": "SYN,RST", "8": "PSH", "24": "ACK,PSH", "32": "URG",
		"63": "SYN-ACK,FIN,RST,PSH,URG", "64": "64", "66": "SYN,64", "NULL": nil,
	}
	for n, want := range cases {
		if got := macroValue(t, e, "tcp_flag_names("+n+")"); got != want {
			t.Errorf("tcp_flag_names(%s) = %v, want %v", n, got, want)
		}
	}
}

func TestServicePort(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	cases := map[string]any{"22": "ssh", "443": "https", "3389": "rdp", "5432": "postgresql", "53": "dns",
		"80": "http", "25": "smtp", "3306": "mysql", "6379": "redis", "0": "0", "65535": "65535", "NULL": nil}
	for n, want := range cases {
		if got := macroValue(t, e, "service_port("+n+")"); got != want {
			t.Errorf("service_port(%s) = %v, want %v", n, got, want)
		}
	}
}

func TestMacrosOverColumns(t *testing.T) {
	// Macros must work on columns, not only on constants that DuckDB folds.
	e := openEngine(t, Options{Data: t.TempDir()})
	rows := queryRows(t, e, `
		SELECT count(*) FILTER (WHERE is_private(ip)) AS private,
		       count(*) FILTER (WHERE in_cidr(ip, '10.0.0.0/8')) AS ten,
		       count(*) FILTER (WHERE in_cidr(ip, net)) AS per_row
		FROM (VALUES ('10.0.0.1', '10.0.0.0/24'), ('8.8.8.8', '8.8.0.0/16'), ('fd00::5', 'fd00::/8'), ('2001:db8::1', '2001:db9::/32')) t(ip, net)`)
	if toInt(t, rows[0]["private"]) != 2 || toInt(t, rows[0]["ten"]) != 1 || toInt(t, rows[0]["per_row"]) != 3 {
		t.Errorf("counts = %v, want private 2, ten 1, per_row 3", rows[0])
	}
}

// privateMacroCases are the addresses on which the is_private macro must
// agree with dataset.IsPrivate: the edges of every range, IPv6 forms,
// zones, IPv4-mapped and IPv4-embedded addresses, and text that is not an
// address.
var privateMacroCases = []string{
	// IPv4 range edges.
	"9.255.255.255", "10.0.0.0", "10.0.0.1", "010.0.0.1", "10.255.255.255", "11.0.0.0",
	"172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0",
	"192.167.255.255", "192.168.0.0", "192.168.1.1", "192.168.255.255", "192.169.0.1",
	"100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0",
	"126.255.255.255", "127.0.0.0", "127.0.0.1", "127.255.255.255", "128.0.0.0",
	"169.253.255.255", "169.254.0.0", "169.254.169.254", "169.254.255.255", "169.255.0.0",
	"0.0.0.0", "255.255.255.255", "192.0.2.10", "198.51.100.200", "203.0.113.66", "198.18.0.1", "8.8.8.8",
	// IPv6.
	"fc00::", "fd00::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"fe00::1", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::1",
	"::1", "::", "::2", "0:0:0:0:0:0:0:1", "2001:db8::1", "2600:1f18::1", "FD00::1", "Fe80::1",
	"1::2:3:4:5:6:7", "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:8",
	// Zones.
	"fe80::1%eth0", "fd00::1%1", "fe80::1%eth0%1", "2001:db8::1%eth0", "fe80::1%", "10.0.0.1%eth0", "%eth0",
	// IPv4-mapped and IPv4-embedded.
	"::ffff:10.1.2.3", "::ffff:8.8.8.8", "::FFFF:192.168.0.1", "::ffff:a01:203", "::ffff:0a01:0203", "0:0:0:0:0:ffff:172.16.0.1",
	"::ffff:10.1.2.3%eth0", "::ffff:010.1.2.3", "::ffff:10.1.2.03", "::ffff:10.1.2", "::ffff:10.1.2.3.4", "::ffff:10.1.2.256",
	"::10.0.0.1", "64:ff9b::10.0.0.1", "1:2:3:4:5:6:10.0.0.1", "1:2:3:4:5:6:7:10.0.0.1", "::1.2.3.4:5", "10.0.0.1::",
	// Not addresses.
	"", "-", "10.0.0", "10.0.0.1.2", "10.0.0.256", "10.0.0.1000", "10..0.1", "10.0.0.", ".10.0.0.1",
	" 10.0.0.1", "10.0.0.1 ", "0x0a.0.0.1", "+10.0.0.1", "1:2:3", "fd00::1::2", "1:2:3:4:5:6:7:8:9",
	"1:2:3:4:5:6:7:8::", ":1::2", "1::2:", "12345::1", "fd00::00001", "g::1", " fd00::1", "fd00::1 ", "10.0.0.1:80",
}

func TestIsPrivateMatchesGo(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})

	// One query over a column, so that DuckDB evaluates the macro on a
	// vector of rows rather than folding a constant.
	values := make([]string, len(privateMacroCases))
	for i, addr := range privateMacroCases {
		values[i] = "(" + sqlString(addr) + ")"
	}
	rows := queryRows(t, e, "SELECT addr, is_private(addr) AS private FROM (VALUES "+strings.Join(values, ", ")+") t(addr)")
	if len(rows) != len(privateMacroCases) {
		t.Fatalf("got %d rows, want %d", len(rows), len(privateMacroCases))
	}
	for _, r := range rows {
		addr := r["addr"].(string)
		var want any
		if private, ok := dataset.IsPrivate([]byte(addr)); ok {
			want = private
		}
		if r["private"] != want {
			t.Errorf("is_private(%q) = %v, dataset.IsPrivate gives %v", addr, r["private"], want)
		}
	}
}

func TestHostPort(t *testing.T) {
	e := openEngine(t, Options{Data: t.TempDir()})
	cases := map[string]any{
		"host_port('10.0.0.1', 22)":          "10.0.0.1:22",
		"host_port('2001:db8:1::10', 22)":    "[2001:db8:1::10]:22",
		"host_port('::ffff:10.0.0.1', 5432)": "[::ffff:10.0.0.1]:5432",
		"host_port(NULL, 22)":                nil,
		"host_port('10.0.0.1', NULL)":        nil,
	}
	for call, want := range cases {
		if got := macroValue(t, e, call); got != want {
			t.Errorf("%s = %v, want %v", call, got, want)
		}
	}
}
