"""Simulated software upgrades: rewrite a share of log templates from a change point on.

The public upgrade data sets (Hadoop 2 -> 3, Spark 2 -> 3) are not available here, so the
evolution benchmark makes its own: it takes a labelled raw log and, from a line on, rewrites
the lines of a seeded share of templates the way upgrades change log statements:

* ``rename``: a constant word is renamed (``Receiving`` -> ``Accepting``);
* ``insert``: a new constant word is inserted;
* ``remove``: a constant word is removed;
* ``reorder``: two parameters change places;
* ``merge``: an event and the event that (mostly) follows it in the same session become one
  line (the follower's line is dropped, its words appended);
* ``split``: one line becomes two, each with the session id.

It works on raw lines (header kept, content rewritten), so the parser meets the new wording
and mints new templates, as it would after a real upgrade. Which template gets which rewrite,
the words and the positions all come from ``random.Random(seed)``: same log, ratio and seed,
same output. Labels are untouched: an upgrade changes wording, not health.

Templates and parameter positions come from one Drain pass over the original log (the final
templates; a line whose raw tokens do not align with its template is left as it is, and
counted).
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field

from logsieve.parsing.drain import DrainConfig, DrainParser

KINDS = ("rename", "insert", "remove", "reorder", "merge", "split")
PARAM = "<*>"

RENAMES = {
    "Receiving": "Accepting", "Received": "Got", "received": "got", "block": "blk", "Block": "Blk",
    "terminating": "exiting", "Deleting": "Removing", "Verification": "Check", "succeeded": "passed",
    "exception": "error", "Exception": "Error", "ask": "request", "replicate": "copy", "Starting": "Launching",
    "thread": "worker", "transfer": "send", "Served": "Sent", "Transmitted": "Sent", "file": "path",
    "size": "length", "from": "via", "packet": "frame", "empty": "blank", "updated": "refreshed",
    "added": "appended", "request": "call", "Unexpected": "Unforeseen", "error": "failure",
    "trying": "attempting", "delete": "remove", "Changing": "Updating", "offset": "position",
    "writing": "sending", "serving": "streaming", "Got": "Caught", "Interrupted": "Aborted",
}
INSERTED = ("now", "async", "successfully", "pipeline", "remote", "INFO", "completed", "local")
_WORD = re.compile(r"^[A-Za-z][A-Za-z.*$_:-]*$")
_HDFS_HEADER = re.compile(r"^(\S+ \S+ \S+ \S+ \S+: )(.*)$")
_BLOCK = re.compile(r"blk_-?\d+")


@dataclass(frozen=True)
class Rewrite:
    """What happens to one template's lines. ``position``/``other``: token positions (for
    ``reorder`` both; for ``merge`` ``other`` is the partner template's id)."""

    template_id: int
    kind: str
    template: str
    position: int = -1
    other: int = -1
    word: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RewriteStats:
    lines_in: int = 0
    lines_out: int = 0
    after_change: int = 0
    rewritten: int = 0
    """Lines after the change point whose text was changed (a merge counts once)."""
    merged_away: int = 0
    split_added: int = 0
    misaligned: int = 0
    by_kind: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["by_kind"] = dict(self.by_kind)
        d["rewritten_share"] = round(self.rewritten / self.after_change, 4) if self.after_change else 0.0
        return d


@dataclass
class _Line:
    header: str
    raw: list[str]
    template_id: int | None
    block: str | None


def hdfs_split(line: str) -> tuple[str, str]:
    """(header, content) of an HDFS line; a line without the header is all content."""
    m = _HDFS_HEADER.match(line)
    return (m.group(1), m.group(2)) if m else ("", line)


def _constant_words(tokens: tuple[str, ...]) -> list[int]:
    return [i for i, t in enumerate(tokens) if PARAM not in t and _WORD.match(t)]


def _params(tokens: tuple[str, ...]) -> list[int]:
    return [i for i, t in enumerate(tokens) if PARAM in t]


