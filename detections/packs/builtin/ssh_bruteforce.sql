/*---
id: ssh_bruteforce
title: SSH brute force
description: >
  One source makes many short, low-byte TCP connections to port 22 of one
  destination within a window, as password guessing does. Accepted and
  rejected attempts are counted apart: accepted ones reached the SSH daemon.
severity: high
attack:
  - tactic: TA0006
    technique: T1110.001
  - tactic: TA0008
    technique: T1021.004
tags: [ssh, brute-force, inbound]
entity: pair
window: 10m
parameters:
  - name: min_attempts
    type: int
    default: 30
    unit: connections per window
    description: short connections from one source to one destination within one window that fire the rule
  - name: max_packets
    type: int
    default: 30
    unit: packets
    description: records with more packets than this are sessions, not attempts
  - name: max_bytes
    type: int
    default: 10000
    unit: bytes
    description: records with more bytes than this are sessions, not attempts
  - name: ports
    type: ports
    default: [22]
    unit: ports
    description: destination ports that SSH listens on
investigation: >
  Check whether the source is a bastion, a configuration-management server
  or a vulnerability scanner of your own, and allowlist it if so. If any
  attempt was accepted, look for a long session from the same source after
  the burst: a successful login follows the short failures.
---*/
WITH attempts AS (
  SELECT srcaddr, dstaddr, dstport, start_time, end_time, action
  FROM window_flows
  WHERE protocol = 6 AND dstport = ANY({{ports}})
    AND packets <= {{max_packets}} AND bytes <= {{max_bytes}}
    AND NOT egress
),
-- n counts the attempts that started in the window that ends at each
-- attempt's start, so any window counts, not only those aligned to the clock.
sliding AS (
  SELECT srcaddr, dstaddr, dstport,
    count(*) OVER (PARTITION BY srcaddr, dstaddr, dstport ORDER BY start_time
      RANGE BETWEEN to_seconds({{window_seconds}} - 1) PRECEDING AND CURRENT ROW) AS n
  FROM attempts
),
fired AS (
  SELECT srcaddr, dstaddr, dstport, max(n) AS peak_window_attempts
  FROM sliding
  GROUP BY ALL
  HAVING max(n) >= {{min_attempts}}
)
SELECT a.srcaddr || ' -> ' || host_port(a.dstaddr, a.dstport) AS entity,
  a.srcaddr AS src_addr, a.dstaddr AS dst_addr, a.dstport AS dst_port, 6 AS protocol,
  min(a.start_time) AS first_seen, max(a.end_time) AS last_seen,
  count(*) AS attempts,
  count(*) FILTER (WHERE a.action = 'ACCEPT') AS accepted,
  count(*) FILTER (WHERE a.action = 'REJECT') AS rejected,
  max(f.peak_window_attempts) AS peak_window_attempts
FROM attempts a JOIN fired f USING (srcaddr, dstaddr, dstport)
GROUP BY a.srcaddr, a.dstaddr, a.dstport
