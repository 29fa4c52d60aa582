MODEL (
  name dw.ads_order_delivery,
  kind FULL,
  description 'Order delivery screen: status, progress, lead time and lateness of every work order.',
  owner 'planning',
  cron '@daily',
  grain work_order_id,
  audits (unique_values(columns := (work_order_id)), not_null(columns := (work_order_id, status)))
);
SELECT
  work_order_id,
  material_id,
  line_id,
  status,
  qty,
  qty_good,
  qty_scrap,
  created_at,
  released_at,
  completed_at,
  due_at,
  completed_date,
  operations_completed,
  lead_time_s,
  on_time,
  delay_s
FROM dw.dws_work_order_progress
