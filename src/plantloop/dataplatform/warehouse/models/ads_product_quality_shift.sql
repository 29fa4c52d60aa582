MODEL (
  name dw.ads_product_quality_shift,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_start_at, lookback 1),
  description 'Quality per product, machine and shift for the screens and the metrics layer: produced, good, scrap, inspected and defective units, first inspections apart (first-pass yield).',
  owner 'quality',
  cron '@daily',
  grain (equipment_id, shift_start_at, material_id),
  audits (
    unique_combination_of_columns(columns := (equipment_id, shift_start_at, material_id)),
    accepted_range(column := qty_defective_first, min_v := 0)
  )
);
SELECT
  equipment_id,
  work_center_id,
  line_id,
  material_id,
  shift_date,
  shift_id,
  shift_start_at,
  qty_good,
  qty_scrap,
  qty_total,
  operations,
  qty_inspected,
  qty_defective,
  qty_inspected_first,
  qty_defective_first
FROM dw.dws_product_shift
WHERE shift_start_at BETWEEN @start_ts AND @end_ts
