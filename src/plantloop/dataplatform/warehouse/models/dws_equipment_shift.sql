MODEL (
  name dw.dws_equipment_shift,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_start_at, lookback 1),
  description 'ISO 22400 time and quantity components per machine and shift, from what the MES records: planned operation time, planned downtime, idle time for lack of work, planned busy time, actual production time (EXECUTE state), unplanned downtime, ideal output time, good and scrap units, failures.',
  owner 'data-platform',
  cron '@daily',
  grain (equipment_id, shift_start_at),
  audits (
    not_null(columns := (equipment_id, shift_start_at, planned_time_s, run_time_s)),
    unique_combination_of_columns(columns := (equipment_id, shift_start_at)),
    accepted_range(column := run_time_s, min_v := 0),
    accepted_range(column := idle_time_s, min_v := 0)
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
), changes AS (
  SELECT equipment_id, state, from_state, operation_id, start_at
  FROM dw.dwd_equipment_state_interval
  WHERE start_at < CAST(@end_ts AS TIMESTAMP) + INTERVAL '1' DAY
), intervals AS (
  -- each state lasts until the machine's next state change (the stored end of an interval that was still
  -- open when its day was built may be stale); one still open lasts at least to the end of the shift
  SELECT
    equipment_id, state, operation_id, start_at,
    LEAD(start_at) OVER (PARTITION BY equipment_id ORDER BY start_at) AS end_at
  FROM changes
), first_change AS (
  -- before its first recorded change a machine is in that change's from-state; the MES registers every
  -- machine idle, so one that never changed state is idle
  SELECT e.equipment_id, MIN(c.start_at) AS first_at, COALESCE(MIN_BY(c.from_state, c.start_at), 'idle') AS state
  FROM dw.dim_equipment AS e
  LEFT JOIN changes AS c ON c.equipment_id = e.equipment_id
  GROUP BY e.equipment_id
), state_time AS (
  SELECT
    sh.equipment_id, sh.shift_start_at, i.state, i.operation_id,
    date_diff(
      'microsecond', GREATEST(i.start_at, sh.shift_start_at), LEAST(COALESCE(i.end_at, sh.shift_end_at), sh.shift_end_at)
    ) / 1e6 AS overlap_s
  FROM shifts AS sh
  JOIN intervals AS i
    ON i.equipment_id = sh.equipment_id
    AND i.start_at < sh.shift_end_at
    AND COALESCE(i.end_at, sh.shift_end_at) > sh.shift_start_at
  UNION ALL
  SELECT
    sh.equipment_id, sh.shift_start_at, f.state, NULL AS operation_id,
    date_diff('microsecond', sh.shift_start_at, LEAST(COALESCE(f.first_at, sh.shift_end_at), sh.shift_end_at)) / 1e6
      AS overlap_s
  FROM shifts AS sh
  JOIN first_change AS f ON f.equipment_id = sh.equipment_id
  WHERE f.first_at IS NULL OR f.first_at > sh.shift_start_at
), states AS (
  SELECT
    equipment_id, shift_start_at,
    SUM(CASE WHEN state = 'execute' THEN overlap_s ELSE 0 END) AS execute_time_s,
    SUM(CASE WHEN state = 'idle' THEN overlap_s ELSE 0 END) AS idle_time_s
  FROM state_time
  GROUP BY equipment_id, shift_start_at
), op_in_shift AS (
  SELECT equipment_id, shift_start_at, operation_id, SUM(overlap_s) AS execute_s
  FROM state_time
  WHERE state = 'execute' AND operation_id IS NOT NULL
  GROUP BY equipment_id, shift_start_at, operation_id
), op_total AS (
  SELECT i.operation_id, SUM(date_diff('microsecond', i.start_at, i.end_at) / 1e6) AS execute_s
  FROM intervals AS i
  JOIN (SELECT DISTINCT operation_id FROM op_in_shift) AS o ON o.operation_id = i.operation_id
  WHERE i.state = 'execute' AND i.end_at IS NOT NULL
  GROUP BY i.operation_id
), ideal AS (
  -- the ideal output time of an operation is earned in proportion to its EXECUTE time in each shift
  SELECT
    s.equipment_id, s.shift_start_at,
    SUM(o.ideal_output_time_s * s.execute_s / t.execute_s) AS ideal_output_time_s
  FROM op_in_shift AS s
  JOIN op_total AS t ON t.operation_id = s.operation_id AND t.execute_s > 0
  JOIN dw.dwd_operation_execution AS o ON o.operation_id = s.operation_id
  GROUP BY s.equipment_id, s.shift_start_at
), output AS (
  SELECT
    sh.equipment_id, sh.shift_start_at,
    SUM(o.qty_good) AS qty_good,
    SUM(o.qty_scrap) AS qty_scrap,
    COUNT(*) AS operations
  FROM shifts AS sh
  JOIN dw.dwd_operation_execution AS o
    ON o.equipment_id = sh.equipment_id AND o.completed_at >= sh.shift_start_at AND o.completed_at < sh.shift_end_at
  GROUP BY sh.equipment_id, sh.shift_start_at
)
SELECT
  sh.equipment_id,
  sh.work_center_id,
  sh.line_id,
  sh.shift_date, -- local date on which the shift starts (the production day)
  sh.shift_id,
  sh.shift_start_at, -- UTC
  sh.shift_end_at, -- UTC
  sh.calendar_time_s, -- planned operation time of the shift (ISO 22400 POT)
  COALESCE(d.planned_downtime_s, 0) AS planned_downtime_s, -- planned downtime (PDOT), e.g. preventive maintenance
  COALESCE(x.idle_time_s, 0) AS idle_time_s, -- idle for lack of work: not planned to be busy, no availability loss
  GREATEST(sh.calendar_time_s - COALESCE(d.planned_downtime_s, 0) - COALESCE(x.idle_time_s, 0), 0) AS planned_time_s, -- planned busy time (PBT)
  COALESCE(d.unplanned_downtime_s, 0) AS unplanned_downtime_s, -- actual unit down time (ADOT), breakdowns
  COALESCE(x.execute_time_s, 0) AS run_time_s, -- actual production time (APT): time in EXECUTE (the MES cannot tell setup apart)
  COALESCE(i.ideal_output_time_s, 0) AS ideal_output_time_s, -- ideal cycle x produced units, by EXECUTE time in the shift
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
LEFT JOIN states AS x ON x.equipment_id = sh.equipment_id AND x.shift_start_at = sh.shift_start_at
LEFT JOIN ideal AS i ON i.equipment_id = sh.equipment_id AND i.shift_start_at = sh.shift_start_at
LEFT JOIN output AS o ON o.equipment_id = sh.equipment_id AND o.shift_start_at = sh.shift_start_at
