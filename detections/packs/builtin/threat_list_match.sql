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
listed AS (
  SELECT a.addr, min(t.network) AS network
  FROM addrs a JOIN threat_list t ON CASE
    WHEN t.lo IS NULL THEN coalesce(in_cidr(a.addr, t.network), false)
    ELSE NOT contains(a.addr, ':') AND ipv4_to_int(a.addr) BETWEEN t.lo AND t.hi END
  GROUP BY a.addr
)
SELECT f.srcaddr || ' -> ' || f.dstaddr AS entity,
  f.srcaddr AS src_addr, f.dstaddr AS dst_addr,
  min(f.start_time) AS first_seen, max(f.end_time) AS last_seen,
  CASE WHEN any_value(s.addr) IS NOT NULL THEN 'source' ELSE 'destination' END AS listed_side,
  coalesce(any_value(s.network), any_value(d.network)) AS listed_network,
  count(*) AS records,
  count(*) FILTER (WHERE f.action = 'ACCEPT') AS accepted,
  count(*) FILTER (WHERE f.action = 'REJECT') AS rejected,
  sum(f.bytes) AS bytes
FROM window_flows f
LEFT JOIN listed s ON s.addr = f.srcaddr
LEFT JOIN listed d ON d.addr = f.dstaddr
WHERE s.addr IS NOT NULL OR d.addr IS NOT NULL
GROUP BY f.srcaddr, f.dstaddr
