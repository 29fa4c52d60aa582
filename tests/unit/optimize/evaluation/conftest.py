"""Shared fixture: the public benchmark data in ``../shared/datasets``, read in place (``PLANTLOOP_DATASETS``
points elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def datasets(shared_dir: Path) -> Path:
    root = Path(os.environ.get("PLANTLOOP_DATASETS", shared_dir / "datasets"))
    if not root.is_dir():
        pytest.fail(f"benchmark data not found at {root}")
    return root
