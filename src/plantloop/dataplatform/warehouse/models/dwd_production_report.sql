MODEL (
  name dw.dwd_production_report,
  kind INCREMENTAL_BY_TIME_RANGE (time_column reported_at),
  description 'Production bookings of the legacy MES, governed: canonical names, types and UTC from the field dictionary (stg), canonical equipment from the master-data crosswalk, test bookings flagged, double bookings removed by cleaning.',
  owner 'data-platform',
  cron '@daily',
  grain (source, source_record_id),
  audits (
    not_null(columns := (source, source_record_id, reported_at)),
    unique_combination_of_columns(columns := (source, source_record_id)),
    accepted_range(column := qty_good, min_v := 0)
  )
);
SELECT
  r.source, -- the landing source (one per legacy table)
  r.source_record_id, -- the legacy MES's own record id (RecID)
  r.order_id AS work_order_id,
  m.canonical_id AS equipment_id, -- canonical equipment id; NULL while the legacy code waits in the steward queue
  r.equipment_id AS source_equipment_code, -- the legacy MES's own machine code
  e.work_center_id,
  e.line_id,
  r.operator_id,
  CAST(r.reported_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS reported_at, -- UTC (booked in plant local time)
  r.qty_good,
  COALESCE(r.qty_scrap, 0) AS qty_scrap,
  array_length(r.cleaning_flags) > 0 AS is_flagged, -- a cleaning rule flagged it (a test booking): not counted in DWS
  array_to_string(r.cleaning_flags, ',') AS cleaning_flags, -- names of the cleaning rules that flagged it
  CAST(r.ingested_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS ingested_at -- when the ODS landed it (UTC)
FROM main.stg_legacy__production_report AS r
LEFT JOIN main.dim_crosswalk_equipment AS m
  ON m.is_current AND m.system = 'legacy' AND m.source_code = r.equipment_id
LEFT JOIN dw.dim_equipment AS e ON e.equipment_id = m.canonical_id
WHERE r.reported_at BETWEEN CAST(@start_ts AS TIMESTAMP) AT TIME ZONE 'UTC' AND CAST(@end_ts AS TIMESTAMP) AT TIME ZONE 'UTC'
