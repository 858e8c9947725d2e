/*---
id: port_sweep_horizontal
title: Horizontal port sweep
description: >
  One source probes one port on many distinct destination hosts within a
  window that slides with each probe, as worm propagation and host discovery
  do. Only probes count: rejected records or records of at most max_packets
  packets, over TCP or UDP. Ports that clients reach on many hosts as a
  matter of course are left out. A service's replies to clients' ephemeral
  ports do not count: records from a port below 1024 to a port at or above
  1024, or with SYN and ACK set. A probe sent from a source port below 1024
  therefore counts only toward ports below 1024.
severity: medium
attack:
  - tactic: TA0007
    technique: T1046
  - tactic: TA0007
    technique: T1018
  - tactic: TA0043
    technique: T1595.001
tags: [scan, sweep, reconnaissance]
entity: source
window: 10m
parameters:
  - name: min_hosts
    type: int
    default: 25
    unit: distinct destinations per window
    description: distinct destination addresses probed on one port by one source within one window that fire the rule
  - name: max_packets
    type: int
    default: 2
    unit: packets
    description: accepted records of at most this many packets count as probes
  - name: excluded_ports
    type: ports
    default: [53, 80, 123, 443, 853]
    unit: ports
    description: destination ports that never count, because clients reach them on many hosts
investigation: >
  Scanners, monitoring hosts and service-discovery agents sweep on purpose:
  allowlist them by source. Otherwise list the destinations that accepted
  the probe and look for follow-up sessions from the same source to them,
  and check the source for malware that spreads over the swept port.
---*/
WITH probes AS (
  SELECT srcaddr, dstaddr, dstport, protocol, start_time, end_time, action,
    time_bucket({{window}}, start_time) AS bucket
  FROM window_flows
  WHERE protocol IN (6, 17) AND NOT list_contains({{excluded_ports}}, dstport)
    AND (action = 'REJECT' OR packets <= {{max_packets}})
    -- A service's reply to a client's ephemeral port is not a probe: a
    -- record from a port below 1024 to a port at or above 1024, or with
    -- SYN and ACK set.
    AND NOT (coalesce(srcport < 1024 AND dstport >= 1024, false) OR coalesce(tcp_flags & 18 = 18, false))
),
-- Any window lies within two adjacent buckets aligned to the clock, so a
-- window with n distinct hosts needs at least n probes, and then n distinct
-- hosts, in its two buckets. Counting per bucket is cheap and leaves few
-- bucket pairs to slide over.
counts AS (
  SELECT srcaddr, dstport, protocol, bucket, count(*) AS n FROM probes GROUP BY ALL
),
busy AS (
  SELECT a.srcaddr, a.dstport, a.protocol, unnest([a.bucket, a.bucket + {{window}}]) AS bucket
  FROM counts a LEFT JOIN counts b
    ON b.srcaddr = a.srcaddr AND b.dstport = a.dstport AND b.protocol = a.protocol AND b.bucket = a.bucket + {{window}}
  WHERE a.n + coalesce(b.n, 0) >= {{min_hosts}}
),
distinct_counts AS (
  SELECT p.srcaddr, p.dstport, p.protocol, p.bucket, count(DISTINCT p.dstaddr) AS n
  FROM probes p
  SEMI JOIN busy USING (srcaddr, dstport, protocol, bucket)
  GROUP BY ALL
),
candidates AS (
  SELECT a.srcaddr, a.dstport, a.protocol, unnest([a.bucket, a.bucket + {{window}}]) AS bucket
  FROM distinct_counts a LEFT JOIN distinct_counts b
    ON b.srcaddr = a.srcaddr AND b.dstport = a.dstport AND b.protocol = a.protocol AND b.bucket = a.bucket + {{window}}
  WHERE a.n + coalesce(b.n, 0) >= {{min_hosts}}
),
sliding AS (
  SELECT p.srcaddr, p.dstport, p.protocol,
    count(DISTINCT p.dstaddr) OVER (PARTITION BY p.srcaddr, p.dstport, p.protocol ORDER BY p.start_time
      RANGE BETWEEN to_seconds({{window_seconds}} - 1) PRECEDING AND CURRENT ROW) AS n
  FROM probes p
  SEMI JOIN candidates USING (srcaddr, dstport, protocol, bucket)
),
fired AS (
  SELECT srcaddr, dstport, protocol, max(n) AS peak_window_hosts
  FROM sliding
  GROUP BY ALL
  HAVING max(n) >= {{min_hosts}}
)
SELECT p.srcaddr || ' -> *:' || p.dstport AS entity,
  p.srcaddr AS src_addr, p.dstport AS dst_port, p.protocol AS protocol,
  min(p.start_time) AS first_seen, max(p.end_time) AS last_seen,
  count(DISTINCT p.dstaddr) AS distinct_hosts,
  count(DISTINCT p.dstaddr) FILTER (WHERE p.action = 'ACCEPT') AS accepted_hosts,
  count(*) AS probes,
  count(*) FILTER (WHERE p.action = 'REJECT') AS rejected,
  max(f.peak_window_hosts) AS peak_window_hosts
FROM probes p JOIN fired f USING (srcaddr, dstport, protocol)
GROUP BY p.srcaddr, p.dstport, p.protocol
