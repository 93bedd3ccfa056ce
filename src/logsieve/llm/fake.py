"""A scripted backend for tests only: answers from a list, can fail on cue, records requests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Union

from logsieve.llm.base import ChatRequest, LLMBackend, LLMReply, LLMUnavailable

Step = Union[str, Exception, Callable[[ChatRequest], str]]


class ScriptedBackend(LLMBackend):
    """Replies with each step in turn (the last one repeats): a string is the answer text, an
    exception is raised (``LLMUnavailable`` for "down"), a callable computes the text."""

    name = "fake"

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = list(steps)
        if not self.steps:
            raise ValueError("a scripted backend needs at least one step")
        self.requests: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> LLMReply:
        step = self.steps[min(len(self.requests), len(self.steps) - 1)]
        self.requests.append(request)
        if isinstance(step, Exception):
            raise step
        text = step(request) if callable(step) else step
        words = sum(len(m["content"].split()) for m in request.messages)
        return LLMReply(text, prompt_tokens=words, completion_tokens=len(text.split()), seconds=0.0)


def down() -> LLMUnavailable:
    """The step for a backend that is not there."""
    return LLMUnavailable("fake backend is down")
