"""The learn job: raw logs with no labels -> a model bundle that ``detect`` and ``serve`` run.

Users bring their own logs: no labels, a format nobody told us, and no idea which field is a
session id. So ``learn`` decides each of those from the logs themselves and says what it chose:

1. the format of each file (``--format auto``: :func:`logsieve.ingest.detect.detect_file_format`);
2. parsing into templates (Drain, the state saved in the bundle so template ids keep meaning);
3. the grouping (:func:`logsieve.sessions.discover.discover_grouping`: recurring id-like values
   become sessions, else time windows sized from the line rate, else fixed windows);
4. a detector that needs no labels, fitted on the history in time order, and a threshold that
   needs none either: the stated expected share of anomalies among the history's own scores
   (:func:`logsieve.detectors.base.quantile_threshold`).

The fitting step, :func:`fit_label_free`, is the one ``logsieve evaluate detection --label-free``
runs on a data set, so the figure measured is the product's path; it strips every label before
fitting so that no label can leak in, whatever the caller passed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence as Seq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from logsieve.detectors.base import Detector, FitReport, SequenceBatch, unlabelled
from logsieve.label.config import AlphaConfig
from logsieve.records import ParsedLine, QuarantineRecord, Sequence
from logsieve.sessions import GroupingConfig

DEFAULT_DETECTOR = "self-trained"
"""PCA on TF-IDF template counts pseudo-labels the history's two ends and a logistic regression
learns from them (:mod:`logsieve.detectors.self_trained`): label-free, fast, and the best of the
label-free candidates measured in benchmarks/RESULTS.md ("Your own logs, no labels")."""

ProgressHook = Callable[[str, int, int | None], None]
"""``(step, done, total)``: the CLI draws a bar per step; ``total`` None when unknown."""


class LearnConfig(BaseModel):
    """How ``learn`` fits. Every choice has a default that needs no labels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    detector: str = DEFAULT_DETECTOR
    detector_settings: dict[str, Any] = Field(default_factory=dict)
    expected_share: float = Field(default=0.02, gt=0.0, lt=0.5)
    """Share of the history's sequences expected to be abnormal: the threshold flags that share
    of the history's own scores. 2% is a prior, not a measurement; say yours when you know it."""
    fit_share: float = Field(default=0.8, gt=0.0, lt=1.0)
    """The first share of the history (in time order) fits the model; the rest is held out for
    what a deep model chooses on validation (its epochs). The threshold reads both."""
    log_format: str = "auto"
    grouping: GroupingConfig | None = None
    """None: discovered from the logs."""
    formats_files: tuple[str, ...] = ()
    read_ahead: bool = True
    """Read large files in a second process (:mod:`logsieve.ingest.read_ahead`); same lines either way."""
    llm: dict[str, Any] | None = None
    """A backend config (:func:`logsieve.llm.backend_config`): with one, ALPHA runs with no human
    label (:mod:`logsieve.label.label_free`) and a supervised model is trained on its labels."""
    alpha: AlphaConfig = Field(default_factory=lambda: AlphaConfig(budget=0.02, seed_labels=15))
    """ALPHA's budget and prompt; its seed comes from the label-free model, never from a person."""
    supervised_detector: str = "logreg"
    """The small model trained on ALPHA's propagated labels."""
    alpha_max_share: float = Field(default=5.0, ge=1.0)
    """ALPHA's labels are used only if the share they call abnormal is at most this many times
    ``expected_share``. Why: with no label there is no validation, and the stated share is the one
    check at hand; the embedded 0.5B called 26% of the HDFS sample's blocks abnormal (about 3%
    are), and a model trained on that flagged 2,355 of 11,501 blocks (benchmarks/RESULTS.md)."""


@dataclass
class LabelFreeFit:
    """A detector fitted without labels, with what fitting saw."""

    detector: Detector
    report: FitReport
    train: SequenceBatch
    validation: SequenceBatch
    flagged_share: float
    """Share of the history the threshold flags (close to ``expected_share`` unless ties)."""


