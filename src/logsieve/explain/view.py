"""An explanation as data: what ``logsieve explain --json`` prints and the service's
``/verdicts/{id}`` shows (:func:`root_cause`)."""

from __future__ import annotations

from typing import Any

from logsieve.explain.records import ExplanationStore
from logsieve.store import Store


def root_cause(store: Store, verdict_id: int) -> dict[str, Any] | None:
    """The root-cause explanation of verdict ``verdict_id``, or None when none was attempted.

    ``status`` is ``explained`` (``cause``, ``evidence``, ``next_step`` set), ``failed`` (the
    LLM was down or answered malformed) or ``skipped`` (the job's explanation cap was spent);
    ``reason`` says why there is none. ``evidence`` lists the cited lines of this verdict
    (item number, file, line number, text); ``cited_items`` the item numbers themselves and
    ``items`` the item texts the LLM was shown. ``shared_by`` counts the verdicts explained
    by the same pattern's answer.
    """
    records = ExplanationStore(store)
    link = records.link_of(verdict_id)
    if link is None:
        return None
    doc: dict[str, Any] = {"verdict_id": link.verdict_id, "pattern": link.pattern, "status": link.status,
                           "reason": link.reason, "cause": None, "evidence": [], "cited_items": [],
                           "next_step": None, "items": [], "prompt": None, "backend": None, "shared_by": 0,
                           "lines": [{"item": ln.item, "source": ln.source, "line": ln.line_no, "text": ln.text,
                                      "cited": ln.cited} for ln in link.lines],
                           "created_at": link.created_at}
    if link.status != "explained":
        return doc
    known = records.get(link.pattern)
    if known is None:  # the pattern's row was removed after linking: say so rather than guess
        doc.update(status="failed", reason="the pattern's explanation is no longer in the store")
        return doc
    cited = set(known.answer.evidence)
    doc.update(cause=known.answer.cause, next_step=known.answer.next_step, cited_items=known.answer.evidence,
               items=known.items, prompt=known.prompt_id, backend=known.backend,
               shared_by=records.shared(link.pattern),
               evidence=[{"item": ln.item, "source": ln.source, "line": ln.line_no, "text": ln.text}
                         for ln in link.lines if ln.item in cited])
    return doc
