/*---
id: exfil_large_egress
title: Large transfer to one internet address
description: >
  A private source sends more than min_bytes to one public destination in
  the run window, in accepted egress records. AWS service addresses
  (pkt-dst-aws-service set) are left out.
severity: high
attack:
  - tactic: TA0010
    technique: T1048
  - tactic: TA0010
    technique: T1030
tags: [exfiltration, egress, volume]
entity: pair
window: 1h
parameters:
  - name: min_bytes
    type: int
    default: 1073741824
    unit: bytes
    description: bytes from one source to one public destination in the run window that fire the rule
investigation: >
  Identify the process and the destination: backups, software updates and
  data exports to partners are the usual benign causes, and belong on the
  allowlist by destination. Compare with the source's usual egress in the
  exfil_volume_anomaly rule and check the destination's ownership.
---*/
-- Bytes per pair first; only pairs above the volume are read again to
-- count their distinct ports.
WITH pairs AS (
  SELECT srcaddr, dstaddr,
    min(start_time) AS first_seen, max(end_time) AS last_seen,
    sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS records
  FROM window_flows
  WHERE egress AND src_private AND NOT dst_private AND action = 'ACCEPT'
    AND pkt_dst_aws_service IS NULL
  GROUP BY srcaddr, dstaddr
  HAVING sum(bytes) >= {{min_bytes}}
)
SELECT p.srcaddr || ' -> ' || p.dstaddr AS entity,
  p.srcaddr AS src_addr, p.dstaddr AS dst_addr,
  any_value(p.first_seen) AS first_seen, any_value(p.last_seen) AS last_seen,
  any_value(p.bytes) AS bytes, any_value(p.packets) AS packets, any_value(p.records) AS records,
  count(DISTINCT f.dstport) AS distinct_ports
FROM pairs p JOIN window_flows f ON f.srcaddr = p.srcaddr AND f.dstaddr = p.dstaddr
WHERE f.egress AND f.src_private AND NOT f.dst_private AND f.action = 'ACCEPT'
  AND f.pkt_dst_aws_service IS NULL
GROUP BY p.srcaddr, p.dstaddr
