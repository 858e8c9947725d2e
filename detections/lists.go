package detections

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// Allowlist suppresses findings. A finding is dropped when its source or
// destination address lies in one of the networks, its interface is
// listed, or its destination port is listed, either in Global or in the
// entry of its rule.
type Allowlist struct {
	Global AllowEntry
	Rules  map[string]AllowEntry
}

// AllowEntry is one set of allowed networks, interfaces and ports.
type AllowEntry struct {
	CIDRs      []netip.Prefix
	Interfaces []string
	Ports      []int
}

// LoadAllowlist reads an allowlist file:
//
//	cidrs: [10.0.5.0/24, 192.0.2.10]
//	interfaces: [eni-0123456789abcdef0]
//	ports: [123]
//	rules:
//	  ssh_bruteforce:
//	    cidrs: [10.1.1.10]
func LoadAllowlist(path string) (*Allowlist, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read allowlist %q: %w", path, err)
	}
	root, err := parseYAML(string(data))
	if err != nil {
		return nil, fmt.Errorf("parse allowlist %q: %w", path, err)
	}
	a := &Allowlist{Rules: map[string]AllowEntry{}}
	if root == nil {
		return a, nil
	}
	if root.Kind != 'm' {
		return nil, fmt.Errorf("parse allowlist %q: line %d: expected keys cidrs, interfaces, ports and rules", path, root.Line)
	}
	if a.Global, err = allowEntry(root, true); err != nil {
		return nil, fmt.Errorf("parse allowlist %q: %w", path, err)
	}
	if rules := root.Map["rules"]; rules != nil && rules.Kind == 'm' {
		for _, id := range rules.Keys {
			e, err := allowEntry(rules.Map[id], false)
			if err != nil {
				return nil, fmt.Errorf("parse allowlist %q: rule %q: %w", path, id, err)
			}
			a.Rules[id] = e
		}
	}
	return a, nil
}

func allowEntry(n *yamlNode, top bool) (AllowEntry, error) {
	var e AllowEntry
	if n.Kind != 'm' {
		return e, fmt.Errorf("line %d: expected keys cidrs, interfaces and ports", n.Line)
	}
	for _, k := range n.Keys {
		if k != "cidrs" && k != "interfaces" && k != "ports" && !(top && k == "rules") {
			return e, fmt.Errorf("line %d: unknown key %q: use cidrs, interfaces, ports or rules", n.KeyAt[k], k)
		}
		items, ok := n.Map[k].Strings()
		if k == "rules" {
			continue
		}
		if !ok {
			return e, fmt.Errorf("line %d: %s must be a list", n.KeyAt[k], k)
		}
		switch k {
		case "cidrs":
			for _, it := range items {
				p, err := parsePrefix(it)
				if err != nil {
					return e, fmt.Errorf("line %d: %w", n.KeyAt[k], err)
				}
				e.CIDRs = append(e.CIDRs, p)
			}
		case "interfaces":
			e.Interfaces = items
		case "ports":
			ports, err := parsePorts(items)
			if err != nil {
				return e, fmt.Errorf("line %d: %w", n.KeyAt[k], err)
			}
			e.Ports = ports
		}
	}
	return e, nil
}

// Allows reports whether the allowlist suppresses f.
func (a *Allowlist) Allows(f *Finding) bool {
	if a == nil {
		return false
	}
	if a.Global.matches(f) {
		return true
	}
	e, ok := a.Rules[f.RuleID]
	return ok && e.matches(f)
}

func (e AllowEntry) matches(f *Finding) bool {
	for _, s := range []string{f.SrcAddr, f.DstAddr} {
		if s == "" {
			continue
		}
		addr, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		for _, p := range e.CIDRs {
			if p.Contains(addr.Unmap()) {
				return true
			}
		}
	}
	for _, i := range e.Interfaces {
		if f.InterfaceID != "" && i == f.InterfaceID {
			return true
		}
	}
	for _, p := range e.Ports {
		if f.DstPort != nil && *f.DstPort == p {
			return true
		}
	}
	return false
}

// ThreatList is a list of addresses and networks of known bad actors.
type ThreatList []netip.Prefix

// LoadThreatList reads one address or CIDR a line; # starts a comment and
// blank lines are skipped. Errors name the file and line.
func LoadThreatList(path string) (ThreatList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read threat list %q: %w", path, err)
	}
	defer f.Close()
	var out ThreatList
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		p, err := parsePrefix(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read threat list %q: %w", path, err)
	}
	return out, nil
}