def fit_label_free(history: Seq[Sequence], templates: dict[int, str], config: LearnConfig) -> LabelFreeFit:
    """Fit ``config.detector`` on ``history`` (time order) with no label read.

    The first ``fit_share`` of the history trains, the rest is held out; the threshold flags
    ``expected_share`` of all the history's scores.
    """
    from logsieve.detectors.registry import make_detector

    seqs = unlabelled(history)
    if len(seqs) < 2:
        raise ValueError(f"learning needs at least 2 sequences of history, got {len(seqs)}; give more logs "
                         "or a smaller grouping (--group fixed:20)")
    cut = min(max(1, int(len(seqs) * config.fit_share)), len(seqs) - 1)
    train, validation = SequenceBatch(seqs[:cut], templates), SequenceBatch(seqs[cut:], templates)
    det = make_detector(config.detector, {**config.detector_settings, "expected_share": config.expected_share})
    if det.supervised:
        raise ValueError(f"{config.detector} is supervised and needs labels; label-free detectors: "
                         + ", ".join(label_free_detectors()))
    report = det.fit(train, validation)
    flagged = float(det.score(SequenceBatch(seqs, templates)).abnormal.mean())
    return LabelFreeFit(det, report, train, validation, flagged)


def label_free_detectors() -> list[str]:
    """Registered detectors that fit without labels (every one that is not supervised)."""
    from logsieve.detectors.registry import detector_class, detector_names

    names = []
    for name in detector_names():
        try:
            if not detector_class(name).supervised:
                names.append(name)
        except Exception:  # noqa: BLE001 - a detector whose extra is missing is simply not offered
            continue
    return names


# --------------------------------------------------------------------------- from files


@dataclass
class LearnSummary:
    """What ``learn`` chose and saw; ``as_dict`` is the ``--json`` line."""

    out: str
    formats: dict[str, dict[str, Any]] = field(default_factory=dict)
    grouping: dict[str, Any] = field(default_factory=dict)
    lines: int = 0
    parsed: int = 0
    quarantined: int = 0
    templates: int = 0
    sequences: int = 0
    detector: str = DEFAULT_DETECTOR
    expected_share: float = 0.02
    share: float | None = None
    """The share the detector's threshold rule used, where it estimates one from the history
    (self-trained: the rare-template share when above ``expected_share``); None where it has none."""
    flagged_share: float = 0.0
    threshold: float = 0.0
    rarest_templates: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    alpha: dict[str, Any] | None = None
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"out": self.out, "formats": self.formats, "grouping": self.grouping, "lines": self.lines,
                "parsed": self.parsed, "quarantined": self.quarantined,
                "quarantine_reasons": self.quarantine_reasons, "templates": self.templates,
                "sequences": self.sequences, "detector": self.detector, "expected_share": self.expected_share,
                "share": self.share,
                "flagged_share": round(self.flagged_share, 4), "threshold": self.threshold,
                "rarest_templates": self.rarest_templates, "alpha": self.alpha,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def read_history(sources: Seq[str], config: LearnConfig, progress: ProgressHook | None = None,
                 on_quarantine: Callable[[QuarantineRecord], None] | None = None,
                 ) -> tuple[list[ParsedLine], Any, LearnSummary]:
    """Parse every line of ``sources`` (each file in its own format) with one Drain parser."""
    from logsieve.ingest import get_format
    from logsieve.ingest.sources import StreamSource, expand_sources
    from logsieve.jobs.parse import ParseJobConfig, ParseSummary, open_parser, parse_stream

    summary = LearnSummary(out="")
    files: list[Any] = []
    problems: list[str] = []
    for item in expand_sources(list(sources)):
        if isinstance(item, QuarantineRecord):
            summary.quarantined += 1
            problems.append(f"{item.source}: {item.detail or getattr(item.reason, 'value', item.reason)}")
            if on_quarantine is not None:
                on_quarantine(item)
            continue
        files.append(item)
    if not files:
        why = f" ({'; '.join(problems[:3])})" if problems else ""
        raise ValueError(f"no readable log file in {', '.join(sources)}{why}")
    named = None if config.log_format == "auto" else get_format(config.log_format, extra_paths=config.formats_files)
    lines: list[ParsedLine] = []
    parser = None
    for f in files:
        name = f.name if isinstance(f, StreamSource) else str(f)
        guesses: dict[str, Any] = {}
        # auto goes to the readers as is: they detect the source's format from the head they read
        # anyway (so stdin works) and join its multi-line records; the guess comes back here
        job = ParseJobConfig((f,), named or "auto", formats_files=tuple(Path(p) for p in config.formats_files),
                             on_format=lambda source, guess: guesses.setdefault("guess", guess),
                             read_ahead=config.read_ahead)
        parser = parser or open_parser(job)
        part = ParseSummary()
        tick = (lambda n: progress("parse", n, None)) if progress else None
        before = len(lines)
        lines.extend(parse_stream(job, parser, part, on_quarantine=on_quarantine, progress=tick))
        summary.lines += part.lines
        summary.parsed += part.parsed
        summary.quarantined += part.quarantined
        for reason, n in part.quarantine_reasons.items():
            summary.quarantine_reasons[reason] = summary.quarantine_reasons.get(reason, 0) + n
        guess = guesses.get("guess")
        fmt_name = named.name if named is not None else (guess.format if guess is not None else "auto")
        summary.formats[name] = {"format": fmt_name, "lines": len(lines) - before}
        if guess is not None:
            summary.formats[name] |= {"confidence": round(float(guess.confidence), 3), "detected": True,
                                      "multiline": bool(guess.multiline)}
    return lines, parser, summary


