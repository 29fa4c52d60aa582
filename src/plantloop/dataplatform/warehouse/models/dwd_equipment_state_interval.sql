MODEL (
  name dw.dwd_equipment_state_interval,
  kind INCREMENTAL_BY_TIME_RANGE (time_column start_at, lookback 2),
  description 'Equipment state intervals from EquipmentStateChanged: state from start_at until the next change (end_at NULL while open), with the downtime reason that caused it.',
  owner 'data-platform',
  cron '@daily',
  grain (equipment_id, start_at),
  audits (not_null(columns := (equipment_id, start_at, state)), unique_combination_of_columns(columns := (equipment_id, start_at)))
);
WITH changes AS (
  SELECT
    json_extract_string(payload, '$.equipment_id') AS equipment_id,
    json_extract_string(payload, '$.to_state') AS state,
    json_extract_string(payload, '$.from_state') AS from_state,
    json_extract_string(payload, '$.operation_id') AS operation_id,
    CAST(occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS start_at,
    -- several changes at one instant (complete, then start the next operation): the last in the source's
    -- order wins; for the MES outbox source_key is the outbox sequence number
    ROW_NUMBER() OVER (
      PARTITION BY json_extract_string(payload, '$.equipment_id'), occurred_at
      ORDER BY TRY_CAST(source_key AS BIGINT) DESC NULLS LAST, recorded_at DESC, event_id
    ) AS same_instant_rank
  FROM main.ods_mes__events
  WHERE type = 'EquipmentStateChanged' AND occurred_at >= CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
), intervals AS (
  SELECT
    equipment_id, state, from_state, operation_id, start_at,
    LEAD(start_at) OVER (PARTITION BY equipment_id ORDER BY start_at) AS end_at
  FROM changes
  WHERE same_instant_rank = 1
), reasons AS (
  SELECT
    json_extract_string(payload, '$.equipment_id') AS equipment_id,
    CAST(occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS at,
    MAX(json_extract_string(payload, '$.reason_code')) AS reason_code,
    MAX(CAST(json_extract_string(payload, '$.planned') AS BOOLEAN)) AS planned
  FROM main.ods_mes__events
  WHERE type = 'DowntimeStarted' AND occurred_at >= CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
  GROUP BY 1, 2
)
SELECT
  i.equipment_id,
  e.line_id,
  e.work_center_id,
  i.state, -- PackML-style state (execute, idle, held, stopped, aborted, maintenance, ...)
  i.from_state,
  i.start_at, -- UTC
  i.end_at, -- UTC; NULL while the interval is open
  date_diff('microsecond', i.start_at, i.end_at) / 1e6 AS duration_s,
  r.reason_code, -- downtime reason when a downtime started the interval
  r.planned,
  i.operation_id
FROM intervals AS i
LEFT JOIN reasons AS r ON r.equipment_id = i.equipment_id AND r.at = i.start_at
LEFT JOIN dw.dim_equipment AS e ON e.equipment_id = i.equipment_id
WHERE i.start_at BETWEEN @start_ts AND @end_ts
