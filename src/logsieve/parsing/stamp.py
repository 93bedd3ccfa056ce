"""LogStamp: online log parsing as sequence labelling (Tao et al., 2022).

Drain decides what is a variable by comparing lines with each other; LogStamp *learns* it once
and then labels every line on its own, which suits a stream whose templates keep arriving:

1. **Train** (:meth:`StampParser.fit`, on the first part of a stream, e.g. 10%): mask each
   line, keep each distinct masked line once, embed it with MiniLM, cluster the embeddings with
   DBSCAN, and in each cluster call a word *template* when it occurs in at least
   ``template_threshold`` of the cluster's lines, else *variable*
   (:mod:`~logsieve.parsing.stamp_labels`). Those pseudo-labels train a BiLSTM token tagger
   (:mod:`~logsieve.parsing.stamp_model`) over cheap per-token features
   (:mod:`~logsieve.parsing.stamp_features`).
2. **Parse online** (:meth:`StampParser.learn` / :meth:`learn_many`): tag each token; the
   template is the line's template words with each run of variables written ``<*>`` (a
   variable ``key=value`` keeps its key: ``user=<*>``). Lines with the same template share an
   integer id, handed out in order of first appearance and kept across save/load; an unseen
   template gets a new id (``change == "new"``). Because a per-token tagger can read two lines
   of one event differently, a line with an unseen template first tries the known ones
   (:mod:`~logsieve.parsing.stamp_store`): it joins one it is an instance of, or generalises
   in place (same id, ``change == "updated"``) one that is an instance of it, each within a
   budget of ``max_word_changes`` words.

Settings were chosen once, on the eight even-indexed loghub-2k systems (Android, BGL, HPC,
HealthApp, Mac, OpenStack, Spark, Windows), and are the same for every log; the other eight are
held out (``benchmarks/stamp_parsing.py`` reports both halves).

Speed comes from never tagging the same thing twice: a masked line's tagging is cached (logs
repeat a few hundred shapes millions of times), a token's features are computed once, and
uncached lines go through the tagger in batches of ``infer_batch``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from logsieve._optional import require
from logsieve.parsing.drain import ParseResult, Template
from logsieve.parsing.masking import PARAM, Masker, MaskingConfig
from logsieve.parsing.stamp_labels import is_masked_value
from logsieve.parsing.stamp_store import NewTemplateCallback, Spans, TemplateStore
from logsieve.parsing.state import StateVersionError
from logsieve.persist import read_json_checked, write_json_atomic

if TYPE_CHECKING:
    from logsieve.features.glove import GloVe
    from logsieve.features.sentence import SentenceEncoder
    from logsieve.parsing.stamp_features import TokenTable
    from logsieve.parsing.stamp_model import BiLSTMTagger

STAMP_FORMAT = "logsieve-stamp-state"
STAMP_VERSION = 1
STAMP_META = "stamp.json"
STAMP_WEIGHTS = "tagger.pt"
_KEY = re.compile(r"[A-Za-z_][\w.\-]*[=:](?=.)")
"""The ``key=`` (or ``key:``) of a ``key=value`` token."""
ENCODER_BATCH = 8
"""MiniLM batch size: on two cores it embeds long log lines 3-4x faster in batches of 8 than
in its default 64 (measured on the loghub-2k Android and Mac training heads)."""


class StampVersionError(StateVersionError):
    """A saved LogStamp parser was written by an incompatible format version."""


class StampNotTrainedError(RuntimeError):
    """The parser was asked to parse before :meth:`StampParser.fit` (or ``load``)."""


class StampConfig(BaseModel):
    """Settings of the LogStamp parser.

    None is tuned per system. ``eps``, ``template_threshold``, ``steps`` and the store's
    behaviour were picked from small grids by mean GA on the eight even-indexed loghub-2k
    systems (eps 0.05 to 0.3, threshold 0.4 to 0.7: small eps and 0.6 won; wider clusters
    merge templates that differ in one meaningful word, such as ``VM Started``/``VM Paused``);
    the tagger is small on purpose, so training takes seconds on two cores.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    masking: MaskingConfig = Field(default_factory=MaskingConfig.default)
    train_fraction: float = Field(default=0.1, gt=0.0, le=1.0)
    # DBSCAN on cosine distance of MiniLM embeddings of distinct masked lines.
    eps: float = Field(default=0.05, gt=0.0, lt=2.0)
    min_samples: int = Field(default=2, ge=1)
    # A word in at least this share of its cluster's lines is a template word.
    template_threshold: float = Field(default=0.6, gt=0.0, le=1.0)
    proj_dim: int = Field(default=32, ge=4)
    hidden: int = Field(default=32, ge=4)
    dropout: float = Field(default=0.25, ge=0.0, lt=1.0)
    steps: int = Field(default=80, ge=1)
    train_batch: int = Field(default=32, ge=1)
    lr: float = Field(default=1e-2, gt=0.0)
    weight_decay: float = Field(default=1e-3, ge=0.0)
    seed: int = 0
    infer_batch: int = Field(default=256, ge=1)
    # Write a run of adjacent variables as one <*> (a variable may span several tokens).
    collapse_variables: bool = True
    # A line whose tagging gives an unseen template joins a known template it is an instance
    # of, if that template reads at most this many of the line's template words as variables.
    max_word_changes: int = Field(default=1, ge=0)
    # ... and a known template that is an instance of a new line's tagging (within the same
    # word budget) is generalised to it in place, keeping its id, as Drain updates a cluster.
    generalize: bool = True
    line_cache_size: int = Field(default=100_000, ge=0)
    # Distinct tokens whose feature rows are kept; past this the table starts again (rows
    # are recomputed from GloVe, so results do not change, only memory stays bounded).
    token_table_size: int = Field(default=200_000, ge=1000)
    threads: int | None = Field(default=2, ge=1)


