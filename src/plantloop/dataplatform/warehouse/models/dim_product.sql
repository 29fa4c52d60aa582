MODEL (
  name dw.dim_product,
  kind SEED (path '../seeds/dim_product.csv'),
  description 'Materials: products, intermediates and purchased parts, seeded from the plant definition.',
  owner 'data-platform',
  grain material_id,
  columns (material_id TEXT, material_name TEXT, material_kind TEXT, family TEXT, uom TEXT),
  audits (not_null(columns := (material_id)), unique_values(columns := (material_id)))
);
