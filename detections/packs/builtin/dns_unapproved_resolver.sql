/*---
id: dns_unapproved_resolver
title: DNS to an unapproved resolver
description: >
  A private source sends UDP or TCP traffic on port 53 to a resolver
  outside allowed_resolvers. Instances normally resolve through the VPC
  resolver or the organisation's own DNS servers, so direct DNS to other
  resolvers can bypass DNS logging and filtering, or carry a DNS tunnel.
  One finding per source and resolver.
severity: medium
attack:
  - tactic: TA0011
    technique: T1071.004
  - tactic: TA0010
    technique: T1048.003
  - tactic: TA0011
    technique: T1572
tags: [dns, egress, tunnel]
entity: pair
window: 1h
parameters:
  - name: allowed_resolvers
    type: cidrs
    default: [169.254.169.253/32, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "fd00:ec2::253/128"]
    unit: networks
    description: addresses and networks of approved resolvers, such as the VPC resolver and internal DNS servers
  - name: min_records
    type: int
    default: 1
    unit: records
    description: records from one source to one unapproved resolver in the run window that fire the rule
investigation: >
  Add legitimate resolvers, such as a forwarder or a DNS filtering service,
  to allowed_resolvers. For the others, find the process that bypasses the
  system resolver. High bytes or many records to one resolver suggest a
  DNS tunnel, and the evidence shows the largest records.
---*/
SELECT srcaddr || ' -> ' || dstaddr AS entity,
  srcaddr AS src_addr, dstaddr AS dst_addr, 53 AS dst_port,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(*) AS records,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
  sum(packets) AS packets, sum(bytes) AS bytes
FROM window_flows f
WHERE egress AND src_private AND dstport = 53 AND protocol IN (6, 17) AND dstaddr IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM unnest({{allowed_resolvers}}) AS a(network) WHERE in_cidr(f.dstaddr, a.network))
GROUP BY srcaddr, dstaddr
HAVING count(*) >= {{min_records}}
