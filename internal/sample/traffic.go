package sample

import (
	"net/netip"
)

// exchange fills the packet and byte totals of a TCP conversation from the
// payload sizes: MSS 1448, 52 bytes of IPv4 and TCP headers (72 for IPv6),
// handshake and teardown packets, and one ACK for every two data packets.
func (c *conv) exchange(request, response int64, ipv6 bool) {
	header := int64(52)
	if ipv6 {
		header = 72
	}
	sData := (response + 1447) / 1448
	cData := (request + 1447) / 1448
	c.sPkts = 2 + sData + cData/2
	c.cPkts = 3 + cData + sData/2
	c.sBytes = c.sPkts*header + response
	c.cBytes = c.cPkts*header + request
}

// datagrams fills the totals of a UDP or ICMP exchange of n packets each way.
func (c *conv) datagrams(n, requestSize, responseSize int64) {
	c.cPkts, c.cBytes = n, n*requestSize
	c.sPkts, c.sBytes = n, n*responseSize
}

func pick(r *rng, s []int) int { return s[r.intn(len(s))] }

// web appends one page load: a browser reaches a load balancer over IPv4
// or IPv6, and the load balancer calls an app server or an orders task.
func (x *roles) web(g *generator, t int64, r *rng, out []conv) []conv {
	alb := pick(r, x.albs)
	front := g.endpoint(alb, 443)
	var client netip.Addr
	v6 := r.chance(0.3)
	if v6 {
		client = webClient6(r)
		front.addr = g.est.observers[alb].ip6
	} else {
		client = webClient4(r)
	}
	request := r.logNormal(900, 0.6, 64<<10)
	response := r.logNormal(14<<10, 1.3, 2<<20)
	duration := int64(r.intn(20))
	c := newConv(t, duration, protoTCP)
	c.tcp().exchange(request, response, v6)
	c.direct(external(client, ephemeral(r)), front, 0, pathInternetNitro, 0)
	out = append(out, c)

	target := g.endpoint(pick(r, x.apps), 8080)
	if r.chance(0.3) {
		target = g.endpoint(pick(r, x.orders), 8080)
	}
	back := newConv(t, max(0, duration-1), protoTCP)
	back.tcp().exchange(request+300, response, false)
	back.direct(g.endpoint(alb, ephemeral(r)), target, pathSameVPC, pathSameVPC, 0)
	return append(out, back)
}

// api appends one exchange with the public API instance: HTTPS over IPv4
// or IPv6, HTTP/3 over UDP, or an ICMP echo from a monitor.
func (x *roles) api(g *generator, t int64, r *rng, out []conv) []conv {
	o := g.est.observers[x.publicAPI]
	switch k := r.intn(100); {
	case k < 70:
		v6 := r.chance(0.3)
		client, server := webClient4(r), g.endpoint(x.publicAPI, 443)
		if v6 {
			client, server.addr = webClient6(r), o.ip6
		}
		c := newConv(t, int64(r.intn(15)), protoTCP)
		c.tcp().exchange(r.logNormal(600, 0.6, 32<<10), r.logNormal(3<<10, 1.0, 512<<10), v6)
		c.direct(external(client, ephemeral(r)), server, 0, pathInternetNitro, 0)
		return append(out, c)
	case k < 92:
		c := newConv(t, int64(r.intn(10)), protoUDP)
		c.datagrams(r.between(3, 30), 1200, r.between(200, 1250))
		c.direct(external(webClient4(r), ephemeral(r)), g.endpoint(x.publicAPI, 443), 0, pathInternetNitro, 0)
		return append(out, c)
	case k < 96:
		c := newConv(t, 3, protoICMP)
		c.datagrams(4, 84, 84)
		c.direct(external(monitorAddr, 0), g.endpoint(x.publicAPI, 0), 0, pathInternetNitro, 0)
		return append(out, c)
	default:
		c := newConv(t, 3, protoICMPv6)
		c.datagrams(4, 104, 104)
		server := g.endpoint(x.publicAPI, 0)
		server.addr = o.ip6
		c.direct(external(monitorV6, 0), server, 0, pathInternetNitro, 0)
		return append(out, c)
	}
}

