"""Shared fixture: the public benchmark data, read in place (tests skip when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def datasets() -> Path:
    root = Path(os.environ.get("PLANTLOOP_DATASETS", "/work/shared/datasets"))
    if not root.is_dir():
        pytest.skip(f"benchmark data not available at {root}")
    return root
