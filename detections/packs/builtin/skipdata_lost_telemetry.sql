/*---
id: skipdata_lost_telemetry
title: Flow log records skipped
description: >
  An interface has SKIPDATA records in the window: AWS could not capture
  some of its flow records, because of an internal capacity limit or an
  error, so the other rules did not see all of its traffic. NODATA
  records, which only mean there was no traffic, are not counted. One
  finding per interface.
severity: low
attack:
  - tactic: TA0005
    technique: T1562.008
tags: [telemetry, health]
entity: interface
window: 1h
parameters:
  - name: min_records
    type: int
    default: 1
    unit: records
    description: SKIPDATA records of one interface in the run window that fire the rule
investigation: >
  Occasional SKIPDATA records come from AWS capacity limits. Many, or a
  run of them during an incident, leave a gap in the evidence: treat the
  other rules' silence on this interface as unknown for that period, and
  check CloudTrail for changes to the flow log or its destination.
---*/
SELECT interface_id AS entity, interface_id,
  min(start_time) AS first_seen, max(end_time) AS last_seen,
  count(*) AS skipped_records
FROM window_status
WHERE log_status = 'SKIPDATA' AND interface_id IS NOT NULL
GROUP BY interface_id
HAVING count(*) >= {{min_records}}