// appDB appends one database session from an app server or task to
// PostgreSQL on 5432 or MySQL on 3306.
func (x *roles) appDB(g *generator, t int64, r *rng, out []conv) []conv {
	var client, server int
	port := uint16(5432)
	switch k := r.intn(100); {
	case k < 45:
		client, server = pick(r, x.apps), x.pgPrimary
	case k < 60:
		client, server = pick(r, x.apps), x.pgReplica
	case k < 75:
		client, server, port = pick(r, x.apps), x.mysql, 3306
	case k < 90:
		client, server = pick(r, x.orders), x.pgPrimary
	default:
		client, server, port = pick(r, x.reports), x.mysql, 3306
	}
	c := newConv(t, r.logNormal(4, 1.4, 300), protoTCP)
	c.tcp().exchange(r.logNormal(700, 1.0, 256<<10), r.logNormal(6<<10, 1.5, 4<<20), false)
	c.direct(g.endpoint(client, ephemeral(r)), g.endpoint(server, port), pathSameVPC, pathSameVPC, 0)
	return append(out, c)
}

// lookup appends one DNS query to an in-VPC resolver instance. Queries to the
// Amazon-provided resolver at the VPC base plus two are never logged, so
// the estate runs its own forwarders.
func lookup(g *generator, t int64, r *rng, client, resolver int, out []conv) []conv {
	c := newConv(t, 0, protoUDP)
	c.datagrams(1, r.between(60, 90), r.between(90, 400))
	if r.chance(0.05) {
		c.cPkts, c.cBytes = 2, c.cBytes*2
		c.end++
	}
	c.direct(g.endpoint(client, ephemeral(r)), g.endpoint(resolver, 53), pathSameVPC, pathSameVPC, 0)
	return append(out, c)
}

func (x *roles) dnsProd(g *generator, t int64, r *rng, out []conv) []conv {
	return lookup(g, t, r, pick(r, x.dnsClientsProd), x.dnsA, out)
}

func (x *roles) dnsAnalytics(g *generator, t int64, r *rng, out []conv) []conv {
	return lookup(g, t, r, pick(r, x.dnsClientsAnalytics), x.dnsB, out)
}

// spare appends a rare DNS query of an otherwise idle instance.
func (x *roles) spare(g *generator, t int64, r *rng, out []conv) []conv {
	return lookup(g, t, r, x.spareHost, x.dnsA, out)
}

// egressNAT appends an HTTPS call from a private subnet to an internet service
// through the NAT gateway.
func (x *roles) egressNAT(g *generator, t int64, r *rng, out []conv) []conv {
	server := external(internetServices[r.intn(len(internetServices))], 443)
	c := newConv(t, int64(r.intn(25)), protoTCP)
	c.tcp().exchange(r.logNormal(1500, 0.8, 128<<10), r.logNormal(5<<10, 1.2, 1<<20), false)
	c.viaNAT(g.endpoint(pick(r, x.natClients), ephemeral(r)), g.est.observers[x.nat], x.nat, uint16(1024+r.intn(64511)), server)
	return append(out, c)
}

