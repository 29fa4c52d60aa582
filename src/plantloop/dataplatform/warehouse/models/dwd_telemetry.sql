MODEL (
  name dw.dwd_telemetry,
  kind INCREMENTAL_BY_TIME_RANGE (time_column measured_at),
  description 'Numeric telemetry samples (MQTT and OPC UA) per equipment and tag.',
  owner 'maintenance',
  cron '@daily',
  grain (equipment_id, tag, measured_at),
  audits (not_null(columns := (tag, measured_at)))
);
WITH samples AS (
  SELECT equipment_path, payload, occurred_at FROM main.ods_mqtt__telemetry
  WHERE occurred_at BETWEEN CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC' AND CAST(@end_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
  UNION ALL
  SELECT equipment_path, payload, occurred_at FROM main.ods_opcua__telemetry
  WHERE occurred_at BETWEEN CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC' AND CAST(@end_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
)
SELECT
  e.equipment_id,
  e.line_id,
  json_extract_string(s.payload, '$.tag') AS tag, -- measured quantity with its unit, e.g. temperature_c
  TRY_CAST(json_extract_string(s.payload, '$.value') AS DOUBLE) AS value,
  CAST(s.occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS measured_at
FROM samples AS s
LEFT JOIN dw.dim_equipment AS e ON e.equipment_path = s.equipment_path
WHERE TRY_CAST(json_extract_string(s.payload, '$.value') AS DOUBLE) IS NOT NULL
