"""Grouping discovery: propose how to cut unlabelled logs into sequences, and say why.

People who bring their own logs do not know which field is a session id, so ``learn`` asks
:func:`discover_grouping` instead of them. It looks, on a head sample of the parsed lines, for
identifier-like tokens (block ids, instance uuids, request or trace ids, container ids) whose
values recur across lines, and proposes id sessions keyed by the best such shape. Without one it
falls back to time windows sized from the line rate, and without timestamps to fixed windows.

How an id shape is found:

1. Tokens are maximal runs of letters, digits, ``_`` and ``-`` in a line's parameters (or its
   content when the parser left no parameters). Dots, slashes, colons and ``=`` separate tokens,
   so IPs, ports, paths and ``key=value`` pairs fall apart into plain words and numbers.
2. A token is generalised to a *shape*: uuids stay uuids, runs of hex of
   :attr:`DiscoveryConfig.min_hex_length` chars or more (with a digit and a letter) become hex,
   digit runs become ``\\d+`` and letters stay literal (``blk_-42`` -> ``blk_-?\\d+``,
   ``attempt_1445_0020_m_000001_0`` -> ``attempt_\\d+_\\d+_m_\\d+_\\d+``). Tokens that do not look
   like identifiers (plain numbers, dates, sizes such as ``64MB``, short words such as ``u0``)
   get no shape.
3. Each of the most common shapes becomes a regex and is measured the way the session grouper
   will use it: searched in the content of every sampled line. A shape qualifies when its ids
   recur (median lines per id within bounds), are many, and cover enough of the lines; the one
   covering most lines wins.

Everything is deterministic (no sampling at random) and pure Python, so the sessions layer does
not need the ``ml`` extra.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logsieve.records import ParsedLine
from logsieve.sessions.config import (
    FixedWindowConfig,
    GrouperConfig,
    SessionConfig,
    TimeWindowConfig,
    parse_grouping,
)

GroupingKind = Literal["session", "time", "fixed"]


class DiscoveryConfig(BaseModel):
    """The thresholds of :func:`discover_grouping`, each with the reason for its default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_sample_lines: int = Field(default=50_000, ge=1)
    """Lines looked at: the head of the input. A contiguous head keeps sessions whole (a strided
    sample would cut every session into pieces and hide recurrence) and 50,000 lines hold
    thousands of sessions on any busy system while keeping discovery well under a second."""

    min_coverage: float = Field(default=0.3, gt=0, le=1)
    """Share of lines an id shape must appear on. Below it most lines would join no session
    (the grouper skips lines without an id), and windows see more of the log than sessions."""

    min_median_lines: float = Field(default=2.0, ge=1)
    """An id must recur: when the median id is named by one line only, its sessions are single
    lines (a per-request access log line, a process id) and carry no sequence to judge."""

    max_median_lines: float = Field(default=10_000, gt=1)
    """An id named by more lines than this on median is a host or a service, not a session: its
    sessions would be split at ``max_lines`` anyway."""

    min_distinct_ids: int = Field(default=10, ge=2)
    """Sessions need many ids: a handful (a tenant id, a host name) makes a handful of endless
    sequences. A shape with this many distinct ids in the sample has enough."""

    min_distinct_share: float = Field(default=0.01, gt=0, le=1)
    """...or distinct ids numbering at least this share of the sampled lines (for small logs,
    where 10 ids may not fit), never fewer than 2."""

    max_candidates: int = Field(default=8, ge=1)
    """Shapes measured with their regex and reported, the most common first; the rest are rare."""

    min_hex_length: int = Field(default=8, ge=4)
    """A run of hex chars this long (with a digit and a letter) is an id (container or trace
    id); shorter runs (``9f4e``, ``e01``) are too often words, versions or small numbers."""

    min_token_length: int = Field(default=6, ge=2)
    """A token mixing letters and digits without an ``xxx_`` or ``xxx-`` prefix must be this
    long to count as an id: shorter ones (``u0``, ``t761``, ``x86``) are names, not keys."""

    min_timed_share: float = Field(default=0.8, gt=0, le=1)
    """Time windows need a clock on most lines: untimed lines are carried to the previous
    line's time, which is only faithful when they are few."""

    target_lines: int = Field(default=30, ge=1)
    """Lines a time window should hold on median: enough for a sequence model to see order and
    counts (the fixed fallback uses 20), few enough that one anomaly is not diluted."""

    fixed_size: int = Field(default=20, ge=1)
    """Window size without ids and without timestamps: the loghub benchmarks' usual 20 lines."""

    idle_gap_multiple: float = Field(default=4.0, ge=1)
    """Sessions close after this many times the 99th-percentile gap between consecutive lines
    of one id: generous, because closing a live session early splits it in two."""

    min_idle_seconds: float = Field(default=60.0, gt=0)
    """Never time a session out faster than this, whatever the sample's gaps."""

    max_open: int = Field(default=100_000, ge=1)
    """Cap on open sessions in the proposed config (memory bound of a stream)."""

    max_lines: int = Field(default=10_000, ge=1)
    """Cap on one session's lines in the proposed config (a longer one continues as ``#p2``)."""


