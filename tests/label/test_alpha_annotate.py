"""The alpha prompt, its schema, and malformed or missing LLM answers."""

from __future__ import annotations

import json

import pytest
from label_data import TEMPLATES, exception_rule

from logsieve.label.annotate import Annotator, contrast
from logsieve.label.prompt import ANNOTATION_SCHEMA, AnnotationError, load_alpha_prompt, parse_annotation
from logsieve.llm.fake import ScriptedBackend, down
from logsieve.llm.prompts import PromptError
from logsieve.records import Sequence

SEQ = Sequence("blk_1", [1, 2, 6], label=1)


def _annotator(steps, retries=1):
    return Annotator(ScriptedBackend(steps), load_alpha_prompt(), TEMPLATES, retries=retries)


def test_prompt_is_versioned_and_carries_catalogue_examples_and_lessons():
    prompt = load_alpha_prompt()
    assert prompt.id == "alpha@2"
    backend = ScriptedBackend([exception_rule])
    ann = Annotator(backend, prompt, TEMPLATES)
    r = ann.annotate(SEQ, [(Sequence("blk_2", [1, 2, 3, 4]), "normal")], ["Lesson: T6 means trouble.\n"])
    assert r.label == 1 and r.attempts == 1 and r.malformed == 0
    req = backend.requests[0]
    assert req.schema == ANNOTATION_SCHEMA
    system, user = req.messages[0]["content"], req.messages[1]["content"]
    assert "T6: Exception in receiveBlock" in system and "Lesson: T6 means trouble." in system
    assert "Example, labelled normal: T1; T2; T3; T4" in user
    assert "[0] T1\n[1] T2\n[2] T6\nComparison: templates no normal example has: T6. " in user
    assert user.rstrip().endswith("Templates every normal example shown has but this sequence lacks: T3, T4.")


def test_the_comparison_names_new_and_missing_templates_from_labelled_examples_only():
    names = {t: f"T{t}" for t in range(1, 10)} | {9: "a template written out"}
    normal = [(Sequence("n1", [1, 2, 3]), "normal"), (Sequence("n2", [1, 3, 4]), "normal")]
    abnormal = [(Sequence("a1", [1, 5]), "abnormal")]
    line = contrast(Sequence("q", [5, 1, 9, 5], label=0), normal + abnormal, {7}, names)
    # 5 and 9 are in no normal example (an abnormal example does not make 5 known); 3 is in both normal ones
    assert line == ('Comparison: templates no normal example has: T5, "a template written out". '
                    "Templates every normal example shown has but this sequence lacks: T3.")
    assert contrast(Sequence("q", [1, 3, 7]), normal, {7}, names).endswith("has: none. Templates every normal "
                                                                          "example shown has but this sequence lacks: none.")
    assert contrast(Sequence("q", [1]), abnormal, (), names) == "Comparison: no normal example to compare with."


@pytest.mark.parametrize("text,why", [
    ("not json", "not JSON"),
    ('{"label": "maybe", "evidence": "x"}', "label"),
    ('{"label": "normal"}', "evidence"),
    ('{"label": "normal", "evidence": "' + "x" * 41 + '"}', "evidence"),
    ('{"label": "normal", "evidence": "x", "lines": [1]}', "lines"),
])
def test_answers_outside_the_schema_are_refused_with_the_reason(text, why):
    with pytest.raises(AnnotationError, match=why):
        parse_annotation(text)


def test_malformed_answers_are_retried_then_counted_and_leave_no_label():
    ann = _annotator(["{oops", '{"label": "sure"}', json.dumps({"label": "normal", "evidence": "ok"})], retries=1)
    r = ann.annotate(SEQ)
    assert r.annotation is None and r.malformed == 2 and r.attempts == 2 and r.error.startswith("malformed")
    r2 = ann.annotate(SEQ)  # the third step answers properly
    assert r2.label == 0
    assert ann.stats.calls == 2 and ann.stats.malformed == 2 and ann.stats.failed == 1


def test_a_backend_that_is_down_gives_no_label_and_is_not_retried():
    ann = _annotator([down()], retries=3)
    r = ann.annotate(SEQ)
    assert r.annotation is None and r.attempts == 1 and r.error.startswith("unavailable")


def test_a_prompt_file_without_hints_is_refused(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("name: p\nversion: 1\nsystem: s\nuser: u\nexample: e\n")
    with pytest.raises(PromptError, match="needs hints"):
        load_alpha_prompt(str(bad))
