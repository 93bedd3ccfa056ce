"""A simulated judge that reads the words, served as an OpenAI-compatible endpoint.

A benchmark or test of a real ``logsieve serve`` process needs an LLM that answers in
milliseconds and the same way every time, and it can only reach one the way users do: over
HTTP (``--llm http://...``). :class:`~logsieve.evaluate.simulated_expert.OracleBackend` cannot
serve there: it answers from the sequence's key, and the prompt hides the key on purpose.

:class:`WordJudge` instead reads what a real model reads: the judged section of the prompt
(``[n] T7 x2`` resolved through the catalogue in the system text, or the template text written
inline). It knows the system's failure events: templates that, in the labelled history, occur
only (``purity``) in anomalous sessions. A sequence is abnormal when one of its items matches a
failure event by words: at least ``min_share`` of the event's words appear in the item, so a
template an upgrade rewrote (a word renamed, inserted or removed, or two events merged) still
matches. It misses anomalies that show as a missing step (no failure event), as a small model
reading words alone would; a benchmark reports its accuracy beside what it measures.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from logsieve.records import Sequence

_WORD = re.compile(r"[a-z][a-z0-9]+")
_ITEM = re.compile(r"^\[(\d+)\]\s+(.*)$")
_CATALOGUE = re.compile(r"^(T\d+):\s+(.*)$")
_TNUMBER = re.compile(r"^T\d+$")
_COUNT = re.compile(r"\s+x\d+$")


def words(text: str) -> frozenset[str]:
    """The constant words of a template or line (lower case; ``<*>`` and numbers dropped)."""
    return frozenset(_WORD.findall(text.replace("<*>", " ").lower()))


def failure_events(sequences: Iterable[Sequence], templates: Mapping[int, str], purity: float = 1.0) -> list[str]:
    """Texts of the templates whose sessions are at least ``purity`` anomalous."""
    held, bad = Counter(), Counter()
    for seq in sequences:
        if seq.label is None:
            continue
        for tid in set(seq.template_ids):
            held[tid] += 1
            bad[tid] += int(seq.label)
    return [templates[t] for t in sorted(held) if t in templates and bad[t] / held[t] >= purity and bad[t] > 0]


class WordJudge:
    """Answers a CoLA prompt with a verdict: abnormal when an item holds a failure event."""

    def __init__(self, events: Iterable[str], min_share: float = 0.75) -> None:
        self.events = [w for w in (words(e) for e in events) if w]
        self.min_share = min_share

    def items(self, messages: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """(number, text) of each item of the judged sequence, T-numbers resolved."""
        system = "\n".join(m["content"] for m in messages if m.get("role") == "system")
        catalogue = {m.group(1): m.group(2) for line in system.splitlines() if (m := _CATALOGUE.match(line.strip()))}
        user = messages[-1]["content"]
        section = user.rsplit("<log_data>", 1)[-1].split("</log_data>", 1)[0]
        out = []
        for line in section.splitlines():
            m = _ITEM.match(line.strip())
            if m is None:
                continue
            text = _COUNT.sub("", m.group(2).split(" | ", 1)[0].strip())
            out.append((int(m.group(1)), catalogue.get(text, text) if _TNUMBER.match(text) else text))
        return out

    def matches(self, text: str) -> bool:
        have = words(text)
        return any(len(event & have) >= self.min_share * len(event) for event in self.events)

    def answer(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        cited = [n for n, text in self.items(messages) if self.matches(text)]
        if cited:
            return {"status": "abnormal", "explanation": "a failure event occurred", "lines": cited[:3]}
        return {"status": "normal", "explanation": "routine steps only", "lines": []}


class JudgeServer:
    """``judge`` behind ``POST /v1/chat/completions`` on 127.0.0.1 (a free port): give
    :attr:`url` as ``--llm``. Counts the calls it answered."""

    def __init__(self, judge: WordJudge) -> None:
        self.judge = judge
        self.calls = 0
        self._lock = threading.Lock()
        parent = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                verdict = parent.judge.answer(body.get("messages") or [{"content": ""}])
                with parent._lock:
                    parent.calls += 1
                reply = json.dumps({"choices": [{"message": {"role": "assistant", "content": json.dumps(verdict)}}],
                                    "usage": {"prompt_tokens": 0, "completion_tokens": 0}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="word-judge", daemon=True)

    def __enter__(self) -> JudgeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
