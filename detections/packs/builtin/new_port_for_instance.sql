/*---
id: new_port_for_instance
title: Instance uses a destination port new to it
description: >
  A private address opens accepted TCP or UDP connections to a destination
  port that it never used in the baseline history, while it did have
  min_baseline_records records there, so the rule only judges addresses
  with a history. A record counts as opened by its source when the
  destination port is lower than the source port, which leaves out the
  replies of servers to ephemeral client ports. One finding per address
  and port.
severity: low
attack:
  - tactic: TA0011
    technique: T1571
tags: [anomaly, baseline, port]
entity: source
window: 1h
baseline: true
parameters:
  - name: min_baseline_records
    type: int
    default: 100
    unit: records
    description: records of the address in the baseline history that it needs before the rule judges it
  - name: excluded_ports
    type: ports
    default: [53, 123, 443]
    unit: ports
    description: destination ports that never fire the rule
investigation: >
  A deployment, a new dependency or a software update explains most new
  ports: check the address's recent changes. A new port toward a public
  address with steady traffic, or a port of a remote-access tool, points
  to a backdoor or command-and-control channel.
---*/
WITH history AS (
  SELECT srcaddr, count(*) AS records
  FROM baseline_flows
  WHERE src_private
  GROUP BY srcaddr
  HAVING count(*) >= {{min_baseline_records}}
),
seen AS (
  SELECT DISTINCT srcaddr, dstport, protocol
  FROM baseline_flows
  WHERE src_private AND dstport < srcport
)
SELECT f.srcaddr || ' new port ' || f.dstport || '/' || f.protocol AS entity,
  f.srcaddr AS src_addr, f.dstport AS dst_port, f.protocol AS protocol,
  min(f.start_time) AS first_seen, max(f.end_time) AS last_seen,
  count(*) AS records, count(DISTINCT f.dstaddr) AS distinct_destinations,
  sum(f.bytes) AS bytes, any_value(h.records) AS baseline_records
FROM window_flows f
JOIN history h USING (srcaddr)
LEFT JOIN seen s ON s.srcaddr = f.srcaddr AND s.dstport = f.dstport AND s.protocol = f.protocol
WHERE f.src_private AND f.action = 'ACCEPT' AND f.protocol IN (6, 17) AND f.dstport < f.srcport
  AND NOT list_contains({{excluded_ports}}, f.dstport) AND s.srcaddr IS NULL
GROUP BY f.srcaddr, f.dstport, f.protocol
