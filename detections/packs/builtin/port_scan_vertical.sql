/*---
id: port_scan_vertical
title: Vertical port scan
description: >
  One source probes many distinct ports of one destination within a window
  that slides with each probe. Only probes count: rejected records or
  records of at most max_packets packets. Common service ports are left out,
  because clients legitimately reach many of them. A service's replies to
  clients' ephemeral ports do not count: records from a port below 1024 to a
  port at or above 1024, or with SYN and ACK set. A probe sent from a source
  port below 1024 therefore counts only toward ports below 1024.
severity: medium
attack:
  - tactic: TA0007
    technique: T1046
  - tactic: TA0043
    technique: T1595.001
tags: [scan, reconnaissance]
entity: pair
window: 10m
parameters:
  - name: min_ports
    type: int
    default: 25
    unit: distinct ports per window
    description: distinct probed destination ports from one source to one destination within one window that fire the rule
  - name: max_packets
    type: int
    default: 2
    unit: packets
    description: accepted records of at most this many packets count as probes
  - name: excluded_ports
    type: ports
    default: [53, 80, 123, 443, 853, 8080, 8443]
    unit: ports
    description: destination ports that never count toward the distinct ports
investigation: >
  Vulnerability scanners, monitoring hosts and load-balancer health checks
  look like scans: allowlist them by source. From the evidence, find the
  ports that were accepted, and check the services behind them for
  follow-up connections from the same source.
---*/
WITH probes AS (
  SELECT srcaddr, dstaddr, dstport, start_time, end_time, action,
    time_bucket({{window}}, start_time) AS bucket
  FROM window_flows
  WHERE protocol IN (6, 17) AND NOT list_contains({{excluded_ports}}, dstport)
    AND (action = 'REJECT' OR packets <= {{max_packets}})
    -- A service's reply to a client's ephemeral port is not a probe: a
    -- record from a port below 1024 to a port at or above 1024, or with
    -- SYN and ACK set.
    AND NOT (coalesce(srcport < 1024 AND dstport >= 1024, false) OR coalesce(tcp_flags & 18 = 18, false))
    AND NOT (egress AND dst_private)
),
-- Any window lies within two adjacent buckets aligned to the clock, so a
-- window with n distinct ports needs at least n probes, and then n distinct
-- ports, in its two buckets. Counting per bucket is cheap and leaves few
-- bucket pairs to slide over.
counts AS (
  SELECT srcaddr, dstaddr, bucket, count(*) AS n FROM probes GROUP BY ALL
),
busy AS (
  SELECT a.srcaddr, a.dstaddr, unnest([a.bucket, a.bucket + {{window}}]) AS bucket
  FROM counts a LEFT JOIN counts b
    ON b.srcaddr = a.srcaddr AND b.dstaddr = a.dstaddr AND b.bucket = a.bucket + {{window}}
  WHERE a.n + coalesce(b.n, 0) >= {{min_ports}}
),
distinct_counts AS (
  SELECT p.srcaddr, p.dstaddr, p.bucket, count(DISTINCT p.dstport) AS n
  FROM probes p
  SEMI JOIN busy USING (srcaddr, dstaddr, bucket)
  GROUP BY ALL
),
candidates AS (
  SELECT a.srcaddr, a.dstaddr, unnest([a.bucket, a.bucket + {{window}}]) AS bucket
  FROM distinct_counts a LEFT JOIN distinct_counts b
    ON b.srcaddr = a.srcaddr AND b.dstaddr = a.dstaddr AND b.bucket = a.bucket + {{window}}
  WHERE a.n + coalesce(b.n, 0) >= {{min_ports}}
),
sliding AS (
  SELECT p.srcaddr, p.dstaddr,
    count(DISTINCT p.dstport) OVER (PARTITION BY p.srcaddr, p.dstaddr ORDER BY p.start_time
      RANGE BETWEEN to_seconds({{window_seconds}} - 1) PRECEDING AND CURRENT ROW) AS n
  FROM probes p
  SEMI JOIN candidates USING (srcaddr, dstaddr, bucket)
),
fired AS (
  SELECT srcaddr, dstaddr, max(n) AS peak_window_ports
  FROM sliding
  GROUP BY ALL
  HAVING max(n) >= {{min_ports}}
)
SELECT p.srcaddr || ' -> ' || p.dstaddr AS entity,
  p.srcaddr AS src_addr, p.dstaddr AS dst_addr,
  min(p.start_time) AS first_seen, max(p.end_time) AS last_seen,
  count(DISTINCT p.dstport) AS distinct_ports,
  count(DISTINCT p.dstport) FILTER (WHERE p.action = 'ACCEPT') AS accepted_ports,
  count(*) AS probes,
  count(*) FILTER (WHERE p.action = 'REJECT') AS rejected,
  max(f.peak_window_ports) AS peak_window_ports
FROM probes p JOIN fired f USING (srcaddr, dstaddr)
GROUP BY p.srcaddr, p.dstaddr
