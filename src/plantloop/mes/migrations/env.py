"""Alembic environment for the MES schema, driven programmatically by
:func:`plantloop.mes.database.upgrade_database` (the engine arrives in ``config.attributes``)."""

from __future__ import annotations

from alembic import context

from plantloop.mes.orm import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from plantloop.mes.database import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///var/mes.db")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
