MODEL (
  name dw.dim_work_center,
  kind SEED (path '../seeds/dim_work_center.csv'),
  description 'Work centers and the line each belongs to, seeded from the plant definition.',
  owner 'data-platform',
  grain work_center_id,
  columns (work_center_id TEXT, work_center_name TEXT, line_id TEXT, equipment_path TEXT),
  audits (not_null(columns := (work_center_id, line_id)), unique_values(columns := (work_center_id)))
);
