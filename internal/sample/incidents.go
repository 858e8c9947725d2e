package sample

import (
	"net/netip"
	"sort"
)

// Names of the incidents in Truth.Incidents.
const (
	IncidentSSHBruteForce = "ssh-brute-force"
	IncidentPortScan      = "port-scan"
	IncidentDoS           = "dos"
	IncidentExfiltration  = "exfiltration"
)

// Plans of the incidents. Offsets are seconds after Options.Start.
const (
	sshBruteForceOffset = 3*3600 + 12*60 // day 1, 03:12 UTC
	sshAttempts         = 640
	sshAcceptedAttempts = 160
	sshAttemptGapMillis = 1875 // 640 attempts in 20 minutes

	portScanOffset    = 14*3600 + 40*60 // day 1, 14:40 UTC
	portScanHighPorts = 200             // on top of ports 1-1024
	portScanGapMillis = 200

	exfiltrationOffset      = 86400 + 1*3600 + 30*60 // day 2, 01:30 UTC
	exfiltrationConnections = 4
	exfiltrationDuration    = 3600
	exfiltrationBytesPer    = 3 << 29 // 1.5 GiB per connection, ±10 %

	dosOffset   = 86400 + 9*3600 + 5*60 // day 2, 09:05 UTC
	dosSources  = 48
	dosDuration = 600
)

var (
	sshAttacker     = netip.MustParseAddr("203.0.113.66")
	portScanner     = netip.MustParseAddr("203.0.113.77")
	exfilDest       = netip.MustParseAddr("198.51.100.200")
	dosSourcePrefix = [3]byte{198, 19, 66}
)

// incidentSpec is an incident as planned: its conversations and the
// entities that Truth reports.
type incidentSpec struct {
	name        string
	description string
	flowLog     int
	// instance is the observer index of the estate's ENI involved.
	instance  int
	direction string
	srcAddrs  []netip.Addr
	dstAddr   netip.Addr
	proto     uint8
	dstPort   uint16
	convs     []conv
}

// planIncidents returns the incidents that fit in the archive's days.
func (g *generator) planIncidents() []*incidentSpec {
	plans := []func() *incidentSpec{g.planSSHBruteForce, g.planPortScan, g.planExfiltration, g.planDoS}
	var out []*incidentSpec
	for _, plan := range plans {
		spec := plan()
		first, last := spec.convs[0].start, spec.convs[0].end
		for _, c := range spec.convs {
			first, last = min(first, c.start), max(last, c.end)
		}
		if first < g.start || last >= g.end {
			continue
		}
		sort.SliceStable(spec.convs, func(i, j int) bool { return spec.convs[i].start < spec.convs[j].start })
		for i := range spec.convs {
			spec.convs[i].incident = int8(len(out))
		}
		out = append(out, spec)
	}
	return out
}

// incidentRNG returns the generator of one conversation of an incident.
func (g *generator) incidentRNG(name string, i int) rng {
	return newRNG(g.seed, hashString(name, 0), uint64(i))
}

func (g *generator) planSSHBruteForce() *incidentSpec {
	target := g.ix.bastionB
	spec := &incidentSpec{
		name: IncidentSSHBruteForce,
		description: "SSH brute force from one internet address against the analytics bastion: " +
			"short, low-byte connections to port 22; the first ones are accepted, the rest are " +
			"rejected once the security group is closed",
		flowLog: flAnalytics, instance: target, direction: "ingress",
		srcAddrs: []netip.Addr{sshAttacker}, dstAddr: g.est.observers[target].ip4,
		proto: protoTCP, dstPort: 22,
	}
	base := g.start + sshBruteForceOffset
	for i := 0; i < sshAttempts; i++ {
		r := g.incidentRNG(spec.name, i)
		t := base + int64(i)*sshAttemptGapMillis/1000
		c := newConv(t, 0, protoTCP)
		if i < sshAcceptedAttempts {
			// A full connection: key exchange and a failed password.
			c.tcp()
			c.end = t + r.between(2, 5)
			c.cPkts, c.sPkts = r.between(14, 24), r.between(12, 20)
			c.cBytes = c.cPkts*52 + r.between(1200, 2600)
			c.sBytes = c.sPkts*52 + r.between(1500, 3000)
		} else {
			c.probe()
			c.accept = false
			c.cPkts = r.between(1, 2)
			c.cBytes = c.cPkts * 60
			c.end = t + c.cPkts - 1
		}
		c.direct(external(sshAttacker, ephemeral(&r)), g.endpoint(target, 22), 0, pathInternetNitro, 0)
		spec.convs = append(spec.convs, c)
	}
	return spec
}

