"""Commands about the models adaptation produces: ``models`` lists them, ``models rollback``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from logsieve.cli._common import app, emit_json, fail, out


models_app = typer.Typer(help="Model versions in a store: which is live, which were kept aside; roll back.",
                         invoke_without_command=True)
app.add_typer(models_app, name="models")

_STORE = typer.Option(help="The SQLite store that `logsieve detect` / `serve` write to.")


def _registry(store: Path):
    from logsieve.adapt.registry import ModelRegistry
    from logsieve.store import Store

    if not store.exists():
        fail(f"no store at {store}; give the one `logsieve detect --store` wrote")
    return ModelRegistry(Store(store))


@models_app.callback()
def models(
    ctx: typer.Context,
    store: Annotated[Path, _STORE] = Path(".logsieve/logsieve.db"),
    name: Annotated[Optional[str], typer.Option(help="Only models of this detector name.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON object instead of a table.")] = False,
) -> None:
    """List model versions (newest last): status live / aside / retired, validation score, size of
    the data it was trained on. Example: logsieve models --store .logsieve/logsieve.db"""
    if ctx.invoked_subcommand is not None:
        return
    entries = _registry(store).list(name)
    if json_out:
        emit_json({"models": [e.as_dict() for e in entries]})
        return
    if not entries:
        out.print("No model versions yet: they are registered when adaptation retrains a model.")
        return
    table = Table("version", "name", "status", "validation", "trained on", "created", "path", "note")
    for e in entries:
        style = "bold green" if e.status == "live" else ("dim" if e.status == "retired" else "")
        table.add_row(str(e.version), e.name, e.status, "" if e.validation is None else f"{e.validation:.4f}",
                      str(e.trained_on), dt.datetime.fromtimestamp(e.created_at).strftime("%Y-%m-%d %H:%M"),
                      e.path, e.note, style=style)
    out.print(table)


@models_app.command()
def rollback(
    version: Annotated[int, typer.Argument(help="The version to make live again (see `logsieve models`).")],
    store: Annotated[Path, _STORE] = Path(".logsieve/logsieve.db"),
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Make an earlier model version live again; the live one is retired (its files stay)."""
    from logsieve.adapt.registry import RegistryError

    try:
        entry = _registry(store).rollback(version)
    except RegistryError as exc:
        fail(str(exc))
    if json_out:
        emit_json({"live": entry.as_dict()})
    else:
        out.print(f"Version {entry.version} ({entry.name}) is live again: {entry.path}")
