"""Alembic migrations of the MES schema, shipped inside the package."""
