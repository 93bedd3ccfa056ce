"""The CLI package's shape: no import circle between its modules, and every command group on the app.

Each import runs in a fresh interpreter, so nothing an earlier import left in ``sys.modules``
can hide a circle: a command module that imported ``logsieve.cli`` (or a sibling) would fail
here, because the package binds ``app`` only after it has imported every command module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "src" / "logsieve" / "cli"
MODULES = sorted(p.stem for p in PKG.glob("*.py") if p.stem != "__init__")
COMMANDS = ["formats", "parse", "templates", "datasets", "explain", "label", "learn", "detectors", "train", "detect", "serve",
            "evaluate", "models"]


def help_text(*args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "logsieve", *args, "--help"], capture_output=True, timeout=120,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    return res.stdout.decode()


def listed(text: str) -> set[str]:
    """Command names in a help screen's Commands panel (the first word of each row)."""
    panel = text.split("Commands", 1)[1]
    return {line.strip("│ ").split(" ", 1)[0] for line in panel.splitlines()[1:] if line.startswith("│ ") and
            not line.startswith("│  ")}


def test_the_package_holds_the_expected_modules() -> None:
    assert {"_common", "parse", "data", "train", "detect", "models", "explain", "label", "serve"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    code = f"import logsieve.cli.{module}, logsieve.cli; assert logsieve.cli.app.registered_commands"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()[-2000:]


@pytest.mark.parametrize("module", [m for m in MODULES if m != "_common"])
def test_command_modules_import_only_the_shared_module_from_the_package(module: str) -> None:
    tree = ast.parse((PKG / f"{module}.py").read_text("utf-8"))
    from_package = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("logsieve.cli"):
            from_package.add(node.module)
        elif isinstance(node, ast.Import):
            from_package.update(a.name for a in node.names if a.name.startswith("logsieve.cli"))
    assert from_package == {"logsieve.cli._common"}


def test_shared_module_imports_nothing_from_the_package() -> None:
    text = (PKG / "_common.py").read_text("utf-8")
    assert "logsieve.cli" not in text.replace(":mod:`logsieve.cli`", "").replace("``logsieve.cli``", "")


def test_every_command_group_is_on_the_app() -> None:
    assert listed(help_text()) == set(COMMANDS)
    assert listed(help_text("evaluate")) == {"parsing", "detection", "collab", "verdicts"}
    assert listed(help_text("models")) == {"rollback"}


def test_the_installed_script_is_the_same_app() -> None:
    script = Path(sys.executable).parent / "logsieve"
    if not script.exists():
        pytest.skip("no `logsieve` script beside this interpreter (not installed with pip install -e .)")
    res = subprocess.run([str(script), "--help"], capture_output=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert listed(res.stdout.decode()) == set(COMMANDS)
