package sample

import (
	"net/netip"
)

// conv is one conversation: a TCP connection, a UDP exchange or an ICMP
// echo between a client and a server, with the legs that flow logs see.
type conv struct {
	// start and end are the Unix seconds of the first and last packet,
	// inclusive.
	start, end int64
	proto      uint8
	// Totals over the whole conversation: c* from client to server, s* back.
	cPkts, cBytes int64
	sPkts, sBytes int64
	// accept is false when the server's security group or Block Public
	// Access rejects the client's packets; there is then no reply.
	accept bool
	// bpa marks a rejection by VPC Block Public Access. Such records carry
	// reject-reason BPA and no bytes.
	bpa bool
	// TCP flags the client and the server send in the window where the
	// conversation opens and in the one where it closes.
	cOpen, cClose uint8
	sOpen, sClose uint8
	// incident is the index into generator.incidents, or -1 for background.
	incident int8
	n        int
	legs     [maxLegs]leg
}

// maxLegs is the most legs a conversation has: one through the Transit
// Gateway is logged at the client, at both attachments and at the server,
// in both directions.
const maxLegs = 8

// leg is one direction of a conversation as one observer logs it.
type leg struct {
	obs    int16
	egress bool
	// reverse marks server-to-client packets.
	reverse bool
	// reject marks packets that the observer's security group dropped.
	reject           bool
	src, dst         netip.Addr
	pktSrc, pktDst   netip.Addr
	srcPort, dstPort uint16
	// path is the traffic-path code of egress legs, 0 for '-'.
	path uint8
	// srcService and dstService index awsServices.
	srcService, dstService uint8
	// tgwSrc and tgwDst are the observer indices of the Transit Gateway
	// attachments the packets enter and leave by, -1 for none.
	tgwSrc, tgwDst int16
	// blackhole marks packets that a Transit Gateway blackhole route drops.
	blackhole bool
}

// Traffic-path codes of egress records.
const (
	pathSameVPC       = 1
	pathInterRegion   = 5
	pathGatewayS3     = 7
	pathInternetNitro = 8
)

// awsServices are the pkt-*-aws-service values the estate uses; index 0 is "-".
var awsServices = [...]string{"-", "S3"}

const serviceS3 = 1

// TCP flag values as VPC flow logs report them.
const (
	tcpFIN    = 1
	tcpSYN    = 2
	tcpRST    = 4
	tcpSYNACK = 18
)

// endpoint is one end of a conversation. obs is -1 outside the estate.
type endpoint struct {
	obs  int
	addr netip.Addr
	port uint16
}

func external(addr netip.Addr, port uint16) endpoint {
	return endpoint{obs: -1, addr: addr, port: port}
}

// newConv returns a conversation with no legs.
func newConv(start, duration int64, proto uint8) conv {
	return conv{start: start, end: start + duration, proto: proto, accept: true, incident: -1}
}

// tcp sets the flags of a whole connection: the client's SYN and FIN, the
// server's SYN-ACK and FIN.
func (c *conv) tcp() *conv {
	c.proto = protoTCP
	c.cOpen, c.cClose, c.sOpen, c.sClose = tcpSYN, tcpFIN, tcpSYNACK, tcpFIN
	return c
}

// probe sets the flags of a lone SYN that gets no reply.
func (c *conv) probe() *conv {
	c.proto = protoTCP
	c.cOpen, c.cClose, c.sOpen, c.sClose = tcpSYN, 0, 0, 0
	c.sPkts, c.sBytes = 0, 0
	return c
}

const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

func (c *conv) add(l leg) {
	if l.pktSrc == (netip.Addr{}) {
		l.pktSrc = l.src
	}
	if l.pktDst == (netip.Addr{}) {
		l.pktDst = l.dst
	}
	c.legs[c.n] = l
	c.n++
}

func (c *conv) replies() bool { return c.accept && c.sPkts > 0 }

// direct adds the legs of a conversation with no logged hop in between.
// Each end inside the estate logs its egress and its ingress. clientPath
// and serverPath are the traffic-path codes of the two ends' egress, and
// service is the pkt-*-aws-service code of the server's address.
func (c *conv) direct(client, server endpoint, clientPath, serverPath, service uint8) {
	if client.obs >= 0 {
		c.add(leg{obs: int16(client.obs), egress: true, src: client.addr, dst: server.addr,
			srcPort: client.port, dstPort: server.port, path: clientPath, dstService: service, tgwSrc: -1, tgwDst: -1})
		if c.replies() {
			c.add(leg{obs: int16(client.obs), reverse: true, src: server.addr, dst: client.addr,
				srcPort: server.port, dstPort: client.port, srcService: service, tgwSrc: -1, tgwDst: -1})
		}
	}
	if server.obs >= 0 {
		c.add(leg{obs: int16(server.obs), reject: !c.accept, src: client.addr, dst: server.addr,
			srcPort: client.port, dstPort: server.port, tgwSrc: -1, tgwDst: -1})
		if c.replies() {
			c.add(leg{obs: int16(server.obs), egress: true, reverse: true, src: server.addr, dst: client.addr,
				srcPort: server.port, dstPort: client.port, path: serverPath, tgwSrc: -1, tgwDst: -1})
		}
	}
}

