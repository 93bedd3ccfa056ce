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
        from logsieve.service.warmup import learnt_version

        self.config = config
        self.store = Store(config.store)
        self.state = ServiceState(self.store)
        self.metrics = ServiceMetrics()
        backend = config.backend()
        self.llm_kind = "none" if backend is None else str(backend.get("kind", "embedded"))
        self.alerts = self._alerts()
        self.started_at = time.time()
        self.warmup: Any = None
        """The :class:`~logsieve.service.warmup.WarmupLearner` when serving started with no model."""
        self.model = config.model_to_serve(learnt_version(self.store))
        on_verdicts = self.alerts.handle if self.alerts is not None else None
        if self.model is None:
            self.detection = self._warmup_detection(backend, on_verdicts)
        else:
            self.bundle = ModelBundle.load(self.model)
            self.format = get_format(config.format or self.bundle.format, config.formats_files)
            grouping = config.grouping or self.bundle.grouping
            self.engine = self._engine(self.model, self.bundle, self.format)
            self.pipeline = self.engine.pipeline
            self.model_name = f"{self.bundle.detector}:{self.model.name}"
            log.info("serving model version %s (%s); adaptation %s", self.engine.live_version, self.engine.run_dir,
                     "on" if self.engine.adapter is not None else f"off ({self.engine.adapt_off or 'disabled'})")
            self.detection = Detection(
                self.state, self.metrics, bundle=self.bundle, model_dir=self.engine.run_dir or self.model,
                log_format=self.format, grouping=grouping, pipeline=self.pipeline, batch_size=config.batch_size,
                max_wait_s=config.max_wait_s,
                checkpoint_s=config.checkpoint_s, model_version=self.engine.live_version, adapter=self.engine.adapter,
                fingerprint=self._fingerprint(self.model, self.bundle.detector, self.format.name, grouping),
                on_verdicts=on_verdicts)
        self._stop = threading.Event()
        self.readers: list[Any] = [
            FileFollower(Path(p), self.state, max_line_bytes=config.max_line_bytes, poll_s=config.poll_s,
                         on_lines=self._took, stop=self._stop) for p in config.files]
        if config.stdin:
            self.readers.append(StdinReader(self.state, max_line_bytes=config.max_line_bytes, on_lines=self._took))
        self._root_cause = _find_root_cause()

    def _engine(self, model: Path, bundle: ModelBundle, log_format: Any, backend: Any = None) -> Any:
        """The engine for a bundle, as ``logsieve detect`` builds it (``backend``: an LLM backend
        already loaded, reused instead of loading a second one)."""
        from logsieve.engine import build_engine
        from logsieve.engine.adapting import register_base
        from logsieve.jobs.detect import DetectJobConfig

        config = self.config
        job = DetectJobConfig((), model, log_format, config.store, mode=config.mode, llm=config.backend(),
                              tau=config.tau, coordinator_dir=config.coordinator, batch_size=config.batch_size,
                              max_llm_calls=config.max_llm_calls, adapt=config.adapt.enabled,
                              adapt_settings=config.adapt)
        register_base(self.store, model, bundle.detector, "served by logsieve serve")
        return build_engine(model, job.engine_config(), self.store, bundle=bundle, backend=backend)

    @staticmethod
    def _fingerprint(model: Path, detector: str, format_name: str, grouping: Any) -> str:
        return state_fingerprint(model=str(model.resolve()), detector=detector, format=format_name,
                                 grouping=grouping.model_dump(mode="json"))

    # ------------------------------------------------------------------ no model: the warm-up
    def _warmup_detection(self, backend: dict[str, Any] | None, on_verdicts: Any) -> Detection:
        """Detection with the novelty rule (and the LLM, when there is one) until the warm-up
        has learnt a model (:mod:`logsieve.service.warmup`)."""
        from logsieve.collab import CollabConfig, KnowledgeTable
        from logsieve.collab.novelty import NoveltyPipeline
        from logsieve.engine import EngineConfig
        from logsieve.engine.build import make_expert
        from logsieve.service.warmup import WARMUP_GROUPING_SIZE, WarmupLearner
        from logsieve.sessions.config import FixedWindowConfig

        config = self.config
        section = config.warmup
        name = config.format or section.format
        self.format = None if name == "auto" else get_format(name, config.formats_files)
        self.format_guess: dict[str, Any] | None = None
        grouping = section.grouping or config.grouping or FixedWindowConfig(size=WARMUP_GROUPING_SIZE)
        expert = make_expert(EngineConfig(mode=config.mode, llm=backend))
        knowledge = KnowledgeTable(self.store) if expert is not None else None
        self.pipeline = NoveltyPipeline(expert, knowledge, CollabConfig(max_llm_calls=config.max_llm_calls))
        self.engine = self.bundle = None
        self.model_name = "none yet (warming up: never-seen-template rule)"
        self.warmup = WarmupLearner(section, self.learn_warmup)
        log.info("no model: warming up on the first %s lines or %s minutes, judging with the novelty rule%s",
                 section.lines, section.minutes, " and the LLM" if expert is not None else "")
        return Detection(
            self.state, self.metrics, bundle=None, model_dir=None, log_format=self.format, grouping=grouping,
            pipeline=self.pipeline, batch_size=config.batch_size, max_wait_s=config.max_wait_s,
            checkpoint_s=config.checkpoint_s, model_version=None, adapter=None,
            fingerprint=state_fingerprint(model="warm-up", started=self.started_at),  # never resumed
            on_verdicts=on_verdicts, choose_format=self._choose_format, warmup=self.warmup, on_swap=self._went_live)

    def _choose_format(self, texts: list[str]) -> Any:
        """``format: auto``: the format that best reads the first lines (said on /health)."""
        try:
            from logsieve.ingest.detect import detect_format

            guess = detect_format(texts, extra_paths=self.config.formats_files)
            name = guess.format
            self.format_guess = {"format": name, "confidence": round(float(guess.confidence), 3),
                                 "lines": len(texts)}
        except ImportError:  # format detection not installed: every line as it is
            name = "raw"
            self.format_guess = {"format": name, "confidence": None, "lines": len(texts)}
        log.info("warm-up: incoming lines read as format %s (from %d lines)", name, len(texts))
        self.format = get_format(name, self.config.formats_files)
        return self.format

    def learn_warmup(self, lines: list[Any], parser: Any) -> Any:
        """The warm-up's fit (in the learner's background thread): ``logsieve learn``'s path on
        the buffered lines, saved as a registry version at ``<store>.models/v<N>/``, live, and
        its engine built, ready for the detection thread to swap in."""
        import shutil

        from logsieve.adapt.registry import ModelRegistry
        from logsieve.engine.adapting import register_base
        from logsieve.jobs.learn import DEFAULT_DETECTOR, LearnConfig, learn_lines
        from logsieve.service.warmup import Learnt, write_warmup_file

        config, section, fmt = self.config, self.config.warmup, self.format
        learn_config = LearnConfig(detector=section.detector or DEFAULT_DETECTOR,
                                   expected_share=section.expected_share, log_format=fmt.name,
                                   grouping=config.grouping)
        version = ModelRegistry(self.store).next_version()
        path = (config.adapt.models_dir or Path(f"{self.store.path}.models")) / f"v{version}"
        tmp = path.with_name(f".{path.name}.tmp")  # no half-written version after a crash
        shutil.rmtree(tmp, ignore_errors=True)
        summary = learn_lines(lines, parser, tmp, learn_config, log_format=fmt.name,
                              fit_on=[f"logsieve serve warm-up ({len(lines)} lines)"]).as_dict()
        summary.update(out=str(path), formats={"serve": {"format": fmt.name, **(self.format_guess or {})}})
        write_warmup_file(tmp, summary)
        shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)
        bundle = ModelBundle.load(path)
        entry = register_base(self.store, path, bundle.detector,
                              f"learnt by the serve warm-up from {len(lines):,} lines, no labels")
        expert = getattr(self.pipeline, "expert", None)
        engine = self._engine(path, bundle, fmt, backend=expert.backend if expert is not None else None)
        grouping = config.grouping or bundle.grouping
        return Learnt(engine, path, entry.version, grouping, summary,
                      self._fingerprint(path, bundle.detector, fmt.name, grouping))

    def _went_live(self, learnt: Any) -> None:
        """Called by the detection thread once the learnt engine judges."""
        self.engine, self.bundle, self.model = learnt.engine, learnt.engine.bundle, learnt.path
        self.pipeline = learnt.engine.pipeline
        self.model_name = f"{self.bundle.detector}:{learnt.path.name}"

    @property
    def phase(self) -> str:
        """``live`` (a model judges), else the warm-up's phase (``warming-up``, ``learning``)."""
        return "live" if self.engine is not None else self.warmup.phase

    @property
    def model_version(self) -> int | None:
        """The registry version judging now (adaptation swaps in new ones while serving)."""
        return self.engine.live_version if self.engine is not None else None

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
        if self.engine is not None:
            self.engine.close()  # a retrain still running is stopped; the LLM is freed
        elif getattr(self.pipeline, "expert", None) is not None:
            self.pipeline.expert.backend.close()  # still warming up: free the LLM
        self.store.close()

    def health(self) -> dict[str, Any]:
        errors = [e for e in [self.detection.error, *(r.error for r in self.readers)] if e]
        status = "ok" if self.detection.alive and not errors else "degraded"
        backlog = max(0, self.state.last_log_id() - self.detection.cursor)
        self.metrics.backlog.set(backlog)
        return {"status": status, "version": __version__, "uptime_s": round(time.time() - self.started_at, 3),
                **queries.counts(self.store.connection), "llm": self.llm_kind, "model": self.model_name,
                "model_version": self.model_version, "phase": self.phase,
                **({"warmup": {**self.warmup.status(), "format": self.format_guess}} if self.warmup is not None else {}),
                "adapt": self.engine.adapt_status() if self.engine is not None
                else {"enabled": False, "why": "warming up: no model yet"}, "backlog": backlog,
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
VerdictSource = Literal["small", "cache", "llm", "fallback", "novelty"]


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

    @app.post("/admin/learn", status_code=202, summary="End the warm-up now: learn from the lines so far, then "
              "swap the model in (only while serving started with no model is warming up)",
              responses={409: {"description": "not warming up"}})
    def learn_now() -> Any:
        warmup = service.warmup
        if warmup is None:
            raise HTTPException(409, "this service runs a trained model; there is no warm-up to end")
        if not warmup.request():
            raise HTTPException(409, f"the warm-up is not waiting (phase {service.phase}); see /health")
        service.detection.wake()
        return JSONResponse({"phase": "learning requested", "lines_seen": warmup.seen}, 202)

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
