MODEL (
  name dw.dws_production_report_shift,
  kind INCREMENTAL_BY_TIME_RANGE (time_column shift_start_at, lookback 1),
  description 'Legacy-MES bookings per machine and shift (flagged test bookings left out); bookings whose machine code is not mapped yet (or that name no machine) stay visible, with an empty line.',
  owner 'data-platform',
  cron '@daily',
  grain (source_equipment_code, shift_start_at),
  audits (unique_combination_of_columns(columns := (source_equipment_code, shift_start_at)))
);
SELECT
  MAX(b.equipment_id) AS equipment_id, -- NULL while the code is unmapped
  COALESCE(b.source_equipment_code, '') AS source_equipment_code, -- '' when the booking names no machine
  COALESCE(MAX(b.line_id), '') AS line_id, -- '' while the code is unmapped
  s.shift_date,
  s.shift_id,
  s.shift_start_at,
  CAST(SUM(b.qty_good) AS BIGINT) AS qty_good, -- booked good units
  CAST(SUM(b.qty_scrap) AS BIGINT) AS qty_scrap,
  CAST(COUNT(*) AS BIGINT) AS bookings,
  CAST(SUM(CASE WHEN b.qty_good IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS bookings_without_qty
FROM dw.dwd_production_report AS b
JOIN dw.dim_shift_instance AS s ON b.reported_at >= s.shift_start_at AND b.reported_at < s.shift_end_at
WHERE NOT b.is_flagged
  AND s.shift_start_at BETWEEN @start_ts AND @end_ts
GROUP BY COALESCE(b.source_equipment_code, ''), s.shift_date, s.shift_id, s.shift_start_at
