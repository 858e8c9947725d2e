package query

import (
	"fmt"
	"sort"
	"strings"
)

// The macros are plain DuckDB SQL, so they need no extension: DuckDB's
// inet extension is not built into flowq and is never downloaded. Address
// parsing turns IPv4 text into a BIGINT and IPv6 text into a UHUGEINT, and
// every test compares integers. Text that is not an address gives NULL.

// macroIPv4 parses dotted-quad text. A regular expression first requires
// four parts of 1 to 3 ASCII digits, because a cast alone would accept
// hexadecimal, signed or padded parts. The casts then reject parts above
// 255. On a million addresses this form took about a third of the time of
// four split_part calls, measured on the 2-core machine of
// docs/benchmarks.md.
const macroIPv4 = `CREATE OR REPLACE MACRO ipv4_to_int(ip) AS (
  CASE WHEN regexp_full_match(ip, '[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}')
  THEN [TRY_CAST(p[1] AS UTINYINT)::BIGINT * 16777216 + TRY_CAST(p[2] AS UTINYINT)::BIGINT * 65536
      + TRY_CAST(p[3] AS UTINYINT)::BIGINT * 256 + TRY_CAST(p[4] AS UTINYINT)
        FOR p IN [string_split(ip, '.')]][1]
  END)`

// Macro arguments are expanded as text wherever they appear, so a macro
// that used a parsed value several times would parse it again each time.
// The macros below bind such values once with a one-element list
// comprehension, [body FOR x IN [value]][1], which evaluates value once
// per row and lets body refer to it as x.
//
// The IPv6 parser works in three steps. flowq_ipv6_text drops a zone
// (%eth0) and rewrites a trailing dotted quad (::ffff:10.0.0.1) as two
// hexadecimal groups. It returns NULL for an empty zone and for a dotted
// quad with a leading zero in a part, which Go's net/netip rejects too,
// so that is_private agrees with dataset.IsPrivate. flowq_ipv6_groups
// expands "::" to the missing zero groups and returns the eight groups, or
// NULL when the text has more than one "::" or a wrong number of groups. ipv6_to_int checks that each group
// has 1 to 4 hexadecimal digits and joins them.
const macroIPv6Text = `CREATE OR REPLACE MACRO flowq_ipv6_text(ip) AS (
  [CASE WHEN NOT contains(s, '.') THEN s
   ELSE [CASE WHEN n IS NOT NULL
         THEN left(s, length(s) - length(string_split(s, ':')[-1])) || printf('%x:%x', n // 65536, n % 65536)
         END
         FOR n IN [CASE WHEN NOT regexp_matches(string_split(s, ':')[-1], '(^|\.)0[0-9]')
                   THEN ipv4_to_int(string_split(s, ':')[-1]) END]][1]
   END
   FOR s IN [CASE WHEN strpos(ip, '%') = 0 OR strpos(ip, '%') < length(ip) THEN split_part(ip, '%', 1) END]][1])`

const macroIPv6Groups = `CREATE OR REPLACE MACRO flowq_ipv6_groups(t) AS (
  [CASE
   WHEN len(halves) = 1 THEN CASE WHEN len(string_split(t, ':')) = 8 THEN string_split(t, ':') END
   WHEN len(halves) = 2 AND NOT contains(t, ':::') THEN
     [[CASE WHEN len(head) + len(tail) <= 7
       THEN list_concat(head, list_transform(range(8 - len(head) - len(tail)), lambda x: '0'), tail)
       END
       FOR tail IN [CASE WHEN halves[2] = '' THEN []::VARCHAR[] ELSE string_split(halves[2], ':') END]][1]
      FOR head IN [CASE WHEN halves[1] = '' THEN []::VARCHAR[] ELSE string_split(halves[1], ':') END]][1]
   END
   FOR halves IN [string_split(t, '::')]][1])`

const macroIPv6 = `CREATE OR REPLACE MACRO ipv6_to_int(ip) AS (
  list_reduce(
    list_transform(flowq_ipv6_groups(flowq_ipv6_text(ip)),
      lambda g, i: CASE WHEN length(g) BETWEEN 1 AND 4 AND translate(lower(g), '0123456789abcdef', '') = ''
                   THEN TRY_CAST('0x' || g AS USMALLINT)::UHUGEINT << CAST(16 * (8 - i) AS UHUGEINT) END),
    lambda a, b: a | b))`

