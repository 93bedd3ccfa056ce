"""Shared fixtures: where the shared data sets live (skip, with the reason, when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def find_shared_data() -> Path | None:
    env = os.environ.get("LOGSIEVE_DATA_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if (c / "loghub_2k").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = find_shared_data()
    if path is None:
        pytest.skip("shared data not found: set LOGSIEVE_DATA_DIR or place it at ../shared/data")
    return path
