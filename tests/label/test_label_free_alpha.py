"""ALPHA with no human label: the label-free model seeds refinement; labels record who made them."""

from __future__ import annotations

import numpy as np
from label_data import bag_embed, exception_rule, splits

from logsieve.detectors.base import SequenceBatch
from logsieve.jobs.learn import unlabelled
from logsieve.label import AlphaConfig
from logsieve.label.label_free import alpha_without_labels
from logsieve.llm.fake import ScriptedBackend, down


def _history():
    train, _, _ = splits()
    bare = SequenceBatch(unlabelled(train.sequences), train.templates)
    truth = train.labels
    return bare, truth


def test_no_label_is_read_and_every_label_says_who_made_it():
    history, truth = _history()
    verdicts = truth.copy()  # a perfect label-free model, given as verdicts: the only labels ALPHA sees
    backend = ScriptedBackend([exception_rule])
    res = alpha_without_labels(history, verdicts, backend, AlphaConfig(budget=8, seed_labels=4, initial_examples=2),
                               embed=bag_embed)
    assert all(s.label is None for s in history.sequences)
    assert len(res.labels) == len(res.origin) == len(history)
    assert set(res.origin) <= {"llm", "propagated", "label-free"}
    assert res.origin.count("llm") == res.llm_answered == res.llm_annotated
    assert 0.0 <= res.agreement <= 1.0
    assert res.labels.sum() > 0 and (res.labels == 0).sum() > 0
    # the fake LLM calls only exceptions abnormal: its labels agree with the truth on those
    exc = np.array([any(t in (6, 7) for t in s.template_ids) for s in history.sequences])
    assert (res.labels[exc] == 1).all()


def test_a_dead_llm_leaves_the_label_free_verdicts():
    history, truth = _history()
    verdicts = truth.copy()
    res = alpha_without_labels(history, verdicts, ScriptedBackend([down()]),
                               AlphaConfig(budget=8, seed_labels=4, initial_examples=2, refine_steps=0, retries=0),
                               embed=bag_embed)
    assert res.llm_answered == 0 and res.agreement is None
    assert res.origin.count("label-free") == res.llm_annotated


def _fitted(expected_share: float):
    from logsieve.jobs.learn import LearnConfig, fit_label_free

    train, val, _ = splits()
    config = LearnConfig(expected_share=expected_share, llm={"kind": "scripted"},
                         alpha=AlphaConfig(budget=8, seed_labels=4, initial_examples=2))
    fitted = fit_label_free(train.sequences + val.sequences, train.templates, config)
    return fitted, config


def test_learn_trains_logreg_on_plausible_llm_labels():
    from logsieve.jobs.learn import alpha_step

    fitted, config = _fitted(0.1)
    det, train, held, origin, report = alpha_step(fitted, fitted.train.templates, config,
                                                  backend=ScriptedBackend([exception_rule]), embed=bag_embed)
    assert report["kept"] == "logreg" and det.name == "logreg"
    assert origin is not None and len(origin) == len(train) + len(held) and "llm" in origin


def test_learn_keeps_the_label_free_model_when_the_llm_flags_far_beyond_the_share():
    from logsieve.jobs.learn import alpha_step

    everything = '{"label": "abnormal", "evidence": "all of it"}'
    fitted, config = _fitted(0.02)
    det, _, _, origin, report = alpha_step(fitted, fitted.train.templates, config,
                                           backend=ScriptedBackend([everything]), embed=bag_embed)
    assert det is fitted.detector and origin is None
    assert report["kept"].startswith("self-trained")
