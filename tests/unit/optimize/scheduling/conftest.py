"""Shared fixtures for the scheduling tests: benchmark files are read in place, never copied."""

from __future__ import annotations

from pathlib import Path

import pytest

BENCH = Path("/work/shared/benchmarks/scheduling")


@pytest.fixture
def bench_dir() -> Path:
    if not BENCH.is_dir():
        pytest.skip("benchmark folder not available")
    return BENCH