@dataclass(frozen=True)
class IdCandidate:
    """One id shape as measured on the sample with its regex.

    ``coverage`` is the share of sampled lines whose content the pattern finds an id in;
    ``distinct_ids`` counts the different ids; ``median_lines`` is how many lines name an id, on
    median over ids. ``qualifies`` says whether it passed every threshold, ``note`` why not.
    """

    pattern: str
    example: str
    coverage: float
    distinct_ids: int
    median_lines: float
    qualifies: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "example": self.example,
            "coverage": self.coverage,
            "distinct_ids": self.distinct_ids,
            "median_lines": self.median_lines,
            "qualifies": self.qualifies,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdCandidate:
        return cls(str(data["pattern"]), str(data["example"]), float(data["coverage"]),
                   int(data["distinct_ids"]), float(data["median_lines"]), bool(data["qualifies"]),
                   str(data.get("note", "")))


@dataclass(frozen=True)
class GroupingChoice:
    """What :func:`discover_grouping` proposes: a grouping config, its kind and the reason.

    ``grouping`` is accepted as is by :func:`logsieve.sessions.make_grouper`; ``reason`` is one
    sentence for the user; ``candidates`` are the id shapes measured (best first) so a user who
    disagrees can see the alternatives and pass one with ``--group``.
    """

    grouping: GrouperConfig
    kind: GroupingKind
    reason: str
    candidates: tuple[IdCandidate, ...] = ()
    sample_lines: int = 0
    timed_share: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored in a model bundle and printed by ``--json``."""
        return {
            "kind": self.kind,
            "grouping": self.grouping.model_dump(mode="json"),
            "describe": self.grouping.describe(),
            "reason": self.reason,
            "sample_lines": self.sample_lines,
            "timed_share": self.timed_share,
            "stats": dict(self.stats),
            "candidates": [c.as_dict() for c in self.candidates],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupingChoice:
        """Inverse of :meth:`as_dict` (``describe`` is derived, so it is not read back)."""
        grouping = parse_grouping(data["grouping"])
        return cls(grouping, data["kind"], str(data["reason"]),
                   tuple(IdCandidate.from_dict(c) for c in data.get("candidates", ())),
                   int(data.get("sample_lines", 0)), float(data.get("timed_share", 0.0)),
                   {str(k): float(v) for k, v in dict(data.get("stats", {})).items()})


def discover_grouping(lines: Iterable[ParsedLine], config: DiscoveryConfig | None = None) -> GroupingChoice:
    """Propose a grouping for ``lines``: id sessions, else time windows, else fixed windows.

    Reads at most ``config.max_sample_lines`` lines from the head of ``lines``. Never fails on
    odd input: an empty input gets fixed windows with a reason saying so.
    """
    cfg = config or DiscoveryConfig()
    sample = list(islice(lines, cfg.max_sample_lines))
    n = len(sample)
    if n == 0:
        return GroupingChoice(FixedWindowConfig(size=cfg.fixed_size), "fixed",
                              f"no lines to look at, so fixed windows of {cfg.fixed_size} lines")
    times = [line[0][4] for line in sample]
    timed = sum(t is not None for t in times)
    timed_share = round(timed / n, 4)
    measured = _measure(sample, _propose_shapes(sample, cfg), cfg)
    candidates = [c for c, _ in measured]
    if measured and measured[0][0].qualifies:
        best, found = measured[0]
        return _session_choice(sample, best, found, candidates, timed_share, cfg)
    lead = (f"no id-like parameter recurs on enough lines (best: {_brief(candidates[0])})" if candidates
            else "no id-like parameter found")
    if timed and timed_share >= cfg.min_timed_share:
        return _time_choice(sample, lead, candidates, timed_share, cfg)
    clock = ("no line has a timestamp" if not timed
             else f"only {timed_share:.0%} of lines have a timestamp")
    return GroupingChoice(FixedWindowConfig(size=cfg.fixed_size), "fixed",
                          f"{lead} and {clock}, so fixed windows of {cfg.fixed_size} lines",
                          tuple(candidates), n, timed_share)


# --- shapes -------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SEPARATED = re.compile(r"([_-])")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_DIGIT_RUNS = re.compile(r"(\d+)")
_DATE_LIKE = re.compile(r"\d{4}-\d\d-\d\d|\d\d-\d\d-\d{4}|^\d+[Tt]\d+$")
_UNIT = re.compile(r"^\d+[A-Za-z]{1,5}$")  # 64MB, 100ms, 30sec, 1024KiB
_HEX_LITERAL = re.compile(r"0[xX]([0-9a-fA-F]+)")
_PREFIX = re.compile(r"[A-Za-z]{2,}[_-]")  # blk_, req-, job_: a name, then a number or hex

_UUID_PIECE = "U"
_NUM = "N"
_HEX = "H"
_LIT = "L"
Piece = tuple[str, str]
"""(kind, text): kind is one of U, N, H (variable; text is the case of the hex letters for U/H:
'a' lower, 'A' upper, 'aA' mixed, then ':<length>' for a bare hex token) or L (literal text)."""

Shape = tuple[Piece, ...]


@dataclass
class _ShapeStats:
    """A shape's tally over the sample: lines it is on, its values, where a '-' may sign a number."""

    lines: int = 0
    values: Counter[str] = field(default_factory=Counter)
    signed: set[int] = field(default_factory=set)


