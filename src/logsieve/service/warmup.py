"""``logsieve serve`` with no model: warm up on the first lines, learn, swap the model in.

With no ``--model`` and no trained default on disk, the service starts at once and warms up:

1. the detection thread parses and groups lines as usual, judges every closed sequence with the
   never-seen-template rule (:class:`~logsieve.collab.novelty.NoveltyPipeline`; with an LLM the
   new ones go to it) and hands each parsed line to :class:`WarmupLearner`, which buffers them;
2. when ``warmup.lines`` lines are buffered or ``warmup.minutes`` have passed since the first
   one (whichever comes first; ``POST /admin/learn`` forces it), the learner copies the parser
   and fits in a background thread exactly what ``logsieve learn`` fits
   (:func:`logsieve.jobs.learn.learn_lines`: discovered grouping, label-free detector,
   quantile threshold), writes the bundle as a model version at ``<store>.models/v<N>/``
   (where adaptation writes its versions), registers it live (``logsieve models`` lists it)
   and builds its engine with :func:`logsieve.engine.build_engine`;
3. the detection thread takes the finished engine between two batches: the warm-up's open
   sequences are closed and judged by the novelty rule, and everything after is the normal
   engine path under the learnt grouping. Ingestion never waits: lines keep going to the
   durable log while the fit runs.

A restart on the same store finds the learnt version in the registry (its directory holds
:data:`WARMUP_FILE`) and serves it, with no second warm-up. A restart *during* the warm-up
starts it over from the next line (the verdicts already given stay).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from logsieve.records import ParsedLine
from logsieve.sessions import GroupingConfig

log = logging.getLogger("logsieve.serve")

WARMUP_FILE = "warmup.json"
"""In a version directory: what the warm-up learnt from (also how a restart recognises it)."""
WARMUP_GROUPING_SIZE = 20
"""Fixed windows of this many lines group the warm-up's stream unless a grouping is given: the
grouping is discovered only at the end, from the buffered lines, and a window closes quickly."""


class WarmupSection(BaseModel):
    """The ``warmup:`` section of the serve config: used only when there is no model to serve."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lines: int | None = Field(default=5000, ge=10)
    """Learn once this many lines are parsed (None: only ``minutes`` counts)."""
    minutes: float | None = Field(default=10.0, gt=0)
    """... or once this long has passed since the first line, whichever comes first (None:
    only ``lines`` counts). Fewer lines than learning needs keep it warming up."""
    expected_share: float = Field(default=0.02, gt=0.0, lt=0.5)
    """Share of the warm-up's sequences expected abnormal: the threshold flags that share."""
    format: str = "auto"
    """The incoming lines' format; ``auto`` detects it from the first lines read."""
    detector: str | None = None
    """A label-free detector (None: ``logsieve learn``'s default)."""
    grouping: GroupingConfig | None = None
    """How the warm-up groups lines before anything is learnt (None: the serve config's
    ``grouping``, else fixed windows of 20 lines)."""

    @model_validator(mode="after")
    def _some_end(self) -> WarmupSection:
        if self.lines is None and self.minutes is None:
            raise ValueError("warmup needs lines or minutes (or both): when else would it learn?")
        return self


@dataclass
class Learnt:
    """A finished warm-up fit, waiting for the detection thread to swap it in."""

    engine: Any
    path: Path
    version: int
    grouping: Any
    summary: dict[str, Any]
    fingerprint: str
    """What the detection checkpoint is written under from the swap on (see :mod:`.state`)."""