def group_history(lines: Seq[ParsedLine], grouping: GroupingConfig) -> list[Sequence]:
    """Sequences of the history in time order of their first line (ties by stream order)."""
    from logsieve.sessions import make_grouper

    seqs = list(make_grouper(grouping).group(lines))
    return sorted(seqs, key=lambda s: (s.start is None, s.start or 0.0))


def rarest_templates(seqs: Seq[Sequence], templates: dict[int, str], n: int = 5) -> list[dict[str, Any]]:
    """The templates in the fewest sequences: where a reader looks first for trouble."""
    seen = Counter(t for s in seqs for t in set(s.template_ids))
    return [{"template_id": t, "sequences": c, "template": templates.get(t, "")[:160]}
            for t, c in sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))[:n]]


def learn(sources: Seq[str], out: Path, config: LearnConfig | None = None,
          progress: ProgressHook | None = None,
          on_quarantine: Callable[[QuarantineRecord], None] | None = None) -> LearnSummary:
    """Raw logs -> a model bundle in ``out``, with no label anywhere. See the module docstring."""
    config = config or LearnConfig()
    clock = time.perf_counter()
    lines, parser, summary = read_history(sources, config, progress, on_quarantine)
    summary.out, summary.seconds["parse"] = str(out), time.perf_counter() - clock
    if not lines:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.quarantine_reasons.items()) or "the files are empty"
        raise ValueError(f"no line could be parsed ({summary.quarantined} quarantined: {reasons}); check the format "
                         "with `logsieve formats --detect FILE`")
    fmt_names = {v["format"] for v in summary.formats.values()}
    log_format = config.log_format if config.log_format != "auto" else (fmt_names.pop() if len(fmt_names) == 1
                                                                          else "auto")
    return learn_lines(lines, parser, out, config, log_format=log_format, fit_on=[str(s) for s in sources],
                       summary=summary)


def learn_lines(lines: Seq[ParsedLine], parser: Any, out: Path, config: LearnConfig, *, log_format: str,
                fit_on: list[str], summary: LearnSummary | None = None,
                progress: ProgressHook | None = None) -> LearnSummary:
    """Parsed lines (and the parser whose template ids they carry) -> a bundle in ``out``.

    The part of :func:`learn` after reading: grouping (discovered unless ``config.grouping``),
    the label-free fit, the bundle. ``logsieve serve`` with no model runs it on the lines of its
    warm-up, so the model it swaps in is the one ``learn`` would have made from them.
    """
    from logsieve.engine import write_bundle

    summary = summary or LearnSummary(out=str(out), lines=len(lines), parsed=len(lines))
    clock = time.perf_counter()
    grouping = config.grouping
    if grouping is None:
        from logsieve.sessions.discover import discover_grouping

        choice = discover_grouping(lines)
        grouping, summary.grouping = choice.grouping, choice.as_dict()
    else:
        summary.grouping = {"kind": grouping.kind, "grouping": grouping.model_dump(mode="json"),
                            "reason": "given with --group"}
    seqs = group_history(lines, grouping)
    templates = {t.id: t.text for t in parser.templates}
    summary.seconds["group"] = time.perf_counter() - clock
    clock = time.perf_counter()
    fitted = fit_label_free(seqs, templates, config)
    summary.seconds["fit"] = time.perf_counter() - clock
    det, train, validation, origin = fitted.detector, fitted.train, fitted.validation, None
    if config.llm is not None:
        clock = time.perf_counter()
        det, train, validation, origin, summary.alpha = alpha_step(fitted, templates, config, progress)
        summary.seconds["alpha"] = time.perf_counter() - clock
    write_bundle(out, det, train, validation, parser=parser, dataset="", fit_on=fit_on,
                 log_format=log_format, grouping=grouping, examples=False,
                 label_origin=None if origin is None else Counter(origin))
    if origin is not None:
        save_label_origin(out, train.sequences + validation.sequences, origin)
    summary.templates, summary.sequences = len(templates), len(seqs)
    summary.detector, summary.expected_share = det.name, config.expected_share
    summary.flagged_share, summary.threshold = fitted.flagged_share, fitted.report.threshold
    summary.share = fitted.report.extra.get("share") if det is fitted.detector else None
    summary.rarest_templates = rarest_templates(seqs, templates)
    return summary