def _hex_case(text: str) -> str:
    lower = any(c in "abcdef" for c in text)
    upper = any(c in "ABCDEF" for c in text)
    return "aA" if lower and upper else ("A" if upper else "a")


def token_shape(token: str, config: DiscoveryConfig | None = None) -> tuple[Shape, frozenset[int]] | None:
    """The shape of ``token`` and the piece positions a '-' sign led, or ``None`` if not an id.

    Public so that tests and tools can check what counts as an identifier.
    """
    cfg = config or DiscoveryConfig()
    if not any(c.isdigit() for c in token) or _DATE_LIKE.search(token) or _UNIT.match(token):
        return None
    short_hex = _HEX_LITERAL.fullmatch(token)
    if short_hex is not None and len(short_hex.group(1)) < cfg.min_hex_length:
        return None  # 0x1, 0x23: flags and small numbers written in hex
    pieces: list[Piece] = []
    signed: set[int] = set()
    pos = 0
    for m in _UUID.finditer(token):
        _split_plain(token[pos:m.start()], pieces, signed, cfg)
        pieces.append((_UUID_PIECE, _hex_case(m.group())))
        pos = m.end()
    _split_plain(token[pos:], pieces, signed, cfg)
    if len(pieces) == 1 and pieces[0][0] == _HEX:  # a bare hex id: its length is part of its shape
        pieces[0] = (_HEX, f"{pieces[0][1]}:{len(token)}")
    kinds = [k for k, _ in pieces]
    if _NUM not in kinds and _HEX not in kinds and _UUID_PIECE not in kinds:
        return None
    if _UUID_PIECE in kinds or _HEX in kinds:
        return tuple(pieces), frozenset(signed)
    letters = sum(c.isalpha() for k, t in pieces if k == _LIT for c in t)
    if letters < 2:  # plain numbers, dates, 12T08: no name, no id
        return None
    prefixed = len(pieces) >= 2 and pieces[0][0] == _LIT and _PREFIX.fullmatch(pieces[0][1]) is not None
    if not prefixed and len(token) < cfg.min_token_length:
        return None
    return tuple(pieces), frozenset(signed)


