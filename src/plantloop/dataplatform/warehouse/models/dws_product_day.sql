MODEL (
  name dw.dws_product_day,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_date, lookback 1),
  description 'Output and quality per product, line and (shift) day.',
  owner 'quality',
  cron '@daily',
  grain (material_id, line_id, shift_date),
  audits (unique_combination_of_columns(columns := (material_id, line_id, shift_date)))
);
SELECT
  material_id,
  line_id,
  shift_date,
  CAST(SUM(qty_good) AS BIGINT) AS qty_good,
  CAST(SUM(qty_scrap) AS BIGINT) AS qty_scrap,
  CAST(SUM(qty_total) AS BIGINT) AS qty_total,
  CAST(SUM(qty_inspected) AS BIGINT) AS qty_inspected,
  CAST(SUM(qty_defective) AS BIGINT) AS qty_defective,
  CAST(SUM(qty_inspected_first) AS BIGINT) AS qty_inspected_first,
  CAST(SUM(qty_defective_first) AS BIGINT) AS qty_defective_first
FROM dw.dws_product_shift
WHERE shift_date BETWEEN @start_ds AND @end_ds
GROUP BY material_id, line_id, shift_date
