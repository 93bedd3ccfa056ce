"""``logsieve serve``: the detection service with its HTTP API and dashboard."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Annotated, Optional

import typer

from logsieve.cli._common import app, err, fail, out


@app.command()
def serve(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML file of serve settings (see logsieve.service.config for every key); options below override it.")] = None,
    host: Annotated[Optional[str], typer.Option(help="Address to bind (default 127.0.0.1). Anything but loopback needs a token in $LOGSIEVE_TOKEN (or the variable `token_env` names).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 8765; 0 picks a free one, printed at start).")] = None,
    model: Annotated[Optional[Path], typer.Option(help="Trained model directory from `logsieve train` or `logsieve learn` (default .logsieve/models/logmoe-hdfs-sample when it exists; with none, serve warms up on the first lines, learns a model as `logsieve learn` does and swaps it in).")] = None,
    store: Annotated[Optional[Path], typer.Option(help="SQLite store: ingest log, verdicts, checkpoint (default .logsieve/serve.db). Restarting on the same store resumes where the service stopped.")] = None,
    log_format: Annotated[Optional[str], typer.Option("--format", "-f", help="Log format of incoming lines (default: the model's; with no model, detected from the first lines).")] = None,
    files: Annotated[list[Path], typer.Option("--file", help="Follow this file like tail -F (repeatable); offsets survive restarts.")] = [],
    stdin: Annotated[bool, typer.Option("--stdin", help="Also read lines from standard input.")] = False,
    llm: Annotated[Optional[str], typer.Option(help="embedded (default), none, or an OpenAI-compatible base URL (key from $LOGSIEVE_LLM_API_KEY).")] = None,
    llm_model: Annotated[Optional[str], typer.Option(help="Embedded: packaged model name or GGUF path; HTTP: the server's model name.")] = None,
    mode: Annotated[Optional[str], typer.Option(help="cola (default), collaborlog, small-only or llm-only.")] = None,
    adapt: Annotated[Optional[bool], typer.Option("--adapt/--no-adapt", help="Learn while serving (default on; the config's `adapt:` section): the LLM's answers become pseudo-labels, a background retrain fits a candidate, and one not worse on the newest of them goes live as a new model version (`logsieve models`). Needs mode cola, an LLM and a model with an example bank.")] = None,
    warmup_lines: Annotated[Optional[int], typer.Option("--warmup-lines", min=10, help="With no model: learn after this many lines (the config's `warmup: {lines: ...}`, default 5,000, or after `warmup.minutes`, default 10, whichever comes first).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the start line as one JSON object (url, token_required, store).")] = False,
) -> None:
    """Run logsieve as a service: lines in (POST /ingest, followed files, stdin), verdicts out
    (the API, the dashboard at /, Prometheus /metrics, alerts).

    With no --model (and no default model on disk) it starts at once and warms up: it judges
    with the never-seen-template rule (and the LLM) while it buffers the first lines, then
    learns a model from them as `logsieve learn` does and swaps it in without stopping.

    Every accepted line is committed to the store before it is acknowledged, and detection
    checkpoints its state there, so a crash or `kill -9` loses nothing: start it again on the
    same --store and it resumes. Example:

        logsieve serve --model .logsieve/models/logmoe-hdfs-sample --llm none

        curl -X POST --data-binary @app.log -H 'Content-Type: text/plain' 'http://127.0.0.1:8765/ingest?source=app'
    """
    import uvicorn

    from logsieve.jobs.bundle import BundleError
    from logsieve.service.app import Service, create_app
    from logsieve.service.auth import TokenMissing, resolve_token
    from logsieve.service.config import ServeConfigError, load_serve_config

    try:
        cfg = load_serve_config(config, host=host, port=port, model=model, store=store, format=log_format,
                                files=tuple(files) or None, stdin=stdin or None, llm=llm, llm_model=llm_model,
                                mode=mode)
        token = resolve_token(cfg, os.environ)
    except (ServeConfigError, TokenMissing) as exc:
        fail(str(exc))
    if adapt is not None:
        cfg = cfg.model_copy(update={"adapt": cfg.adapt.model_copy(update={"enabled": adapt})})
    if warmup_lines is not None:
        cfg = cfg.model_copy(update={"warmup": cfg.warmup.model_copy(update={"lines": warmup_lines})})
    try:
        sock = socket.create_server((cfg.host, cfg.port), family=socket.AF_INET6 if ":" in cfg.host else socket.AF_INET)
    except OSError as exc:
        fail(f"cannot bind {cfg.host}:{cfg.port}: {exc.strerror or exc}; pick another --port (0: any free one)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        service = Service(cfg)
    except (BundleError, RuntimeError, ValueError, OSError) as exc:
        sock.close()
        fail(str(exc))
    bound = sock.getsockname()[1]
    shown = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
    url = f"http://{shown}:{bound}/"
    if json_out:
        out.file.write(json.dumps({"url": url, "token_required": token is not None, "store": str(cfg.store)}) + "\n")
        out.file.flush()
    else:
        out.print(f"logsieve serve: [bold]{url}[/]  (API docs {url}docs, store {cfg.store})", highlight=False)
        if token is not None:
            out.print(f"a bearer token is required: send `Authorization: Bearer ${cfg.token_env}`", highlight=False)
        if service.warmup is not None:
            w = cfg.warmup
            until = " or ".join(x for x in (f"{w.lines:,} lines" if w.lines else "",
                                             f"{w.minutes:g} minutes" if w.minutes else "") if x)
            out.print(f"no model: warming up on the first {until} (POST /admin/learn ends it sooner); meanwhile "
                      f"a never-seen template makes a sequence abnormal{' (the LLM judges it)' if service.llm_kind != 'none' else ''}. "
                      "Then it learns as `logsieve learn` does and swaps the model in; /health shows the phase.",
                      highlight=False)
        out.file.flush()
    if token is not None:
        err.print(f"token required on every request (from ${cfg.token_env})", highlight=False)
    server = uvicorn.Server(uvicorn.Config(create_app(service, token), log_level="warning", access_log=False,
                                           timeout_graceful_shutdown=30))
    server.run(sockets=[sock])