def _split_plain(text: str, pieces: list[Piece], signed: set[int], cfg: DiscoveryConfig) -> None:
    """Append the pieces of ``text`` (no uuid in it): literals, numbers, hex runs."""
    if not text:
        return
    parts = _SEPARATED.split(text)
    for i, part in enumerate(parts):
        if not part:
            continue
        if i % 2 == 1:  # a separator
            if part == "-" and not parts[i - 1] and i + 1 < len(parts) and parts[i + 1].isdigit():
                signed.add(len(pieces))  # blk_-42: the '-' is a sign, recorded on the number
                continue
            _add_literal(pieces, part)
        elif part.isdigit():
            pieces.append((_NUM, ""))
        elif (part[:2] in ("0x", "0X") and len(part) - 2 >= cfg.min_hex_length
              and _HEX_CHARS.issuperset(part[2:])):
            _add_literal(pieces, part[:2])  # 0x24ed93119420016: a hex number is hex even without a letter
            pieces.append((_HEX, _hex_case(part[2:])))
        elif (len(part) >= cfg.min_hex_length and _HEX_CHARS.issuperset(part)
              and any(c.isdigit() for c in part) and any(c.isalpha() for c in part)):
            pieces.append((_HEX, _hex_case(part)))
        else:
            for j, run in enumerate(_DIGIT_RUNS.split(part)):
                if not run:
                    continue
                if j % 2 == 1:
                    pieces.append((_NUM, ""))
                else:
                    _add_literal(pieces, run)


def _add_literal(pieces: list[Piece], text: str) -> None:
    if pieces and pieces[-1][0] == _LIT:
        pieces[-1] = (_LIT, pieces[-1][1] + text)
    else:
        pieces.append((_LIT, text))


def shape_regex(shape: Shape, signed: Iterable[int] = (), min_hex_length: int = 8) -> str:
    """The regex that finds tokens of ``shape`` in content, with no capture group.

    A shape that starts with a variable piece gets a look-behind so it does not match inside a
    longer token (a bare uuid inside ``req-<uuid>``); one that starts with a literal word must
    not follow a letter or digit (``attempt_`` inside ``appattempt_``), as a token does. A shape that ends with a hex or uuid piece gets a look-ahead for the same reason; a
    trailing ``\\d+`` needs none, since it already runs to the last digit. A lone hex piece is
    held to its length (a 32-char trace id is not a 16-char span id, nor a short hex word).
    """
    signed = set(signed)
    out: list[str] = []
    for i, (kind, text) in enumerate(shape):
        if kind == _LIT:
            out.append(re.escape(text))
        elif kind == _NUM:
            out.append(("-?" if i in signed else "") + r"\d+")
        else:
            case, _, length = text.partition(":")
            cls = {"a": "0-9a-f", "A": "0-9A-F"}.get(case, "0-9a-fA-F")
            if kind == _UUID_PIECE:
                out.append(f"[{cls}]{{8}}-[{cls}]{{4}}-[{cls}]{{4}}-[{cls}]{{4}}-[{cls}]{{12}}")
            else:
                out.append(f"[{cls}]{{{length or str(min_hex_length) + ','}}}")
    first_kind, first_text = shape[0]
    if first_kind != _LIT:
        out.insert(0, r"(?<![\w-])")
    elif first_text[:1].isalnum():
        out.insert(0, r"(?<![A-Za-z0-9])")  # attempt_ not inside appattempt_, but _task_ is task_
    if shape[-1][0] in (_HEX, _UUID_PIECE):
        out.append(r"(?![\w-])")
    return "".join(out)