// egressDirect appends an HTTPS call from a host with a route to the
// internet gateway: a package update from the data subnet, an IPv6 call
// of the API, or a call of an analytics worker.
func (x *roles) egressDirect(g *generator, t int64, r *rng, out []conv) []conv {
	var client endpoint
	server := external(internetServices[r.intn(len(internetServices))], 443)
	v6 := false
	switch k := r.intn(100); {
	case k < 30:
		client = g.endpoint(pick(r, []int{x.etl, x.backup, x.pgPrimary}), ephemeral(r))
		server = external(internetServices[2], 443)
	case k < 50:
		client = g.endpoint(x.publicAPI, ephemeral(r))
		client.addr = g.est.observers[x.publicAPI].ip6
		server = external(ipv6Mirror, 443)
		v6 = true
	default:
		client = g.endpoint(pick(r, x.workers), ephemeral(r))
	}
	c := newConv(t, int64(r.intn(40)), protoTCP)
	c.tcp().exchange(r.logNormal(1200, 0.8, 64<<10), r.logNormal(20<<10, 1.5, 8<<20), v6)
	c.direct(client, server, pathInternetNitro, 0, 0)
	return append(out, c)
}

// s3Transfer appends an S3 request through the gateway endpoint.
func s3Transfer(g *generator, t int64, r *rng, client int, out []conv) []conv {
	c := newConv(t, int64(r.intn(45)), protoTCP)
	upload := r.chance(0.5)
	body := r.logNormal(64<<10, 1.5, 8<<20)
	if upload {
		c.tcp().exchange(body, 600, false)
	} else {
		c.tcp().exchange(700, body, false)
	}
	c.direct(g.endpoint(client, ephemeral(r)), external(s3Addr(r), 443), pathGatewayS3, 0, serviceS3)
	return append(out, c)
}

func (x *roles) s3Prod(g *generator, t int64, r *rng, out []conv) []conv {
	return s3Transfer(g, t, r, pick(r, []int{x.backup, x.etl, x.reports[0], x.reports[1]}), out)
}

func (x *roles) s3Analytics(g *generator, t int64, r *rng, out []conv) []conv {
	return s3Transfer(g, t, r, pick(r, x.workers), out)
}

// replication appends an analytics worker's read of the production
// replica through the Transit Gateway.
func (x *roles) replication(g *generator, t int64, r *rng, out []conv) []conv {
	c := newConv(t, r.logNormal(8, 1.3, 600), protoTCP)
	c.tcp().exchange(r.logNormal(1000, 0.8, 64<<10), r.logNormal(48<<10, 1.5, 10<<20), false)
	c.viaTGW(g.endpoint(pick(r, x.workers), ephemeral(r)), g.endpoint(x.pgReplica, 5432), x.tgwAnalytics, x.tgwProd)
	return append(out, c)
}

// blackhole appends an app server's attempt to reach a retired analytics
// subnet, 10.1.200.0/24, whose Transit Gateway route is a blackhole.
func (x *roles) blackhole(g *generator, t int64, r *rng, out []conv) []conv {
	c := newConv(t, 0, protoTCP)
	c.probe()
	c.cPkts = r.between(1, 3)
	c.cBytes = c.cPkts * 60
	c.end = t + (c.cPkts-1)*3
	dst := netip.AddrFrom4([4]byte{10, 1, 200, byte(1 + r.intn(20))})
	c.toBlackhole(g.endpoint(pick(r, x.apps), ephemeral(r)), dst, 5432, x.tgwProd)
	return append(out, c)
}

// Ports that internet scanners try most, before falling back to a random one.
var scannedPorts = []uint16{22, 23, 80, 443, 445, 3389, 8080, 8443, 25, 5900, 6379, 9200, 1433, 3306, 5432, 21, 2375, 5060}

