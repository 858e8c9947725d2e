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
WITH buckets AS (
  SELECT dstaddr, time_bucket({{window}}, start_time) AS bucket,
    min(start_time) AS first_seen, max(end_time) AS last_seen,
    count(DISTINCT srcaddr) AS sources, sum(packets) AS packets, sum(bytes) AS bytes
  FROM window_flows
  WHERE NOT egress
  GROUP BY ALL
)
SELECT dstaddr AS entity, dstaddr AS dst_addr,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen,
  max(sources) AS peak_window_sources, sum(packets) AS packets, sum(bytes) AS bytes,
  max(packets * 60 // {{window_seconds}}) AS peak_packets_per_minute,
  max(bytes * 60 // {{window_seconds}}) AS peak_bytes_per_minute
FROM buckets
WHERE packets * 60 // {{window_seconds}} >= {{min_packets_per_minute}}
   OR bytes * 60 // {{window_seconds}} >= {{min_bytes_per_minute}}
GROUP BY dstaddr
