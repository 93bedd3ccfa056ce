"""An online Drain parser: a fixed-depth prefix tree of log templates.

Drain (He et al., ICWS 2017) groups lines first by token count, then by their first few tokens,
and within that leaf picks the cluster whose template shares the most tokens with the line. If
the best similarity reaches ``similarity`` the line joins the cluster and the positions where
they differ become ``<*>``; otherwise the line starts a new cluster.

This implementation follows the same algorithm as drain3 (so its grouping can be compared one to
one) and adds what a long-running service needs:

* **train and match modes**: :meth:`DrainParser.learn` updates clusters, :meth:`DrainParser.match`
  never does (for scoring with a frozen template set);
* **stable ids**: template ids are integers handed out in creation order and saved with the state;
* **drift events**: ``on_new_template`` callbacks fire when a template is created;
* **a versioned state file** (see :mod:`logsieve.parsing.state`) whose size grows with the number
  of templates, never with the number of lines;
* **an exact line cache**: a masked line seen before, with no template changed since, is answered
  from a dict without walking the tree. Because the cache is dropped on every change, results are
  identical with and without it, which keeps save/load round trips exact.
"""

from __future__ import annotations

import operator

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from logsieve.parsing.masking import PARAM, Masker, MaskingConfig

NewTemplateCallback = Callable[["Template"], None]


