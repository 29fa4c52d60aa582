"""The real app served by uvicorn on a free loopback port, for tests that speak HTTP to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from plantloop.api.main import create_app
from plantloop.bootstrap import Container
from tests.servers import free_port


@dataclass
class ServedApp:
    base_url: str
    server: uvicorn.Server


@pytest.fixture
def serve() -> Iterator[object]:
    """``serve(container)`` → the app on ``http://127.0.0.1:<free port>``; stopped after the test."""
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(container: Container) -> ServedApp:
        port = free_port()
        config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start")
            time.sleep(0.02)
        started.append((server, thread))
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/health").status_code == 200
        return ServedApp(base, server)

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(15)
