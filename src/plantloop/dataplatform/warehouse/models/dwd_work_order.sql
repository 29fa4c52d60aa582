MODEL (
  name dw.dwd_work_order,
  kind FULL,
  description 'Current state of every work order, folded from its lifecycle events (created, released, started, changed, completed, cancelled).',
  owner 'data-platform',
  cron '@daily',
  grain work_order_id,
  audits (not_null(columns := (work_order_id)), unique_values(columns := (work_order_id)))
);
WITH ev AS (
  SELECT
    type,
    json_extract_string(payload, '$.work_order_id') AS work_order_id,
    json_extract_string(payload, '$.material_id') AS material_id,
    CAST(json_extract_string(payload, '$.qty') AS BIGINT) AS qty,
    CAST(json_extract_string(payload, '$.qty_good') AS BIGINT) AS qty_good,
    CAST(json_extract_string(payload, '$.qty_scrap') AS BIGINT) AS qty_scrap,
    CAST(CAST(json_extract_string(payload, '$.due_at') AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS due_at,
    CAST(json_extract_string(payload, '$.priority') AS INT) AS priority,
    json_extract_string(payload, '$.customer') AS customer,
    json_extract_string(payload, '$.sales_order_id') AS sales_order_id,
    CAST(occurred_at AT TIME ZONE 'UTC' AS TIMESTAMP) AS at
  FROM main.ods_mes__events
  WHERE type IN (
    'WorkOrderCreated', 'WorkOrderReleased', 'WorkOrderStarted', 'WorkOrderChanged', 'WorkOrderCompleted',
    'WorkOrderCancelled'
  )
), folded AS (
  SELECT
    work_order_id,
    MAX(material_id) AS material_id,
    MAX_BY(qty, at) FILTER (WHERE qty IS NOT NULL AND type <> 'WorkOrderCompleted') AS qty,
    MAX_BY(due_at, at) FILTER (WHERE due_at IS NOT NULL) AS due_at,
    MAX_BY(priority, at) FILTER (WHERE priority IS NOT NULL) AS priority,
    MAX(customer) AS customer,
    MAX(sales_order_id) AS sales_order_id,
    MIN(at) FILTER (WHERE type = 'WorkOrderCreated') AS created_at,
    MIN(at) FILTER (WHERE type = 'WorkOrderReleased') AS released_at,
    MIN(at) FILTER (WHERE type = 'WorkOrderStarted') AS started_at,
    MAX(at) FILTER (WHERE type = 'WorkOrderCompleted') AS completed_at,
    MAX(at) FILTER (WHERE type = 'WorkOrderCancelled') AS cancelled_at,
    MAX(qty_good) FILTER (WHERE type = 'WorkOrderCompleted') AS qty_good,
    MAX(qty_scrap) FILTER (WHERE type = 'WorkOrderCompleted') AS qty_scrap
  FROM ev
  GROUP BY work_order_id
)
SELECT
  work_order_id,
  material_id,
  qty, -- ordered quantity (latest change)
  due_at, -- due date (latest change, UTC)
  priority,
  customer,
  sales_order_id,
  created_at,
  released_at,
  started_at,
  completed_at,
  cancelled_at,
  qty_good,
  qty_scrap,
  CASE
    WHEN cancelled_at IS NOT NULL THEN 'cancelled'
    WHEN completed_at IS NOT NULL THEN 'completed'
    WHEN started_at IS NOT NULL THEN 'in_progress'
    WHEN released_at IS NOT NULL THEN 'released'
    ELSE 'created'
  END AS status
FROM folded
WHERE work_order_id IS NOT NULL
