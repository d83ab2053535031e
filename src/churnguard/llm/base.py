"""The model interface: a request, a response, a capability profile and the Model protocol.

As in pydantic-ai, three things are kept apart: the *model* speaks one wire format (OpenAI
chat completions, Anthropic Messages), the *provider* holds the endpoint and its credentials,
and the *profile* lists the model's capabilities (JSON schema output, a system
role). Callers only see ``Model.request``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str

    def __repr__(self) -> str:
        return f"ChatMessage(role={self.role!r}, <{len(self.content)} characters>)"


@dataclass(frozen=True)
class ModelRequest:
    """One request: instructions, the conversation, and the JSON schema the reply must match."""

    system: str
    messages: tuple[ChatMessage, ...]
    json_schema: dict[str, Any] | None = None
    schema_name: str = "result"
    max_tokens: int = 800
    temperature: float = 0.0


@dataclass(frozen=True)
class ModelResponse:
    text: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ModelProfile:
    """Capabilities of a model, which adapters read to shape the request."""

    json_schema_output: bool = True
    json_object_output: bool = True
    system_role: bool = True


class Model(Protocol):
    """Anything that turns a ModelRequest into a ModelResponse."""

    @property
    def name(self) -> str: ...

    def request(self, request: ModelRequest) -> ModelResponse: ...
