"""The ``logsieve`` command line: one module per command group, all on one Typer app.

The app, the consoles and the helpers every command shares live in :mod:`logsieve.cli._common`;
each command module registers its commands on that app when imported, and imports nothing from
this package but ``_common``. Importing them here, in this order (the order ``logsieve --help``
lists them in), is what makes the commands exist.
"""

from __future__ import annotations

from logsieve.cli import parse, data, models, explain, label, learn, train, detect, serve  # noqa: F401, I001  (registers)
from logsieve.cli._common import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``logsieve`` script (``[project.scripts]``) and of ``python -m logsieve``."""
    app()
