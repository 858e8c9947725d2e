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
SELECT srcaddr || ' -> ' || dstaddr AS entity,
  srcaddr AS src_addr, dstaddr AS dst_addr,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS records,
  count(DISTINCT dstport) AS distinct_ports
FROM window_flows
WHERE egress AND src_private AND NOT dst_private AND action = 'ACCEPT'
  AND pkt_dst_aws_service IS NULL
GROUP BY srcaddr, dstaddr
HAVING sum(bytes) >= {{min_bytes}}
