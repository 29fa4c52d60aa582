MODEL (
  name dw.ads_production_reconciliation,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_date, lookback 1),
  description 'Parallel run of the legacy MES and plantloop per line and day: good and scrap units plantloop recorded beside what the legacy MES booked, and the gap (booked minus recorded).',
  owner 'data-platform',
  cron '@daily',
  grain (line_id, shift_date),
  audits (unique_combination_of_columns(columns := (line_id, shift_date)))
);
WITH recorded AS (
  SELECT line_id, shift_date, SUM(qty_good) AS qty_good, SUM(qty_scrap) AS qty_scrap
  FROM dw.dws_equipment_shift
  WHERE shift_date BETWEEN @start_ds AND @end_ds
  GROUP BY line_id, shift_date
), booked AS (
  SELECT
    line_id, shift_date, SUM(qty_good) AS qty_good, SUM(qty_scrap) AS qty_scrap, SUM(bookings) AS bookings,
    SUM(bookings_without_qty) AS bookings_without_qty
  FROM dw.dws_production_report_shift
  WHERE shift_date BETWEEN @start_ds AND @end_ds
  GROUP BY line_id, shift_date
)
SELECT
  COALESCE(b.line_id, r.line_id) AS line_id, -- '' collects bookings whose machine code is not mapped yet
  COALESCE(b.shift_date, r.shift_date) AS shift_date,
  CAST(COALESCE(r.qty_good, 0) AS BIGINT) AS recorded_qty_good, -- plantloop MES
  CAST(COALESCE(r.qty_scrap, 0) AS BIGINT) AS recorded_qty_scrap,
  CAST(COALESCE(b.qty_good, 0) AS BIGINT) AS booked_qty_good, -- legacy MES
  CAST(COALESCE(b.qty_scrap, 0) AS BIGINT) AS booked_qty_scrap,
  CAST(COALESCE(b.bookings, 0) AS BIGINT) AS bookings,
  CAST(COALESCE(b.bookings_without_qty, 0) AS BIGINT) AS bookings_without_qty,
  CAST(COALESCE(b.qty_good, 0) - COALESCE(r.qty_good, 0) AS BIGINT) AS gap_qty_good -- booked minus recorded
FROM booked AS b
FULL OUTER JOIN recorded AS r ON r.line_id = b.line_id AND r.shift_date = b.shift_date
WHERE b.line_id IS NOT NULL
  OR r.line_id IN (SELECT DISTINCT line_id FROM dw.dws_production_report_shift WHERE line_id <> '')
