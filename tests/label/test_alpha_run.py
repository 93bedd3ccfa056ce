"""The whole ALPHA run on synthetic data with the fake LLM (logreg as the fast detector)."""

from __future__ import annotations

import json

import pytest
from label_data import bag_embed, exception_rule, splits, truth_rule

from logsieve.label import AlphaConfig, run_alpha
from logsieve.llm.fake import ScriptedBackend

KEYS = {"budget_fraction", "annotation_accuracy", "propagated_accuracy", "f1", "supervised_f1", "llm_calls", "seconds",
        "k"}


def _run(steps, **cfg):
    train, val, test = splits()
    backend = ScriptedBackend(steps)
    config = AlphaConfig(**{"budget": 8, "seed_labels": 4, "initial_examples": 2, **cfg})
    result = run_alpha(train, val, test, backend, config, embed=bag_embed, detector="logreg")
    return result.as_dict(), backend


def test_run_reports_the_contract_and_stays_within_the_budget():
    doc, backend = _run([exception_rule])
    assert KEYS <= set(doc)
    assert doc["k"] == 8 and doc["labelled"] == 8 and doc["seed_labels"] == 4 and doc["llm_annotated"] == 4
    assert doc["budget_fraction"] == pytest.approx(8 / 400)
    steps = doc["refinement"]["steps"]
    assert doc["llm_calls"] == len(backend.requests) == sum(s["asked"] for s in steps) + doc["llm_annotated"]
    assert 0 <= doc["annotation_accuracy"] <= 1 and 0 <= doc["propagated_accuracy"] <= 1
    assert doc["detector"]["supervised"]["f1"] == doc["supervised_f1"]
    json.dumps(doc)  # the CLI prints it as one JSON line


def test_a_perfect_annotator_propagates_exact_labels_on_pure_clusters():
    # 11 distinct shapes, budget 11: every content is its own cluster, every label right.
    doc, _ = _run([truth_rule], budget=11)
    assert doc["k"] == 11 and doc["annotation_accuracy"] == 1.0 and doc["propagated_accuracy"] == 1.0
    assert doc["f1"] == doc["supervised_f1"]


def test_same_seed_same_run():
    a, _ = _run([exception_rule])
    b, _ = _run([exception_rule])
    for d in (a, b):
        d.pop("seconds")
        d["llm"].pop("llm_seconds"), d["llm"].pop("llm_mean_seconds")
        for kind in ("alpha", "supervised"):
            d["detector"][kind].pop("train_seconds")
    assert a == b


def test_malformed_answers_are_counted_and_their_clusters_fall_back():
    # Refinement answers properly (8 calls: 2 steps x 2 seed items), then the annotator gets garbage.
    good = [exception_rule] * 4
    doc, _ = _run(good + ["no json at all"], refine_steps=2, retries=1)
    assert doc["annotation_failed"] == doc["llm_annotated"] == 4 and doc["annotation_accuracy"] is None
    assert doc["llm"]["llm_malformed"] == 8 and doc["fallback_clusters"] == 4
    assert doc["propagated_accuracy"] > 0  # the seed's labels still reached every sequence


def test_without_a_seed_the_llm_labels_every_representative_zero_shot():
    doc, backend = _run([truth_rule], seed_labels=0)
    assert doc["refinement"]["mode"] == "none" and doc["llm_annotated"] == doc["k"] == len(backend.requests)
    assert all("Example, labelled" not in r.messages[1]["content"] for r in backend.requests)
