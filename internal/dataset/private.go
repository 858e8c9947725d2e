package dataset

import "net/netip"

// IsPrivate classifies an address written as text. ok is false when the
// text is not an IPv4 or IPv6 address; the column then holds NULL.
//
// Private addresses never route on the internet: RFC 1918, shared address
// space 100.64.0.0/10, loopback and link-local for IPv4; unique local
// fc00::/7, link-local fe80::/10 and ::1 for IPv6, and IPv4-mapped IPv6
// addresses by their IPv4 address. The documentation and benchmarking
// ranges count as public, as they do for routing. The is_private SQL macro
// of the query engine classifies text the same way.
func IsPrivate(text []byte) (private, ok bool) {
	if v4, ok := parseIPv4(text); ok {
		return isPrivate4(v4), true
	}
	for _, c := range text {
		if c == ':' {
			a, err := netip.ParseAddr(string(text))
			if err != nil {
				return false, false
			}
			a = a.WithZone("")
			if a.Is4In6() {
				return isPrivate4(a.As4()), true
			}
			b := a.As16()
			switch {
			case b[0]&0xfe == 0xfc: // fc00::/7
				return true, true
			case b[0] == 0xfe && b[1]&0xc0 == 0x80: // fe80::/10
				return true, true
			}
			return a == netip.IPv6Loopback(), true
		}
	}
	return false, false
}

// parseIPv4 accepts four decimal parts of one to three digits, each at
// most 255, separated by dots.
func parseIPv4(text []byte) (a [4]byte, ok bool) {
	part, digits, n := 0, 0, 0
	for _, c := range text {
		switch {
		case c >= '0' && c <= '9':
			if digits == 3 {
				return a, false
			}
			n = n*10 + int(c-'0')
			digits++
		case c == '.':
			if digits == 0 || part == 3 || n > 255 {
				return a, false
			}
			a[part] = byte(n)
			part, digits, n = part+1, 0, 0
		default:
			return a, false
		}
	}
	if part != 3 || digits == 0 || n > 255 {
		return a, false
	}
	a[3] = byte(n)
	return a, true
}

func isPrivate4(a [4]byte) bool {
	switch {
	case a[0] == 10, a[0] == 127: // 10.0.0.0/8, 127.0.0.0/8
		return true
	case a[0] == 172 && a[1]&0xf0 == 16: // 172.16.0.0/12
		return true
	case a[0] == 192 && a[1] == 168: // 192.168.0.0/16
		return true
	case a[0] == 100 && a[1]&0xc0 == 64: // 100.64.0.0/10
		return true
	case a[0] == 169 && a[1] == 254: // 169.254.0.0/16
		return true
	}
	return false
}
