"""Every route of the plant's whole app, fed seeded odd input generated from its own OpenAPI schema: never a
500, and nothing accepted that the event log's readers cannot read.

The generator fills each request body from the route's schema with values at the edges (empty and very long
strings, ids that exist and ids that do not, 0, -1, 1e308, 10**19, dates at 1900 and 9999, timezones at
+14:00) and each path and query parameter with such values too. An exploratory run of this (2026-11-30)
found a command at year 9999 that went into the outbox and stopped its relay, a reading of 1e308 that
overflowed the maintenance watcher, and offsets SQLite could not bind; this keeps them found."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plantloop.api.security import DEMO_PASSWORD
from plantloop.bootstrap import Container
from plantloop.kernel.clock import EARLIEST_YEAR, LATEST_YEAR
from plantloop.runtime.app import build_app

ADMIN = ("admin", DEMO_PASSWORD)
TEXT = ["", "x", "WO-1", "P-KET-01", "L1-ASSY", "IM-01", "a" * 5000, "ü中文", "NaN", "-1", "../../etc/passwd"]
TIMES = ["2026-01-05T06:00:00Z", "1900-01-01T00:00:00", "9999-12-31T23:59:59Z", "2026-01-05T06:00:00+14:00"]
NUMBERS: list[Any] = [0, -1, 1, 3, 0.5, 1e308, -1e308, 10**19]
PATH_VALUES = ["WO-1", "IM-01", "L1-ASSY", "P-KET-01", "oee", "x", "0", "a" * 300]
QUERY_VALUES = ["", "x", "-1", "0", "99999999999999999999", "1e400", "9999-12-31", "1900-01-01", "L1", "zh"]


@pytest.fixture
def app(platform_container: Container) -> Iterator[tuple[TestClient, Container]]:
    with TestClient(build_app(platform_container, ui=False), raise_server_exceptions=False) as client:
        client.post(  # one order, so that some ids exist
            "/api/v1/work-orders",
            json={"work_order_id": "WO-1", "material_id": "P-KET-01", "qty": 5, "due_at": TIMES[0]},
            auth=ADMIN,
        )
        yield client, platform_container


class BodyMaker:
    """Request bodies from an OpenAPI schema, with a seeded choice of edge values at every leaf."""

    def __init__(self, components: dict[str, Any], rnd: random.Random) -> None:
        self.components, self.rnd = components, rnd

    def make(self, schema: dict[str, Any], depth: int = 0) -> Any:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        for combined in ("anyOf", "oneOf"):
            if combined in schema:
                return self.make(self.rnd.choice(schema[combined]), depth)
        if "allOf" in schema:
            return self.make(schema["allOf"][0], depth)
        if "enum" in schema:
            return self.rnd.choice(schema["enum"])
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            required = set(schema.get("required", []))
            return {
                name: self.make(sub, depth + 1) if depth < 4 else None
                for name, sub in schema.get("properties", {}).items()
                if name in required or self.rnd.random() < 0.6
            }
        if kind == "array":
            items = schema.get("items", {})
            return (
                [self.make(items, depth + 1) for _ in range(self.rnd.choice([0, 1, 3]))] if depth < 4 else []
            )
        if kind == "string":
            return self.rnd.choice(TIMES if schema.get("format") == "date-time" else TEXT)
        if kind in ("integer", "number"):
            return self.rnd.choice(
                NUMBERS if kind == "number" else [n for n in NUMBERS if isinstance(n, int)]
            )
        if kind == "boolean":
            return self.rnd.random() < 0.5
        return self.rnd.choice([*TEXT, *NUMBERS, None, {}, []])


def test_no_route_answers_odd_input_with_a_500(app: tuple[TestClient, Container]) -> None:
    client, container = app
    spec = client.get("/openapi.json").json()
    rnd = random.Random(20261130)
    bodies = BodyMaker(spec.get("components", {}).get("schemas", {}), rnd)
    failures, sent = [], 0
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            queries = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
            rounds = 20 if (schema or queries or "{" in template) else 1
            for _ in range(rounds):
                path = re.sub(r"\{[^}]+\}", lambda _: rnd.choice(PATH_VALUES), template)
                params = {q: rnd.choice(QUERY_VALUES) for q in queries if rnd.random() < 0.7}
                body = bodies.make(schema["schema"]) if schema else None
                r = client.request(method.upper(), path, params=params, json=body, auth=ADMIN)
                sent += 1
                if r.status_code >= 500:
                    failures.append(
                        (method.upper(), path, params, str(body)[:200], r.status_code, r.text[:200])
                    )
    assert sent > 1000 and not failures, failures[:5]
    # what was accepted, every reader of the event log can read: no time outside the plausible years
    years = {record.envelope.occurred_at.year for record in container.outbox_reader.fetch_after(0, 100_000)}
    assert years and min(years) >= EARLIEST_YEAR and max(years) <= LATEST_YEAR
    container.relay.drain()  # no subscriber fails on what went in
