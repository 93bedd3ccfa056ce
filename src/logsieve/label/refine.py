"""Refining the few-shot set in two steps from the errors the LLM makes on a labelled seed.

The seed is at most 20 train sequences a person labelled (chosen without looking at labels,
see :func:`logsieve.label.cluster.pick_seed`). The few-shot set starts with the first
``initial`` of them. Each step:

1. the LLM labels every seed sequence not yet in the few-shot set, with the current set's
   nearest examples and lessons in the prompt;
2. the errors are sorted into patterns: **missed anomalies** (abnormal, called normal) and
   **false alarms** (normal, called abnormal);
3. every misjudged sequence joins the few-shot set with its true label (so a similar
   representative later sees the case the LLM got wrong), and each pattern adds a lesson to
   the system text, naming templates where the seed shows them: for missed anomalies, the
   templates of the missed sequences that no normal seed sequence has; for false alarms, the
   templates of the wrongly flagged sequences beyond the routine core every normal seed
   sequence shares. A pattern without such templates gets its generic lesson.

A step with no error changes nothing. Without a seed there is nothing to refine on: the run
says so (``refinement: "none"``) and the LLM labels zero-shot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from logsieve._optional import require
from logsieve.label.annotate import Annotator, item_name
from logsieve.label.fewshot import FewShotSet
from logsieve.records import Sequence

np = require("numpy", purpose="ALPHA labelling")


@dataclass(frozen=True)
class SeedItem:
    content: int
    vector: "np.ndarray"
    seq: Sequence
    label: int


@dataclass
class StepReport:
    step: int
    asked: int
    correct: int
    missed: int
    false_alarms: int
    failed: int
    examples_added: int
    hints: list[str]

    @property
    def accuracy(self) -> float | None:
        answered = self.asked - self.failed
        return self.correct / answered if answered else None

    def as_dict(self) -> dict:
        return {"step": self.step, "asked": self.asked, "correct": self.correct, "missed": self.missed,
                "false_alarms": self.false_alarms, "failed": self.failed,
                "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
                "examples_added": self.examples_added, "hints": self.hints}


@dataclass
class Refinement:
    """The refined few-shot set and lessons, and what each step saw."""

    fewshot: FewShotSet
    hints: list[str] = field(default_factory=list)
    steps: list[StepReport] = field(default_factory=list)


def refine(annotator: Annotator, seed: list[SeedItem], *, initial: int, steps: int, k: int,
           on_call: Callable[[], None] | None = None) -> Refinement:
    """Run ``steps`` refinement steps over ``seed`` (see the module doc)."""
    fewshot = FewShotSet()
    for item in seed[:initial]:
        fewshot.add(item.content, item.vector, item.seq, item.label)
    out = Refinement(fewshot)
    missed_t: set[int] = set()
    alarm_t: set[int] = set()
    kinds: set[str] = set()
    for step in range(1, steps + 1):
        asked = [it for it in seed if it.content not in fewshot.contents]
        if not asked:
            break
        errors: list[tuple[SeedItem, str]] = []
        failed = correct = 0
        normal = fewshot.normal_templates()  # the set changes only between steps
        for it in asked:
            result = annotator.annotate(it.seq, fewshot.nearest(it.content, it.vector, k), out.hints, normal)
            if on_call is not None:
                on_call()
            if result.label is None:
                failed += 1
            elif result.label == it.label:
                correct += 1
            else:
                errors.append((it, "missed" if it.label == 1 else "false_alarm"))
        added = sum(fewshot.add(it.content, it.vector, it.seq, it.label) for it, _ in errors)
        missed_t |= _missed_templates([it for it, kind in errors if kind == "missed"], seed)
        alarm_t |= _alarm_templates([it for it, kind in errors if kind == "false_alarm"], seed)
        kinds |= {kind for _, kind in errors}
        out.hints = _lessons(annotator, kinds, missed_t, alarm_t)
        out.steps.append(StepReport(step, len(asked), correct, sum(kind == "missed" for _, kind in errors),
                                    sum(kind == "false_alarm" for _, kind in errors), failed, added, list(out.hints)))
    return out


def _missed_templates(missed: list[SeedItem], seed: list[SeedItem]) -> set[int]:
    normal = {t for it in seed if it.label == 0 for t in it.seq.template_ids}
    return {t for it in missed for t in it.seq.template_ids} - normal


def _alarm_templates(alarms: list[SeedItem], seed: list[SeedItem]) -> set[int]:
    normals = [set(it.seq.template_ids) for it in seed if it.label == 0]
    core = set.intersection(*normals) if normals else set()
    return {t for it in alarms for t in it.seq.template_ids} - core


def _lessons(annotator: Annotator, kinds: set[str], missed_t: set[int], alarm_t: set[int]) -> list[str]:
    """Lesson lines in a fixed order (missed, then false alarms), so equal lessons make equal text."""
    prompt = annotator.prompt
    names = annotator.names
    out = []
    for kind, templates in (("missed", missed_t), ("false_alarm", alarm_t)):
        if kind not in kinds:
            continue
        if templates:
            listed = ", ".join(item_name(names, t) for t in sorted(templates))
            out.append(prompt.hint(f"{kind}_with_templates", listed))
        else:
            out.append(prompt.hint(kind))
    return out
