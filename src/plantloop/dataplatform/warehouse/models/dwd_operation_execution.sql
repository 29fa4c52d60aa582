MODEL (
  name dw.dwd_operation_execution,
  kind INCREMENTAL_BY_TIME_RANGE (time_column completed_at),
  description 'One row per completed operation (OperationCompleted): where, when, how many good and scrap, and the ideal output time of ISO 22400 performance.',
  owner 'data-platform',
  cron '@daily',
  grain operation_id,
  audits (
    not_null(columns := (operation_id, completed_at, started_at)),
    unique_values(columns := (operation_id)),
    accepted_range(column := qty_good, min_v := 0),
    accepted_range(column := qty_scrap, min_v := 0)
  )
);
WITH completed AS (
  SELECT
    json_extract_string(payload, '$.operation_id') AS operation_id,
    json_extract_string(payload, '$.work_order_id') AS work_order_id,
    json_extract_string(payload, '$.material_id') AS material_id,
    CAST(json_extract_string(payload, '$.seq') AS INT) AS seq,
    json_extract_string(payload, '$.work_center_id') AS work_center_id,
    json_extract_string(payload, '$.equipment_id') AS equipment_id,
    json_extract_string(payload, '$.operator_id') AS operator_id,
    json_extract_string(payload, '$.lot_id') AS lot_id,
    CAST(json_extract_string(payload, '$.qty_good') AS BIGINT) AS qty_good,
    CAST(json_extract_string(payload, '$.qty_scrap') AS BIGINT) AS qty_scrap,
    json_extract_string(payload, '$.scrap_defect_code') AS scrap_defect_code,
    CAST(json_extract_string(payload, '$.duration_s') AS DOUBLE) AS duration_s,
    CAST(CAST(json_extract_string(payload, '$.started_at') AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS reported_started_at,
    CAST(occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS completed_at,
    CAST(event_id AS TEXT) AS event_id,
    CAST(ingested_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS ingested_at,
    ROW_NUMBER() OVER (
      PARTITION BY json_extract_string(payload, '$.operation_id') ORDER BY recorded_at DESC, ingested_at DESC
    ) AS version_rank
  FROM main.ods_mes__events
  WHERE type = 'OperationCompleted' AND occurred_at BETWEEN CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC' AND CAST(@end_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
)
SELECT
  c.operation_id, -- MES operation id
  c.work_order_id,
  c.material_id, -- material of the work order (the product)
  c.seq,
  c.work_center_id,
  c.equipment_id,
  COALESCE(e.line_id, w.line_id) AS line_id,
  c.operator_id,
  c.lot_id,
  COALESCE(c.reported_started_at, c.completed_at - INTERVAL '1' SECOND * c.duration_s) AS started_at,
  c.completed_at, -- when the operation completed (UTC)
  c.duration_s, -- wall-clock seconds from start to completion, pauses included
  c.qty_good, -- good units reported
  c.qty_scrap, -- scrapped units reported
  c.qty_good + c.qty_scrap AS qty_total,
  c.scrap_defect_code,
  r.run_time_s_per_unit / COALESCE(e.speed_factor, 1.0) AS ideal_cycle_s, -- ideal cycle time on this equipment
  r.run_time_s_per_unit / COALESCE(e.speed_factor, 1.0) * (c.qty_good + c.qty_scrap) AS ideal_output_time_s,
  c.event_id,
  c.ingested_at -- when the ODS landed the event (UTC): timeliness checks
FROM completed AS c
LEFT JOIN dw.dim_equipment AS e ON e.equipment_id = c.equipment_id
LEFT JOIN dw.dim_work_center AS w ON w.work_center_id = c.work_center_id
LEFT JOIN dw.dim_routing_operation AS r ON r.material_id = c.material_id AND r.seq = c.seq
WHERE c.version_rank = 1
