/*---
id: inbound_admin_db_ports
title: Internet traffic accepted on an admin or database port
description: >
  A public source reaches a remote-administration or database port of a
  host and the record is accepted, so the security groups and network ACLs
  let the internet through to that service. Replies of internet servers to
  a host's ephemeral port that equals one of the ports do not count:
  records from a port below 1024 to a port at or above 1024, or with SYN
  and ACK set. One finding per destination address and port.
severity: medium
attack:
  - tactic: TA0001
    technique: T1190
  - tactic: TA0001
    technique: T1133
  - tactic: TA0008
    technique: T1021
tags: [exposure, inbound, admin, database]
entity: destination
window: 1h
parameters:
  - name: ports
    type: ports
    default: [22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900-5910, 5985, 5986, 6379, 9200, 9300, 11211, 27017]
    unit: ports
    description: destination ports of remote administration, file sharing and database services
  - name: min_records
    type: int
    default: 1
    unit: records
    description: accepted inbound records from public sources to one address and port in the run window that fire the rule
investigation: >
  Find the security group or network ACL rule that admits the source, and
  whether the exposure is intended, such as a bastion host on 22. Check the
  service for logins from the listed sources, then restrict the rule to
  known networks or move access behind a VPN or Session Manager.
evidence: action = 'ACCEPT' AND NOT egress AND NOT src_private
---*/
SELECT host_port(dstaddr, dstport) AS entity,
  dstaddr AS dst_addr, dstport AS dst_port,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(DISTINCT srcaddr) AS distinct_sources, count(*) AS records,
  sum(packets) AS packets, sum(bytes) AS bytes,
  min(srcaddr) AS first_source
FROM window_flows
WHERE action = 'ACCEPT' AND protocol IN (6, 17) AND NOT egress AND NOT src_private
  AND srcaddr IS NOT NULL AND dstport = ANY({{ports}})
  -- A server's reply to an ephemeral port that happens to be an admin or
  -- database port, such as 5432, comes from a port below 1024 or has SYN and
  -- ACK set. It is not a connection to that port.
  AND NOT (coalesce(srcport < 1024 AND dstport >= 1024, false) OR coalesce(tcp_flags & 18 = 18, false))
GROUP BY dstaddr, dstport
HAVING count(*) >= {{min_records}}
