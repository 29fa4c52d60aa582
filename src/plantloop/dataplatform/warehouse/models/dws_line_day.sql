MODEL (
  name dw.dws_line_day,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_date, lookback 1),
  description 'Time and quantity components per line and (shift) day, summed over the equipment of the line.',
  owner 'data-platform',
  cron '@daily',
  grain (line_id, shift_date),
  audits (unique_combination_of_columns(columns := (line_id, shift_date)))
);
SELECT
  line_id,
  shift_date,
  SUM(calendar_time_s) AS calendar_time_s,
  SUM(planned_time_s) AS planned_time_s,
  SUM(run_time_s) AS run_time_s,
  SUM(planned_downtime_s) AS planned_downtime_s,
  SUM(idle_time_s) AS idle_time_s,
  SUM(unplanned_downtime_s) AS unplanned_downtime_s,
  SUM(ideal_output_time_s) AS ideal_output_time_s,
  CAST(SUM(qty_good) AS BIGINT) AS qty_good,
  CAST(SUM(qty_scrap) AS BIGINT) AS qty_scrap,
  CAST(SUM(qty_total) AS BIGINT) AS qty_total,
  CAST(SUM(failures) AS BIGINT) AS failures,
  SUM(repair_time_s) AS repair_time_s
FROM dw.dws_equipment_shift
WHERE shift_date BETWEEN @start_ds AND @end_ds
GROUP BY line_id, shift_date