// viaNAT adds the legs of a connection from an instance to the internet
// through the NAT gateway. The gateway's ENI logs four legs; on its private
// side pkt-srcaddr and pkt-dstaddr name the real endpoints while srcaddr and
// dstaddr name the gateway.
func (c *conv) viaNAT(client endpoint, nat *observer, natIndex int, natPort uint16, server endpoint) {
	none := int16(-1)
	c.add(leg{obs: int16(client.obs), egress: true, src: client.addr, dst: server.addr,
		srcPort: client.port, dstPort: server.port, path: pathSameVPC, tgwSrc: none, tgwDst: none})
	c.add(leg{obs: int16(natIndex), src: client.addr, dst: nat.ip4, pktSrc: client.addr, pktDst: server.addr,
		srcPort: client.port, dstPort: server.port, tgwSrc: none, tgwDst: none})
	c.add(leg{obs: int16(natIndex), egress: true, src: nat.ip4, dst: server.addr,
		srcPort: natPort, dstPort: server.port, path: pathInternetNitro, tgwSrc: none, tgwDst: none})
	if !c.replies() {
		return
	}
	c.add(leg{obs: int16(natIndex), reverse: true, src: server.addr, dst: nat.ip4,
		srcPort: server.port, dstPort: natPort, tgwSrc: none, tgwDst: none})
	c.add(leg{obs: int16(natIndex), egress: true, reverse: true, src: nat.ip4, dst: client.addr,
		pktSrc: server.addr, pktDst: client.addr, srcPort: server.port, dstPort: client.port,
		path: pathSameVPC, tgwSrc: none, tgwDst: none})
	c.add(leg{obs: int16(client.obs), reverse: true, src: server.addr, dst: client.addr,
		srcPort: server.port, dstPort: client.port, tgwSrc: none, tgwDst: none})
}

// viaTGW adds the legs of a connection between two VPCs through the Transit
// Gateway: both ENIs log it, and so does each attachment, once per
// direction. clientAttach and serverAttach are observer indices.
func (c *conv) viaTGW(client, server endpoint, clientAttach, serverAttach int) {
	ca, sa := int16(clientAttach), int16(serverAttach)
	none := int16(-1)
	c.add(leg{obs: int16(client.obs), egress: true, src: client.addr, dst: server.addr,
		srcPort: client.port, dstPort: server.port, path: pathSameVPC, tgwSrc: none, tgwDst: none})
	c.add(leg{obs: ca, src: client.addr, dst: server.addr, srcPort: client.port, dstPort: server.port,
		tgwSrc: ca, tgwDst: sa})
	c.add(leg{obs: sa, egress: true, src: client.addr, dst: server.addr, srcPort: client.port, dstPort: server.port,
		tgwSrc: ca, tgwDst: sa})
	c.add(leg{obs: int16(server.obs), src: client.addr, dst: server.addr,
		srcPort: client.port, dstPort: server.port, tgwSrc: none, tgwDst: none})
	if !c.replies() {
		return
	}
	c.add(leg{obs: int16(server.obs), egress: true, reverse: true, src: server.addr, dst: client.addr,
		srcPort: server.port, dstPort: client.port, path: pathSameVPC, tgwSrc: none, tgwDst: none})
	c.add(leg{obs: sa, reverse: true, src: server.addr, dst: client.addr, srcPort: server.port, dstPort: client.port,
		tgwSrc: sa, tgwDst: ca})
	c.add(leg{obs: ca, egress: true, reverse: true, src: server.addr, dst: client.addr, srcPort: server.port, dstPort: client.port,
		tgwSrc: sa, tgwDst: ca})
	c.add(leg{obs: int16(client.obs), reverse: true, src: server.addr, dst: client.addr,
		srcPort: server.port, dstPort: client.port, tgwSrc: none, tgwDst: none})
}

// toBlackhole adds the legs of packets that enter the Transit Gateway and
// hit a blackhole route: the client's egress and the attachment's ingress,
// where the packets count as lost.
func (c *conv) toBlackhole(client endpoint, dst netip.Addr, dstPort uint16, clientAttach int) {
	none := int16(-1)
	c.sPkts, c.sBytes = 0, 0
	c.add(leg{obs: int16(client.obs), egress: true, src: client.addr, dst: dst,
		srcPort: client.port, dstPort: dstPort, path: pathSameVPC, tgwSrc: none, tgwDst: none})
	c.add(leg{obs: int16(clientAttach), src: client.addr, dst: dst, srcPort: client.port, dstPort: dstPort,
		tgwSrc: int16(clientAttach), tgwDst: none, blackhole: true})
}