// probe appends one internet scanner's attempt at one port. Only the ports the
// target serves accept it: HTTPS on the load balancers and the API, SMTP on
// the relay, and SSH on the analytics bastion while it was open.
func (x *roles) probe(g *generator, t int64, r *rng, target int, out []conv) []conv {
	port := scannedPorts[r.intn(len(scannedPorts))]
	if r.chance(0.3) {
		port = uint16(1 + r.intn(65535))
	}
	o := g.est.observers[target]
	proto := uint8(protoTCP)
	if r.chance(0.1) {
		proto = protoUDP
		port = []uint16{53, 123, 161, 1900, 5060}[r.intn(5)]
	}
	open := proto == protoTCP && !o.bpa && (port == 443 && (target == x.publicAPI || target == x.albs[0] || target == x.albs[1]) ||
		port == 25 && target == x.relay ||
		port == 22 && target == x.bastionB && t < x.bastionBClosedAt)
	c := newConv(t, 0, proto)
	if open {
		c.tcp().exchange(r.between(0, 600), r.between(0, 4000), false)
		c.end = t + int64(r.intn(2))
	} else {
		c.probe()
		c.proto = proto
		if proto == protoUDP {
			c.cOpen = 0
		}
		c.accept = false
		c.bpa = o.bpa
		c.cPkts = r.between(1, 2)
		c.cBytes = c.cPkts * 44
		c.end = t + c.cPkts - 1
	}
	c.direct(external(scannerAddr(r), ephemeral(r)), g.endpoint(target, port), 0, pathInternetNitro, 0)
	return append(out, c)
}

func (x *roles) scanProd(g *generator, t int64, r *rng, out []conv) []conv {
	return x.probe(g, t, r, pick(r, x.scanTargetsProd), out)
}

func (x *roles) scanAnalytics(g *generator, t int64, r *rng, out []conv) []conv {
	return x.probe(g, t, r, x.bastionB, out)
}

// admin appends one piece of staff and partner traffic: an SSH session
// from the office to a bastion or on to an app server, a partner's SFTP
// upload, or inbound mail.
func (x *roles) admin(g *generator, t int64, r *rng, out []conv) []conv {
	office := officeAddrs[r.intn(len(officeAddrs))]
	session := func(client, server endpoint, clientPath, serverPath uint8) {
		c := newConv(t, r.between(60, 2400), protoTCP)
		c.tcp().exchange(r.logNormal(24<<10, 1.0, 1<<20), r.logNormal(200<<10, 1.2, 8<<20), false)
		c.direct(client, server, clientPath, serverPath, 0)
		out = append(out, c)
	}
	switch k := r.intn(100); {
	case k < 35:
		session(external(office, ephemeral(r)), g.endpoint(x.bastionA, 22), 0, pathInternetNitro)
	case k < 60:
		session(g.endpoint(x.bastionA, ephemeral(r)), g.endpoint(pick(r, x.apps), 22), pathSameVPC, pathSameVPC)
	case k < 75:
		session(external(office, ephemeral(r)), g.endpoint(x.bastionB, 22), 0, pathInternetNitro)
	case k < 85:
		c := newConv(t, r.between(5, 120), protoTCP)
		c.tcp().exchange(r.logNormal(2<<20, 1.0, 8<<20), 4<<10, false)
		c.direct(external(partnerSFTP, ephemeral(r)), g.endpoint(x.relay, 22), 0, pathInternetNitro, 0)
		out = append(out, c)
	default:
		c := newConv(t, r.between(1, 10), protoTCP)
		c.tcp().exchange(r.logNormal(30<<10, 1.2, 10<<20), 600, false)
		c.direct(external(mailServers[r.intn(len(mailServers))], ephemeral(r)), g.endpoint(x.relay, 25), 0, pathInternetNitro, 0)
		out = append(out, c)
	}
	return out
}

// dr appends the production primary's WAL shipment to the standby in the
// second region over inter-region peering, or a check of another standby.
func (x *roles) dr(g *generator, t int64, r *rng, out []conv) []conv {
	c := newConv(t, r.between(1, 120), protoTCP)
	standby := x.standbys[0]
	if r.chance(0.7) {
		c.tcp().exchange(r.logNormal(2<<20, 1.0, 8<<20), 2<<10, false)
	} else {
		standby = pick(r, x.standbys[1:])
		c.end = t + 1
		c.tcp().exchange(120, 300, false)
	}
	c.direct(g.endpoint(x.pgPrimary, ephemeral(r)), g.endpoint(standby, 5432), pathInterRegion, pathInterRegion, 0)
	return append(out, c)
}
