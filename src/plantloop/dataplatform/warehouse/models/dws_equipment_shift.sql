MODEL (
  name dw.dws_equipment_shift,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_start_at, lookback 1),
  description 'ISO 22400 time and quantity components per equipment and shift: planned time, run time, downtime, ideal output time, good and scrap, failures.',
  owner 'data-platform',
  cron '@daily',
  grain (equipment_id, shift_start_at),
  audits (
    not_null(columns := (equipment_id, shift_start_at, planned_time_s, run_time_s)),
    unique_combination_of_columns(columns := (equipment_id, shift_start_at)),
    accepted_range(column := run_time_s, min_v := 0)
  )
);
WITH shifts AS (
  SELECT
    e.equipment_id, e.work_center_id, e.line_id, s.shift_date, s.shift_id, s.shift_start_at, s.shift_end_at,
    date_diff('microsecond', s.shift_start_at, s.shift_end_at) / 1e6 AS calendar_time_s
  FROM dw.dim_equipment AS e
  CROSS JOIN dw.dim_shift_instance AS s
  WHERE s.shift_start_at BETWEEN @start_ts AND @end_ts
), downtime_overlap AS (
  SELECT
    sh.equipment_id, sh.shift_start_at, d.planned, d.is_failure, d.duration_s,
    d.ended_at >= sh.shift_start_at AND d.ended_at < sh.shift_end_at AS ended_in_shift,
    date_diff('microsecond', GREATEST(d.started_at, sh.shift_start_at), LEAST(d.ended_at, sh.shift_end_at)) / 1e6 AS overlap_s
  FROM shifts AS sh
  JOIN dw.dwd_downtime AS d
    ON d.equipment_id = sh.equipment_id AND d.started_at < sh.shift_end_at AND d.ended_at > sh.shift_start_at
), downtime AS (
  SELECT
    equipment_id, shift_start_at,
    SUM(CASE WHEN planned THEN overlap_s ELSE 0 END) AS planned_downtime_s,
    SUM(CASE WHEN planned THEN 0 ELSE overlap_s END) AS unplanned_downtime_s,
    SUM(CASE WHEN is_failure AND ended_in_shift THEN 1 ELSE 0 END) AS failures,
    SUM(CASE WHEN is_failure AND ended_in_shift THEN duration_s ELSE 0 END) AS repair_time_s,
    SUM(CASE WHEN NOT planned AND ended_in_shift THEN 1 ELSE 0 END) AS stoppages,
    SUM(CASE WHEN NOT planned AND ended_in_shift THEN duration_s ELSE 0 END) AS stoppage_time_s
  FROM downtime_overlap
  GROUP BY equipment_id, shift_start_at
), op_overlap AS (
  SELECT
    sh.equipment_id, sh.shift_start_at, o.qty_good, o.qty_scrap, o.ideal_output_time_s,
    o.completed_at >= sh.shift_start_at AND o.completed_at < sh.shift_end_at AS completed_in_shift,
    CASE
      WHEN o.completed_at > o.started_at
        THEN date_diff('microsecond', GREATEST(o.started_at, sh.shift_start_at), LEAST(o.completed_at, sh.shift_end_at))
          / 1e6 / (date_diff('microsecond', o.started_at, o.completed_at) / 1e6)
      ELSE 1.0
    END AS share
  FROM shifts AS sh
  JOIN dw.dwd_operation_execution AS o
    ON o.equipment_id = sh.equipment_id
    AND (
      (o.started_at < sh.shift_end_at AND o.completed_at > sh.shift_start_at)
      OR (o.started_at >= o.completed_at AND o.completed_at >= sh.shift_start_at AND o.completed_at < sh.shift_end_at)
    )
  WHERE o.completed_at >= CAST(@start_ts AS TIMESTAMP) - INTERVAL '1' DAY
), output AS (
  SELECT
    equipment_id, shift_start_at,
    SUM(ideal_output_time_s * share) AS ideal_output_time_s,
    SUM(CASE WHEN completed_in_shift THEN qty_good ELSE 0 END) AS qty_good,
    SUM(CASE WHEN completed_in_shift THEN qty_scrap ELSE 0 END) AS qty_scrap,
    SUM(CASE WHEN completed_in_shift THEN 1 ELSE 0 END) AS operations
  FROM op_overlap
  GROUP BY equipment_id, shift_start_at
), execute AS (
  SELECT
    sh.equipment_id, sh.shift_start_at,
    SUM(date_diff('microsecond', GREATEST(i.start_at, sh.shift_start_at), LEAST(i.end_at, sh.shift_end_at)) / 1e6) AS execute_time_s
  FROM shifts AS sh
  JOIN dw.dwd_equipment_state_interval AS i
    ON i.equipment_id = sh.equipment_id AND i.state = 'execute' AND i.end_at IS NOT NULL
    AND i.start_at < sh.shift_end_at AND i.end_at > sh.shift_start_at
  GROUP BY sh.equipment_id, sh.shift_start_at
)
SELECT
  sh.equipment_id,
  sh.work_center_id,
  sh.line_id,
  sh.shift_date, -- local date on which the shift starts
  sh.shift_id,
  sh.shift_start_at, -- UTC
  sh.shift_end_at, -- UTC
  sh.calendar_time_s, -- planned operation time of the shift (ISO 22400 POT)
  COALESCE(d.planned_downtime_s, 0) AS planned_downtime_s,
  sh.calendar_time_s - COALESCE(d.planned_downtime_s, 0) AS planned_time_s, -- planned busy time (PBT)
  COALESCE(d.unplanned_downtime_s, 0) AS unplanned_downtime_s,
  GREATEST(sh.calendar_time_s - COALESCE(d.planned_downtime_s, 0) - COALESCE(d.unplanned_downtime_s, 0), 0) AS run_time_s, -- actual production time (APT)
  COALESCE(x.execute_time_s, 0) AS execute_time_s, -- time in the EXECUTE state
  COALESCE(o.ideal_output_time_s, 0) AS ideal_output_time_s, -- ideal cycle time x units, prorated by overlap
  CAST(COALESCE(o.qty_good, 0) AS BIGINT) AS qty_good, -- good units of operations completed in the shift
  CAST(COALESCE(o.qty_scrap, 0) AS BIGINT) AS qty_scrap,
  CAST(COALESCE(o.qty_good, 0) + COALESCE(o.qty_scrap, 0) AS BIGINT) AS qty_total,
  CAST(COALESCE(o.operations, 0) AS BIGINT) AS operations,
  CAST(COALESCE(d.failures, 0) AS BIGINT) AS failures, -- breakdowns ended in the shift
  COALESCE(d.repair_time_s, 0) AS repair_time_s,
  CAST(COALESCE(d.stoppages, 0) AS BIGINT) AS stoppages, -- unplanned downtimes ended in the shift
  COALESCE(d.stoppage_time_s, 0) AS stoppage_time_s
FROM shifts AS sh
LEFT JOIN downtime AS d ON d.equipment_id = sh.equipment_id AND d.shift_start_at = sh.shift_start_at
LEFT JOIN output AS o ON o.equipment_id = sh.equipment_id AND o.shift_start_at = sh.shift_start_at
LEFT JOIN execute AS x ON x.equipment_id = sh.equipment_id AND x.shift_start_at = sh.shift_start_at
