MODEL (
  name dw.dwd_material_consumption,
  kind INCREMENTAL_BY_TIME_RANGE (time_column consumed_at),
  description 'Material consumed from a lot into a produced lot (MaterialConsumed): the genealogy edges.',
  owner 'quality',
  cron '@daily',
  grain consumption_id,
  audits (not_null(columns := (consumption_id, lot_id, consumed_at)), unique_values(columns := (consumption_id)))
);
SELECT
  CAST(c.event_id AS TEXT) AS consumption_id,
  json_extract_string(c.payload, '$.lot_id') AS lot_id, -- consumed lot
  json_extract_string(c.payload, '$.material_id') AS material_id,
  CAST(json_extract_string(c.payload, '$.qty') AS DOUBLE) AS qty,
  CAST(json_extract_string(c.payload, '$.qty_left') AS DOUBLE) AS qty_left,
  json_extract_string(c.payload, '$.produced_lot_id') AS produced_lot_id,
  json_extract_string(c.payload, '$.operation_id') AS operation_id,
  json_extract_string(c.payload, '$.equipment_id') AS equipment_id,
  CAST(c.occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS consumed_at
FROM main.ods_mes__events AS c
WHERE c.type = 'MaterialConsumed' AND c.occurred_at BETWEEN CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC' AND CAST(@end_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
