MODEL (
  name dw.dim_equipment,
  kind SEED (path '../seeds/dim_equipment.csv'),
  description 'Equipment with work center, line, speed factor (ideal cycle = routing run time / speed factor) and design MTBF.',
  owner 'data-platform',
  grain equipment_id,
  columns (
    equipment_id TEXT, equipment_name TEXT, work_center_id TEXT, line_id TEXT, speed_factor DOUBLE,
    design_mtbf_h DOUBLE, equipment_path TEXT
  ),
  column_descriptions (speed_factor = 'Greater than 1 is faster than the routing standard'),
  audits (not_null(columns := (equipment_id, line_id)), unique_values(columns := (equipment_id)))
);