// macroIsPrivate lists the ranges that are not reachable from the
// internet: RFC 1918, shared address space (CGNAT), loopback and link-local
// for IPv4; unique local, link-local and loopback for IPv6, and IPv4-mapped
// IPv6 addresses by their IPv4 address. Documentation and benchmarking
// ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15,
// 2001:db8::/32) are public, as they are for routing.
const macroIsPrivate4 = `CREATE OR REPLACE MACRO flowq_is_private4(ip4) AS (
  [n >> 24 = 10             -- 10.0.0.0/8
   OR n >> 20 = 2753        -- 172.16.0.0/12
   OR n >> 16 = 49320       -- 192.168.0.0/16
   OR n >> 22 = 401         -- 100.64.0.0/10, shared address space (CGNAT)
   OR n >> 24 = 127         -- 127.0.0.0/8, loopback
   OR n >> 16 = 43518       -- 169.254.0.0/16, link-local
   FOR n IN [ip4]][1])`

const macroIsPrivate6 = `CREATE OR REPLACE MACRO flowq_is_private6(ip6) AS (
  [CASE WHEN n >> CAST(32 AS UHUGEINT) = 65535                        -- ::ffff:0:0/96, IPv4-mapped
   THEN flowq_is_private4(CAST(n & CAST(4294967295 AS UHUGEINT) AS BIGINT))
   ELSE n >> CAST(121 AS UHUGEINT) = 126                               -- fc00::/7, unique local
     OR n >> CAST(118 AS UHUGEINT) = 1018                              -- fe80::/10, link-local
     OR n = 1                                                          -- ::1, loopback
   END
   FOR n IN [ip6]][1])`

const macroIsPrivate = `CREATE OR REPLACE MACRO is_private(ip) AS (
  CASE WHEN contains(ip, ':') THEN flowq_is_private6(ipv6_to_int(ip))
  ELSE flowq_is_private4(ipv4_to_int(ip))
  END)`

// macroInCIDR tests whether an address lies in a network given as
// address/prefix, of either family. A network without /prefix is a single
// address, host bits in the network are ignored, and an address of the
// other family is never inside. Invalid text gives NULL.
const macroCIDRPrefix = `CREATE OR REPLACE MACRO flowq_cidr_prefix(cidr, bits) AS (
  CASE WHEN NOT contains(cidr, '/') THEN bits
  WHEN TRY_CAST(split_part(cidr, '/', 2) AS UTINYINT) <= bits
   AND translate(split_part(cidr, '/', 2), '0123456789', '') = ''
  THEN TRY_CAST(split_part(cidr, '/', 2) AS UTINYINT)
  END)`

const macroInCIDR = `CREATE OR REPLACE MACRO in_cidr(ip, cidr) AS (
  CASE WHEN ip IS NULL OR cidr IS NULL THEN NULL
  WHEN contains(cidr, ':') THEN
    CASE WHEN NOT contains(ip, ':') THEN false
    ELSE ipv6_to_int(ip) >> CAST(128 - flowq_cidr_prefix(cidr, 128) AS UHUGEINT)
       = ipv6_to_int(split_part(cidr, '/', 1)) >> CAST(128 - flowq_cidr_prefix(cidr, 128) AS UHUGEINT)
    END
  WHEN contains(ip, ':') THEN false
  ELSE ipv4_to_int(ip) >> (32 - flowq_cidr_prefix(cidr, 32))
     = ipv4_to_int(split_part(cidr, '/', 1)) >> (32 - flowq_cidr_prefix(cidr, 32))
  END)`

// macroTCPFlagNames names the bits of a tcp_flags value, joined by commas:
// SYN-ACK when both SYN and ACK are set, else SYN or ACK alone, then FIN,
// RST, PSH and URG. Bits above URG are appended as one decimal number.
// 0 gives the empty string and NULL gives NULL.
const macroTCPFlagNames = `CREATE OR REPLACE MACRO tcp_flag_names(n) AS (
  CASE WHEN n IS NULL THEN NULL
  ELSE concat_ws(',',
    CASE WHEN n & 18 = 18 THEN 'SYN-ACK' WHEN n & 2 = 2 THEN 'SYN' WHEN n & 16 = 16 THEN 'ACK' END,
    CASE WHEN n & 1 = 1 THEN 'FIN' END,
    CASE WHEN n & 4 = 4 THEN 'RST' END,
    CASE WHEN n & 8 = 8 THEN 'PSH' END,
    CASE WHEN n & 32 = 32 THEN 'URG' END,
    CASE WHEN n & ~63 <> 0 THEN CAST(n & ~63 AS VARCHAR) END)
  END)`

