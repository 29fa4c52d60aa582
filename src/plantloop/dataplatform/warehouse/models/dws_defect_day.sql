MODEL (
  name dw.dws_defect_day,
  kind FULL,
  description 'Defective and scrapped units per day, line, product and defect code, from scrap reports and inspections.',
  owner 'quality',
  cron '@daily',
  grain (day, line_id, material_id, defect_code, origin)
);
SELECT
  CAST(completed_at AS DATE) AS day,
  COALESCE(line_id, '') AS line_id,
  material_id,
  COALESCE(scrap_defect_code, 'UNKNOWN') AS defect_code,
  'scrap' AS origin, -- scrap reported at operation completion
  CAST(SUM(qty_scrap) AS BIGINT) AS qty
FROM dw.dwd_operation_execution
WHERE qty_scrap > 0
GROUP BY 1, 2, 3, 4
UNION ALL
SELECT
  CAST(inspected_at AS DATE) AS day,
  COALESCE(line_id, '') AS line_id,
  material_id,
  COALESCE(defect_code, 'UNKNOWN') AS defect_code,
  'inspection' AS origin,
  CAST(SUM(qty_defective) AS BIGINT) AS qty
FROM dw.dwd_inspection
WHERE qty_defective > 0
GROUP BY 1, 2, 3, 4
