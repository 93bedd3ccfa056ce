"""A real HTTP receiver on 127.0.0.1 for tests: webhooks, alert sinks, an OpenAI-compatible LLM.

Tests that send HTTP must meet a real server, not a mock of httpx: that is where timeouts,
status codes and headers behave as they will for users. Each test says how to answer a POST
(``respond``); the receiver keeps every body and header set it got, in order.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Respond = Callable[[dict], tuple[int, bytes]]
"""Given the JSON body of a POST, the status and the raw answer body. Called under the
receiver's lock, in arrival order, so the n-th call answers the n-th body kept."""


def empty_ok(_: dict) -> tuple[int, bytes]:
    return 200, b""


class LocalReceiver:
    """Serves POSTs on an ephemeral port of 127.0.0.1 in a daemon thread until :meth:`close`."""

    def __init__(self, respond: Respond = empty_ok, path: str = "/hook", delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        """Seconds each answer waits before it is sent (a slow receiver)."""
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
                with outer._lock:
                    outer.bodies.append(body)
                    outer.headers.append(dict(self.headers))
                    code, raw = respond(body)
                time.sleep(outer.delay_s)
                self.send_response(code)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
