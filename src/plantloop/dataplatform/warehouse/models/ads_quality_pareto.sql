MODEL (
  name dw.ads_quality_pareto,
  kind FULL,
  description 'Defect Pareto per line (and for the whole plant as line *): units per defect code, rank, share and cumulative share.',
  owner 'quality',
  cron '@daily',
  grain (line_id, defect_code),
  audits (
    unique_combination_of_columns(columns := (line_id, defect_code)),
    accepted_range(column := cumulative_share, min_v := 0, max_v := 1.000001)
  )
);
WITH by_code AS (
  SELECT line_id, defect_code, SUM(qty) AS qty FROM dw.dws_defect_day GROUP BY line_id, defect_code
  UNION ALL
  SELECT '*' AS line_id, defect_code, SUM(qty) AS qty FROM dw.dws_defect_day GROUP BY defect_code
)
SELECT
  line_id,
  defect_code,
  CAST(qty AS BIGINT) AS qty,
  CAST(ROW_NUMBER() OVER (PARTITION BY line_id ORDER BY qty DESC, defect_code) AS BIGINT) AS pareto_rank,
  qty / SUM(qty) OVER (PARTITION BY line_id) AS share,
  SUM(qty) OVER (PARTITION BY line_id ORDER BY qty DESC, defect_code ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    / SUM(qty) OVER (PARTITION BY line_id) AS cumulative_share
FROM by_code
