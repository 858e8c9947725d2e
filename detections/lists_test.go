package detections

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFile writes text to a new file in a test folder and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func intPtr(n int) *int { return &n }

const allowlistFile = `# networks of the office, the NTP servers and the VNC jump hosts
cidrs: [10.0.5.0/24, 192.0.2.10]
interfaces: [eni-0123456789abcdef0]
ports: [123, 5900-5901]
rules:
  ssh_bruteforce:
    cidrs:
      - 203.0.113.0/24
      - 2001:db8:5::/48
  inbound_admin_db_ports:
    ports: [3389]
    interfaces: [eni-0fedcba9876543210]
`

func TestLoadAllowlistGlobalAndPerRule(t *testing.T) {
	a, err := LoadAllowlist(writeFile(t, "allow.yaml", allowlistFile))
	if err != nil {
		t.Fatal(err)
	}

	if got, want := prefixStrings(a.Global.CIDRs), []string{"10.0.5.0/24", "192.0.2.10/32"}; !slices.Equal(got, want) {
		t.Errorf("global cidrs = %v, want %v", got, want)
	}
	if got, want := a.Global.Interfaces, []string{"eni-0123456789abcdef0"}; !slices.Equal(got, want) {
		t.Errorf("global interfaces = %v, want %v", got, want)
	}
	if got, want := a.Global.Ports, []int{123, 5900, 5901}; !slices.Equal(got, want) {
		t.Errorf("global ports = %v, want %v", got, want)
	}

	if len(a.Rules) != 2 {
		t.Fatalf("rule entries = %v, want ssh_bruteforce and inbound_admin_db_ports", a.Rules)
	}
	if got, want := prefixStrings(a.Rules["ssh_bruteforce"].CIDRs), []string{"203.0.113.0/24", "2001:db8:5::/48"}; !slices.Equal(got, want) {
		t.Errorf("ssh_bruteforce cidrs = %v, want %v", got, want)
	}
	if got, want := a.Rules["inbound_admin_db_ports"].Ports, []int{3389}; !slices.Equal(got, want) {
		t.Errorf("inbound_admin_db_ports ports = %v, want %v", got, want)
	}
	if got, want := a.Rules["inbound_admin_db_ports"].Interfaces, []string{"eni-0fedcba9876543210"}; !slices.Equal(got, want) {
		t.Errorf("inbound_admin_db_ports interfaces = %v, want %v", got, want)
	}
}

// The entries of one rule suppress only that rule's findings, and global
// entries suppress every rule's.
func TestLoadAllowlistSuppression(t *testing.T) {
	a, err := LoadAllowlist(writeFile(t, "allow.yaml", allowlistFile))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		finding Finding
		want    bool
	}{
		{"global source network", Finding{RuleID: "port_scan_vertical", SrcAddr: "10.0.5.77"}, true},
		{"global single address as destination", Finding{RuleID: "dos_target", DstAddr: "192.0.2.10"}, true},
		{"address next to the global one", Finding{RuleID: "dos_target", DstAddr: "192.0.2.11"}, false},
		{"global interface", Finding{RuleID: "reject_spike_interface", InterfaceID: "eni-0123456789abcdef0"}, true},
		{"last port of the global range", Finding{RuleID: "risky_egress", DstPort: intPtr(5901)}, true},
		{"port after the global range", Finding{RuleID: "risky_egress", DstPort: intPtr(5902)}, false},
		{"rule network for its rule", Finding{RuleID: "ssh_bruteforce", SrcAddr: "203.0.113.66"}, true},
		{"rule network for another rule", Finding{RuleID: "rdp_bruteforce", SrcAddr: "203.0.113.66"}, false},
		{"rule IPv6 network for its rule", Finding{RuleID: "ssh_bruteforce", SrcAddr: "2001:db8:5:1::9"}, true},
		{"IPv6 address outside the rule network", Finding{RuleID: "ssh_bruteforce", SrcAddr: "2001:db8:6::9"}, false},
		{"rule port for its rule", Finding{RuleID: "inbound_admin_db_ports", DstPort: intPtr(3389)}, true},
		{"rule port for another rule", Finding{RuleID: "rdp_bruteforce", DstPort: intPtr(3389)}, false},
		{"rule interface for its rule", Finding{RuleID: "inbound_admin_db_ports", InterfaceID: "eni-0fedcba9876543210"}, true},
		{"no addresses, interface or port", Finding{RuleID: "ssh_bruteforce"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := a.Allows(&c.finding); got != c.want {
				t.Errorf("Allows = %v, want %v", got, c.want)
			}
		})
	}
}