// macroHostPort joins an address and a port as a URL host does: an IPv6
// address in brackets, so its last group is not read as the port.
const macroHostPort = `CREATE OR REPLACE MACRO host_port(ip, port) AS (
  CASE WHEN contains(ip, ':') THEN '[' || ip || ']' ELSE ip END || ':' || port)`

// protocolNames are the IANA protocol numbers that flow logs commonly show.
var protocolNames = map[int]string{
	0: "HOPOPT", 1: "ICMP", 2: "IGMP", 4: "IPv4", 6: "TCP", 8: "EGP", 17: "UDP",
	41: "IPv6", 43: "IPv6-Route", 44: "IPv6-Frag", 47: "GRE", 50: "ESP", 51: "AH",
	58: "ICMPv6", 59: "IPv6-NoNxt", 60: "IPv6-Opts", 88: "EIGRP", 89: "OSPF",
	103: "PIM", 112: "VRRP", 115: "L2TP", 132: "SCTP", 136: "UDPLite", 137: "MPLS-in-IP",
}

// servicePorts are the well-known services behind common ports, in the
// names of the IANA service registry where it has one.
var servicePorts = map[int]string{
	20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns",
	67: "dhcp", 68: "dhcp", 69: "tftp", 80: "http", 88: "kerberos", 110: "pop3",
	111: "rpcbind", 123: "ntp", 135: "msrpc", 137: "netbios-ns", 138: "netbios-dgm",
	139: "netbios-ssn", 143: "imap", 161: "snmp", 162: "snmptrap", 179: "bgp",
	389: "ldap", 443: "https", 445: "smb", 465: "smtps", 500: "isakmp", 514: "syslog",
	587: "submission", 636: "ldaps", 873: "rsync", 993: "imaps", 995: "pop3s",
	1194: "openvpn", 1433: "mssql", 1521: "oracle", 1723: "pptp", 2049: "nfs",
	2375: "docker", 2376: "docker-tls", 2379: "etcd", 3000: "grafana", 3128: "squid",
	3306: "mysql", 3389: "rdp", 4500: "ipsec-nat-t", 5060: "sip", 5432: "postgresql",
	5439: "redshift", 5671: "amqps", 5672: "amqp", 5900: "vnc", 5985: "winrm",
	5986: "winrm-https", 6379: "redis", 6443: "kubernetes-api", 8080: "http-alt",
	8443: "https-alt", 9092: "kafka", 9200: "elasticsearch", 9418: "git",
	10250: "kubelet", 11211: "memcached", 27017: "mongodb",
}

// caseMacro builds a macro that maps integers to names through a CASE,
// and other values to their decimal text.
func caseMacro(name string, names map[int]string) string {
	keys := make([]int, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE MACRO %s(n) AS (\n  CASE n", name)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n    WHEN %d THEN %s", k, sqlString(names[k]))
	}
	b.WriteString("\n    ELSE CAST(n AS VARCHAR)\n  END)")
	return b.String()
}

// macroStatements returns the statements that define every macro, in
// dependency order.
func macroStatements() []string {
	return []string{
		macroIPv4, macroIPv6Text, macroIPv6Groups, macroIPv6,
		macroIsPrivate4, macroIsPrivate6, macroIsPrivate,
		macroCIDRPrefix, macroInCIDR,
		macroTCPFlagNames, macroHostPort,
		caseMacro("protocol_name", protocolNames),
		caseMacro("service_port", servicePorts),
	}
}

// Macros lists the macros that every connection of an Engine has, with a
// one-line description each, for help texts.
var Macros = []struct{ Name, Description string }{
	{"is_private(ip)", "true for RFC 1918, 100.64.0.0/10, loopback, link-local, fc00::/7, fe80::/10, ::1"},
	{"in_cidr(ip, cidr)", "true when the IPv4 or IPv6 address lies in the network, such as '10.0.0.0/16'"},
	{"ipv4_to_int(ip)", "the IPv4 address as a BIGINT, or NULL"},
	{"ipv6_to_int(ip)", "the IPv6 address as a UHUGEINT, or NULL"},
	{"protocol_name(n)", "the IANA protocol name: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6; else the number"},
	{"tcp_flag_names(n)", "the tcp_flags bits by name: 19 gives 'SYN-ACK,FIN'"},
	{"service_port(n)", "the service of a well-known port: 22 ssh, 443 https; else the number"},
	{"host_port(ip, port)", "'10.0.0.1:22', or '[2001:db8::1]:22' for IPv6"},
}
