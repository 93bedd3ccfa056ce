"""Judging with no model at all: the never-seen-template rule, online.

``logsieve serve`` started without a model still owes every sequence a verdict while it warms
up. Before anything is learnt, the one rule that needs no fitting is the ``unseen-template``
floor (:mod:`logsieve.detectors.floors`, Landauer et al.'s "new event detection"): a sequence
holding a template that no sequence judged before it held is new. Here "before" is the stream
itself: the known set starts empty and grows with every judged sequence, so the first
occurrences are flagged and the repeats are not.

A new sequence is *unsure*: with an LLM it goes to the knowledge table and the LLM as a
never-seen one (their answer decides, source ``cache`` / ``llm``, or ``fallback`` when the call
fails); without one the rule decides alone (abnormal, source ``novelty``). A sequence with
nothing new is normal, source ``novelty``. Score and confidence are the floor's: the number
of new templates, through its fixed calibration, so they read like the floor detector's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from logsieve.collab.pipeline import CollabConfig, Pipeline
from logsieve.collab.verdicts import SequenceVerdict, base_verdict
from logsieve.records import Sequence

try:  # the floor's constants, so the warm-up's confidences match the registered detector's
    from logsieve.detectors.floors import NOVEL_SCALE, NOVEL_THRESHOLD
except ImportError:  # pragma: no cover - numpy missing: the same numbers
    NOVEL_THRESHOLD, NOVEL_SCALE = 0.5, 0.1

DETECTOR_NAME = "unseen-template"


def novelty_confidence(unseen: int) -> float:
    """Confidence that a sequence with ``unseen`` new templates is normal (the floor's curve)."""
    z = max(-50.0, min(50.0, (unseen - NOVEL_THRESHOLD) / NOVEL_SCALE))
    return 1.0 / (1.0 + math.exp(z))


class NoveltyPipeline(Pipeline):
    """The warm-up's judge: the online never-seen-template rule, the LLM for what is new.

    ``known``: template ids already seen (empty on a fresh warm-up). Only the detection thread
    calls :meth:`judge`, so the set needs no lock."""

    name = "novelty"

    def __init__(self, expert=None, knowledge=None, config: CollabConfig | None = None,
                 known: set[int] | None = None) -> None:
        super().__init__(expert, knowledge, None, config)
        self.known: set[int] = set(known or ())

    def _judge(self, seqs: list[Sequence], templates: Mapping[int, str]) -> list[SequenceVerdict]:
        out = []
        for seq in seqs:
            unseen = [t for t in dict.fromkeys(seq.template_ids) if t not in self.known]
            self.known.update(seq.template_ids)
            status = "abnormal" if unseen else "normal"
            v = base_verdict(seq, status, "novelty", score=float(len(unseen)),
                             confidence=novelty_confidence(len(unseen)), detector=DETECTOR_NAME)
            if unseen:
                shown = ", ".join(map(str, unseen[:5])) + (", ..." if len(unseen) > 5 else "")
                note = f"warm-up: never-seen template(s) {shown}"
                if self.expert is not None or self.knowledge is not None:
                    v = self._escalate(seq, templates, v, note)
                    if v.source == "fallback" and self.expert is None:
                        v.source = "novelty"  # no LLM: the rule decides, as it says
                else:
                    v.note = note
            out.append(v)
        return out