func TestLoadAllowlistEmptyFile(t *testing.T) {
	a, err := LoadAllowlist(writeFile(t, "allow.yaml", "# nothing is allowed yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Allows(&Finding{RuleID: "ssh_bruteforce", SrcAddr: "10.0.0.1"}) {
		t.Error("an empty allowlist suppressed a finding")
	}
}

func TestLoadAllowlistInvalidNamesFileAndLine(t *testing.T) {
	cases := []struct {
		name, text string
		// wantParts must all appear in the error.
		wantParts []string
	}{
		{"network with too many bits", "cidrs: [10.0.5.0/33]\n", []string{"line 1", `"10.0.5.0/33"`}},
		{"address that is not one", "# header\ncidrs:\n  - 10.0.5.0/24\n  - 10.0.5.300\n", []string{"line 4", `"10.0.5.300"`}},
		{"host name in a block list", "cidrs:\n  - 10.0.0.1\n  - nothost\n", []string{"line 3", `"nothost"`}},
		{"port in a multi-line flow list", "ports: [22,\n  80,\n  http]\n", []string{"line 3", `"http"`}},
		{"list item that is a list", "interfaces:\n  - eni-0123456789abcdef0\n  - [eni-1]\n", []string{"line 3", "invalid item of interfaces"}},
		{"empty list item", "ports:\n  - 22\n  -\n", []string{"line 3", "invalid item of ports"}},
		{"bad item in a rule entry", "rules:\n  ssh_bruteforce:\n    cidrs:\n      - 10.0.0.1\n      - 10.0.0.999\n", []string{"line 5", `"10.0.0.999"`, `"ssh_bruteforce"`}},
		{"bad port in a rule entry", "rules:\n  ssh_bruteforce:\n    ports:\n      - 22\n      - 0-70000\n", []string{"line 5", `"0-70000"`}},
		{"rules as a list", "rules:\n  - ssh_bruteforce\n", []string{"line 1", "rules must map rule ids"}},
		{"port above 65535", "cidrs: [10.0.0.0/8]\nports: [70000]\n", []string{"line 2", `"70000"`}},
		{"reversed port range", "ports: [5910-5900]\n", []string{"line 1", `"5910-5900"`}},
		{"scalar in place of a list", "interfaces: eni-0123456789abcdef0\n", []string{"line 1", "interfaces must be a list"}},
		{"unknown global key", "cidrs: [10.0.0.0/8]\naddresses: [10.0.0.1]\n", []string{"line 2", `"addresses"`}},
		{"unknown key in a rule entry", "rules:\n  ssh_bruteforce:\n    cidr: [10.0.0.1]\n", []string{"line 3", `"cidr"`, `"ssh_bruteforce"`}},
		{"rules nested in a rule entry", "rules:\n  ssh_bruteforce:\n    rules: {}\n", []string{"line 3", `"rules"`}},
		{"IPv6 network with too many bits", "rules:\n  dos_target:\n    cidrs: [\"2001:db8::/129\"]\n", []string{"line 3", `"2001:db8::/129"`}},
		{"list at the top", "- 10.0.0.0/8\n", []string{"line 1"}},
		{"YAML syntax error", "cidrs: [10.0.0.0/8\nports: [22]\n", []string{"line "}},
		{"wrongly indented key", "rules:\n  ssh_bruteforce:\n    cidrs: [10.0.0.1]\n   ports: [22]\n", []string{"line 4: did not find expected key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "allow.yaml", c.text)
			_, err := LoadAllowlist(path)
			if err == nil {
				t.Fatalf("no error for:\n%s", c.text)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			for _, part := range c.wantParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %s", err, part)
				}
			}
		})
	}
}

