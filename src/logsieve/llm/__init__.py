"""The LLM expert: backends (embedded llama.cpp, OpenAI-compatible HTTP, a scripted fake for
tests), versioned prompts, sequence compression and the validated verdict."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, TypeAdapter

from logsieve.llm.base import ChatRequest, LLMBackend, LLMReply, LLMUnavailable
from logsieve.llm.embedded import EmbeddedConfig
from logsieve.llm.expert import Expert, ExpertAnswer, ExpertConfig
from logsieve.llm.http import HttpConfig
from logsieve.llm.verdict import VERDICT_SCHEMA, Verdict, VerdictError, parse_verdict

BackendConfig = Annotated[Union[EmbeddedConfig, HttpConfig], Field(discriminator="kind")]


def backend_config(llm: str, model: str | None = None) -> dict | None:
    """The backend config a command line names: ``embedded`` (``model`` a packaged name or a
    GGUF path), ``none`` (no LLM: None), or an OpenAI-compatible ``http(s)://`` base URL
    (``model`` the server's model name)."""
    if llm == "none":
        return None
    if llm == "embedded":
        if model and (model.endswith(".gguf") or "/" in model):
            return {"kind": "embedded", "model_path": model}
        return {"kind": "embedded", **({"model": model} if model else {})}
    if llm.startswith(("http://", "https://")):
        return {"kind": "openai", "base_url": llm, **({"model": model} if model else {})}
    raise ValueError(f"the LLM must be embedded, none or an http(s) URL, got {llm!r}")


def make_backend(config: EmbeddedConfig | HttpConfig | dict | None = None) -> LLMBackend:
    """The backend a config names (``kind: embedded`` by default, or ``kind: openai``)."""
    cfg = TypeAdapter(BackendConfig).validate_python(config or {"kind": "embedded"})
    if isinstance(cfg, HttpConfig):
        from logsieve.llm.http import HttpBackend

        return HttpBackend(cfg)
    from logsieve.llm.embedded import EmbeddedBackend

    return EmbeddedBackend(cfg)


__all__ = ["VERDICT_SCHEMA", "BackendConfig", "backend_config", "ChatRequest", "EmbeddedConfig", "Expert", "ExpertAnswer",
           "ExpertConfig", "HttpConfig", "LLMBackend", "LLMReply", "LLMUnavailable", "Verdict", "VerdictError",
           "make_backend", "parse_verdict"]
