"""Any OpenAI-compatible chat endpoint: vLLM, Ollama, a llama.cpp server, hosted APIs.

The key comes from an environment variable whose *name* is configured (never the key itself, so
a config file can be committed). Each request has a timeout; connection errors, timeouts, 429
and 5xx answers are retried with exponential backoff (tenacity), then reported as
:class:`LLMUnavailable` so the pipeline falls back to the small model. A semaphore bounds how
many requests are in flight at once, for servers that queue badly.

Every message is redacted (:mod:`logsieve.llm.redact`: tokens, keys, passwords, e-mails)
before it is sent, because a remote server is a third party; ``redact: false`` (or a
:class:`RedactConfig`) in the config changes that.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from logsieve._optional import require
from logsieve.llm.base import ChatRequest, LLMBackend, LLMReply, LLMUnavailable
from logsieve.llm.embedded import _reply
from logsieve.llm.redact import RedactConfig, Redactor


class HttpConfig(BaseModel):
    """Where the server is and how patient to be with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["openai"] = "openai"
    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "default"
    api_key_env: str | None = "LOGSIEVE_LLM_API_KEY"
    timeout_s: float = Field(default=60.0, gt=0)
    retries: int = Field(default=3, ge=0)
    backoff_s: float = Field(default=0.5, ge=0)
    max_concurrency: int = Field(default=4, ge=1)
    max_tokens: int = Field(default=160, ge=16)
    json_schema: bool = True
    """Send the verdict schema as ``response_format``; turn off for servers that reject it."""
    redact: RedactConfig = Field(default_factory=RedactConfig)
    """Secrets masked before sending (on by default; ``false`` turns it off, e.g. for a server
    on this machine)."""

    @field_validator("redact", mode="before")
    @classmethod
    def _redact_flag(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value


class _Retryable(Exception):
    """A failure worth another try (network, timeout, 429, 5xx)."""


class HttpBackend(LLMBackend):
    """Chat completions over HTTP with retries, backoff and bounded concurrency."""

    def __init__(self, config: HttpConfig | None = None) -> None:
        self.config = config or HttpConfig()
        self._httpx = require("httpx", extra="llm", purpose="the OpenAI-compatible LLM backend")
        self._tenacity = require("tenacity", extra="llm", purpose="the OpenAI-compatible LLM backend")
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.config.api_key_env) if self.config.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.name = f"openai:{self.config.model}"
        self._client = self._httpx.Client(base_url=self.config.base_url.rstrip("/"), headers=headers,
                                          timeout=self.config.timeout_s)
        self._slots = threading.BoundedSemaphore(self.config.max_concurrency)
        self._redactor = Redactor(self.config.redact)

    def complete(self, request: ChatRequest) -> LLMReply:
        messages = self._redactor.redact_messages(request.messages)
        body: dict[str, Any] = {"model": self.config.model, "messages": messages, "temperature": 0,
                                "max_tokens": min(request.max_tokens, self.config.max_tokens)}
        if self.config.json_schema:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "verdict", "schema": request.schema, "strict": True}}
        t = self._tenacity
        retrying = t.Retrying(
            stop=t.stop_after_attempt(self.config.retries + 1),
            wait=t.wait_exponential(multiplier=self.config.backoff_s, max=30) if self.config.backoff_s else t.wait_none(),
            retry=t.retry_if_exception_type(_Retryable), reraise=True)
        start = time.perf_counter()
        try:
            with self._slots:
                doc = retrying(self._post, body)
        except _Retryable as exc:
            raise LLMUnavailable(f"{self.config.base_url}: {exc} (after {self.config.retries + 1} tries)") from exc
        return _reply(doc, time.perf_counter() - start)

    def _post(self, body: dict[str, Any]) -> Any:
        httpx = self._httpx
        try:
            resp = self._client.post("/chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out after {self.config.timeout_s:g}s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"cannot reach the server ({type(exc).__name__}: {exc})") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise LLMUnavailable(f"{self.config.base_url}: HTTP {resp.status_code}: {resp.text[:300]}")
        try:
            return resp.json()
        except ValueError as exc:
            raise LLMUnavailable(f"{self.config.base_url}: the answer is not JSON: {resp.text[:200]!r}") from exc

    def close(self) -> None:
        self._client.close()
