"""The two refinement steps: errors change the few-shot set and the lessons; no error, no change."""

from __future__ import annotations

import json

from label_data import TEMPLATES, exception_rule, truth_rule

from logsieve.label.annotate import Annotator
from logsieve.label.prompt import load_alpha_prompt
from logsieve.label.refine import SeedItem, refine
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import Sequence
import numpy as np

SHAPES = [([1, 2, 3, 4], 0), ([1, 2, 6], 1), ([1, 2], 1), ([1, 2, 3, 4, 5], 0), ([1, 7], 1), ([1, 2, 3, 4, 8], 0),
          ([1, 2, 3, 7, 8], 1)]


def _seed() -> list[SeedItem]:
    out = []
    for i, (ids, label) in enumerate(SHAPES):
        v = np.zeros(9, dtype=np.float32)
        for t in ids:
            v[t] += 1
        out.append(SeedItem(i, v, Sequence(f"blk_{i}", ids, label=label), label))
    return out


def _run(rule, steps=2):
    backend = ScriptedBackend([rule])
    ann = Annotator(backend, load_alpha_prompt(), TEMPLATES)
    return refine(ann, _seed(), initial=2, steps=steps, k=3), backend


def test_errors_add_the_misjudged_sequences_and_a_lesson_then_the_second_step_asks_the_rest():
    out, backend = _run(exception_rule)  # misses the cut-short anomaly [1, 2]
    first, second = out.steps
    assert first.asked == 5 and first.missed == 1 and first.false_alarms == 0 and first.examples_added == 1
    assert out.fewshot.contents == [0, 1, 2]  # the two initial ones, then the missed content 2
    assert len(out.hints) == 1 and "abnormal sequences here can look routine" in out.hints[0]  # no template only in it
    assert second.asked == 4 and second.missed == 0 and second.examples_added == 0
    assert len(backend.requests) == 9
    # the second step's prompts carry the lesson; the first step's did not
    assert "Lesson" not in backend.requests[0].messages[0]["content"]
    assert "Lesson" in backend.requests[-1].messages[0]["content"]


def test_false_alarms_name_the_templates_beyond_the_normal_core():
    def alarmist(request):  # calls everything with T5 or T8 abnormal, else follows the truth
        items = request.messages[1]["content"].split("Sequence to label")[1]
        if "T5" in items or "T8" in items:
            return json.dumps({"label": "abnormal", "evidence": "x"})
        return truth_rule(request)

    out, _ = _run(alarmist, steps=1)
    assert out.steps[0].false_alarms == 2
    assert any("also occur in normal sequences" in h and "T5" in h and "T8" in h for h in out.hints)
    assert not any("T3" in h for h in out.hints)  # T1-T4 are in every normal seed sequence: the routine core


def test_no_error_no_change():
    out, backend = _run(truth_rule)
    assert out.fewshot.contents == [0, 1] and out.hints == []
    assert [s.asked for s in out.steps] == [5, 5] and all(s.correct == 5 for s in out.steps)


def test_a_seed_item_never_sees_itself_as_an_example():
    out, _ = _run(exception_rule)
    item = _seed()[2]
    examples = out.fewshot.nearest(item.content, item.vector, 5)
    assert all(tuple(s.template_ids) != (1, 2) for s, _ in examples)


def test_examples_show_both_labels_when_the_set_has_both():
    from logsieve.label.fewshot import FewShotSet

    fs = FewShotSet()
    for i, (ids, label) in enumerate([([1, 2, 3, 4], 0), ([1, 2, 3, 4, 5], 0), ([1, 2, 3, 4, 8], 0), ([1, 7], 1)]):
        v = np.zeros(9, dtype=np.float32)
        v[ids] = 1
        fs.add(i, v, Sequence(f"blk_{i}", ids, label=label), label)
    query = np.zeros(9, dtype=np.float32)
    query[[1, 2, 3, 4]] = 1
    shown = fs.nearest(99, query, 3)
    assert sorted(status for _, status in shown) == ["abnormal", "normal", "normal"]
    assert [status for _, status in fs.nearest(99, query, 1)] == ["normal"]  # one example: just the nearest
    assert not fs.add(0, query, Sequence("again", [1]), 1)  # a content is added once
