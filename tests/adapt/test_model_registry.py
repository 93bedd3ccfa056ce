"""Model versions in a real SQLite store, and `logsieve models` / `models rollback`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from logsieve.adapt.registry import ModelRegistry, RegistryError
from logsieve.store import Store


def test_live_aside_retired_and_rollback(tmp_path):
    (tmp_path / "m1").mkdir(), (tmp_path / "m2").mkdir()
    with Store(tmp_path / "s.db") as store:
        reg = ModelRegistry(store)
        v1 = reg.register("logmoe", tmp_path / "m1", live=True, validation=0.8, trained_on=100)
        v2 = reg.register("logmoe", tmp_path / "m2", live=True, validation=0.85)
        v3 = reg.register("logmoe", tmp_path / "gone", live=False, validation=0.7, note="not better")
        assert [m.status for m in reg.list()] == ["retired", "live", "aside"]
        assert reg.live("logmoe").version == v2.version
        back = reg.rollback(v1.version)
        assert back.status == "live" and "rolled back" in back.note and reg.get(v2.version).status == "retired"
        with pytest.raises(RegistryError, match="files are gone"):
            reg.rollback(v3.version)
        with pytest.raises(RegistryError, match="no model version 99"):
            reg.rollback(99)


def test_models_command_lists_and_rolls_back(tmp_path):
    (tmp_path / "m1").mkdir(), (tmp_path / "m2").mkdir()
    db = tmp_path / "s.db"
    with Store(db) as store:
        reg = ModelRegistry(store)
        reg.register("knn", tmp_path / "m1", live=True)
        reg.register("knn", tmp_path / "m2", live=True)
    cli = [sys.executable, "-m", "logsieve", "models"]
    res = subprocess.run([*cli, "--store", str(db), "--json"], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    listed = json.loads(res.stdout.decode().splitlines()[-1])["models"]
    assert [m["status"] for m in listed] == ["retired", "live"]
    res = subprocess.run([*cli, "rollback", "1", "--store", str(db), "--json"], capture_output=True, timeout=120)
    assert res.returncode == 0 and json.loads(res.stdout.decode().splitlines()[-1])["live"]["version"] == 1
    res = subprocess.run([*cli, "--store", str(tmp_path / "none.db")], capture_output=True, timeout=120)
    assert res.returncode != 0 and "no store" in res.stderr.decode()
