package detections

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
)

// Allowlist suppresses findings. A finding is dropped when its source or
// destination address lies in one of the networks, its interface is
// listed, or its destination port is listed, either in Global or in the
// entry of its rule.
type Allowlist struct {
	Global AllowEntry
	Rules  map[string]AllowEntry
	// file is the path LoadAllowlist read, and ruleLines are the lines of
	// the rule ids under rules, for the errors of CheckRules.
	file      string
	ruleLines map[string]int
}

// AllowEntry is one set of allowed networks, interfaces and ports.
type AllowEntry struct {
	CIDRs      []netip.Prefix
	Interfaces []string
	Ports      []int
}

// Add adds the entries of b to a, so that a allows what either allowed.
// Check each allowlist with CheckRules before adding it: the result keeps
// the file and lines of a alone.
func (a *Allowlist) Add(b *Allowlist) {
	if b == nil {
		return
	}
	a.Global = a.Global.plus(b.Global)
	for id, e := range b.Rules {
		if a.Rules == nil {
			a.Rules = map[string]AllowEntry{}
		}
		a.Rules[id] = a.Rules[id].plus(e)
	}
}

func (e AllowEntry) plus(o AllowEntry) AllowEntry {
	return AllowEntry{
		CIDRs:      append(slices.Clip(e.CIDRs), o.CIDRs...),
		Interfaces: append(slices.Clip(e.Interfaces), o.Interfaces...),
		Ports:      append(slices.Clip(e.Ports), o.Ports...),
	}
}

// LoadAllowlist reads an allowlist file:
//
//	cidrs: [10.0.5.0/24, 192.0.2.10]
//	interfaces: [eni-0123456789abcdef0]
//	ports: [123]
//	rules:
//	  ssh_bruteforce:
//	    cidrs: [10.1.1.10]
//
// Errors name the file and the line of the wrong key or list item. A
// leading byte-order mark is skipped.
func LoadAllowlist(path string) (*Allowlist, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read allowlist %q: %w", path, err)
	}
	root, err := parseYAML(string(data))
	if err != nil {
		return nil, fmt.Errorf("parse allowlist %q: %w", path, err)
	}
	a := &Allowlist{Rules: map[string]AllowEntry{}, file: path, ruleLines: map[string]int{}}
	if root == nil {
		return a, nil
	}
	if root.Kind != 'm' {
		return nil, fmt.Errorf("parse allowlist %q: line %d: expected keys cidrs, interfaces, ports and rules", path, root.Line)
	}
	global, yerr := allowEntry(root, true)
	if yerr != nil {
		return nil, fmt.Errorf("parse allowlist %q: %w", path, yerr)
	}
	a.Global = global
	rules := root.Map["rules"]
	if rules.isNull() {
		return a, nil
	}
	if rules.Kind != 'm' {
		return nil, fmt.Errorf("parse allowlist %q: line %d: rules must map rule ids to keys cidrs, interfaces and ports", path, root.KeyAt["rules"])
	}
	for _, id := range rules.Keys {
		e, yerr := allowEntry(rules.Map[id], false)
		if yerr != nil {
			return nil, fmt.Errorf("parse allowlist %q: line %d: rule %q: %s", path, yerr.Line, id, yerr.Msg)
		}
		a.Rules[id] = e
		a.ruleLines[id] = rules.KeyAt[id]
	}
	return a, nil
}

// allowEntry reads the keys cidrs, interfaces and ports of n, which is the
// top level of the file when top is set, else the section of a rule.
func allowEntry(n *yamlNode, top bool) (AllowEntry, *yamlError) {
	var e AllowEntry
	keys := "cidrs, interfaces or ports"
	if top {
		keys = "cidrs, interfaces, ports or rules"
	}
	if n.Kind != 'm' {
		return e, &yamlError{n.Line, "expected keys " + keys}
	}
	for _, k := range n.Keys {
		if top && k == "rules" {
			continue
		}
		list := n.Map[k]
		switch {
		case k != "cidrs" && k != "interfaces" && k != "ports":
			return e, &yamlError{n.KeyAt[k], fmt.Sprintf("unknown key %q: use %s", k, keys)}
		case list.Kind != 'l':
			return e, &yamlError{n.KeyAt[k], fmt.Sprintf("%s must be a list, such as %s: [...]", k, k)}
		}
		for _, it := range list.Items {
			if it.Kind != 's' || it.isNull() {
				return e, &yamlError{it.Line, fmt.Sprintf("invalid item of %s: give one value, not an empty item, a list or a mapping", k)}
			}
			if err := e.add(k, it.Value); err != nil {
				return e, &yamlError{it.Line, err.Error()}
			}
		}
	}
	return e, nil
}

// add adds one item of the list key.
func (e *AllowEntry) add(key, item string) error {
	switch key {
	case "cidrs":
		p, err := parsePrefix(item)
		if err != nil {
			return err
		}
		e.CIDRs = append(e.CIDRs, p)
	case "interfaces":
		e.Interfaces = append(e.Interfaces, item)
	case "ports":
		ports, err := parsePorts([]string{item})
		if err != nil {
			return err
		}
		e.Ports = append(e.Ports, ports...)
	}
	return nil
}

// CheckRules returns an error naming each rule id under the rules key that
// none of rules has, since the entries of such a section suppress nothing.
// Pass every loaded rule, not only those that a run selects. A nil
// Allowlist has no sections.
func (a *Allowlist) CheckRules(rules []*Rule) error {
	if a == nil {
		return nil
	}
	known := map[string]bool{}
	for _, r := range rules {
		known[r.ID] = true
	}
	var unknown []string
	for id := range a.Rules {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	sort.Slice(unknown, func(i, j int) bool {
		li, lj := a.ruleLines[unknown[i]], a.ruleLines[unknown[j]]
		if li != lj {
			return li < lj
		}
		return unknown[i] < unknown[j]
	})
	errs := make([]error, 0, len(unknown))
	for _, id := range unknown {
		msg := fmt.Sprintf("unknown rule %q under rules, so its entries suppress nothing: see flowq detect list for the rule ids", id)
		switch line := a.ruleLines[id]; {
		case a.file != "" && line > 0:
			errs = append(errs, fmt.Errorf("allowlist %q: line %d: %s", a.file, line, msg))
		case a.file != "":
			errs = append(errs, fmt.Errorf("allowlist %q: %s", a.file, msg))
		default:
			errs = append(errs, fmt.Errorf("allowlist: %s", msg))
		}
	}
	return errors.Join(errs...)
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
// blank lines are skipped. Errors name the file and line. A leading
// byte-order mark is skipped.
func LoadThreatList(path string) (ThreatList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read threat list %q: %w", path, err)
	}
	defer f.Close()
	var out ThreatList
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, byteOrderMark)
		}
		text, _, _ = strings.Cut(text, "#")
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
