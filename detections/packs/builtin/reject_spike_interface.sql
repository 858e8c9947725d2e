/*---
id: reject_spike_interface
title: REJECT spike on one interface
description: >
  The REJECT records of one interface in an hour of the window exceed that
  interface's own hourly baseline: the mean plus k standard deviations of its
  REJECT count per hour over the baseline history. Baseline hours are
  the hours in which the interface had any record, so quiet hours with
  traffic count as zero. The rule needs min_samples such hours, and the
  count must also reach min_rejects, so that small changes on a quiet
  interface do not fire.
severity: medium
attack:
  - tactic: TA0007
    technique: T1046
  - tactic: TA0040
    technique: T1499
tags: [reject, anomaly, baseline]
entity: interface
window: 1h
baseline: true
parameters:
  - name: k
    type: float
    default: 3
    unit: standard deviations
    description: how many standard deviations above the baseline mean an hour's REJECT count must be
  - name: min_samples
    type: int
    default: 24
    unit: hours
    description: baseline hours with records that the interface needs before the rule judges it
  - name: min_rejects
    type: int
    default: 100
    unit: records per hour
    description: REJECT records in one hour that an hour needs to fire, whatever the baseline
investigation: >
  A new network ACL or security group rule raises REJECT counts on
  purpose, so check recent changes first. Otherwise look at the rejected
  ports and peers in the evidence: many ports or hosts point to a scan,
  and one port points to a client that keeps retrying a blocked service.
---*/
-- Keys without enough baseline hours are dropped before the window is
-- read, and distinct ports are counted for the hours that fire only.
WITH base AS (
  SELECT interface_id AS key, time_bucket({{window}}, start_time) AS hour,
    count(*) FILTER (WHERE action = 'REJECT') AS rejects
  FROM baseline_flows
  WHERE interface_id IS NOT NULL
  GROUP BY ALL
),
stats AS (
  SELECT key, count(*) AS samples, avg(rejects) AS mean, coalesce(stddev_pop(rejects), 0) AS sd
  FROM base
  GROUP BY key
  HAVING count(*) >= {{min_samples}}
),
hours AS (
  SELECT interface_id AS key, time_bucket({{window}}, start_time) AS hour,
    min(start_time) AS first_seen, max(end_time) AS last_seen, count(*) AS rejects
  FROM window_flows
  WHERE action = 'REJECT' AND interface_id IN (SELECT key FROM stats)
  GROUP BY ALL
),
fired AS (
  SELECT h.*, s.samples, s.mean, s.sd
  FROM hours h JOIN stats s USING (key)
  WHERE h.rejects >= {{min_rejects}} AND h.rejects > s.mean + {{k}} * s.sd
)
SELECT x.key AS entity, x.key AS interface_id,
  any_value(x.first_seen) AS first_seen, any_value(x.last_seen) AS last_seen,
  any_value(x.rejects) AS rejects, count(DISTINCT f.dstport) AS distinct_ports,
  any_value(x.samples) AS baseline_hours, round(any_value(x.mean), 2) AS baseline_mean,
  round(any_value(x.sd), 2) AS baseline_stddev,
  round(any_value(x.mean) + {{k}} * any_value(x.sd), 2) AS threshold
FROM fired x JOIN window_flows f
  ON f.interface_id = x.key AND time_bucket({{window}}, f.start_time) = x.hour
WHERE f.action = 'REJECT'
GROUP BY x.key, x.hour
