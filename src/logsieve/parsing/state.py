"""Saving and loading a Drain parser's state as one versioned JSON file.

The file holds the config, the templates with their ids and tree paths, and the prefix tree, so
its size grows with the number of templates and never with the number of lines. A state written
by another format version is refused with a message that says what to do, rather than being
half-read into a parser that would silently hand out different ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from logsieve.persist import read_json_checked, write_json_atomic

if TYPE_CHECKING:
    from logsieve.parsing.drain import DrainParser

STATE_FORMAT = "logsieve-drain-state"
STATE_VERSION = 1
STATE_FILENAME = "drain_state.json"


class StateVersionError(ValueError):
    """The state file was written by an incompatible logsieve version."""


def state_file(path: Path) -> Path:
    """A directory means ``<dir>/drain_state.json``; anything ending in .json is the file itself."""
    return path if path.suffix == ".json" else path / STATE_FILENAME


def save_state(parser: "DrainParser", path: Path) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves a half-written state."""
    doc = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "parser": "drain",
        "config": parser.config.model_dump(mode="json"),
        "state": parser._export(),
    }
    return write_json_atomic(state_file(path), doc)


def load_state(path: Path) -> "DrainParser":
    from logsieve.parsing.drain import DrainConfig, DrainParser

    target = state_file(path)
    if not target.exists():
        raise FileNotFoundError(f"no parser state at {target}; run `logsieve parse --state {path}` to create one")
    doc = read_json_checked(
        target, STATE_FORMAT, STATE_VERSION, what="a logsieve parser state", error=StateVersionError,
        advice="re-create it by parsing the logs again into a new --state directory",
    )
    parser = DrainParser(DrainConfig.model_validate(doc["config"]))
    parser._import(doc["state"])
    return parser
