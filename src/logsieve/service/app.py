"""``logsieve serve``: the FastAPI app over the detection thread (contract: ``service_api.md``).

:class:`Service` wires the parts (store, durable state, detection thread, followed files,
alerts, metrics) and :func:`create_app` puts the HTTP API in front of it. The app is wrapped
in two ASGI checks (:mod:`.auth`): the bearer token, then the body size, both before a route
runs. Routes are plain ``def`` where they only read SQLite (FastAPI runs them in its thread
pool, each thread on its own connection); ``/ingest`` streams its body asynchronously so an
oversized chunked upload is cut off at the limit instead of being buffered whole.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from logsieve import __version__
from logsieve.ingest import get_format
from logsieve.jobs.bundle import ModelBundle
from logsieve.service import queries
from logsieve.service.auth import BodyLimit, TokenGuard
from logsieve.service.config import ServeConfig
from logsieve.service.ingest_body import media_kind, split_body
from logsieve.service.metrics import ServiceMetrics
from logsieve.service.runner import Detection
from logsieve.service.sources import FileFollower, StdinReader
from logsieve.service.state import ServiceState, state_fingerprint
from logsieve.store import Store

log = logging.getLogger("logsieve.serve")

STATIC_DIR = Path(__file__).with_name("static")
ROOT_CAUSE_MODULES = ("logsieve.explain",)
"""Where ``root_cause(store, verdict_id) -> dict | None`` is looked for (the explanations module)."""


class Service:
    """Everything behind the API; :meth:`start` and :meth:`stop` bracket its life."""

    def __init__(self, config: ServeConfig) -> None:
        from logsieve.engine import build_engine
        from logsieve.engine.adapting import register_base
        from logsieve.jobs.detect import DetectJobConfig

        self.config = config
        self.bundle = ModelBundle.load(config.model)
        self.format = get_format(config.format or self.bundle.format, config.formats_files)
        grouping = config.grouping or self.bundle.grouping
        self.store = Store(config.store)
        self.state = ServiceState(self.store)
        self.metrics = ServiceMetrics()
        backend = config.backend()
        self.llm_kind = "none" if backend is None else str(backend.get("kind", "embedded"))
        job = DetectJobConfig((), config.model, self.format, config.store, mode=config.mode, llm=backend,
                              tau=config.tau, coordinator_dir=config.coordinator, batch_size=config.batch_size,
                              max_llm_calls=config.max_llm_calls, adapt=config.adapt.enabled,
                              adapt_settings=config.adapt)
        register_base(self.store, config.model, self.bundle.detector, "served by logsieve serve")
        self.engine = build_engine(config.model, job.engine_config(), self.store, bundle=self.bundle)
        self.pipeline = self.engine.pipeline
        self.model_name = f"{self.bundle.detector}:{config.model.name}"
        log.info("serving model version %s (%s); adaptation %s", self.engine.live_version, self.engine.run_dir,
                 "on" if self.engine.adapter is not None else f"off ({self.engine.adapt_off or 'disabled'})")
        self.alerts = self._alerts()
        self.started_at = time.time()
        self.detection = Detection(
            self.state, self.metrics, bundle=self.bundle, model_dir=self.engine.run_dir or config.model,
            log_format=self.format, grouping=grouping, pipeline=self.pipeline, batch_size=config.batch_size,
            max_wait_s=config.max_wait_s,
            checkpoint_s=config.checkpoint_s, model_version=self.engine.live_version, adapter=self.engine.adapter,
            fingerprint=state_fingerprint(model=str(config.model.resolve()), detector=self.bundle.detector,
                                          format=self.format.name, grouping=grouping.model_dump(mode="json")),
            on_verdicts=self.alerts.handle if self.alerts is not None else None)
        self._stop = threading.Event()
        self.readers: list[Any] = [
            FileFollower(Path(p), self.state, max_line_bytes=config.max_line_bytes, poll_s=config.poll_s,
                         on_lines=self._took, stop=self._stop) for p in config.files]
        if config.stdin:
            self.readers.append(StdinReader(self.state, max_line_bytes=config.max_line_bytes, on_lines=self._took))
        self._root_cause = _find_root_cause()

    @property
    def model_version(self) -> int | None:
        """The registry version judging now (adaptation swaps in new ones while serving)."""
        return self.engine.live_version

    def _alerts(self) -> Any:
        if not self.config.alerts:
            return None
        try:
            from logsieve.alerts import AlertManager
        except ImportError as exc:
            raise RuntimeError(f"the config has an alerts section but logsieve.alerts cannot be imported ({exc})") from exc
        return AlertManager.from_config(self.config.alerts, self.store)

    def _took(self, lines: int, quarantined: int) -> None:
        self.metrics.lines_in.inc(lines)
        self.metrics.lines_quarantined.inc(quarantined)
        self.detection.wake()

    def start(self) -> None:
        self.detection.start()
        for reader in self.readers:
            reader.start()

    def stop(self) -> None:
        self._stop.set()
        for reader in self.readers:
            if isinstance(reader, FileFollower):
                reader.join(5.0)
        self.detection.stop()
        if self.alerts is not None:
            self.alerts.close()
        self.engine.close()  # a retrain still running is stopped; the LLM is freed
        self.store.close()

    def health(self) -> dict[str, Any]:
        errors = [e for e in [self.detection.error, *(r.error for r in self.readers)] if e]
        status = "ok" if self.detection.alive and not errors else "degraded"
        backlog = max(0, self.state.last_log_id() - self.detection.cursor)
        self.metrics.backlog.set(backlog)
        return {"status": status, "version": __version__, "uptime_s": round(time.time() - self.started_at, 3),
                **queries.counts(self.store.connection), "llm": self.llm_kind, "model": self.model_name,
                "model_version": self.model_version, "adapt": self.engine.adapt_status(), "backlog": backlog,
                "open_sequences": self.detection.open_sequences, "restored": self.detection.restored,
                "store_connections": self.store.open_connections, "errors": errors}

    def root_cause(self, verdict_id: int) -> dict | None:
        if self._root_cause is None:
            return None
        try:
            return self._root_cause(self.store, verdict_id)
        except Exception:  # noqa: BLE001 - an explanation failing must not hide the verdict
            log.exception("root_cause(%d) failed", verdict_id)
            return None


def _find_root_cause() -> Any:
    for name in ROOT_CAUSE_MODULES:
        try:
            fn = getattr(importlib.import_module(name), "root_cause", None)
        except ImportError:
            continue
        if callable(fn):
            return fn
    return None


def create_app(service: Service, token: str | None) -> Any:
    """The ASGI app: FastAPI routes inside the token and body-size checks."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Each thread that runs a route opens its own SQLite connection with its own page
        # cache; anyio's default of 40 threads made RSS creep up for minutes under load.
        anyio.to_thread.current_default_thread_limiter().total_tokens = service.config.api_threads
        await run_in_threadpool(service.start)
        try:
            yield
        finally:
            await run_in_threadpool(service.stop)

    app = FastAPI(title="logsieve", version=__version__, lifespan=lifespan,
                  description="Log anomaly detection: a small model judges every sequence, an LLM the unsure ones. "
                              "Times are Unix seconds; ids are verdict ids. Off loopback every route but the "
                              "dashboard needs `Authorization: Bearer <token>`.")
    _routes(app, service)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return TokenGuard(BodyLimit(app, service.config.max_body_bytes), token)


