MODEL (
  name dw.dim_shift_instance,
  kind SEED (path '../seeds/dim_shift_instance.csv'),
  description 'The shift calendar: one row per shift on each working day, start and end in UTC.',
  owner 'data-platform',
  grain (shift_date, shift_id),
  columns (
    shift_date DATE, shift_id TEXT, shift_name TEXT, weekday TEXT, shift_start_at TIMESTAMP,
    shift_end_at TIMESTAMP
  ),
  column_descriptions (shift_date = 'Local calendar date on which the shift starts', shift_start_at = 'UTC'),
  audits (not_null(columns := (shift_start_at, shift_end_at)), unique_combination_of_columns(columns := (shift_date, shift_id)))
);
