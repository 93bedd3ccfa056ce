"""The template catalogue: known templates listed once in the system prompt, named ``T<id>``.

On two cores every prompt token costs ~20 ms, and a template's text is 10-25 tokens. Listed
once in the system text, which is the same on every call and so stays in llama.cpp's prompt
cache, a template is then named in two tokens wherever a judged sequence or a few-shot example
uses it. The list holds the lowest ids first (the earliest templates), so a template learnt
later is appended at the end and the cached prefix before it stays valid. Templates beyond the
limit, and any whose text differs in an example's own parser state, are written out in full.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class Catalogue:
    def __init__(self, templates: Mapping[int, str], limit: int = 150) -> None:
        ids = sorted(templates)[:limit]
        self._texts = {tid: _one_line(templates[tid]) for tid in ids}
        self.text = "\n".join(f"T{tid}: {text}" for tid, text in self._texts.items())

    def __len__(self) -> int:
        return len(self._texts)

    def view(self, templates: Mapping[int, str]) -> Mapping[int, str]:
        """``templates`` as items should show them: ``T<id>`` where the catalogue has the same text."""
        return _Named(templates, self._texts)


class _Named(Mapping[int, str]):
    def __init__(self, templates: Mapping[int, str], listed: Mapping[int, str]) -> None:
        self._templates = templates
        self._listed = listed

    def __getitem__(self, tid: int) -> str:
        text = _one_line(self._templates[tid])
        return f"T{tid}" if self._listed.get(tid) == text else text

    def __iter__(self) -> Iterator[int]:
        return iter(self._templates)

    def __len__(self) -> int:
        return len(self._templates)


def _one_line(text: str) -> str:
    return text.replace("\n", " ")