@dataclass(frozen=True)
class _Proposal:
    """A shape to measure: its regex, a token of it, and a literal every match contains."""

    pattern: str
    example: str
    needle: str


def _propose_shapes(sample: list[ParsedLine], cfg: DiscoveryConfig) -> list[_Proposal]:
    """The id shapes on most sampled lines (at most ``max_candidates``), most common first."""
    cache: dict[str, tuple[Shape, frozenset[int]] | None] = {}
    tally: dict[Shape, _ShapeStats] = defaultdict(_ShapeStats)
    findall = _TOKEN.findall
    for line in sample:
        params = line[3]
        text = " ".join(params) if params else line[0][2]
        seen: set[Shape] = set()
        for token in findall(text):
            if token in cache:
                got = cache[token]
            else:
                got = cache[token] = token_shape(token, cfg)
            if got is None:
                continue
            shape, signs = got
            stats = tally[shape]
            stats.values[token] += 1
            if signs:
                stats.signed |= signs
            if shape not in seen:
                seen.add(shape)
                stats.lines += 1
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1].lines, -len(kv[1].values), str(kv[0])))
    out = []
    for shape, stats in ranked[: cfg.max_candidates]:
        example = stats.values.most_common(1)[0][0]
        needle = shape[0][1] if shape[0][0] == _LIT else ""
        out.append(_Proposal(shape_regex(shape, stats.signed, cfg.min_hex_length), example, needle))
    return out


# --- measuring and choosing -----------------------------------------------------------------------

LineIds = list[tuple[int, list[str]]]
"""(index in the sample, distinct ids the pattern finds in that line's content), for lines with one."""


def _measure(sample: list[ParsedLine], proposals: list[_Proposal],
             cfg: DiscoveryConfig) -> list[tuple[IdCandidate, LineIds]]:
    """Each proposed pattern as the grouper sees it (searched in content), best first.

    A literal that every match must contain (``blk_``) is looked for first with ``in``, which
    is many times faster than running the regex on every line.
    """
    n = len(sample)
    contents = [line[0][2] for line in sample]
    min_distinct = max(2, min(cfg.min_distinct_ids, math.ceil(cfg.min_distinct_share * n)))
    out: list[tuple[IdCandidate, LineIds, int]] = []
    for proposal in proposals:
        findall = re.compile(proposal.pattern).findall
        needle = proposal.needle
        per_id: Counter[str] = Counter()
        line_ids: LineIds = []
        for i, content in enumerate(contents):
            if needle not in content:
                continue
            found = findall(content)
            if found:
                if len(found) > 1:
                    found = list(dict.fromkeys(found))
                line_ids.append((i, found))
                for sid in found:  # Counter.update costs an isinstance check per call
                    per_id[sid] += 1
        coverage = round(len(line_ids) / n, 4)
        example = proposal.example
        distinct = len(per_id)
        median = float(statistics.median(per_id.values())) if per_id else 0.0
        if per_id:  # a typical id, not the most frequent one (that is often a shared image or host)
            example = min(per_id, key=lambda k: abs(per_id[k] - median))
        notes = []
        if coverage < cfg.min_coverage:
            notes.append(f"on {coverage:.0%} of lines, below {cfg.min_coverage:.0%}")
        if median < cfg.min_median_lines:
            notes.append(f"the median id is on {median:g} line(s), fewer than {cfg.min_median_lines:g}")
        if median > cfg.max_median_lines:
            notes.append(f"the median id is on {median:g} lines, more than {cfg.max_median_lines:g}")
        if distinct < min_distinct:
            notes.append(f"{distinct} distinct id(s), fewer than {min_distinct}")
        out.append((IdCandidate(proposal.pattern, example, coverage, distinct, median, not notes,
                                "; ".join(notes)), line_ids, len(notes)))
    # qualifying shapes by coverage; then the nearest misses (fewest failed checks) first
    out.sort(key=lambda m: (m[2], -m[0].coverage, -m[0].distinct_ids, m[0].pattern))
    return [(c, found) for c, found, _ in out]
    return out


