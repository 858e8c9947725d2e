/*---
id: icmp_large_or_tunnel
title: Large ICMP traffic
description: >
  ICMP or ICMPv6 records from one source carry more bytes per packet than
  echo requests and error messages need, or the source sends a large ICMP
  volume within a window. Both are signs of data hidden in ICMP payloads,
  as ICMP tunnels do. Flow logs give only byte and packet totals per
  record, so the packet size is the record's bytes divided by its packets.
severity: medium
attack:
  - tactic: TA0011
    technique: T1095
  - tactic: TA0011
    technique: T1572
  - tactic: TA0010
    technique: T1048.003
tags: [icmp, tunnel, exfiltration]
entity: source
window: 1h
parameters:
  - name: min_bytes_per_packet
    type: int
    default: 1000
    unit: bytes per packet
    description: records whose average packet size reaches this count as large
  - name: min_bytes
    type: int
    default: 10000000
    unit: bytes per window
    description: ICMP bytes from one source within one window that fire the rule, whatever the packet size
investigation: >
  Path MTU discovery and some monitoring tools send large pings, so check
  the destinations first. Steady large ICMP toward one public address,
  or ICMP volume far above the source's usual pings, points to a tunnel:
  find the process on the source that sends it.
---*/
WITH icmp AS (
  SELECT srcaddr, dstaddr, start_time, end_time, packets, bytes,
    bytes >= {{min_bytes_per_packet}} * packets AS large,
    time_bucket({{window}}, start_time) AS bucket
  FROM window_flows
  WHERE protocol IN (1, 58) AND srcaddr IS NOT NULL AND packets > 0
),
fired AS (
  SELECT srcaddr, max(bytes) AS peak_window_bytes
  FROM (SELECT srcaddr, bucket, sum(bytes) AS bytes, count(*) FILTER (WHERE large) AS large_records FROM icmp GROUP BY ALL)
  WHERE large_records > 0 OR bytes >= {{min_bytes}}
  GROUP BY ALL
)
SELECT i.srcaddr AS entity, i.srcaddr AS src_addr,
  min(i.start_time) AS first_seen, max(i.end_time) AS last_seen,
  count(*) AS records,
  count(*) FILTER (WHERE i.large) AS large_records,
  count(DISTINCT i.dstaddr) AS distinct_destinations,
  sum(i.packets) AS packets, sum(i.bytes) AS bytes,
  max(i.bytes // i.packets) AS max_bytes_per_packet,
  max(f.peak_window_bytes) AS peak_window_bytes
FROM icmp i JOIN fired f USING (srcaddr)
GROUP BY i.srcaddr
