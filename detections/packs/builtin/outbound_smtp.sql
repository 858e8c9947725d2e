/*---
id: outbound_smtp
title: Outbound SMTP to the internet
description: >
  A private source sends egress traffic to public addresses on a mail
  submission or relay port (25, 465, 587). Outside of mail servers this is
  how spam bots and some malware send mail. Records to AWS service
  addresses are left out. One finding per source.
severity: medium
attack:
  - tactic: TA0011
    technique: T1071.003
tags: [egress, smtp, spam]
entity: source
window: 1h
parameters:
  - name: ports
    type: ports
    default: [25, 465, 587]
    unit: ports
    description: mail ports whose egress to public addresses counts
  - name: min_destinations
    type: int
    default: 1
    unit: distinct destinations
    description: distinct public mail destinations of one source in the run window that fire the rule
investigation: >
  Check whether the source is a mail server or an application that sends
  mail through a relay, and allowlist it by source if so. Many distinct
  destinations from a host that does not send mail points to a spam bot
  or a compromised application.
---*/
SELECT srcaddr AS entity, srcaddr AS src_addr,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(DISTINCT dstaddr) AS distinct_destinations, count(*) AS records,
  count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
  sum(bytes) AS bytes
FROM window_flows
WHERE egress AND src_private AND NOT dst_private AND protocol = 6
  AND dstport = ANY({{ports}}) AND pkt_dst_aws_service IS NULL
GROUP BY srcaddr
HAVING count(DISTINCT dstaddr) >= {{min_destinations}}
