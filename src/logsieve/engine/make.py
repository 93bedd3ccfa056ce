"""Writing a model bundle: what ``logsieve train`` and the evaluations save for the engine.

A bundle holds the fitted detector, the parser state it was trained with (so template ids mean
the same), and ``bundle.json``: the data set's format and grouping, CoLA's tau chosen on
validation, the templates the model has seen, the few-shot example bank and the trust rule
(default until :func:`logsieve.engine.calibrate.calibrate_trust` measures it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from logsieve.collab.examples import Embed
from logsieve.detectors.base import Detector, SequenceBatch
from logsieve.jobs.bundle import ModelBundle
from logsieve.sessions import GroupingConfig, SessionConfig


def write_bundle(path: Path, det: Detector, train: SequenceBatch, validation: SequenceBatch, *,
                 parser: Any = None, dataset: str = "", fit_on: list[str] | None = None, log_format: str = "raw",
                 grouping: GroupingConfig | None = None, max_call_rate: float = 0.1,
                 examples: bool = True, embed: Embed | None = None,
                 label_origin: dict[str, int] | None = None) -> ModelBundle:
    """Save ``det`` (fitted on ``train``, its threshold chosen on ``validation``) as a bundle.

    ``examples``: save the labelled train and validation sequences as the example bank (with
    ``embed``, default MiniLM). tau is the largest whose validation LLM-call rate stays within
    ``max_call_rate``. ``label_origin``: who labelled the history, counted (``learn --llm``).
    """
    from logsieve.collab.tau import choose_tau

    path.mkdir(parents=True, exist_ok=True)
    det.save(path)
    if parser is not None:
        parser.save(path / "parser")
    n_examples = 0
    if examples:
        from logsieve.engine.bank import build_bank, save_bank, sentence_embed

        bank = build_bank([(train, "train"), (validation, "validation")], embed or sentence_embed())
        n_examples = save_bank(path, bank)
    known = sorted({t for part in (train, validation) for s in part.sequences for t in s.template_ids})
    bundle = ModelBundle(detector=det.name, dataset=dataset, fit_on=list(fit_on or [dataset]), format=log_format,
                         grouping=grouping or SessionConfig(), tau=choose_tau(det.score(validation), max_call_rate),
                         known_templates=known, examples=n_examples, label_origin=dict(label_origin or {}))
    bundle.save(path)
    return bundle
