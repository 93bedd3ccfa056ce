"""The LogStamp template store: stable integer ids for tagged templates, and reuse before creation.

The tagger labels each line on its own, so two lines of one event can come out differently
when a token is borderline (``session closed for user cyrus`` all template, ``... user news``
with ``news`` a variable). Before a new template is created, the store therefore asks whether
the line is already an instance of a known one: every word of that template equals the line's
token at its place (``user=<*>`` takes ``user=root``) and each ``<*>`` covers one or more
tokens. The most specific such template (most words) wins, so a stream keeps the first reading
of an event instead of splitting it. Failing that, a known template that is an instance of the
line's reading is generalised to it in place, keeping its id (as Drain updates a cluster).
A template may read at most ``max_word_changes`` of the line's own template words as variables
(as Drain limits word changes per merge), so a vague template (``<*> for <*>``) cannot swallow
lines of other events. Only lines whose tagging gives an unseen template pay for the search;
an index on each template's first word keeps it to a few candidates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from logsieve.parsing.drain import Template
from logsieve.parsing.masking import PARAM

NewTemplateCallback = Callable[[Template], None]

Spans = tuple[tuple[int, int], ...]
"""Token ranges ``[start, end)`` that the ``<*>`` of a template cover in one line."""

MAX_FIT_TOKENS = 400
"""Longer lines are not fitted to known templates (the search recurses once per token)."""


WordMatch = Callable[[str, str], bool]


def cover(template: Sequence[str], tokens: Sequence[str], same: WordMatch) -> Spans | None:
    """The spans each ``<*>`` covers if ``tokens`` is an instance of ``template``, else ``None``.

    A ``<*>`` covers one or more tokens, the shortest run that lets the rest match; a word
    matches a token when ``same(word, token)``. Failed (template position, token position)
    pairs are remembered, so the search is O(n * m).
    """
    if len(template) > MAX_FIT_TOKENS or len(tokens) > MAX_FIT_TOKENS:
        return None
    failed: set[tuple[int, int]] = set()
    spans: list[tuple[int, int]] = []

    def walk(ti: int, si: int) -> bool:
        if ti == len(template):
            return si == len(tokens)
        if (ti, si) in failed:
            return False
        word = template[ti]
        if word != PARAM:
            ok = si < len(tokens) and same(word, tokens[si]) and walk(ti + 1, si + 1)
        else:
            ok = False
            for end in range(si + 1, len(tokens) + 1):
                spans.append((si, end))
                if walk(ti + 1, end):
                    ok = True
                    break
                spans.pop()
        if not ok:
            failed.add((ti, si))
        return ok

    return tuple(spans) if walk(0, 0) else None


class TemplateStore:
    """Templates by text and by id, with an anchor-word index for :meth:`find_fitting`."""

    def __init__(self, max_word_changes: int = 1) -> None:
        self.max_word_changes = max_word_changes
        self.by_text: dict[str, Template] = {}
        self.by_id: dict[int, Template] = {}
        self._anchors: dict[str, list[Template]] = {}
        self._globs: dict[str, re.Pattern[str]] = {}
        self.next_id = 1
        self.callbacks: list[NewTemplateCallback] = []

    def __len__(self) -> int:
        return len(self.by_id)

    def create(self, tokens: Sequence[str]) -> Template:
        template = Template(self.next_id, tuple(tokens), 0)
        self.next_id += 1
        self.add(template)
        for callback in self.callbacks:
            callback(template)
        return template

    def add(self, template: Template) -> None:
        """Register an existing template (creation, or loading a saved parser)."""
        self.by_text[template.text] = template
        self.by_id[template.id] = template
        anchor = _anchor(template.tokens)
        if anchor is not None:  # a template without a plain word is never a candidate
            self._anchors.setdefault(anchor, []).append(template)

    def generalize(self, template: Template, tokens: Sequence[str]) -> None:
        """Give ``template`` the more general ``tokens`` in place: its id and lines stay."""
        anchor = _anchor(template.tokens)
        if anchor is not None:
            self._anchors[anchor].remove(template)
        del self.by_text[template.text]
        template.tokens = tuple(tokens)
        self.add(template)

    def find_instance(self, tokens: Sequence[str], line: Sequence[str]) -> Template | None:
        """The oldest known template that is an instance of the new template ``tokens``.

        It must lose at most ``max_word_changes`` words to ``tokens`` (none when only a word's
        value widens, ``rhost=<*>.om`` to ``rhost=<*>``); ``line`` (the masked tokens of the
        line that produced ``tokens``) drives the candidate index.
        """
        words = _words(tokens)
        found = None
        for template in self._candidates(line):
            if found is not None and template.id > found.id:
                continue
            lost = _words(template.tokens) - words
            if lost <= self.max_word_changes and cover(tokens, template.tokens, self._same) is not None:
                found = template
        return found

    def find_fitting(self, tokens: Sequence[str], own: Sequence[str]) -> tuple[Template, Spans] | None:
        """The most specific known template ``tokens`` is an instance of, with its spans.

        ``own`` is the template the line's own tagging gave.
        """
        best: tuple[Template, Spans] | None = None
        best_words = _words(own) - self.max_word_changes - 1
        for template in self._candidates(tokens):
            words = _words(template.tokens)
            if words <= best_words:
                continue
            spans = cover(template.tokens, tokens, self._same)
            if spans is not None:
                best, best_words = (template, spans), words
        return best

    def _same(self, word: str, token: str) -> bool:
        """A word equals the token, or has ``<*>`` inside (``user=<*>``) that covers its value."""
        if word == token:
            return True
        if PARAM not in word:
            return False
        rx = self._globs.get(word)
        if rx is None:
            rx = self._globs[word] = re.compile(".+".join(re.escape(p) for p in word.split(PARAM)))
        return rx.fullmatch(token) is not None

    def _candidates(self, tokens: Iterable[str]) -> list[Template]:
        anchors = self._anchors
        return [t for tok in set(tokens) for t in anchors.get(tok, ())]


def _words(tokens: Sequence[str]) -> int:
    return sum(t != PARAM for t in tokens)


def _anchor(tokens: Sequence[str]) -> str | None:
    """The first plain word of a template: every instance of it holds that token."""
    return next((t for t in tokens if PARAM not in t), None)