// A section of a rule takes cidrs, interfaces and ports, and the message
// offers no other key.
func TestLoadAllowlistRuleSectionKeys(t *testing.T) {
	path := writeFile(t, "allow.yaml", "rules:\n  ssh_bruteforce:\n    cidr: [10.0.0.1]\n")
	_, err := LoadAllowlist(path)
	if err == nil {
		t.Fatal("no error for the key cidr")
	}
	want := `parse allowlist "` + path + `": line 3: rule "ssh_bruteforce": unknown key "cidr": use cidrs, interfaces or ports`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// A syntax error gives its line once.
func TestLoadAllowlistSyntaxErrorLineOnce(t *testing.T) {
	path := writeFile(t, "allow.yaml", "cidrs: [10.0.0.1, 10.0.0.2\n")
	_, err := LoadAllowlist(path)
	if err == nil {
		t.Fatal("no error for an unclosed list")
	}
	want := `parse allowlist "` + path + `": line 1: did not find expected ',' or ']'`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestLoadAllowlistByteOrderMark(t *testing.T) {
	_, err := LoadAllowlist(writeFile(t, "allow.yaml", "\ufeffcidrs: [10.0.5.0/24]\nports: [x]\n"))
	if err == nil {
		t.Fatal("no error for port x")
	}
	if !strings.Contains(err.Error(), `line 2: invalid port "x"`) {
		t.Errorf("error = %v, want one about port x on line 2", err)
	}
	a, err := LoadAllowlist(writeFile(t, "allow.yaml", "\ufeffcidrs: [10.0.5.0/24]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := prefixStrings(a.Global.CIDRs); !slices.Equal(got, []string{"10.0.5.0/24"}) {
		t.Errorf("cidrs = %v, want [10.0.5.0/24]", got)
	}
}

func TestAllowlistCheckRules(t *testing.T) {
	rules := []*Rule{{ID: "ssh_bruteforce"}, {ID: "dos_target"}}
	path := writeFile(t, "allow.yaml", "cidrs: [10.0.0.0/8]\nrules:\n  ssh_bruteforce:\n    ports: [22]\n  ssh_brutefroce:\n    ports: [22]\n  dos_targets:\n    cidrs: [192.0.2.1]\n")
	a, err := LoadAllowlist(path)
	if err != nil {
		t.Fatal(err)
	}
	err = a.CheckRules(rules)
	if err == nil {
		t.Fatal("no error for the sections ssh_brutefroce and dos_targets")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 {
		t.Fatalf("error = %q, want one line for each unknown rule", err)
	}
	prefix := `allowlist "` + path + `": `
	if want := prefix + `line 5: unknown rule "ssh_brutefroce" under rules`; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first error = %q, want it to start with %q", lines[0], want)
	}
	if want := prefix + `line 7: unknown rule "dos_targets" under rules`; !strings.HasPrefix(lines[1], want) {
		t.Errorf("second error = %q, want it to start with %q", lines[1], want)
	}
}

func TestAllowlistCheckRulesKnownOrNil(t *testing.T) {
	rules := []*Rule{{ID: "ssh_bruteforce"}, {ID: "inbound_admin_db_ports"}}
	a, err := LoadAllowlist(writeFile(t, "allow.yaml", allowlistFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CheckRules(rules); err != nil {
		t.Errorf("error for known rules: %v", err)
	}
	var none *Allowlist
	if err := none.CheckRules(rules); err != nil {
		t.Errorf("error for a nil allowlist: %v", err)
	}
	built := &Allowlist{Rules: map[string]AllowEntry{"nosuch": {Ports: []int{22}}}}
	err = built.CheckRules(rules)
	if err == nil {
		t.Fatal("no error for the section nosuch of an allowlist built in code")
	}
	if want := `allowlist: unknown rule "nosuch" under rules, so its entries suppress nothing: see flowq detect list for the rule ids`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestLoadAllowlistMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := LoadAllowlist(path)
	if err == nil {
		t.Fatal("no error for a missing file")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestLoadThreatListCommentsAndIPv6(t *testing.T) {
	text := "# feed of 2026-11-30\n" +
		"198.51.100.66\n" +
		"\n" +
		"203.0.113.0/24   # scanner range\n" +
		"   \t\n" +
		"    # an indented comment line\n" +
		"2001:db8:bad::/48\n" +
		"2001:db8::7 # single IPv6 address\n" +
		"10.1.2.3/16\n"
	list, err := LoadThreatList(writeFile(t, "threats.txt", text))
	if err != nil {
		t.Fatal(err)
	}
	// A single address becomes a /32 or /128 network, and host bits of a
	// network are cleared.
	want := []string{"198.51.100.66/32", "203.0.113.0/24", "2001:db8:bad::/48", "2001:db8::7/128", "10.1.0.0/16"}
	if got := prefixStrings(list); !slices.Equal(got, want) {
		t.Errorf("threat list = %v, want %v", got, want)
	}
}

func TestLoadThreatListOnlyComments(t *testing.T) {
	list, err := LoadThreatList(writeFile(t, "threats.txt", "# no entries today\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("threat list = %v, want none", list)
	}
}

func TestLoadThreatListByteOrderMark(t *testing.T) {
	list, err := LoadThreatList(writeFile(t, "threats.txt", "\ufeff198.51.100.200\n203.0.113.0/24\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := prefixStrings(list), []string{"198.51.100.200/32", "203.0.113.0/24"}; !slices.Equal(got, want) {
		t.Errorf("threat list = %v, want %v", got, want)
	}
}

func TestLoadThreatListInvalidNamesFileAndLine(t *testing.T) {
	cases := []struct {
		name, text string
		line       string
		value      string
	}{
		{"IPv4 octet above 255", "# feed\n198.51.100.66\n\n198.51.100.300\n", ":4:", `"198.51.100.300"`},
		{"IPv4 network with too many bits", "10.0.0.0/33 # bad\n", ":1:", `"10.0.0.0/33"`},
		{"IPv6 network with too many bits", "2001:db8::1\n2001:db8::/129\n", ":2:", `"2001:db8::/129"`},
		{"host name", "198.51.100.66\nevil.example.com\n", ":2:", `"evil.example.com"`},
		{"two addresses on one line", "198.51.100.66 198.51.100.67\n", ":1:", `"198.51.100.66 198.51.100.67"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "threats.txt", c.text)
			_, err := LoadThreatList(path)
			if err == nil {
				t.Fatalf("no error for:\n%s", c.text)
			}
			if !strings.HasPrefix(err.Error(), path+c.line) {
				t.Errorf("error %q does not start with %s%s", err, path, c.line)
			}
			if !strings.Contains(err.Error(), c.value) {
				t.Errorf("error %q does not name the value %s", err, c.value)
			}
		})
	}
}

func TestLoadThreatListMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.txt")
	_, err := LoadThreatList(path)
	if err == nil {
		t.Fatal("no error for a missing file")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestAllowlistAdd(t *testing.T) {
	a := &Allowlist{}
	a.Add(&Allowlist{Global: AllowEntry{Ports: []int{123}}})
	a.Add(&Allowlist{Rules: map[string]AllowEntry{"ssh_bruteforce": {CIDRs: []netipPrefix{mustPrefix(t, "203.0.113.0/24")}}}})
	a.Add(nil)
	port := 123
	cases := []struct {
		f    Finding
		want bool
	}{
		{Finding{RuleID: "dos_target", DstPort: &port}, true},
		{Finding{RuleID: "ssh_bruteforce", SrcAddr: "203.0.113.66"}, true},
		{Finding{RuleID: "rdp_bruteforce", SrcAddr: "203.0.113.66"}, false},
	}
	for _, c := range cases {
		if got := a.Allows(&c.f); got != c.want {
			t.Errorf("Allows(%s %s) = %v, want %v", c.f.RuleID, c.f.SrcAddr, got, c.want)
		}
	}
}
