/*---
id: unusual_protocol
title: Accepted traffic on an unusual IP protocol
description: >
  Accepted records carry an IP protocol other than ICMP (1), TCP (6), UDP
  (17) and ICMPv6 (58). Tunnels such as GRE (47) and IP-in-IP (4), and
  raw-IP malware channels, show up this way. One finding per source,
  destination and protocol.
severity: low
attack:
  - tactic: TA0011
    technique: T1095
  - tactic: TA0011
    technique: T1572
tags: [protocol, tunnel]
entity: pair
window: 1h
parameters:
  - name: allowed_protocols
    type: ports
    default: [1, 6, 17, 58]
    unit: IANA protocol numbers
    description: protocol numbers that never fire the rule; the ports type is reused for this list of numbers
investigation: >
  VPN appliances (ESP 50, AH 51, GRE 47), routers (OSPF 89, VRRP 112) and
  multicast (IGMP 2, PIM 103) have reasons to use these protocols: add
  their protocol numbers to allowed_protocols or allowlist the hosts. On
  any other host, find the process that sends raw IP packets.
---*/
SELECT srcaddr || ' -> ' || dstaddr || ' protocol ' || protocol AS entity,
  srcaddr AS src_addr, dstaddr AS dst_addr, protocol AS protocol,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(*) AS records, sum(packets) AS packets, sum(bytes) AS bytes
FROM window_flows
WHERE action = 'ACCEPT' AND protocol IS NOT NULL AND NOT list_contains({{allowed_protocols}}, protocol)
GROUP BY srcaddr, dstaddr, protocol
