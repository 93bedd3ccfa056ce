"""Helpers for the dashboard test: a stand-in OpenAI-compatible LLM server, free ports, and
waiting on the real service over HTTP.

The stand-in LLM is the only fake in the dashboard test: the service, its store, the parser,
the small model and the HTTP LLM backend are the real ones. It answers the verdict schema the
way a careful model would: a sequence is abnormal when one of its templates names an exception
or an error, and the cited item is that template's.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

CATALOGUE_LINE = re.compile(r"^\s*T(\d+):\s*(.*)$")
ITEM_LINE = re.compile(r"^\s*\[(\d+)\]\s*(.*)$")
TEMPLATE_REF = re.compile(r"\bT(\d+)\b")
TROUBLE = re.compile(r"exception|error|fail|interrupt|timeout|refused|reset", re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def judge(messages: list[dict[str, str]], max_index: int | None) -> dict[str, Any]:
    """A verdict for the last sequence in the prompt (examples come before it)."""
    system = "\n".join(m["content"] for m in messages if m["role"] == "system")
    user = "\n".join(m["content"] for m in messages if m["role"] == "user")
    catalogue = {int(m.group(1)): m.group(2) for m in map(CATALOGUE_LINE.match, system.splitlines()) if m}
    sequence = user.rsplit("Sequence to judge", 1)[-1]
    items = [m for m in map(ITEM_LINE.match, sequence.splitlines()[1:]) if m]
    for m in items:
        index, text = int(m.group(1)), m.group(2)
        ref = TEMPLATE_REF.match(text)
        written = catalogue.get(int(ref.group(1)), "") if ref else text
        trouble = TROUBLE.search(written)
        if trouble and (max_index is None or index <= max_index):
            name = f"T{ref.group(1)}" if ref else "a new template"
            return {"status": "abnormal", "explanation": f"{name} reports {trouble.group(0).lower()}"[:48],
                    "lines": [index]}
    return {"status": "normal", "explanation": "routine block traffic", "lines": []}


class FakeLLM:
    """``/v1/chat/completions`` on a free loopback port, answering with :func:`judge`."""

    def __init__(self) -> None:
        self.calls = 0
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
                max_index = (((schema.get("properties") or {}).get("lines") or {}).get("items") or {}).get("maximum")
                answer = judge(body.get("messages", []), max_index)
                outer.calls += 1
                outer.bodies.append(body)
                doc = {"id": f"fake-{outer.calls}", "object": "chat.completion", "model": body.get("model", "fake"),
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": json.dumps(answer)}}],
                       "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}
                data = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(what: str, probe: Callable[[], Any], timeout_s: float, every_s: float = 0.1) -> Any:
    """Poll ``probe`` until it returns something truthy; fail saying what never happened."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (httpx.HTTPError, OSError, ValueError) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(every_s)
    raise AssertionError(f"{what} did not happen within {timeout_s:g} s (last: {last!r})")
