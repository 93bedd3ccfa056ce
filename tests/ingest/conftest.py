"""Fixtures for ingest tests: where the loghub data lives (skip, saying why, when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def data_dir() -> Path | None:
    """``$LOGSIEVE_DATA_DIR``, else ``shared/data`` beside the repository."""
    env = os.environ.get("LOGSIEVE_DATA_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def loghub_2k() -> Path:
    root = data_dir()
    if root is None or not (root / "loghub_2k").is_dir():
        pytest.skip("loghub_2k data not found: set LOGSIEVE_DATA_DIR or put it at ../shared/data")
    return root / "loghub_2k"


@pytest.fixture(scope="session")
def hdfs_sample() -> Path:
    root = data_dir()
    path = root / "hdfs_sample" / "HDFS_sample.log.gz" if root else None
    if path is None or not path.is_file():
        pytest.skip("hdfs_sample/HDFS_sample.log.gz not found: set LOGSIEVE_DATA_DIR")
    return path
