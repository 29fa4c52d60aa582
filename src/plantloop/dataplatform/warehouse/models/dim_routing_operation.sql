MODEL (
  name dw.dim_routing_operation,
  kind SEED (path '../seeds/dim_routing_operation.csv'),
  description 'Routing operations with the standard run time per unit: the ideal cycle time of ISO 22400 performance.',
  owner 'data-platform',
  grain (material_id, seq),
  columns (
    material_id TEXT, seq INT, operation_name TEXT, run_time_s_per_unit DOUBLE, setup_time_s DOUBLE,
    inspection BOOLEAN
  ),
  audits (not_null(columns := (material_id, seq, run_time_s_per_unit)), unique_combination_of_columns(columns := (material_id, seq)))
);
