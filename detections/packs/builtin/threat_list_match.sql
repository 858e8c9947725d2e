/*---
id: threat_list_match
title: Traffic with a threat-list address
description: >
  A record's source or destination lies in a network of the --threat-list
  file, such as a known command-and-control server, a scanner or a drop
  point. Accepted and rejected records are counted apart. One finding per
  source and destination. The rule finds nothing when no threat list is
  given.
severity: high
attack:
  - tactic: TA0011
    technique: T1071
  - tactic: TA0010
    technique: T1041
  - tactic: TA0043
    technique: T1595
tags: [threat-intel, ioc]
entity: pair
window: 1h
investigation: >
  Check the list entry's source and age, since shared hosting and cloud
  addresses change owners. Accepted outbound traffic from a private host
  to a listed address matters most: look for the process that opened it
  and for other hosts that talk to the same address.
---*/
-- Without a threat list the addresses are not collected at all.
WITH addrs AS (
  SELECT srcaddr AS addr FROM window_flows
  WHERE srcaddr IS NOT NULL AND EXISTS (SELECT 1 FROM threat_list)
  UNION SELECT dstaddr FROM window_flows
  WHERE dstaddr IS NOT NULL AND EXISTS (SELECT 1 FROM threat_list)
),
-- An address lies in a network when its first bits equal the network's
-- first address. One hash join per prefix length in the list compares them,
-- so the time grows with addresses plus networks, not their product. IPv6
-- addresses are converted only when the list has IPv6 networks.
listed AS (
  SELECT m.addr, min(t.network) AS network
  FROM (SELECT a.addr, l.bits, (a.n >> (32 - l.bits)) << (32 - l.bits) AS first
        FROM (SELECT addr, ipv4_to_int(addr) AS n FROM addrs WHERE NOT contains(addr, ':')) a
        CROSS JOIN (SELECT DISTINCT bits FROM threat_list WHERE lo IS NOT NULL) l) m
  JOIN threat_list t ON t.bits = m.bits AND t.lo = m.first
  GROUP BY m.addr
  UNION ALL
  SELECT m.addr, min(t.network)
  FROM (SELECT a.addr, l.bits,
          CASE WHEN l.bits = 0 THEN 0::UHUGEINT
          ELSE (a.n >> (128 - l.bits)::UHUGEINT) << (128 - l.bits)::UHUGEINT END AS first
        FROM (SELECT addr, ipv6_to_int(addr) AS n FROM addrs
              WHERE contains(addr, ':') AND EXISTS (SELECT 1 FROM threat_list WHERE lo6 IS NOT NULL)) a
        CROSS JOIN (SELECT DISTINCT bits FROM threat_list WHERE lo6 IS NOT NULL) l) m
  JOIN threat_list t ON t.bits = m.bits AND t.lo6 = m.first
  GROUP BY m.addr
),
-- Inner joins with the listed addresses: when none is listed, DuckDB does
-- not read window_flows at all. A record whose source is listed counts on
-- the source side only, so no record counts twice.
matched AS (
  SELECT f.srcaddr, f.dstaddr, f.start_time, f.end_time, f.action, f.bytes,
    'source' AS listed_side, s.network
  FROM window_flows f JOIN listed s ON s.addr = f.srcaddr
  UNION ALL
  SELECT f.srcaddr, f.dstaddr, f.start_time, f.end_time, f.action, f.bytes,
    'destination', d.network
  FROM window_flows f JOIN listed d ON d.addr = f.dstaddr
  WHERE NOT EXISTS (SELECT 1 FROM listed l WHERE l.addr = f.srcaddr)
)
SELECT srcaddr || ' -> ' || dstaddr AS entity,
  srcaddr AS src_addr, dstaddr AS dst_addr,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  any_value(listed_side) AS listed_side,
  any_value(network) AS listed_network,
  count(*) AS records,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
  count(*) FILTER (WHERE action = 'REJECT') AS rejected,
  sum(bytes) AS bytes
FROM matched
GROUP BY srcaddr, dstaddr
