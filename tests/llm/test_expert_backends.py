"""The expert over each backend: the scripted fake, a real misbehaving HTTP server on
127.0.0.1, and the real embedded llama.cpp runtime with the tiny SmolLM2 model."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from logsieve.llm import Expert, ExpertConfig, HttpConfig, LLMUnavailable, Verdict, make_backend
from logsieve.llm.base import ChatRequest
from logsieve.llm.fake import ScriptedBackend, down
from logsieve.llm.verdict import VERDICT_SCHEMA, verdict_schema
from logsieve.records import LogRecord, ParsedLine, Sequence

T = {1: "Receiving block <*>", 2: "Exception in receiveBlock for block <*>"}
GOOD = '{"status": "abnormal", "explanation": "an exception while receiving", "lines": [1]}'


def seq() -> Sequence:
    s = Sequence("blk_1")
    for i, tid in enumerate([1, 2]):
        s.append(ParsedLine(LogRecord("a.log", i + 1, "c", {}, None), tid, T[tid], ("blk_1",)))
    return s


def test_fake_answer_is_validated_and_cites_file_lines():
    a = Expert(ScriptedBackend([GOOD])).judge(seq(), T)
    assert a.ok and a.verdict.abnormal and a.attempts == 1 and a.prompt_id == "cola@5"
    assert [(r.source, r.line_no) for r in a.refs] == [("a.log", 2)]


def test_malformed_answers_are_retried_then_reported():
    backend = ScriptedBackend(["{broken", GOOD])
    a = Expert(backend, ExpertConfig(retries=1)).judge(seq(), T)
    assert a.ok and a.attempts == 2
    a = Expert(ScriptedBackend(["{broken"]), ExpertConfig(retries=2)).judge(seq(), T)
    assert not a.ok and a.attempts == 3 and a.error.startswith("malformed")


def test_a_backend_that_is_down_is_reported_not_raised():
    a = Expert(ScriptedBackend([down()]), ExpertConfig(retries=3)).judge(seq(), T)
    assert not a.ok and a.attempts == 1 and a.error.startswith("unavailable")


# --------------------------------------------------------------------------- real HTTP server

class _Server:
    """A local OpenAI-style server whose behaviour per request comes from a list."""

    def __init__(self, plan: list[str]) -> None:
        self.plan, self.hits = plan, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                step = outer.plan[min(outer.hits, len(outer.plan) - 1)]
                outer.hits += 1
                outer.last = body
                if step == "slow":
                    time.sleep(1.0)
                    step = "good"
                if step.startswith("status:"):
                    self.send_response(int(step.split(":")[1]))
                    self.end_headers()
                    self.wfile.write(b"nope")
                    return
                text = GOOD if step == "good" else "I think it is fine!"
                payload = {"choices": [{"message": {"role": "assistant", "content": text}}],
                           "usage": {"prompt_tokens": 50, "completion_tokens": 20}}
                if step == "not-json":
                    raw = b"<html>"
                else:
                    raw = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def server_factory():
    servers: list[_Server] = []

    def make(plan: list[str]) -> _Server:
        servers.append(_Server(plan))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def http(url: str, **kw):
    return make_backend(HttpConfig(base_url=url, backoff_s=0.01, **kw).model_dump())


def test_http_retries_5xx_then_answers_and_sends_the_schema(server_factory, monkeypatch):
    monkeypatch.setenv("LOGSIEVE_LLM_API_KEY", "secret-from-env")
    srv = server_factory(["status:503", "status:500", "good"])
    a = Expert(http(srv.url, retries=3)).judge(seq(), T)
    assert a.ok and srv.hits == 3 and a.prompt_tokens == 50
    sent = srv.last["response_format"]["json_schema"]["schema"]
    assert sent == verdict_schema(2) and sent["properties"]["lines"]["items"]["maximum"] == 1


def test_http_down_slow_and_garbage_all_end_in_a_reported_failure(server_factory):
    dead = http("http://127.0.0.1:9/v1", retries=1, timeout_s=1)
    assert Expert(dead).judge(seq(), T).error.startswith("unavailable")
    slow = server_factory(["slow"])
    assert Expert(http(slow.url, retries=0, timeout_s=0.2)).judge(seq(), T).error.startswith("unavailable")
    garbage = server_factory(["garbage"])
    a = Expert(http(garbage.url), ExpertConfig(retries=1)).judge(seq(), T)
    assert a.error.startswith("malformed") and garbage.hits == 2
    broken = server_factory(["not-json"])
    assert Expert(http(broken.url)).judge(seq(), T).error.startswith("unavailable")
    refused = server_factory(["status:401"])
    with pytest.raises(LLMUnavailable, match="401"):
        http(refused.url).complete(ChatRequest([{"role": "user", "content": "x"}], VERDICT_SCHEMA))


# --------------------------------------------------------------------------- real embedded runtime

def test_embedded_runtime_gives_schema_valid_json_and_reuses_the_prefix():
    backend = make_backend({"kind": "embedded", "model": "smollm2-135m"})
    try:
        expert = Expert(backend, ExpertConfig(retries=0))
        request = expert.prompt.request("[0] Receiving block <*>\n[1] Exception in receiveBlock", 2, [])
        first = backend.complete(request)
        again = backend.complete(request)
    finally:
        backend.close()
    for reply in (first, again):
        assert reply.meta["finish_reason"] == "stop"
        Verdict.model_validate_json(reply.text)  # the grammar guarantees the schema
        assert reply.text == json.dumps(json.loads(reply.text), separators=(",", ":"), ensure_ascii=False)  # compact
        assert reply.prompt_tokens > 0 and reply.completion_tokens > 0
    assert again.cached_tokens > 0  # the shared prefix was not read again
    # (the texts may differ: a cached prefix is evaluated in other batch sizes than a fresh one,
    # and a 135M model at temperature 0 can tip on that; the schema holds either way)