func (g *generator) planPortScan() *incidentSpec {
	target := g.ix.relay
	spec := &incidentSpec{
		name: IncidentPortScan,
		description: "vertical TCP SYN scan from one internet address of every port from 1 to 1024 " +
			"and 200 high ports on the mail relay; only SMTP on port 25 is open",
		flowLog: flProd, instance: target, direction: "ingress",
		srcAddrs: []netip.Addr{portScanner}, dstAddr: g.est.observers[target].ip4,
		proto: protoTCP,
	}

	// Ports 1-1024 and 200 distinct high ports, in random order.
	r := g.incidentRNG(spec.name, -1)
	ports := make([]uint16, 0, 1024+portScanHighPorts)
	for p := 1; p <= 1024; p++ {
		ports = append(ports, uint16(p))
	}
	high := map[uint16]bool{}
	for len(high) < portScanHighPorts {
		high[uint16(1025+r.intn(65535-1024))] = true
	}
	for p := 1025; p <= 65535; p++ {
		if high[uint16(p)] {
			ports = append(ports, uint16(p))
		}
	}
	for i := len(ports) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		ports[i], ports[j] = ports[j], ports[i]
	}

	// Like most SYN scanners, it keeps one source port for the whole scan.
	srcPort := ephemeral(&r)
	base := g.start + portScanOffset
	for i, port := range ports {
		r := g.incidentRNG(spec.name, i)
		t := base + int64(i)*portScanGapMillis/1000
		c := newConv(t, 0, protoTCP)
		if port == 25 {
			// The open port replies with SYN-ACK and the scanner resets.
			c.cOpen, c.cClose, c.sOpen, c.sClose = tcpSYN, tcpRST, tcpSYNACK, 0
			c.cPkts, c.cBytes, c.sPkts, c.sBytes = 2, 84, 1, 44
			c.end = t + 1
		} else {
			c.probe()
			c.accept = false
			c.cPkts = r.between(1, 2)
			c.cBytes = c.cPkts * 44
			c.end = t + c.cPkts - 1
		}
		c.direct(external(portScanner, srcPort), g.endpoint(target, port), 0, pathInternetNitro, 0)
		spec.convs = append(spec.convs, c)
	}
	return spec
}

func (g *generator) planExfiltration() *incidentSpec {
	source := g.ix.etl
	spec := &incidentSpec{
		name: IncidentExfiltration,
		description: "the ETL instance uploads several GiB over HTTPS to one internet address " +
			"through the internet gateway in about an hour, in four parallel connections",
		flowLog: flProd, instance: source, direction: "egress",
		srcAddrs: []netip.Addr{g.est.observers[source].ip4}, dstAddr: exfilDest,
		proto: protoTCP, dstPort: 443,
	}
	base := g.start + exfiltrationOffset
	for i := 0; i < exfiltrationConnections; i++ {
		r := g.incidentRNG(spec.name, i)
		t := base + int64(i)*7
		c := newConv(t, exfiltrationDuration-1-int64(i)*7-r.between(0, 30), protoTCP)
		c.tcp()
		c.cBytes = exfiltrationBytesPer*9/10 + r.between(0, exfiltrationBytesPer/5)
		c.cPkts = (c.cBytes + 1499) / 1500
		c.sPkts = c.cPkts / 2
		c.sBytes = c.sPkts * 52
		c.direct(g.endpoint(source, ephemeral(&r)), external(exfilDest, 443), pathInternetNitro, 0, 0)
		spec.convs = append(spec.convs, c)
	}
	return spec
}

func (g *generator) planDoS() *incidentSpec {
	target := g.ix.publicAPI
	spec := &incidentSpec{
		name: IncidentDoS,
		description: "UDP flood from 48 internet addresses at port 443 of the public API for about " +
			"ten minutes, about a million packets a minute in total, accepted because the API serves HTTP/3",
		flowLog: flProd, instance: target, direction: "ingress",
		dstAddr: g.est.observers[target].ip4, proto: protoUDP, dstPort: 443,
	}
	base := g.start + dosOffset
	for i := 0; i < dosSources; i++ {
		r := g.incidentRNG(spec.name, i)
		src := netip.AddrFrom4([4]byte{dosSourcePrefix[0], dosSourcePrefix[1], dosSourcePrefix[2], byte(1 + i)})
		spec.srcAddrs = append(spec.srcAddrs, src)
		t := base + r.between(0, 15)
		c := newConv(t, dosDuration-1-(t-base)-r.between(0, 15), protoUDP)
		perMinute := r.between(18_000, 30_000)
		size := r.between(64, 120)
		c.cPkts = perMinute * (c.end - c.start + 1) / 60
		c.cBytes = c.cPkts * size
		c.direct(external(src, ephemeral(&r)), g.endpoint(target, 443), 0, pathInternetNitro, 0)
		spec.convs = append(spec.convs, c)
	}
	return spec
}