class UpgradeSimulator:
    """Plans the rewrites on a log (:meth:`plan`) and applies them (:meth:`apply`)."""

    def __init__(self, parser: DrainConfig | None = None,
                 split_line: Callable[[str], tuple[str, str]] = hdfs_split,
                 session_of: Callable[[str], str | None] = lambda c: (m.group(0) if (m := _BLOCK.search(c)) else None),
                 min_count: int = 20) -> None:
        self.parser_config = parser or DrainConfig()
        self.split_line = split_line
        self.session_of = session_of
        self.min_count = min_count
        self.rules: dict[int, Rewrite] = {}
        self._lines: list[_Line] = []
        self._templates: dict[int, tuple[str, ...]] = {}

    # ------------------------------------------------------------------ reading
    def read(self, lines: Iterable[str]) -> None:
        """Parse the original log once (templates, raw tokens, sessions)."""
        parser = DrainParser(self.parser_config)
        self._lines = []
        for line in lines:
            header, content = self.split_line(line.rstrip("\n"))
            raw, _ = parser.masker.split(content)
            tid = parser.learn(content).template_id
            self._lines.append(_Line(header, list(raw), tid, self.session_of(content)))
        self._templates = {t.id: t.tokens for t in parser.templates}

    def session_starts(self) -> list[int]:
        """The index of each session's first line, in order (sessions in time order, for a
        change point at the start of a split)."""
        first: dict[str, int] = {}
        for i, ln in enumerate(self._lines):
            if ln.block is not None and ln.block not in first:
                first[ln.block] = i
        return sorted(first.values())

    # ------------------------------------------------------------------ planning
    def plan(self, change: int, ratio: float, seed: int = 0, kinds: tuple[str, ...] = KINDS) -> dict[int, Rewrite]:
        """Choose ``max(1, round(ratio * templates))`` templates among those with at least
        ``min_count`` lines from line index ``change`` on, and a rewrite for each: kinds in a
        seeded order, cycled; a kind that does not fit a template (``reorder`` needs two
        parameters, ``merge`` a usual follower) passes to the next kind."""
        if not 0.0 < ratio <= 1.0:
            raise ValueError(f"ratio must be in (0, 1], got {ratio}")
        rng = random.Random(seed)
        after = Counter(ln.template_id for ln in self._lines[change:] if ln.template_id is not None)
        candidates = sorted(t for t, n in after.items() if n >= self.min_count)
        n = min(len(candidates), max(1, round(ratio * len(self._templates))))
        chosen = sorted(rng.sample(candidates, n))
        order = list(kinds)
        rng.shuffle(order)
        followers = self._followers()
        self.rules = {}
        for k, tid in enumerate(chosen):
            for step in range(len(order)):
                rule = self._rule(tid, order[(k + step) % len(order)], rng, followers, set(chosen))
                if rule is not None:
                    self.rules[tid] = rule
                    break
        return self.rules

    def _followers(self) -> dict[int, tuple[int, float]]:
        """Per template: the template that most often comes next in the same session, and how often."""
        last: dict[str, int] = {}
        nxt: dict[int, Counter] = defaultdict(Counter)
        for ln in self._lines:
            if ln.block is None or ln.template_id is None:
                continue
            prev = last.get(ln.block)
            if prev is not None:
                nxt[prev][ln.template_id] += 1
            last[ln.block] = ln.template_id
        out = {}
        for tid, c in nxt.items():
            top, count = c.most_common(1)[0]
            out[tid] = (top, count / sum(c.values()))
        return out

    def _rule(self, tid: int, kind: str, rng: random.Random, followers, chosen: set[int]) -> Rewrite | None:
        tokens = self._templates[tid]
        text = " ".join(tokens)
        words, params = _constant_words(tokens), _params(tokens)
        if kind == "rename" and words:
            pos = rng.choice(words)
            word = tokens[pos]
            return Rewrite(tid, kind, text, pos, word=RENAMES.get(word, "new" + word[:1].upper() + word[1:]))
        if kind == "insert":
            return Rewrite(tid, kind, text, rng.randint(0, len(tokens)), word=rng.choice(INSERTED))
        if kind == "remove" and len(words) >= 2:
            return Rewrite(tid, kind, text, rng.choice(words))
        if kind == "reorder" and len(params) >= 2:
            i, j = sorted(rng.sample(params, 2))
            return Rewrite(tid, kind, text, i, j)
        if kind == "merge" and tid in followers:
            partner, share = followers[tid]
            if partner != tid and partner not in chosen and share >= 0.5:
                return Rewrite(tid, kind, text, other=partner, word="and")
        if kind == "split" and len(tokens) >= 3:
            return Rewrite(tid, kind, text, max(1, min(len(tokens) - 1, len(tokens) // 2)))
        return None

    # ------------------------------------------------------------------ applying
    def apply(self, change: int) -> tuple[list[str], RewriteStats]:
        """The log with the planned rewrites on every line from index ``change`` on."""
        stats = RewriteStats(lines_in=len(self._lines), after_change=max(0, len(self._lines) - change))
        drop: set[int] = set()
        merged = self._merges(change)
        out: list[str] = []
        for i, ln in enumerate(self._lines):
            if i in drop:
                continue
            rule = self.rules.get(ln.template_id) if i >= change and ln.template_id is not None else None
            if rule is None:
                out.append(ln.header + " ".join(ln.raw))
                continue
            if rule.kind != "merge" and len(ln.raw) != len(self._templates[rule.template_id]):
                stats.misaligned += 1
                out.append(ln.header + " ".join(ln.raw))
                continue
            new = self._rewrite(ln, rule, merged.get(i))
            if new is None:  # a merge with no follower here: the line stays
                out.append(ln.header + " ".join(ln.raw))
                continue
            if rule.kind == "merge":
                drop.add(merged[i])
                stats.merged_away += 1
            stats.split_added += len(new) - 1
            stats.rewritten += 1
            stats.by_kind[rule.kind] += 1
            out.extend(ln.header + " ".join(toks) for toks in new)
        stats.lines_out = len(out)
        return out, stats

    def _merges(self, change: int) -> dict[int, int]:
        """Line index of each merge-rule line -> index of the next line of its session, when
        that line has the partner template."""
        partners = {tid: r.other for tid, r in self.rules.items() if r.kind == "merge"}
        if not partners:
            return {}
        waiting: dict[str, int] = {}
        out: dict[int, int] = {}
        for i in range(change, len(self._lines)):
            ln = self._lines[i]
            if ln.block is None:
                continue
            j = waiting.pop(ln.block, None)
            if j is not None and ln.template_id == partners[self._lines[j].template_id]:
                out[j] = i
            if ln.template_id in partners:
                waiting[ln.block] = i
        return out

    def _rewrite(self, ln: _Line, rule: Rewrite, partner: int | None) -> list[list[str]] | None:
        raw = list(ln.raw)
        if rule.kind == "rename":
            raw[rule.position] = rule.word
        elif rule.kind == "insert":
            raw.insert(rule.position, rule.word)
        elif rule.kind == "remove":
            del raw[rule.position]
        elif rule.kind == "reorder":
            raw[rule.position], raw[rule.other] = raw[rule.other], raw[rule.position]
        elif rule.kind == "merge":
            if partner is None:
                return None
            return [raw + [rule.word] + self._lines[partner].raw]
        elif rule.kind == "split":
            first, second = raw[: rule.position], raw[rule.position:]
            if ln.block is not None:
                for part in (first, second):
                    if not any(ln.block in t for t in part):
                        part.append(ln.block)
            return [first, second]
        return [raw]


def describe(rules: Mapping[int, Rewrite]) -> list[dict]:
    return [r.as_dict() for _, r in sorted(rules.items())]


def upgraded_after_training(lines: list[str], parser: DrainConfig | None, ratio: float, seed: int = 0,
                            min_count: int = 20, whole_sessions: bool = False,
                            ) -> tuple[list[str], dict[int, Rewrite], RewriteStats]:
    """The lines after a model's train and validation sessions (the default 20/10/70 split, in
    time order), with an upgrade from their first line on: what a model trained on the start of
    the log meets when it is deployed and the software changes under it. Returns those lines,
    the rewrites and their counts.

    ``whole_sessions``: only the sessions that start after that line, each one's lines together
    (sessions in order of their first line). An HDFS block's lines span ~10,000 lines of the
    log (its deletion comes long after its writes), so a stream grouped with a short idle limit
    would cut every block in two; sent block by block, each closes while the stream runs."""
    from logsieve.evaluate.splits import SplitConfig, split_counts

    sim = UpgradeSimulator(parser, min_count=min_count)
    sim.read(lines)
    starts = sim.session_starts()
    n_train, n_val, _ = split_counts(len(starts), SplitConfig())
    change = starts[n_train + n_val]
    before = {ln.block for ln in sim._lines[:change] if ln.block is not None}
    rules = sim.plan(change, ratio, seed)
    out, stats = sim.apply(change)
    after = out[change:]
    if not whole_sessions:
        return after, rules, stats
    grouped: dict[str, list[str]] = {}
    for line in after:
        block = sim.session_of(line)
        if block is not None and block not in before:
            grouped.setdefault(block, []).append(line)
    return [line for block_lines in grouped.values() for line in block_lines], rules, stats
