"""Splitting a template into the words that carry its meaning (for GloVe x TF-IDF).

``BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to <*>`` becomes
``block name system add stored block block map updated is added to``: wildcards, punctuation and
digits go, camelCase and snake_case split, everything is lower-cased (GloVe 6B is uncased).
"""

from __future__ import annotations

import re

from logsieve.parsing.masking import PARAM

# An upper-case run not followed by a lower-case letter (an acronym: "HTTP" in "HTTPServer"), or
# an optional capital followed by lower-case letters ("Server", "add"). Anything else (digits,
# punctuation, "_") separates words, which splits snake_case for free.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


def template_words(template: str, min_len: int = 1) -> list[str]:
    """The lower-case words of ``template`` in order, repeats kept (TF counts them).

    Words shorter than ``min_len`` are dropped: with ``min_len=2`` the ``s`` of ``datanode(s)``
    and single-letter fragments of identifiers do not dilute the vector.
    """
    text = template.replace(PARAM, " ")
    return [w.lower() for w in _WORD.findall(text) if len(w) >= min_len]
