"""Bounds on what a request may ask for, shared by the routes."""

from __future__ import annotations

#: The largest offset or sequence number a query parameter takes: SQL's BIGINT, the most SQLite or
#: PostgreSQL can bind (a larger one was a 500)
MAX_BIGINT = 2**63 - 1
