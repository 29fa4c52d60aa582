MODEL (
  name dw.ads_oee_equipment_shift,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_start_at, lookback 1),
  description 'OEE per equipment and shift (ISO 22400): availability (APT / PBT) x performance (ideal output time / APT) x quality (good / produced), with every component for re-aggregation.',
  owner 'data-platform',
  cron '@daily',
  grain (equipment_id, shift_start_at),
  audits (
    unique_combination_of_columns(columns := (equipment_id, shift_start_at)),
    accepted_range(column := availability, min_v := 0, max_v := 1.000001), -- float sums may exceed 1 by ~1e-16
    accepted_range(column := quality_rate, min_v := 0, max_v := 1),
    accepted_range(column := oee, min_v := 0, max_v := 1, blocking := false),
    accepted_range(column := performance, min_v := 0, max_v := 1, blocking := false)
  )
);
SELECT
  equipment_id,
  work_center_id,
  line_id,
  shift_date,
  shift_id,
  shift_start_at,
  shift_end_at,
  calendar_time_s,
  planned_time_s,
  planned_downtime_s,
  idle_time_s,
  unplanned_downtime_s,
  run_time_s,
  ideal_output_time_s,
  qty_good,
  qty_scrap,
  qty_total,
  operations,
  failures,
  repair_time_s,
  stoppages,
  stoppage_time_s,
  CASE WHEN planned_time_s > 0 THEN run_time_s / planned_time_s END AS availability, -- APT / PBT
  CASE WHEN run_time_s > 0 THEN ideal_output_time_s / run_time_s END AS performance, -- ideal cycle x count / APT
  CASE WHEN qty_total > 0 THEN CAST(qty_good AS DOUBLE) / qty_total END AS quality_rate, -- good / produced
  CASE
    WHEN planned_time_s > 0 AND run_time_s > 0 AND qty_total > 0
      THEN (run_time_s / planned_time_s) * (ideal_output_time_s / run_time_s) * (CAST(qty_good AS DOUBLE) / qty_total)
    WHEN planned_time_s > 0 AND run_time_s > 0 THEN (run_time_s / planned_time_s) * (ideal_output_time_s / run_time_s)
    WHEN planned_time_s > 0 THEN 0.0
  END AS oee -- availability x performance x quality (quality 1 while nothing completed)
FROM dw.dws_equipment_shift
WHERE shift_start_at BETWEEN @start_ts AND @end_ts
