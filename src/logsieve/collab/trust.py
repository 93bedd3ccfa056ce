"""Who decides a routed sequence: the LLM, the small model, or both together.

CoLA sends a sequence to the LLM in three situations, and the LLM is not equally good in each:

* ``abnormal``: the small model flagged it. A small LLM that calls these normal overturns a
  correct alarm (the first wave's demo: 0 of 56 anomalies found, every one overturned).
* ``unsure``: the small model called it normal with confidence below tau. Only the LLM can
  add an alarm here.
* ``unseen``: it holds a template the model was never trained on (never-seen routing).

For each situation a :class:`TrustRule` keeps one of three rules, chosen on validation
(:func:`choose_trust`), never on test data:

* ``llm``: the LLM's status stands (CoLA's Algorithm 1);
* ``small``: the small model's status stands; the LLM is asked only for its explanation;
* ``both``: flagged only when both say abnormal (the LLM can veto an alarm, never raise one).

The explanation is kept whichever rule applies, and the LLM's own status is kept beside the
final one, so a reader sees where they disagreed. A knowledge-table hit is an LLM answer and
goes through the same rule: one wrong answer is not copied onto every repeat unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Situation = Literal["abnormal", "unsure", "unseen"]
Rule = Literal["llm", "small", "both"]
SITUATIONS: tuple[Situation, ...] = ("abnormal", "unsure", "unseen")
RULES: tuple[Rule, ...] = ("llm", "small", "both")

DEFAULT_RULES: dict[Situation, Rule] = {"abnormal": "small", "unsure": "llm", "unseen": "llm"}
"""Where validation measured nothing (no LLM at training, or too few routed sequences): the LLM
may raise an alarm the small model missed, but not overturn one it raised unmeasured."""


class SituationFigures(BaseModel):
    """What validation showed in one situation: how many routed sequences, how many of them
    truly abnormal, and each side's (and each rule's) accuracy on them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = 0
    anomalies: int = 0
    small_accuracy: float | None = None
    llm_accuracy: float | None = None
    rule_accuracy: dict[str, float] = Field(default_factory=dict)
    chosen_by: str = "default"
    """``validation`` when the figures chose the rule, else why the default stands."""


class TrustRule(BaseModel):
    """The rule of each situation, and the validation figures that chose it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    abnormal: Rule = DEFAULT_RULES["abnormal"]
    unsure: Rule = DEFAULT_RULES["unsure"]
    unseen: Rule = DEFAULT_RULES["unseen"]
    figures: dict[str, SituationFigures] = Field(default_factory=dict)

    def rule(self, situation: Situation) -> Rule:
        return getattr(self, situation)

    def decide(self, situation: Situation, small_abnormal: bool, llm_abnormal: bool) -> bool:
        """The final status (True: abnormal) of a sequence routed in ``situation``."""
        return combine(self.rule(situation), small_abnormal, llm_abnormal)

    @classmethod
    def llm_decides(cls) -> TrustRule:
        """CoLA's Algorithm 1 as published: the LLM's answer stands in every situation."""
        return cls(abnormal="llm", unsure="llm", unseen="llm")


def combine(rule: Rule, small_abnormal: bool, llm_abnormal: bool) -> bool:
    if rule == "llm":
        return llm_abnormal
    if rule == "small":
        return small_abnormal
    return small_abnormal and llm_abnormal


@dataclass(frozen=True)
class Observation:
    """One routed validation sequence: where it was routed, what each side said, the truth."""

    situation: Situation
    small_abnormal: bool
    llm_abnormal: bool
    label: int


def choose_trust(observations: Iterable[Observation], min_n: int = 5) -> TrustRule:
    """Per situation, the rule with the best validation accuracy on the routed sequences.

    Ties keep the rule that needs the LLM least: ``small``, then ``both``, then ``llm`` (an equal
    score gives no reason to let a slower, costlier judge decide). A situation with fewer than
    ``min_n`` routed validation sequences keeps :data:`DEFAULT_RULES`, its figures saying so.
    """
    by: dict[str, list[Observation]] = {s: [] for s in SITUATIONS}
    for o in observations:
        by[o.situation].append(o)
    rules: dict[str, Rule] = {}
    figures: dict[str, SituationFigures] = {}
    for situation, obs in by.items():
        n = len(obs)
        if n == 0:
            rules[situation] = DEFAULT_RULES[situation]
            figures[situation] = SituationFigures(chosen_by="default: no routed validation sequence")
            continue
        acc = {rule: _accuracy(rule, obs) for rule in RULES}
        small = sum(o.small_abnormal == bool(o.label) for o in obs) / n
        llm = sum(o.llm_abnormal == bool(o.label) for o in obs) / n
        if n < min_n:
            rules[situation] = DEFAULT_RULES[situation]
            chosen_by = f"default: {n} routed validation sequence(s), fewer than {min_n}"
        else:
            preference = ("small", "both", "llm")
            rules[situation] = max(preference, key=lambda r: (acc[r], -preference.index(r)))
            chosen_by = "validation"
        figures[situation] = SituationFigures(
            n=n, anomalies=sum(o.label for o in obs), small_accuracy=round(small, 4), llm_accuracy=round(llm, 4),
            rule_accuracy={r: round(a, 4) for r, a in acc.items()}, chosen_by=chosen_by)
    return TrustRule(**rules, figures=figures)


def _accuracy(rule: Rule, obs: list[Observation]) -> float:
    return sum(combine(rule, o.small_abnormal, o.llm_abnormal) == bool(o.label) for o in obs) / len(obs)
