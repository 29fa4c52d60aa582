MODEL (
  name dw.dwd_downtime,
  kind INCREMENTAL_BY_TIME_RANGE (time_column ended_at),
  description 'Closed downtime intervals (DowntimeEnded): start, end, reason, planned or not.',
  owner 'data-platform',
  cron '@daily',
  grain (equipment_id, started_at),
  audits (
    not_null(columns := (equipment_id, started_at, ended_at, reason_code)),
    unique_combination_of_columns(columns := (equipment_id, started_at)),
    accepted_range(column := duration_s, min_v := 0)
  )
);
WITH ended AS (
  SELECT
    json_extract_string(payload, '$.equipment_id') AS equipment_id,
    json_extract_string(payload, '$.reason_code') AS reason_code,
    CAST(json_extract_string(payload, '$.planned') AS BOOLEAN) AS planned,
    CAST(CAST(json_extract_string(payload, '$.started_at') AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS started_at,
    CAST(occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS ended_at,
    ROW_NUMBER() OVER (
      PARTITION BY json_extract_string(payload, '$.equipment_id'), json_extract_string(payload, '$.started_at')
      ORDER BY recorded_at DESC, event_id
    ) AS version_rank
  FROM main.ods_mes__events
  WHERE type = 'DowntimeEnded' AND occurred_at BETWEEN CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC' AND CAST(@end_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
)
SELECT
  d.equipment_id,
  e.line_id,
  e.work_center_id,
  d.reason_code, -- downtime reason code (BRK = breakdown, PM, SETUP, ...)
  d.planned, -- planned downtime is excluded from planned production time
  d.reason_code = 'BRK' AS is_failure, -- a breakdown: counts for MTBF / MTTR
  d.started_at,
  d.ended_at,
  date_diff('microsecond', d.started_at, d.ended_at) / 1e6 AS duration_s
FROM ended AS d
LEFT JOIN dw.dim_equipment AS e ON e.equipment_id = d.equipment_id
WHERE d.version_rank = 1
