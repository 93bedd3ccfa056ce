"""llama.cpp in process (``xllamacpp``): the default, private, offline LLM backend.

The model loads once per backend. Generation is constrained by the request's JSON schema
(as a compact-JSON llguidance grammar, :func:`compact_json_grammar`), temperature 0, so an answer is always parseable and the
same input gives the same verdict. ``cache_prompt`` keeps the KV cache of the last request: the
system message (the shared instructions) is the same for every call, so only the part after it
is read again; the reply's ``cached_tokens`` shows it. Calls are serialised with a lock: one
llama.cpp context answers one request at a time, and two cores gain nothing from more.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from logsieve._optional import require
from logsieve.llm.base import ChatRequest, LLMBackend, LLMReply, LLMUnavailable
from logsieve.llm.models import model_path


class EmbeddedConfig(BaseModel):
    """Which GGUF to run and how: ``model`` names a packaged one, ``model_path`` any other."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["embedded"] = "embedded"
    model: str = "qwen2.5-coder-0.5b"
    model_path: Path | None = None
    cache_dir: Path | None = None
    n_ctx: int = Field(default=4096, ge=512)
    threads: int = Field(default=2, ge=1)
    max_tokens: int = Field(default=96, ge=16)
    cache_reuse: int = Field(default=16, ge=0)
    """Reuse cached chunks of at least this many tokens found after the first difference from
    the last prompt (llama.cpp shifts them into place): one changed few-shot example then
    costs its own tokens, not everything after it. 0 turns it off."""
    cache_ram_mib: int = Field(default=1024, ge=0)
    """Host memory for llama.cpp's store of earlier prompts' KV states (~12 KB a token for the
    0.5B model, so 1 GiB holds ~80 prompts); a new prompt resumes from the longest match."""
    seed: int = 0
    verbose: bool = False
    """Let llama.cpp log to stderr (it logs every request); off by default."""


class EmbeddedBackend(LLMBackend):
    """An ``xllamacpp.Server`` in this process, answering OpenAI-style chat requests."""

    def __init__(self, config: EmbeddedConfig | None = None) -> None:
        self.config = config or EmbeddedConfig()
        xl = require("xllamacpp", extra="llm", purpose="the embedded LLM")
        path = self.config.model_path or model_path(self.config.model, self.config.cache_dir)
        if not Path(path).is_file():
            raise FileNotFoundError(f"no GGUF model file at {path}")
        self.name = f"embedded:{self.config.model if self.config.model_path is None else Path(path).name}"
        params = xl.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self.config.n_ctx
        params.n_parallel = 1
        params.cpuparams.n_threads = self.config.threads
        params.cpuparams_batch.n_threads = self.config.threads
        params.warmup = False
        params.n_cache_reuse = self.config.cache_reuse
        params.cache_ram_mib = self.config.cache_ram_mib
        params.verbosity = 3 if self.config.verbose else -1
        params.sampling.seed = self.config.seed
        self._server: Any = xl.Server(params)
        self._lock = threading.Lock()

    def complete(self, request: ChatRequest) -> LLMReply:
        if self._server is None:
            raise LLMUnavailable("the embedded LLM was closed")
        body = {
            "messages": request.messages,
            "max_tokens": min(request.max_tokens, self.config.max_tokens),
            "temperature": 0,
            "seed": self.config.seed,
            "cache_prompt": True,
            "grammar": compact_json_grammar(request.schema),
        }
        start = time.perf_counter()
        with self._lock:
            try:
                reply = self._server.handle_chat_completions(body)
            except Exception as exc:  # the runtime raises its own types; callers need one
                raise LLMUnavailable(f"embedded LLM failed: {exc}") from exc
        return _reply(reply, time.perf_counter() - start)

    def close(self) -> None:
        self._server = None


def compact_json_grammar(schema: dict[str, Any]) -> str:
    """``schema`` as an llguidance grammar that allows no whitespace between JSON tokens.

    With ``response_format`` llama.cpp lets the model pretty-print, and a 0.5B model does:
    newlines and indents double an answer (52 tokens against 28 for the same verdict), and on
    two cores each answer token costs ~50 ms.
    """
    compact = {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"}
    return "%llguidance {}\nstart: %json " + json.dumps({**schema, "x-guidance": compact})


def _reply(doc: Any, seconds: float) -> LLMReply:
    """An OpenAI-style completion document -> :class:`LLMReply` (shared with the HTTP backend)."""
    if not isinstance(doc, dict) or "choices" not in doc:
        message = doc.get("error", doc) if isinstance(doc, dict) else doc
        raise LLMUnavailable(f"LLM answered without choices: {str(message)[:300]}")
    try:
        choice = doc["choices"][0]
        text = choice["message"]["content"] or ""
    except (IndexError, KeyError, TypeError) as exc:
        raise LLMUnavailable(f"LLM answer has no message content: {str(doc)[:300]}") from exc
    usage = doc.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    # finish_reason "length": the token budget cut the answer (it will fail validation, and say so)
    return LLMReply(text, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                    int(details.get("cached_tokens", 0) or 0), seconds,
                    {"finish_reason": choice.get("finish_reason")})
