/*---
id: dos_target
title: Flood toward one destination
description: >
  The packets or bytes toward one destination within one window exceed a
  rate per minute, summed over all sources: a volumetric denial of service.
severity: high
attack:
  - tactic: TA0040
    technique: T1498.001
tags: [dos, inbound, volume]
entity: destination
window: 5m
parameters:
  - name: min_packets_per_minute
    type: int
    default: 200000
    unit: packets per minute
    description: packet rate toward one destination, averaged over one window, that fires the rule
  - name: min_bytes_per_minute
    type: int
    default: 1000000000
    unit: bytes per minute
    description: byte rate toward one destination, averaged over one window, that fires the rule
investigation: >
  Check how many sources take part and whether they share a network; a
  load test or a backup target can look like this. Confirm the service
  stayed healthy, and consider AWS Shield or a rate limit at the edge.
---*/
-- Volume per destination and window first; only windows above the rate
-- are read again to count their distinct sources.
WITH volume AS (
  SELECT dstaddr, time_bucket({{window}}, start_time) AS bucket,
    sum(packets) AS packets, sum(bytes) AS bytes
  FROM window_flows
  WHERE NOT egress
  GROUP BY ALL
  HAVING sum(packets) * 60 // {{window_seconds}} >= {{min_packets_per_minute}}
      OR sum(bytes) * 60 // {{window_seconds}} >= {{min_bytes_per_minute}}
),
buckets AS (
  SELECT v.dstaddr, v.bucket, any_value(v.packets) AS packets, any_value(v.bytes) AS bytes,
    min(f.start_time) AS first_seen, max(f.end_time) AS last_seen,
    count(DISTINCT f.srcaddr) AS sources
  FROM window_flows f JOIN volume v
    ON f.dstaddr = v.dstaddr AND time_bucket({{window}}, f.start_time) = v.bucket
  WHERE NOT f.egress
  GROUP BY v.dstaddr, v.bucket
)
SELECT dstaddr AS entity, dstaddr AS dst_addr,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen,
  max(sources) AS peak_window_sources, sum(packets) AS packets, sum(bytes) AS bytes,
  max(packets * 60 // {{window_seconds}}) AS peak_packets_per_minute,
  max(bytes * 60 // {{window_seconds}}) AS peak_bytes_per_minute
FROM buckets
GROUP BY dstaddr
