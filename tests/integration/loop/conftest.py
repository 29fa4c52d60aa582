"""The MES store fixtures (a fresh SQLite file and a fresh PostgreSQL database) for the decision layer."""

from tests.integration.mes.conftest import db_url, make_container  # noqa: F401  (re-exported fixtures)
