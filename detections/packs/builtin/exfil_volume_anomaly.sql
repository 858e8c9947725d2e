/*---
id: exfil_volume_anomaly
title: Egress volume above the source's baseline
description: >
  A private source's accepted egress bytes to public addresses in an hour
  of the window exceed its own hourly baseline: the mean plus k standard
  deviations of its egress bytes per hour over the baseline history.
  Baseline hours are the hours in which the source had any record, so
  hours without egress count as zero. The rule needs min_samples such
  hours, and the hour must also reach min_bytes. AWS service addresses
  (pkt-dst-aws-service set) are left out.
severity: medium
attack:
  - tactic: TA0010
    technique: T1048
  - tactic: TA0010
    technique: T1041
tags: [exfiltration, egress, anomaly, baseline]
entity: source
window: 1h
baseline: true
parameters:
  - name: k
    type: float
    default: 3
    unit: standard deviations
    description: how many standard deviations above the baseline mean an hour's egress bytes must be
  - name: min_samples
    type: int
    default: 24
    unit: hours
    description: baseline hours with records that the source needs before the rule judges it
  - name: min_bytes
    type: int
    default: 104857600
    unit: bytes per hour
    description: egress bytes in one hour that an hour needs to fire, whatever the baseline
investigation: >
  Compare the destinations of the hour with the source's usual ones: a
  new destination that receives most of the bytes matters most, and the
  exfil_large_egress rule may have fired on the same pair. Backups,
  batch exports and software releases explain many spikes.
---*/
-- Sources without enough baseline hours are dropped before the window is
-- read, and distinct destinations are counted for the hours that fire only.
WITH base AS (
  SELECT srcaddr, time_bucket({{window}}, start_time) AS hour,
    coalesce(sum(bytes) FILTER (WHERE egress AND NOT dst_private AND action = 'ACCEPT' AND pkt_dst_aws_service IS NULL), 0) AS bytes
  FROM baseline_flows
  WHERE src_private
  GROUP BY ALL
),
stats AS (
  SELECT srcaddr, count(*) AS samples, avg(bytes) AS mean, coalesce(stddev_pop(bytes), 0) AS sd
  FROM base
  GROUP BY srcaddr
  HAVING count(*) >= {{min_samples}}
),
hours AS (
  SELECT srcaddr, time_bucket({{window}}, start_time) AS hour,
    min(start_time) AS first_seen, max(end_time) AS last_seen, sum(bytes) AS bytes
  FROM window_flows
  WHERE egress AND src_private AND NOT dst_private AND action = 'ACCEPT' AND pkt_dst_aws_service IS NULL
    AND srcaddr IN (SELECT srcaddr FROM stats)
  GROUP BY ALL
),
fired AS (
  SELECT h.*, s.samples, s.mean, s.sd
  FROM hours h JOIN stats s USING (srcaddr)
  WHERE h.bytes >= {{min_bytes}} AND h.bytes > s.mean + {{k}} * s.sd
)
SELECT x.srcaddr AS entity, x.srcaddr AS src_addr,
  any_value(x.first_seen) AS first_seen, any_value(x.last_seen) AS last_seen,
  any_value(x.bytes) AS bytes, count(DISTINCT f.dstaddr) AS distinct_destinations,
  any_value(x.samples) AS baseline_hours, round(any_value(x.mean)) AS baseline_mean_bytes,
  round(any_value(x.sd)) AS baseline_stddev_bytes,
  round(any_value(x.mean) + {{k}} * any_value(x.sd)) AS threshold_bytes
FROM fired x JOIN window_flows f
  ON f.srcaddr = x.srcaddr AND time_bucket({{window}}, f.start_time) = x.hour
WHERE f.egress AND f.src_private AND NOT f.dst_private AND f.action = 'ACCEPT' AND f.pkt_dst_aws_service IS NULL
GROUP BY x.srcaddr, x.hour
