"""What every command module shares: the Typer apps, the consoles, failing and ``--json``.

Command modules import from here and never from each other or from :mod:`logsieve.cli`, so the
package has no import circle: ``logsieve.cli`` imports the command modules, they import this.

Every command that a script may call takes ``--json``: then the last line of stdout is one JSON
object and nothing else is printed to stdout (progress goes to stderr, and only on a terminal).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console

from logsieve import __version__

app = typer.Typer(
    help=(
        "logsieve: find anomalies in logs. A fast parser and small models look at every line; "
        "an LLM looks only at what they are unsure of.\n\n"
        "Start with:  logsieve parse app.log --format HDFS   (see `logsieve formats`)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
evaluate_app = typer.Typer(help="Measure logsieve on labelled data: parsing accuracy, detection F1, and a finished run's verdicts against your labels.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")

err = Console(stderr=True)
out = Console()

DATA_HELP = "Folder holding the data (default: $LOGSIEVE_DATA_DIR, else the nearest shared/data)."


def fail(message: str, code: int = 2) -> NoReturn:
    """Print MESSAGE as an error on stderr and exit with CODE (2: a usage error)."""
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def emit_json(obj: dict) -> None:
    """Write OBJ as the one JSON line of stdout that ``--json`` promises."""
    sys.stdout.write(json.dumps(obj, sort_keys=False) + "\n")
    sys.stdout.flush()


def _version(value: bool) -> None:
    if value:
        out.print(f"logsieve {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """logsieve command line."""


def read_config(config: Optional[Path]):
    """The YAML config at CONFIG (defaults when None); a bad file fails the command."""
    from logsieve.config import ConfigError, load_config

    try:
        return load_config(config)
    except ConfigError as exc:
        fail(str(exc))


def llm_config(llm: str, llm_model: Optional[str]) -> Optional[dict[str, Any]]:
    """The backend config that ``--llm`` / ``--llm-model`` name (None for ``--llm none``)."""
    from logsieve.llm import backend_config

    try:
        return backend_config(llm, llm_model)
    except ValueError:
        fail(f"--llm must be embedded, none or an http(s) URL, got {llm!r}")
    return None

