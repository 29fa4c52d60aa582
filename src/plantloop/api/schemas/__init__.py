"""API schemas (Pydantic v2), separate from tables and domain objects; grouped by context."""