Status = Literal["abnormal", "normal", "all"]
VerdictSource = Literal["small", "cache", "llm", "fallback"]


def _routes(app: FastAPI, service: Service) -> None:  # noqa: C901 - one place lists the API
    config, state, metrics = service.config, service.state, service.metrics

    @app.get("/", include_in_schema=False)
    def dashboard() -> Response:
        index = STATIC_DIR / "index.html"
        if index.exists():
            return FileResponse(index)
        return HTMLResponse("<h1>logsieve</h1><p>The dashboard files are not installed; the API is at "
                            "<a href='/docs'>/docs</a>.</p>")

    @app.get("/health", summary="Liveness and totals")
    def health() -> dict[str, Any]:
        return service.health()

    @app.get("/anomalies", summary="Judged sequences, newest first (default: the abnormal ones)")
    def anomalies(since: float | None = Query(None, description="created_at >= since (Unix s)"),
                  until: float | None = Query(None, description="created_at < until (Unix s)"),
                  status: Status = "abnormal", source: VerdictSource | None = None,
                  q: str | None = Query(None, max_length=200, description="substring of explanation or key"),
                  limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
        return queries.anomalies(state.store.connection, since=since, until=until, status=status, source=source,
                                 q=q, limit=limit, offset=offset)

    @app.get("/verdicts/{verdict_id}", summary="One verdict with its lines (cited ones marked)",
             responses={404: {"description": "no such verdict"}})
    def verdict(verdict_id: int) -> dict[str, Any]:
        found = queries.verdict(state.store.connection, verdict_id)
        if found is None:
            raise HTTPException(404, f"no verdict {verdict_id}; /anomalies?status=all lists them")
        found["root_cause"] = service.root_cause(verdict_id)
        return found

    @app.get("/templates", summary="Templates the service has seen, with when it first saw each")
    def templates(limit: int = Query(100, ge=1, le=10000), offset: int = Query(0, ge=0)) -> dict[str, Any]:
        return queries.templates(state.store.connection, limit=limit, offset=offset)

    @app.get("/models", summary="Model versions from the registry")
    def models() -> dict[str, Any]:
        from logsieve.adapt.registry import ModelRegistry

        keys = ("version", "name", "status", "validation", "trained_on", "created_at", "note")
        return {"items": [{k: getattr(m, k) for k in keys} for m in ModelRegistry(state.store).list()]}

    @app.get("/stats/timeline", summary="Per-bucket counts for the drift and cost panels")
    def timeline(bucket_s: int = Query(60, ge=1, le=86400), since: float | None = None) -> Any:
        start = queries.default_since(bucket_s) if since is None else since
        if (time.time() - start) / bucket_s > 20_000:
            return JSONResponse({"detail": "too many buckets: raise bucket_s or move since closer"}, 400)
        return queries.timeline(state.store.connection, bucket_s=bucket_s, since=start)

    @app.get("/sources", summary="Lines taken per source (a client resumes after `lines`)")
    def sources() -> dict[str, Any]:
        return {"items": state.sources()}

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def prometheus() -> Response:
        service.health()  # refreshes the backlog gauge
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.post("/admin/flush", summary="Parse everything accepted so far, close every open sequence and judge it")
    def flush(timeout_s: float = Query(120.0, gt=0, le=3600)) -> dict[str, Any]:
        judged = service.detection.flush(timeout_s)
        if judged is None:
            raise HTTPException(503, "detection did not catch up in time; try again (see /health backlog)")
        return {"judged": judged, "cursor": service.detection.cursor}

    @app.post("/ingest", status_code=202, summary="Log lines: text/plain (one per line) or application/x-ndjson",
              responses={413: {"description": "body over the limit"}, 415: {"description": "other content type"},
                         429: {"description": "detection is too far behind"}})
    async def ingest(request: Request,
                     source: str = Query("http", min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")) -> Any:
        started = time.perf_counter()
        content_type = request.headers.get("content-type", "")
        if media_kind(content_type) is None:
            return JSONResponse({"detail": f"unsupported content type {content_type!r}: send text/plain or "
                                           "application/x-ndjson in UTF-8"}, 415)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > config.max_body_bytes:
                return JSONResponse({"detail": f"body is over the limit of {config.max_body_bytes} bytes; send "
                                               "smaller batches"}, 413)
        backlog = state.last_log_id() - service.detection.cursor
        if backlog > config.max_backlog_lines:
            return JSONResponse({"detail": f"detection is {backlog} lines behind; retry shortly"}, 429,
                                headers={"Retry-After": "5"})
        batch = split_body(bytes(body), content_type, config.max_line_bytes, source=source)
        done = await run_in_threadpool(state.append_body, source, batch)
        service._took(done.accepted, done.quarantined)
        metrics.ingest_latency.observe(time.perf_counter() - started)
        return JSONResponse({"accepted": done.accepted, "quarantined": done.quarantined, "offset": done.offset}, 202)