@dataclass(frozen=True, slots=True)
class StampTrainReport:
    """What :meth:`StampParser.fit` saw and did, for logs and benchmarks."""

    lines: int
    distinct_lines: int
    clusters: int
    variable_share: float
    final_loss: float
    seconds: float


class _Line:
    """A distinct masked line's cached outcome: its tagging, and the template it resolved to.

    ``template`` stays ``None`` until the line is first parsed (a line seen only in match
    mode with no known template keeps ``None``); after that, repeats cost one dict lookup.
    """

    __slots__ = ("masked", "text", "tokens", "spans", "template")

    def __init__(self, masked: Sequence[str], tokens: Sequence[str], spans: Spans) -> None:
        self.masked = tuple(masked)
        self.tokens = tuple(tokens)
        self.text = " ".join(tokens)
        self.spans = spans
        self.template: Template | None = None


class StampParser:
    """Learned online parser with Drain's interface (``learn``/``match`` -> :class:`ParseResult`)."""

    def __init__(
        self,
        config: StampConfig | None = None,
        *,
        encoder: SentenceEncoder | None = None,
        glove: GloVe | None = None,
    ) -> None:
        self.config = config or StampConfig()
        self.masker = Masker(self.config.masking)
        self._encoder = encoder
        self._glove = glove
        self._torch = require("torch", purpose="the LogStamp parser")
        if self.config.threads is not None:
            self._torch.set_num_threads(self.config.threads)
        from logsieve.parsing.stamp_features import TokenTable

        self.table: TokenTable = TokenTable(self._word_lookup)
        self.model: BiLSTMTagger | None = None
        self.store = TemplateStore(self.config.max_word_changes)
        self._cache: dict[str, _Line] = {}

    # ------------------------------------------------------------------ training
    def fit(self, lines: Sequence[str]) -> StampTrainReport:
        """Train the tagger on ``lines`` (pseudo-labelled as the module docstring says).

        Template ids are not touched: training lines get their ids when they are parsed, like
        any other line, so ids depend only on the order of the parsed stream.
        """
        from logsieve.parsing.stamp_labels import VARIABLE

        start = time.perf_counter()
        distinct = self._distinct_masked(lines)
        clusters, labels = self._pseudo_labels(distinct)
        ids = [self.table.ids(tokens) for tokens in distinct.values()]
        self.model, losses = self._train(ids, labels)
        self._cache.clear()
        flat = [lab for line in labels for lab in line]
        return StampTrainReport(
            lines=len(lines), distinct_lines=len(distinct), clusters=len(set(clusters)),
            variable_share=flat.count(VARIABLE) / len(flat) if flat else 0.0,
            final_loss=losses[-1], seconds=time.perf_counter() - start,
        )

    def fit_head(self, lines: Sequence[str]) -> StampTrainReport:
        """Train on the first ``train_fraction`` of ``lines`` (at least one line)."""
        n = max(1, round(len(lines) * self.config.train_fraction))
        return self.fit(lines[:n])

    # ------------------------------------------------------------------ public API
    def on_new_template(self, callback: NewTemplateCallback) -> None:
        """Register a callback fired with each newly created :class:`Template` (drift signal)."""
        self.store.callbacks.append(callback)

    @property
    def templates(self) -> list[Template]:
        return list(self.store.by_id.values())

    def get(self, template_id: int) -> Template | None:
        return self.store.by_id.get(template_id)

    def __len__(self) -> int:
        return len(self.store)

    @property
    def trained(self) -> bool:
        return self.model is not None

    def learn(self, content: str) -> ParseResult:
        """Parse one line; an unseen template is created. Prefer :meth:`learn_many` for speed."""
        return next(self._parse_chunk([content], learn=True))

    def match(self, content: str) -> ParseResult:
        """Parse one line without creating templates: an unseen one gives ``template_id=None``."""
        return next(self._parse_chunk([content], learn=False))

    def parse(self, content: str, *, learn: bool = True) -> ParseResult:
        return self.learn(content) if learn else self.match(content)

    def learn_many(self, contents: Iterable[str], *, learn: bool = True) -> Iterator[ParseResult]:
        """Parse a stream, tagging uncached lines ``infer_batch`` at a time."""
        size = self.config.infer_batch
        chunk: list[str] = []
        for content in contents:
            chunk.append(content)
            if len(chunk) == size:
                yield from self._parse_chunk(chunk, learn)
                chunk = []
        if chunk:
            yield from self._parse_chunk(chunk, learn)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``stamp.json`` (config, templates, token vocabulary) and ``tagger.pt`` to a directory."""
        if self.model is None:
            raise StampNotTrainedError("nothing to save: fit() the parser first")
        target = Path(path)
        target.mkdir(parents=True, exist_ok=True)
        weights = {"model": self.model.state_dict(), "rows": self._torch.from_numpy(self.table.rows.copy())}
        # Weights first, metadata last (each through a temp file and a rename): a directory
        # whose stamp.json is readable never points at half-written weights.
        tmp = target / f".{STAMP_WEIGHTS}.tmp"
        self._torch.save(weights, tmp)
        os.replace(tmp, target / STAMP_WEIGHTS)
        write_json_atomic(target / STAMP_META, self._export())
        return target

    @classmethod
    def load(
        cls, path: str | Path, *, encoder: SentenceEncoder | None = None, glove: GloVe | None = None,
    ) -> "StampParser":
        """Restore a saved parser; a directory of another format version is refused."""
        target = Path(path)
        doc = _read_meta(target / STAMP_META)
        parser = cls(StampConfig.model_validate(doc["config"]), encoder=encoder, glove=glove)
        weights = parser._torch.load(target / STAMP_WEIGHTS, weights_only=True)
        parser._import(doc, weights)
        return parser

    # ------------------------------------------------------------------ internals
    def _word_lookup(self) -> Callable[[str], Any]:
        if self._glove is None:
            from logsieve.features.glove import GloVe

            self._glove = GloVe()
        return self._glove.get

    def _encode(self, texts: list[str]):
        if self._encoder is None:
            from logsieve.features.sentence import SentenceEncoder

            self._encoder = SentenceEncoder(batch_size=ENCODER_BATCH, threads=self.config.threads)
        return self._encoder.encode(texts)

    def _pseudo_labels(self, distinct: dict[str, list[str]]) -> tuple[list[int], list[list[int]]]:
        """DBSCAN clusters of the distinct masked lines, and per-token labels from them."""
        from logsieve.parsing.stamp_labels import cluster_lines, frequency_labels

        cfg = self.config
        texts = [text.replace(PARAM, "*") for text in distinct]  # "<*>" costs MiniLM 3 word pieces
        clusters = cluster_lines(self._encode(texts), cfg.eps, cfg.min_samples)
        return clusters, frequency_labels(list(distinct.values()), clusters, cfg.template_threshold)

    def _train(self, ids: list[list[int]], labels: list[list[int]]) -> tuple[BiLSTMTagger, list[float]]:
        """A fresh tagger fitted to the labels, reproducibly."""
        from logsieve.parsing.stamp_model import BiLSTMTagger, train_tagger

        cfg, torch = self.config, self._torch
        # Initial weights and dropout masks come from torch's global generator: seed a forked
        # copy of it, so training is reproducible and the caller's random state is untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            model = BiLSTMTagger(self.table.rows.shape[1], cfg.proj_dim, cfg.hidden, cfg.dropout)
            if not ids:
                return model.eval(), [0.0]
            losses = train_tagger(
                model, self.table.rows, ids, labels, steps=cfg.steps, batch=cfg.train_batch,
                lr=cfg.lr, weight_decay=cfg.weight_decay, seed=cfg.seed,
            )
        return model, losses

    def _distinct_masked(self, lines: Iterable[str]) -> dict[str, list[str]]:
        """Masked text -> masked tokens, once per distinct non-empty masked line, in order."""
        out: dict[str, list[str]] = {}
        for line in lines:
            tokens = self.masker.split(line)[1]
            if tokens:
                out.setdefault(" ".join(tokens), tokens)
        return out

    def _parse_chunk(self, chunk: Sequence[str], learn: bool) -> Iterator[ParseResult]:
        if self.model is None:
            raise StampNotTrainedError("the LogStamp parser must be trained (fit) or loaded before parsing")
        split = [self.masker.split(c) for c in chunk]
        keys = [" ".join(masked) for _, masked in split]
        cache = self._cache
        if len(cache) + len(chunk) > self.config.line_cache_size:
            cache.clear()
        todo = {k: masked for k, (_, masked) in zip(keys, split) if k not in cache}
        lines = self._tag(todo) if todo else {}
        if self.config.line_cache_size:
            cache.update(lines)
        # Look every line up before parsing any: a generalisation clears the cache midway.
        found = [lines.get(key) or cache[key] for key in keys]
        for (raw, _), line in zip(split, found):
            yield self._result(line, raw, learn)

    def _tag(self, todo: dict[str, list[str]]) -> dict[str, _Line]:
        """Tag the distinct uncached lines of a chunk in one batch."""
        from logsieve.parsing.stamp_model import tag_lines

        keys = [k for k, tokens in todo.items() if tokens]
        if len(self.table) > self.config.token_table_size:
            self.table.clear()
        ids = [self.table.ids(todo[k]) for k in keys]
        flags = tag_lines(self.model, self.table.rows, ids)
        collapse = self.config.collapse_variables
        lines = {k: _tagged_line(todo[k], f, collapse) for k, f in zip(keys, flags)}
        lines.update((k, _Line((), (), ())) for k, tokens in todo.items() if not tokens)
        return lines

    def _result(self, line: _Line, raw: list[str], learn: bool) -> ParseResult:
        change = "none"
        if line.template is None:
            change = self._resolve(line, learn)
            if line.template is None:
                return ParseResult(None, None, (), "none")
        template = line.template
        template.size += 1
        params = tuple(" ".join(raw[a:b]) for a, b in line.spans)
        return ParseResult(template.id, template.text, params, change)

    def _resolve(self, line: _Line, learn: bool) -> str:
        """Give a line its template; returns the change (``none``, ``updated`` or ``new``).

        In order: the template of its own tagging; a known template the line is an instance
        of; a known template that is an instance of its tagging, generalised in place (same
        id); a new template. Match mode stops before generalising or creating.
        """
        store = self.store
        template = store.by_text.get(line.text)
        if template is None:
            fitted = store.find_fitting(line.masked, line.tokens)
            if fitted is not None:
                template, line.spans = fitted
        if template is not None or not learn:
            line.template = template
            return "none"
        special = store.find_instance(line.tokens, line.masked) if self.config.generalize else None
        if special is not None:
            store.generalize(special, line.tokens)
            self._cache.clear()  # cached lines of it would keep their old (narrower) params
            line.template = special
            return "updated"
        line.template = store.create(line.tokens)
        return "new"

    def _export(self) -> dict[str, Any]:
        return {
            "format": STAMP_FORMAT,
            "version": STAMP_VERSION,
            "parser": "stamp",
            "config": self.config.model_dump(mode="json"),
            "next_id": self.store.next_id,
            "templates": [
                {"id": t.id, "tokens": list(t.tokens), "size": t.size} for t in self.store.by_id.values()
            ],
            "tokens": self.table.tokens,
        }

    def _import(self, doc: dict[str, Any], weights: dict[str, Any]) -> None:
        from logsieve.parsing.stamp_features import TokenTable
        from logsieve.parsing.stamp_model import BiLSTMTagger

        cfg = self.config
        rows = weights["rows"].numpy()
        self.table = TokenTable(self._word_lookup, doc["tokens"], rows)
        self.model = BiLSTMTagger(rows.shape[1], cfg.proj_dim, cfg.hidden, cfg.dropout)
        self.model.load_state_dict(weights["model"])
        self.model.eval()
        self.store.next_id = int(doc["next_id"])
        for item in doc["templates"]:
            self.store.add(Template(int(item["id"]), tuple(item["tokens"]), int(item["size"])))


class StampFactory:
    """Makes fresh parsers (or loads saved ones) that share one MiniLM and one GloVe.

    Loading the two models takes seconds; evaluating 16 data sets must pay that once, not
    16 times, and not inside any one data set's training time, so both load here.
    """

    def __init__(self, config: StampConfig | None = None) -> None:
        from logsieve.features.glove import GloVe
        from logsieve.features.sentence import SentenceEncoder

        self.config = config or StampConfig()
        self.encoder = SentenceEncoder(batch_size=ENCODER_BATCH, threads=self.config.threads)
        self.glove = GloVe()
        self.encoder.encode(["warm up"])
        self.glove.get("warm")

    def __call__(self) -> StampParser:
        return StampParser(self.config, encoder=self.encoder, glove=self.glove)

    def load(self, path: str | Path) -> StampParser:
        return StampParser.load(path, encoder=self.encoder, glove=self.glove)


def _tagged_line(tokens: Sequence[str], variable: Sequence[bool], collapse: bool) -> _Line:
    """Template tokens and variable spans of one line from its per-token variable flags."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    for i, (tok, var) in enumerate(zip(tokens, variable)):
        key = _KEY.match(tok)
        if not var and not is_masked_value(tok):
            out.append(tok)
        elif key is not None:
            # A variable written ``key=value`` keeps its key: ``user=root`` -> ``user=<*>``,
            # the same template word the masking gives ``uid=0`` (``uid=<*>``).
            out.append(key.group(0) + PARAM)
            spans.append((i, i + 1))
        elif collapse and out and out[-1] == PARAM and spans[-1][1] == i:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            out.append(PARAM)
            spans.append((i, i + 1))
    return _Line(tokens, out, tuple(spans))


def _read_meta(path: Path) -> dict[str, Any]:
    """Read and check ``stamp.json``, refusing another format or version with advice."""
    if not path.exists():
        raise FileNotFoundError(f"no LogStamp parser at {path.parent} (missing {path.name})")
    return read_json_checked(
        path, STAMP_FORMAT, STAMP_VERSION, what="a LogStamp parser state", error=StampVersionError,
        advice="train a new parser (fit) and save it again",
    )
