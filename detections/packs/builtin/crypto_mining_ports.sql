/*---
id: crypto_mining_ports
title: Traffic to a mining pool port
description: >
  A private source holds accepted egress sessions with a public address on
  a port that cryptocurrency mining pools commonly serve the Stratum
  protocol on. The port alone is weak evidence, because other services can
  use these ports, so the rule is of medium severity. Replies of a
  service on the source to a public client whose ephemeral port happens
  to be a pool port are left out: their source port is below 1024, or
  their TCP flags hold SYN-ACK, which only the side that accepted the
  connection sends. One finding per source, destination and port.
severity: medium
attack:
  - tactic: TA0040
    technique: T1496
tags: [crypto-mining, egress]
entity: pair
window: 1h
parameters:
  - name: ports
    type: ports
    default: [3333, 3334, 3357, 4444, 5555, 7777, 9999, 14433, 14444, 45560, 45700]
    unit: ports
    description: destination ports of mining pools
  - name: min_bytes
    type: int
    default: 1
    unit: bytes
    description: accepted egress bytes from one source to one destination and port in the run window that fire the rule
investigation: >
  Look up the destination: pool addresses often resolve to pool.* or
  mining domains in DNS logs. Check the source's CPU use and running
  processes, and how the miner got there, since miners usually follow a
  compromise or a leaked access key.
---*/
SELECT srcaddr || ' -> ' || host_port(dstaddr, dstport) AS entity,
  srcaddr AS src_addr, dstaddr AS dst_addr, dstport AS dst_port,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(*) AS records, sum(packets) AS packets, sum(bytes) AS bytes
FROM window_flows
WHERE egress AND src_private AND NOT dst_private AND action = 'ACCEPT' AND protocol = 6
  AND dstport = ANY({{ports}})
  AND coalesce(srcport, 1024) >= 1024 AND coalesce(tcp_flags & 18, 0) <> 18
GROUP BY srcaddr, dstaddr, dstport
HAVING sum(bytes) >= {{min_bytes}}
