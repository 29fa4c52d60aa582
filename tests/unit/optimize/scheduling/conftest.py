"""Shared fixtures for the scheduling tests: benchmark files in ``../shared``, read in place, never copied."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def bench_dir(shared_dir: Path) -> Path:
    return shared_dir / "benchmarks" / "scheduling"
