"""Database URLs from an operator (``--db-url``, ``PLANTLOOP_DATABASE_URL``): a clear error, never the
password on a console."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from plantloop.cli.main import app
from plantloop.kernel.errors import InvalidInput
from plantloop.mes.database import create_engine, display_url, foreign_engine


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nonsense://x", "no database dialect 'nonsense'"),  # once a NoSuchModuleError traceback
        ("postgresql+asyncpg://bob:s3cret@db.plant/mes", "its driver 'asyncpg' is not installed"),
        ("bob:s3cret@@::", "not a URL SQLAlchemy can read"),
    ],
)
def test_an_unusable_url_is_an_input_error_that_hides_the_password(url: str, reason: str) -> None:
    for make in (create_engine, foreign_engine):  # the MES store, and a legacy MES's database
        with pytest.raises(InvalidInput, match=reason) as err:
            make(url)
        assert "s3cret" not in str(err.value) and "s3cret" not in str(err.value.details)


def test_urls_are_shown_without_their_password() -> None:
    assert display_url("postgresql+psycopg://bob:s3cret@db.plant:5432/mes") == (
        "postgresql+psycopg://bob:***@db.plant:5432/mes"
    )
    assert display_url("sqlite:///var/mes.db") == "sqlite:///var/mes.db"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--port", "70000"], "port: Input should be less than or equal to 65535"),  # the settings' own check
        (["--build-interval", "-5"], "--build-interval"),
        (["--reschedule-limit", "0"], "--reschedule-limit"),
    ],
)
def test_up_refuses_options_out_of_range_before_starting_anything(args: list[str], named: str) -> None:
    result = CliRunner().invoke(app, ["up", *args])
    assert result.exit_code == 2 and named in result.output  # nothing served


@pytest.mark.parametrize("field", ["port", "mqtt_port", "smtp_port"])
def test_a_port_outside_1_to_65535_is_refused_by_the_settings(field: str) -> None:
    from pydantic import ValidationError

    from plantloop.kernel.settings import Settings

    for bad in (0, 70000):
        with pytest.raises(ValidationError, match=field):
            Settings(**{field: bad})  # type: ignore[arg-type]
    assert getattr(Settings(**{field: 8080}), field) == 8080  # type: ignore[arg-type]
