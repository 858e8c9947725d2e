/*---
id: dos_source
title: Instance sending a flood to the internet
description: >
  A private source sends accepted egress packets to public addresses at a
  rate per minute, averaged over one window, that an instance rarely needs:
  the instance takes part in a denial of service, usually after a
  compromise. One finding per source.
severity: high
attack:
  - tactic: TA0040
    technique: T1498.001
  - tactic: TA0040
    technique: T1499
tags: [dos, egress, volume]
entity: source
window: 5m
parameters:
  - name: min_packets_per_minute
    type: int
    default: 100000
    unit: packets per minute
    description: egress packet rate of one source to public addresses, averaged over one window, that fires the rule
investigation: >
  Check how many destinations and ports the packets went to: one target
  and one port, or UDP toward TCP service ports, points to a flood, while
  streaming or backup servers spread across many clients. Isolate the
  instance, and look for the process and for how it was compromised.
---*/
-- Volume per source and window first; only windows above the rate are
-- read again to count their distinct destinations.
WITH volume AS (
  SELECT srcaddr, time_bucket({{window}}, start_time) AS bucket,
    sum(packets) AS packets, sum(bytes) AS bytes
  FROM window_flows
  WHERE egress AND src_private AND NOT dst_private AND action = 'ACCEPT'
  GROUP BY ALL
  HAVING sum(packets) * 60 // {{window_seconds}} >= {{min_packets_per_minute}}
),
buckets AS (
  SELECT v.srcaddr, v.bucket, any_value(v.packets) AS packets, any_value(v.bytes) AS bytes,
    min(f.start_time) AS first_seen, max(f.end_time) AS last_seen,
    count(DISTINCT f.dstaddr) AS destinations
  FROM window_flows f JOIN volume v
    ON f.srcaddr = v.srcaddr AND time_bucket({{window}}, f.start_time) = v.bucket
  WHERE f.egress AND f.src_private AND NOT f.dst_private AND f.action = 'ACCEPT'
  GROUP BY v.srcaddr, v.bucket
)
SELECT srcaddr AS entity, srcaddr AS src_addr,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen,
  max(destinations) AS peak_window_destinations, sum(packets) AS packets, sum(bytes) AS bytes,
  max(packets * 60 // {{window_seconds}}) AS peak_packets_per_minute
FROM buckets
GROUP BY srcaddr
