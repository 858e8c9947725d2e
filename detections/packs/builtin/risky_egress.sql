/*---
id: risky_egress
title: Risky protocol to the internet
description: >
  A private source sends egress traffic to a public address on a port whose
  protocol rarely has a reason to leave the network: SMB (139, 445), RPC
  (135), VNC (5900-5910), IRC (6660-6669, 6697) or TFTP (69). Rejected
  records count too, because a blocked attempt still shows what the source
  tried. One finding per source, destination and port.
severity: medium
attack:
  - tactic: TA0010
    technique: T1048
  - tactic: TA0011
    technique: T1071
  - tactic: TA0008
    technique: T1021.002
tags: [egress, smb, rpc, vnc, irc, tftp]
entity: pair
window: 1h
parameters:
  - name: ports
    type: ports
    default: [69, 135, 139, 445, 5900-5910, 6660-6669, 6697]
    unit: ports
    description: destination ports whose egress to public addresses fires the rule
  - name: min_records
    type: int
    default: 1
    unit: records
    description: records from one source to one public destination and port in the run window that fire the rule
investigation: >
  Identify the process on the source that opened the connection. SMB and
  RPC toward the internet can leak NTLM hashes or spread malware, IRC is a
  classic command-and-control channel and TFTP can fetch payloads. A
  rejected record means the egress rules blocked it, while an accepted one
  means data may have left.
---*/
SELECT srcaddr || ' -> ' || host_port(dstaddr, dstport) AS entity,
  srcaddr AS src_addr, dstaddr AS dst_addr, dstport AS dst_port,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(*) AS records,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
  count(*) FILTER (WHERE action = 'REJECT') AS rejected,
  sum(bytes) AS bytes
FROM window_flows
WHERE egress AND src_private AND NOT dst_private AND protocol IN (6, 17)
  AND dstport = ANY({{ports}})
GROUP BY srcaddr, dstaddr, dstport
HAVING count(*) >= {{min_records}}
