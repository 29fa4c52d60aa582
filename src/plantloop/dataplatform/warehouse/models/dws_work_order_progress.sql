MODEL (
  name dw.dws_work_order_progress,
  kind FULL,
  description 'Per work order: progress over its operations, lead time and delivery against the due date.',
  owner 'planning',
  cron '@daily',
  grain work_order_id,
  audits (unique_values(columns := (work_order_id)))
);
WITH ops AS (
  SELECT
    work_order_id,
    COUNT(*) AS operations_completed,
    MIN(started_at) AS first_operation_started_at,
    MAX(completed_at) AS last_operation_completed_at,
    MAX_BY(line_id, completed_at) AS line_id
  FROM dw.dwd_operation_execution
  GROUP BY work_order_id
)
SELECT
  w.work_order_id,
  w.material_id,
  COALESCE(o.line_id, '') AS line_id, -- line of the last completed operation
  w.status,
  w.qty,
  w.qty_good,
  w.qty_scrap,
  w.created_at,
  w.released_at,
  w.completed_at,
  w.due_at,
  CAST(COALESCE(o.operations_completed, 0) AS BIGINT) AS operations_completed,
  o.first_operation_started_at,
  date_diff('microsecond', COALESCE(w.released_at, w.created_at), w.completed_at) / 1e6 AS lead_time_s, -- release to completion
  CASE WHEN w.completed_at IS NULL THEN NULL ELSE w.completed_at <= w.due_at END AS on_time,
  date_diff('microsecond', w.due_at, w.completed_at) / 1e6 AS delay_s, -- negative when early
  CAST(w.completed_at AS DATE) AS completed_date
FROM dw.dwd_work_order AS w
LEFT JOIN ops AS o ON o.work_order_id = w.work_order_id
