MODEL (
  name dw.dim_line,
  kind SEED (path '../seeds/dim_line.csv'),
  description 'Production lines of the plant (ISA-95 line level), seeded from the plant definition.',
  owner 'data-platform',
  grain line_id,
  columns (line_id TEXT, line_name TEXT, area_id TEXT, site_id TEXT, equipment_path TEXT),
  column_descriptions (line_id = 'Line id from the plant definition', equipment_path = 'ISA-95 path'),
  audits (not_null(columns := (line_id)), unique_values(columns := (line_id)))
);
