MODEL (
  name dw.dwd_inspection,
  kind INCREMENTAL_BY_TIME_RANGE (time_column inspected_at, lookback 1),
  description 'One row per quality inspection (InspectionRecorded); is_first marks the first inspection of an operation (first-pass yield).',
  owner 'quality',
  cron '@daily',
  grain inspection_id,
  audits (
    not_null(columns := (inspection_id, inspected_at)),
    unique_values(columns := (inspection_id)),
    accepted_range(column := qty_defective, min_v := 0)
  )
);
WITH recorded AS (
  SELECT
    json_extract_string(payload, '$.inspection_id') AS inspection_id,
    json_extract_string(payload, '$.operation_id') AS operation_id,
    json_extract_string(payload, '$.work_order_id') AS work_order_id,
    json_extract_string(payload, '$.lot_id') AS lot_id,
    json_extract_string(payload, '$.material_id') AS material_id,
    json_extract_string(payload, '$.equipment_id') AS equipment_id,
    json_extract_string(payload, '$.result') AS result,
    CAST(json_extract_string(payload, '$.qty_inspected') AS BIGINT) AS qty_inspected,
    CAST(json_extract_string(payload, '$.qty_defective') AS BIGINT) AS qty_defective,
    json_extract_string(payload, '$.defect_code') AS defect_code,
    CAST(occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS inspected_at,
    CAST(ingested_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS ingested_at
  FROM main.ods_mes__events
  WHERE type = 'InspectionRecorded' AND occurred_at >= (CAST(@start_ts AS TIMESTAMP) - INTERVAL '7' DAY) AT TIME ZONE 'UTC'
    AND occurred_at <= CAST(@end_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
), ranked AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY operation_id ORDER BY inspected_at, inspection_id) AS inspection_no
  FROM recorded
)
SELECT
  r.inspection_id,
  r.operation_id,
  r.work_order_id,
  r.lot_id,
  r.material_id,
  r.equipment_id,
  e.line_id,
  r.result, -- pass / fail
  r.qty_inspected,
  r.qty_defective,
  r.defect_code,
  r.inspection_no = 1 AS is_first, -- first inspection of the operation
  r.inspected_at,
  r.ingested_at -- when the ODS landed it (UTC): a late lab result shows here
FROM ranked AS r
LEFT JOIN dw.dim_equipment AS e ON e.equipment_id = r.equipment_id
WHERE r.inspected_at BETWEEN @start_ts AND @end_ts