def _brief(c: IdCandidate) -> str:
    return f"ids like {c.example}: {c.note}" if c.note else f"ids like {c.example}"


def _session_choice(sample: list[ParsedLine], best: IdCandidate, found: LineIds,
                    candidates: list[IdCandidate], timed_share: float, cfg: DiscoveryConfig) -> GroupingChoice:
    idle, p99 = _idle_seconds(sample, found, cfg)
    # lines without the id still get judged: in windows of their own (OpenStack: 62% of lines)
    unkeyed = cfg.fixed_size if best.coverage < 1.0 else None
    grouping = SessionConfig(id_pattern=best.pattern, idle_seconds=idle,
                             max_open=cfg.max_open, max_lines=cfg.max_lines, unkeyed_lines=unkeyed)
    reason = (f"ids like {best.example} recur across {best.median_lines:g} lines each on median "
              f"({best.distinct_ids:,} distinct) and cover {best.coverage:.0%} of lines")
    if unkeyed is not None:
        reason += f"; the other lines go in windows of {unkeyed} lines"
    if idle is not None:
        reason += (f"; a session closes after {format_duration(idle)} idle ({cfg.idle_gap_multiple:g}x the p99 gap "
                   f"of {format_duration(p99)} between one id's lines, rounded up)")
    stats = {"p99_gap_seconds": p99} if idle is not None else {}
    return GroupingChoice(grouping, "session", reason, tuple(candidates), len(sample), timed_share, stats)


def _idle_seconds(sample: list[ParsedLine], found: LineIds, cfg: DiscoveryConfig) -> tuple[float | None, float]:
    """A generous idle timeout from the gaps between one id's consecutive timed lines."""
    last: dict[str, float] = {}
    gaps: list[float] = []
    for i, ids in found:
        ts = sample[i][0][4]
        if ts is None:
            continue
        for sid in ids:
            prev = last.get(sid)
            if prev is not None and ts >= prev:
                gaps.append(ts - prev)
            last[sid] = ts
    if not gaps:
        return None, 0.0
    gaps.sort()
    p99 = gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))]
    return _nice_ceil(max(cfg.idle_gap_multiple * p99, cfg.min_idle_seconds)), float(p99)


NICE_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
                86400, 172800, 604800)
"""Window spans and timeouts a person reads at a glance: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15,
30 min, 1, 2, 3, 6, 12 h, 1, 2, 7 days."""


def _nice_ceil(seconds: float) -> float:
    for nice in NICE_SECONDS:
        if nice >= seconds:
            return float(nice)
    return float(math.ceil(seconds / 86400) * 86400)


def format_duration(seconds: float) -> str:
    """``3600`` -> ``1 h``, ``120`` -> ``2 min``, ``29.7`` -> ``29.7 s``: for reasons a person reads."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _time_choice(sample: list[ParsedLine], lead: str, candidates: list[IdCandidate], timed_share: float,
                 cfg: DiscoveryConfig) -> GroupingChoice:
    """Time windows whose median line count is nearest ``target_lines`` (on a log scale)."""
    stamps = [(line[0][0], line[0][4]) for line in sample if line[0][4] is not None]
    best_span, best_median, best_score = float(NICE_SECONDS[0]), 0.0, math.inf
    for span in NICE_SECONDS:
        counts = Counter((source, math.floor(ts / span)) for source, ts in stamps)
        median = float(statistics.median(counts.values()))
        score = abs(math.log(median / cfg.target_lines))
        if score < best_score:
            best_span, best_median, best_score = float(span), median, score
        if median >= cfg.target_lines or len(counts) == 1:
            break  # longer spans only hold more lines
    grouping = TimeWindowConfig(span=best_span, step=best_span, max_lines=cfg.max_lines)
    reason = (f"{lead}; {timed_share:.0%} of lines have a timestamp, so {format_duration(best_span)} windows, "
              f"which hold {best_median:g} lines on median (target {cfg.target_lines})")
    return GroupingChoice(grouping, "time", reason, tuple(candidates), len(sample), timed_share,
                          {"median_window_lines": best_median})
