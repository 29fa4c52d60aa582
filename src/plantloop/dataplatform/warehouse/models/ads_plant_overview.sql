MODEL (
  name dw.ads_plant_overview,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, lookback 1),
  description 'Big-screen overview per line and day: OEE and its factors, output, scrap, downtime, orders completed and on time.',
  owner 'data-platform',
  cron '@daily',
  grain (line_id, day),
  audits (
    unique_combination_of_columns(columns := (line_id, day)),
    accepted_range(column := availability, min_v := 0, max_v := 1.000001), -- float sums may exceed 1 by ~1e-16
    accepted_range(column := oee, min_v := 0, max_v := 1, blocking := false)
  )
);
WITH orders AS (
  SELECT
    line_id,
    completed_date AS day,
    COUNT(*) AS orders_completed,
    SUM(CASE WHEN on_time THEN 1 ELSE 0 END) AS orders_on_time
  FROM dw.dws_work_order_progress
  WHERE completed_date BETWEEN @start_ds AND @end_ds
  GROUP BY line_id, completed_date
)
SELECT
  l.line_id,
  l.shift_date AS day,
  l.planned_time_s,
  l.idle_time_s,
  l.run_time_s,
  l.unplanned_downtime_s,
  l.ideal_output_time_s,
  l.qty_good,
  l.qty_scrap,
  l.qty_total,
  l.failures,
  CASE WHEN l.planned_time_s > 0 THEN l.run_time_s / l.planned_time_s END AS availability,
  CASE WHEN l.run_time_s > 0 THEN l.ideal_output_time_s / l.run_time_s END AS performance,
  CASE WHEN l.qty_total > 0 THEN CAST(l.qty_good AS DOUBLE) / l.qty_total END AS quality_rate,
  CASE
    WHEN l.planned_time_s > 0 AND l.qty_total > 0
      THEN (l.ideal_output_time_s / l.planned_time_s) * (CAST(l.qty_good AS DOUBLE) / l.qty_total)
    WHEN l.planned_time_s > 0 THEN l.ideal_output_time_s / l.planned_time_s
  END AS oee, -- availability x performance x quality = ideal output time / PBT x good / produced
  CAST(COALESCE(o.orders_completed, 0) AS BIGINT) AS orders_completed,
  CAST(COALESCE(o.orders_on_time, 0) AS BIGINT) AS orders_on_time
FROM dw.dws_line_day AS l
LEFT JOIN orders AS o ON o.line_id = l.line_id AND o.day = l.shift_date
WHERE l.shift_date BETWEEN @start_ds AND @end_ds