class WarmupLearner:
    """Buffers the warm-up's parsed lines and learns from them in a background thread.

    ``observe`` and ``maybe_start`` / ``take`` are called by the detection thread only;
    ``request`` and ``status`` from any thread. ``fit(lines, parser) -> Learnt`` does the work
    (the service's :meth:`~logsieve.service.app.Service.learn_warmup`)."""

    def __init__(self, section: WarmupSection, fit: Callable[[list[ParsedLine], Any], Learnt]) -> None:
        self.section = section
        self._fit = fit
        self.lines: list[ParsedLine] = []
        self.seen = 0
        self.first_at: float | None = None
        self.started_at = time.time()
        self.phase = "warming-up"
        """``warming-up`` -> ``learning`` -> ``live`` (back to ``warming-up`` after a failed fit)."""
        self.note = ""
        self.version: int | None = None
        self.learn_seconds: float | None = None
        self.live_at: float | None = None
        self._need = section.lines
        self._tried = 0
        self._forced = threading.Event()
        self._done: Learnt | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ detection thread
    def observe(self, line: ParsedLine) -> None:
        if self.phase != "warming-up":
            return
        if self.first_at is None:
            self.first_at = time.time()
        self.lines.append(line)
        self.seen += 1

    def due(self, now: float | None = None) -> str | None:
        """Why the warm-up should end now (``lines``, ``minutes``, ``requested``), or None."""
        if self.phase != "warming-up":
            return None
        if self._forced.is_set():
            return "requested"
        if self._need is not None and self.seen >= self._need:
            return "lines"
        minutes = self.section.minutes
        if minutes is not None and self.first_at is not None and (now or time.time()) - self.first_at >= minutes * 60:
            # with too few lines to learn from, wait for twice as many as the last try had
            if self.seen >= 2 and self.seen >= 2 * self._tried:
                return "minutes"
        return None

    def start(self, parser_copy: Any, why: str) -> None:
        """Fit on the buffered lines with ``parser_copy`` (the detection parser's state now) in
        a background thread; detection goes on with the novelty rule meanwhile."""
        self._forced.clear()
        lines, self._tried = self.lines, self.seen
        self.phase = "learning"
        self.note = f"learning from {len(lines):,} lines ({why})"
        log.info("warm-up: %s", self.note)
        self._thread = threading.Thread(target=self._run, args=(lines, parser_copy), name="logsieve-warmup-learn",
                                        daemon=True)
        self._thread.start()

    def _run(self, lines: list[ParsedLine], parser: Any) -> None:
        clock = time.perf_counter()
        try:
            done = self._fit(lines, parser)
        except Exception as exc:  # noqa: BLE001 - a failed fit keeps the warm-up going, said on /health
            log.warning("warm-up: learning failed (%s); warming up on more lines", exc)
            with self._lock:
                self.note = f"learning failed: {exc}; warming up on more lines"
                self._need = max(self.seen, self._tried) * 2 if self.section.lines is not None else None
                self.phase = "warming-up"
            return
        with self._lock:
            self.learn_seconds = time.perf_counter() - clock
            self._done = done

    def take(self) -> Learnt | None:
        """The finished fit, once (the detection thread swaps it in and calls :meth:`went_live`)."""
        with self._lock:
            done, self._done = self._done, None
        return done

    def went_live(self, learnt: Learnt) -> None:
        self.phase, self.version, self.live_at = "live", learnt.version, time.time()
        self.lines = []
        g = learnt.summary.get("grouping", {})
        self.note = (f"model version {learnt.version} live after {self.learn_seconds or 0:.1f} s of learning: "
                     f"{learnt.summary.get('sequences', 0):,} sequences, grouping {g.get('describe') or g.get('kind')}")
        log.info("warm-up: %s", self.note)

    # ------------------------------------------------------------------ any thread
    def request(self) -> bool:
        """Force the warm-up to end at the detection thread's next turn; False when not warming up."""
        if self.phase != "warming-up":
            return False
        self._forced.set()
        return True

    def status(self) -> dict[str, Any]:
        """What /health shows as ``warmup``."""
        return {"phase": self.phase, "lines_seen": self.seen, "lines_needed": self._need,
                "minutes": self.section.minutes,
                "first_line_at": self.first_at, "live_version": self.version, "learn_seconds":
                    None if self.learn_seconds is None else round(self.learn_seconds, 3),
                "live_after_s": None if self.live_at is None else round(self.live_at - self.started_at, 3),
                "note": self.note}


def write_warmup_file(path: Path, summary: dict[str, Any]) -> None:
    (path / WARMUP_FILE).write_text(json.dumps(summary, indent=1, default=str), "utf-8")


def learnt_version(store: Any) -> Path | None:
    """The newest live registry version that a warm-up learnt (its files still there), or None."""
    from logsieve.adapt.registry import ModelRegistry
    from logsieve.jobs.bundle import BUNDLE_FILE

    for entry in reversed(ModelRegistry(store).list()):
        path = Path(entry.path)
        if entry.status == "live" and (path / WARMUP_FILE).exists() and (path / BUNDLE_FILE).exists():
            return path
    return None