class DrainConfig(BaseModel):
    """Settings of the Drain parser.

    ``depth`` counts the root, the length layer and the leaf like drain3, so ``depth=4`` looks
    at one leading token.
    The defaults were chosen on data the parser is not scored on (see benchmarks/RESULTS.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int = Field(default=5, ge=3, le=16)
    similarity: float = Field(default=0.6, ge=0.0, le=1.0)
    max_children: int = Field(default=100, ge=2)
    masking: MaskingConfig = Field(default_factory=MaskingConfig.default)
    parametrize_numeric_tokens: bool = True
    # drain3 never counts a wildcard position as similar, so lines made only of variables
    # (``<*> <*>``) never join any cluster and each becomes its own template. Counting a masked
    # token under a template wildcard as a match fixes that; False reproduces drain3 exactly.
    match_masked_wildcards: bool = True
    # Two different plain words at one position are more often two templates than one variable
    # ("state 'Active'" vs "state 'Inactive'"); allow at most this many such word changes per
    # merge. ``None`` means no limit, as in drain3.
    max_word_changes: int | None = Field(default=1, ge=0)
    # A word that has held its position through this many lines of a template is part of the
    # template: a line with another word there ("... client SPP." after 600 lines of "... client
    # WindowsUpdateAgent.") starts a new template instead of turning the word into a wildcard.
    # Variables show themselves within the first few lines; ``None`` switches this off (drain3).
    freeze_words_after: int | None = Field(default=100, ge=1)
    line_cache_size: int = Field(default=50_000, ge=0)


class Template:
    """A mined template: its id, tokens and how many lines it has absorbed.

    The positions holding a wildcard are kept beside the tokens (recomputed whenever the tokens
    change) so reading a line's parameters is one tuple lookup, not a scan of the template.
    """

    __slots__ = ("id", "_tokens", "size", "word_slots", "param_positions", "text", "_take", "_needs")

    def __init__(
        self, id: int, tokens: tuple[str, ...], size: int = 0,
        word_slots: frozenset[int] = frozenset(),
    ) -> None:
        self.id = id
        self.size = size
        # Wildcard positions that have held a plain word (not only masked variables).
        self.word_slots = word_slots
        self.tokens = tokens

    @property
    def tokens(self) -> tuple[str, ...]:
        return self._tokens

    @tokens.setter
    def tokens(self, value: tuple[str, ...]) -> None:
        self._tokens = value
        positions = tuple(i for i, t in enumerate(value) if PARAM in t)
        self.param_positions = positions
        self.text = " ".join(value)
        # one C-level call per line instead of a generator (parameters are read on every line)
        self._take = (operator.itemgetter(*positions) if len(positions) > 1
                      else (lambda raw, i=positions[0]: (raw[i],)) if positions else (lambda raw: ()))
        self._needs = positions[-1] + 1 if positions else 0

    def params(self, raw: list[str]) -> tuple[str, ...]:
        """The raw tokens at this template's wildcard positions.

        The masker keeps raw and masked tokens aligned (a multi-token span is one raw token),
        so position i of the template is raw token i. A token that is only partly a wildcard
        (``blk_<*>``) gives the whole raw token: cheap and unambiguous.
        """
        if len(raw) >= self._needs:
            return self._take(raw)
        return tuple(raw[i] for i in self.param_positions if i < len(raw))

    def __repr__(self) -> str:
        return f"Template(id={self.id}, text={self.text!r}, size={self.size})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return (self.id, self.tokens, self.size, self.word_slots) == (
            other.id, other.tokens, other.size, other.word_slots)

    __hash__ = None  # type: ignore[assignment]  # mutable


class ParseResult(NamedTuple):
    """The outcome of parsing one line.

    ``change`` is ``"new"`` when the line created a template, ``"updated"`` when it generalised
    one, ``"none"`` otherwise; ``template_id`` is ``None`` only in match mode with no match.

    A named tuple, built in the hot path with ``tuple.__new__`` (:data:`_new_result`): one is made
    per line, and a frozen dataclass cost about 1 microsecond more each (0.2 s on the 222,579
    lines of the HDFS sample).
    """

    template_id: int | None
    template: str | None
    params: tuple[str, ...]
    change: str


_new_result = tuple.__new__


class _Node:
    """A tree node; leaves hold the ids of the clusters that share their path."""

    __slots__ = ("children", "clusters")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.clusters: list[int] = []


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


class DrainParser:
    """Online template miner. Use :meth:`learn` in training, :meth:`match` to score only."""

    def __init__(self, config: DrainConfig | None = None) -> None:
        self.config = config or DrainConfig()
        self.masker = Masker(self.config.masking)
        self._root = _Node()
        self._clusters: dict[int, Template] = {}
        self._paths: dict[int, tuple[str, ...]] = {}
        self._next_id = 1
        self._cache: dict[str, int] = {}

        self._callbacks: list[NewTemplateCallback] = []
        # drain3 counts the root and the length layer: depth 4 descends one leading token.
        self._prefix_len = self.config.depth - 3

    # ------------------------------------------------------------------ public API
    def on_new_template(self, callback: NewTemplateCallback) -> None:
        """Register a callback fired with each newly created :class:`Template` (drift signal)."""
        self._callbacks.append(callback)

    @property
    def templates(self) -> list[Template]:
        return list(self._clusters.values())

    def get(self, template_id: int) -> Template | None:
        return self._clusters.get(template_id)

    def __len__(self) -> int:
        return len(self._clusters)

    def learn(self, content: str) -> ParseResult:
        """Parse one line in train mode: the line may create or generalise a template."""
        raw, tokens = self.masker.split(content)
        return self.learn_masked(raw, " ".join(tokens))

    def learn_masked(self, raw: list[str], key: str) -> ParseResult:
        """:meth:`learn` for a line masked elsewhere (a reading process, :func:`premask`):
        ``raw`` and ``key`` are what :meth:`Masker.split` gave, the masked tokens joined by
        one space (no masked token is empty or holds a space, so ``key`` splits back exactly)."""
        cid = self._cache.get(key)
        if cid is not None:
            cluster = self._clusters[cid]
            cluster.size += 1
            return _new_result(ParseResult, (cid, cluster.text, cluster.params(raw), "none"))
        tokens = key.split(" ") if key else []
        cluster = self._search(tokens)
        if cluster is None:
            cluster = self._create(tokens)
            change = "new"
        else:
            change = self._absorb(cluster, tokens)
        cluster.size += 1
        if change == "none":
            self._remember(key, cluster.id)
        return _new_result(ParseResult, (cluster.id, cluster.text, cluster.params(raw), change))

    def match(self, content: str) -> ParseResult:
        """Parse one line in match mode: never changes the templates.

        Like drain3's ``match(..., "never")`` fallback-free mode, a line matches a template only
        if every non-wildcard token is equal (similarity 1.0 counting wildcards).
        """
        raw, tokens = self.masker.split(content)
        return self.match_masked(raw, " ".join(tokens))

    def match_masked(self, raw: list[str], key: str) -> ParseResult:
        """:meth:`match` for a line masked elsewhere (see :meth:`learn_masked`)."""
        cid = self._cache.get(key)
        if cid is not None:
            cluster = self._clusters[cid]
        else:
            cluster = self._search(key.split(" ") if key else [], exact=True)
        if cluster is None:
            return ParseResult(None, None, (), "none")
        return _new_result(ParseResult, (cluster.id, cluster.text, cluster.params(raw), "none"))

    def parse(self, content: str, *, learn: bool = True) -> ParseResult:
        return self.learn(content) if learn else self.match(content)

    def learn_many(self, contents: Iterable[str]) -> Iterator[ParseResult]:
        learn = self.learn
        for content in contents:
            yield learn(content)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the state to ``path`` (a directory or a file); see :mod:`state`."""
        from logsieve.parsing.state import save_state

        return save_state(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> "DrainParser":
        from logsieve.parsing.state import load_state

        return load_state(Path(path))

    def _export(self) -> dict:
        return {
            "next_id": self._next_id,
            "clusters": [
                {
                    "id": c.id,
                    "tokens": list(c.tokens),
                    "size": c.size,
                    "word_slots": sorted(c.word_slots),
                    "path": list(self._paths[c.id]),
                }
                for c in self._clusters.values()
            ],
            "tree": _export_tree(self._root),
        }

    def _import(self, data: dict) -> None:
        self._next_id = int(data["next_id"])
        self._root = _import_tree(data["tree"])
        for item in data["clusters"]:
            cid = int(item["id"])
            slots = frozenset(int(i) for i in item.get("word_slots", ()))
            self._clusters[cid] = Template(cid, tuple(item["tokens"]), int(item["size"]), slots)
            self._paths[cid] = tuple(item["path"])

    # ------------------------------------------------------------------ internals
    def _remember(self, key: str, cid: int) -> None:
        size = self.config.line_cache_size
        if not size:
            return
        if len(self._cache) >= size:
            self._cache.clear()
        self._cache[key] = cid

    def _invalidate(self) -> None:
        # Any change to a template or the tree can change which cluster a line maps to.
        if self._cache:
            self._cache.clear()

    def _leaf(self, tokens: list[str]) -> _Node | None:
        node = self._root.children.get(str(len(tokens)))
        if node is None:
            return None
        limit = min(self._prefix_len, len(tokens) - 1)
        for tok in tokens[:limit]:
            children = node.children
            nxt = children.get(tok)
            if nxt is None:
                nxt = children.get(PARAM)
                if nxt is None:
                    return None
            node = nxt
        return node

    def _search(self, tokens: list[str], exact: bool = False) -> Template | None:
        leaf = self._leaf(tokens)
        if leaf is None:
            return None
        if not tokens:
            return self._clusters[leaf.clusters[0]] if leaf.clusters else None
        best, best_sim, best_params = None, -1.0, -1
        n = len(tokens)
        clusters = self._clusters
        both_wild = self.config.match_masked_wildcards
        max_words = self.config.max_word_changes
        freeze = self.config.freeze_words_after
        for cid in leaf.clusters:
            cluster = clusters[cid]
            sim = params = words = frozen = 0
            slots = cluster.word_slots
            for i, (t, s) in enumerate(zip(cluster.tokens, tokens)):
                if t == PARAM:
                    params += 1
                    if s == PARAM:
                        if both_wild:
                            sim += 1
                    elif i not in slots:
                        # a plain word where only masked variables have been
                        words += 1
                elif t == s:
                    sim += 1
                elif s != PARAM:
                    words += 1
                    if PARAM not in t and PARAM not in s:
                        frozen += 1
            if not exact:
                if max_words is not None and words > max_words:
                    continue
                if frozen and freeze is not None and cluster.size >= freeze:
                    continue
            if exact:
                sim = sum(1 for t, s in zip(cluster.tokens, tokens) if t == PARAM or t == s)
            if sim > best_sim or (sim == best_sim and params > best_params):
                best, best_sim, best_params = cluster, sim, params
        threshold = 1.0 if exact else self.config.similarity
        if best is not None and best_sim / n >= threshold:
            return best
        return None

    def _absorb(self, cluster: Template, tokens: list[str]) -> str:
        old = cluster.tokens
        new_words = [
            i for i, (t, s) in enumerate(zip(old, tokens))
            if t != s and s != PARAM and i not in cluster.word_slots
        ]
        if not new_words and all(t == PARAM or t == s for t, s in zip(old, tokens)):
            return "none"
        cluster.tokens = tuple(t if t == s else PARAM for t, s in zip(old, tokens))
        if new_words:
            cluster.word_slots = cluster.word_slots.union(new_words)
        self._invalidate()
        return "none" if cluster.tokens == old else "updated"

    def _create(self, tokens: list[str]) -> Template:
        cid = self._next_id
        self._next_id += 1
        cluster = Template(cid, tuple(tokens), 0)
        self._clusters[cid] = cluster
        self._paths[cid] = self._insert(cluster)
        self._invalidate()
        for callback in self._callbacks:
            callback(cluster)
        return cluster

    def _insert(self, cluster: Template) -> tuple[str, ...]:
        """Place a new cluster in the tree, growing the path the way drain3 does."""
        tokens = cluster.tokens
        key = str(len(tokens))
        node = self._root.children.setdefault(key, _Node())
        path = [key]
        if not tokens:
            node.clusters = [cluster.id]
            return tuple(path)
        max_children = self.config.max_children
        depth = 1
        for tok in tokens:
            if depth >= self._prefix_len + 1 or depth >= len(tokens):
                break
            children = node.children
            if tok in children:
                step = tok
            elif self.config.parametrize_numeric_tokens and _has_digit(tok):
                step = PARAM
            elif PARAM in children:
                step = tok if len(children) < max_children else PARAM
            elif len(children) + 1 < max_children:
                step = tok
            else:
                step = PARAM
            node = children.setdefault(step, _Node())
            path.append(step)
            depth += 1
        node.clusters.append(cluster.id)
        return tuple(path)


def _export_tree(node: _Node) -> dict:
    out: dict = {}
    if node.clusters:
        out["c"] = list(node.clusters)
    if node.children:
        out["k"] = {k: _export_tree(v) for k, v in node.children.items()}
    return out


def _import_tree(data: dict) -> _Node:
    node = _Node()
    node.clusters = [int(c) for c in data.get("c", [])]
    node.children = {k: _import_tree(v) for k, v in data.get("k", {}).items()}
    return node
