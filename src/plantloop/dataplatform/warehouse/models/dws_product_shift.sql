MODEL (
  name dw.dws_product_shift,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_start_at, lookback 1),
  description 'Output and quality per product, equipment and shift: good, scrap, inspected and defective units (first inspections apart).',
  owner 'quality',
  cron '@daily',
  grain (equipment_id, shift_start_at, material_id),
  audits (unique_combination_of_columns(columns := (equipment_id, shift_start_at, material_id)))
);
WITH facts AS (
  SELECT
    o.equipment_id, o.material_id, o.completed_at AS at, o.qty_good, o.qty_scrap, 1 AS operations,
    0 AS qty_inspected, 0 AS qty_defective, 0 AS qty_inspected_first, 0 AS qty_defective_first
  FROM dw.dwd_operation_execution AS o
  WHERE o.completed_at BETWEEN @start_ts AND CAST(@end_ts AS TIMESTAMP) + INTERVAL '1' DAY
  UNION ALL
  SELECT
    i.equipment_id, i.material_id, i.inspected_at AS at, 0, 0, 0, i.qty_inspected, i.qty_defective,
    CASE WHEN i.is_first THEN i.qty_inspected ELSE 0 END,
    CASE WHEN i.is_first THEN i.qty_defective ELSE 0 END
  FROM dw.dwd_inspection AS i
  WHERE i.inspected_at BETWEEN @start_ts AND CAST(@end_ts AS TIMESTAMP) + INTERVAL '1' DAY
)
SELECT
  f.equipment_id,
  e.work_center_id,
  e.line_id,
  f.material_id, -- the product
  s.shift_date,
  s.shift_id,
  s.shift_start_at,
  CAST(SUM(f.qty_good) AS BIGINT) AS qty_good,
  CAST(SUM(f.qty_scrap) AS BIGINT) AS qty_scrap,
  CAST(SUM(f.qty_good + f.qty_scrap) AS BIGINT) AS qty_total,
  CAST(SUM(f.operations) AS BIGINT) AS operations,
  CAST(SUM(f.qty_inspected) AS BIGINT) AS qty_inspected,
  CAST(SUM(f.qty_defective) AS BIGINT) AS qty_defective,
  CAST(SUM(f.qty_inspected_first) AS BIGINT) AS qty_inspected_first, -- units at their first inspection
  CAST(SUM(f.qty_defective_first) AS BIGINT) AS qty_defective_first,
  date_diff('microsecond', s.shift_start_at, s.shift_end_at) / 1e6 AS calendar_time_s
FROM facts AS f
JOIN dw.dim_shift_instance AS s ON f.at >= s.shift_start_at AND f.at < s.shift_end_at
JOIN dw.dim_equipment AS e ON e.equipment_id = f.equipment_id
WHERE s.shift_start_at BETWEEN @start_ts AND @end_ts
GROUP BY f.equipment_id, e.work_center_id, e.line_id, f.material_id, s.shift_date, s.shift_id, s.shift_start_at, s.shift_end_at