# --------------------------------------------------------------------------- with an LLM


def alpha_step(fitted: LabelFreeFit, templates: dict[int, str], config: LearnConfig,
               progress: ProgressHook | None = None, *, backend: Any = None, embed: Any = None,
               ) -> tuple[Detector, SequenceBatch, SequenceBatch, list[str] | None, dict]:
    """ALPHA with no human label on the history, then ``config.supervised_detector`` on its labels.

    Returns the detector to save, the batches it was fitted on, who made each label (None when
    the label-free model is kept), and the run's report. When the propagated labels are all one
    class, or call far more abnormal than the expected share, the label-free model is kept and
    the report says why.
    """
    from logsieve.detectors.registry import make_detector
    from logsieve.label.embed import minilm_embed
    from logsieve.label.label_free import alpha_without_labels
    from logsieve.llm import make_backend

    history = SequenceBatch(fitted.train.sequences + fitted.validation.sequences, templates)
    verdicts = fitted.detector.score(history).abnormal.astype("int64")
    owned = backend is None  # a backend passed in (tests, serve) is the caller's to close
    backend = make_backend(config.llm) if owned else backend
    try:
        result = alpha_without_labels(history, verdicts, backend, config.alpha, embed=embed or minilm_embed(),
                                      progress=_stages(progress))
    finally:
        close = getattr(backend, "close", None)
        if owned and close is not None:
            close()
    report = result.as_dict()
    relabelled = unlabelled(history.sequences)
    for seq, label in zip(relabelled, result.labels.tolist()):
        seq.label = int(label)
    cut = len(fitted.train)
    train, held = SequenceBatch(relabelled[:cut], templates), SequenceBatch(relabelled[cut:], templates)
    labels = result.labels
    if not ((labels == 0).any() and (labels == 1).any()):
        report["kept"] = f"{fitted.detector.name}: the propagated labels are all one class"
        return fitted.detector, fitted.train, fitted.validation, None, report
    if labels.mean() > config.alpha_max_share * config.expected_share:
        report["kept"] = (f"{fitted.detector.name}: the LLM's labels call {labels.mean():.1%} abnormal, more than "
                          f"{config.alpha_max_share:g}x the expected {config.expected_share:.1%}")
        return fitted.detector, fitted.train, fitted.validation, None, report
    if not ((held.labels == 0).any() and (held.labels == 1).any()):
        held = SequenceBatch(relabelled, templates)  # the threshold needs both classes to choose from
    det = make_detector(config.supervised_detector)
    det.fit(train, held)
    report["kept"] = det.name
    return det, train, held, result.origin, report


def _stages(progress: ProgressHook | None) -> Callable[[str, int], None] | None:
    """ALPHA's ``(stage, total)`` / ``("", 1)`` ticks -> learn's ``(step, done, total)``."""
    if progress is None:
        return None
    state: dict[str, Any] = {"stage": "", "done": 0, "total": None}

    def hook(stage: str, n: int) -> None:
        if stage:
            state.update(stage=stage, done=0, total=n)
        else:
            state["done"] += n
        progress(state["stage"], state["done"], state["total"])

    return hook


def save_label_origin(out: Path, seqs: Seq[Sequence], origin: Seq[str]) -> None:
    """``labels.jsonl`` in the bundle: each history sequence's label and who made it (the
    counts go in ``bundle.json``'s ``label_origin``, written with the bundle)."""
    import json

    rows = [json.dumps({"key": s.key, "label": s.label, "by": by}) for s, by in zip(seqs, origin)]
    (out / "labels.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
