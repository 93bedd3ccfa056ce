"""The few-shot example bank, saved in the model bundle beside the detector.

The LLM judges far better with labelled near neighbours in its prompt; the first wave measured
that in a benchmark and shipped a product without it. So the labelled train and validation
sequences (and, as adaptation accepts them, pseudo-labelled ones) travel with the model:

    DIR/examples.jsonl   one example a line: {"key", "template_ids", "status", "origin"}
    DIR/examples.npy     their embeddings (float32, one row each, same order)

Template ids are those of the bundle's parser state, whose texts the prompt shows. The
embeddings are stored so that starting ``detect`` or ``serve`` does not embed thousands of
sequences again; the embedder is still needed for each judged sequence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from logsieve._optional import require
from logsieve.collab.examples import Embed, ExampleBank
from logsieve.detectors.base import SequenceBatch
from logsieve.records import Sequence

np = require("numpy", purpose="the example bank")

EXAMPLES_FILE = "examples.jsonl"
VECTORS_FILE = "examples.npy"


def sentence_embed() -> Embed:
    """The product's embedder: a sequence is the mean MiniLM vector of its templates (cached
    per template, so a bank of thousands of sequences costs one vector per template)."""
    from logsieve.features.embeddings import TemplateEmbeddings

    emb = TemplateEmbeddings()
    return lambda seqs, templates: emb.transform(seqs, templates)


def build_bank(parts: list[tuple[SequenceBatch, str]], embed: Embed) -> ExampleBank:
    """A bank of the labelled sequences of each (batch, origin) part, e.g. train and validation."""
    bank = ExampleBank(embed)
    for batch, origin in parts:
        labelled = [s for s in batch.sequences if s.label is not None]
        bank.add([Sequence(s.key, list(s.template_ids), label=s.label) for s in labelled], batch.templates,
                 ["abnormal" if s.label else "normal" for s in labelled], origin=origin)
    return bank


def save_bank(path: Path, bank: ExampleBank) -> int:
    """Write ``bank`` into the bundle directory ``path``; the number of examples written."""
    entries = bank.entries()
    tmp = path / f".{EXAMPLES_FILE}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for seq, status, origin in entries:
            fh.write(json.dumps({"key": seq.key, "template_ids": seq.template_ids, "status": status,
                                 "origin": origin}) + "\n")
    tmp.replace(path / EXAMPLES_FILE)
    vec_tmp = path / f".{VECTORS_FILE}.tmp.npy"
    np.save(vec_tmp, np.asarray(bank.vectors, dtype=np.float32))
    vec_tmp.replace(path / VECTORS_FILE)
    return len(entries)


def load_bank(path: Path, embed: Embed, templates: Mapping[int, str]) -> ExampleBank | None:
    """The bank saved in ``path``, or None when the bundle has none (version 1, or trained
    without labels). Embeddings are re-computed only if the vector file does not match."""
    source = path / EXAMPLES_FILE
    if not source.exists():
        return None
    seqs: list[Sequence] = []
    statuses: list[str] = []
    origins: list[str] = []
    for line in source.read_text("utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            seqs.append(Sequence(doc["key"], list(doc["template_ids"]), label=int(doc["status"] == "abnormal")))
            statuses.append(doc["status"])
            origins.append(doc.get("origin", ""))
    vectors = np.load(path / VECTORS_FILE) if (path / VECTORS_FILE).exists() else None
    if vectors is not None and len(vectors) != len(seqs):
        vectors = None
    bank = ExampleBank(embed)
    for origin in dict.fromkeys(origins):  # one add per origin keeps each entry's origin
        idx = [i for i, o in enumerate(origins) if o == origin]
        bank.add([seqs[i] for i in idx], templates, [statuses[i] for i in idx], origin=origin,
                 vectors=None if vectors is None else vectors[idx])
    return bank
