"""Model doubles for tests: a scripted model and one backed by a plain function.

Neither opens a socket, so both work while real model requests are switched off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from churnguard.llm.base import ModelRequest, ModelResponse
from churnguard.llm.errors import ModelError


class TestModel:
    """Return the scripted replies in order; an Exception in the script is raised instead."""

    __test__ = False  # not a pytest test class

    def __init__(self, replies: Iterable[str | Exception]) -> None:
        self.replies: list[str | Exception] = list(replies)
        self.requests: list[ModelRequest] = []

    @property
    def name(self) -> str:
        return "test:scripted"

    def request(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        if not self.replies:
            raise ModelError("TestModel ran out of scripted replies", retryable=False)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return ModelResponse(text=reply, model=self.name)


@dataclass
class FunctionModel:
    """Compute each reply with ``function(request)``."""

    function: Callable[[ModelRequest], str]
    requests: list[ModelRequest] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"function:{getattr(self.function, '__name__', 'anonymous')}"

    def request(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        return ModelResponse(text=self.function(request), model=self.name)
