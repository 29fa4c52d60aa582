MODEL (
  name dw.dim_shift,
  kind SEED (path '../seeds/dim_shift.csv'),
  description 'Shift definitions of the plant calendar (local times in the site time zone).',
  owner 'data-platform',
  grain shift_id,
  columns (shift_id TEXT, shift_name TEXT, start_local TEXT, end_local TEXT, duration_h DOUBLE, timezone TEXT),
  audits (unique_values(columns := (shift_id)))
);
