"""The demo bundle and data set the engine tests share: trained once per test run (the tests
copy the bundle before changing it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from logsieve.evaluate.datasets import load_dataset
from logsieve.evaluate.detection import run_detection

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SPECS = [EXAMPLES / "datasets.yaml"]


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory) -> Path:
    """logreg on the bundled demo, saved as `logsieve train` saves it."""
    target = tmp_path_factory.mktemp("model") / "demo-logreg"
    run_detection("hdfs-demo", "logreg", data_dir=EXAMPLES, extra_specs=SPECS, save_to=target)
    return target


@pytest.fixture(scope="session")
def demo_data():
    return load_dataset("hdfs-demo", EXAMPLES, extra_specs=SPECS)
