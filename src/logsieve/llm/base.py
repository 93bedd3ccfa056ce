"""One interface for every LLM backend: a chat request with a JSON schema -> text + accounting.

Backends only move text: the embedded llama.cpp runtime, any OpenAI-compatible HTTP server, or
a scripted fake in tests. Validation of the answer against the schema, retries on malformed
output and the fallback to the small model live above them (:mod:`logsieve.llm.expert`), so
every backend is treated the same way when it misbehaves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


class LLMUnavailable(RuntimeError):
    """The backend could not answer (down, timed out, refused) after its own retries."""


@dataclass(frozen=True)
class ChatRequest:
    """Messages (``system`` first: its text is the cacheable shared prefix), schema, budget."""

    messages: list[dict[str, str]]
    schema: dict[str, Any]
    max_tokens: int = 96


@dataclass(frozen=True)
class LLMReply:
    """The answer's text and what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


class LLMBackend(ABC):
    """A model that answers chat requests; ``name`` says which in verdict records."""

    name: str = "llm"

    @abstractmethod
    def complete(self, request: ChatRequest) -> LLMReply:
        """Answer one request, or raise :class:`LLMUnavailable`."""

    def close(self) -> None:
        """Free the model or connections (idempotent)."""

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
