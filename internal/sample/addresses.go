package sample

import (
	"net/netip"
)

// Addresses outside the estate. They come from the documentation ranges
// (RFC 5737, RFC 3849) and the benchmarking range 198.18.0.0/15 (RFC 2544),
// so no real network is named.
var (
	// Internet services the estate calls on port 443.
	internetServices = []netip.Addr{
		netip.MustParseAddr("192.0.2.10"),    // payments API
		netip.MustParseAddr("192.0.2.20"),    // identity provider
		netip.MustParseAddr("198.51.100.10"), // package mirror
		netip.MustParseAddr("198.51.100.20"), // telemetry collector
		netip.MustParseAddr("203.0.113.10"),  // partner API
	}
	ipv6Mirror  = netip.MustParseAddr("2001:db8:4000::10")
	officeAddrs = []netip.Addr{netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("192.0.2.101")}
	monitorAddr = netip.MustParseAddr("192.0.2.200")
	monitorV6   = netip.MustParseAddr("2001:db8:4000::200")
	partnerSFTP = netip.MustParseAddr("198.51.100.50")
	mailServers = []netip.Addr{netip.MustParseAddr("203.0.113.25"), netip.MustParseAddr("203.0.113.26")}
)

// webClient4 returns a browser's address in 198.18.0.0/16.
func webClient4(r *rng) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(r.intn(256)), byte(1 + r.intn(254))})
}

// webClient6 returns a browser's address in 2001:db8:ff00::/40.
func webClient6(r *rng) netip.Addr {
	var a [16]byte
	a[0], a[1], a[2], a[3], a[4] = 0x20, 0x01, 0x0d, 0xb8, 0xff
	for i := 5; i < 16; i++ {
		a[i] = byte(r.intn(256))
	}
	return netip.AddrFrom16(a)
}

// scannerAddr returns an internet scanner's address. The pool of about
// 100,000 addresses keeps each scanner's volume low, and it leaves out
// the blocks that the incidents and S3 use.
func scannerAddr(r *rng) netip.Addr {
	switch x := r.intn(100); {
	case x < 70:
		return netip.AddrFrom4([4]byte{198, 18, byte(r.intn(256)), byte(1 + r.intn(254))})
	case x < 95:
		// 198.19.0.0/17 minus 198.19.66.0/24, which the DoS sources use.
		third := byte(r.intn(127))
		if third >= 66 {
			third++
		}
		return netip.AddrFrom4([4]byte{198, 19, third, byte(1 + r.intn(254))})
	default:
		// 203.0.113.128/25; the incidents' sources sit below it.
		return netip.AddrFrom4([4]byte{203, 0, 113, byte(128 + r.intn(127))})
	}
}

// s3Addr returns an address in 198.19.128.0/20, the S3 prefix of the sample.
func s3Addr(r *rng) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 19, byte(128 + r.intn(16)), byte(1 + r.intn(254))})
}

// ephemeral returns a client port in Linux's default range.
func ephemeral(r *rng) uint16 {
	return uint16(32768 + r.intn(28232))
}
