"""The OpenAI-compatible chat-completions wire format.

Works with any server that implements ``POST {base_url}/chat/completions``: OpenAI, Azure
OpenAI (through AzureOpenAIProvider and a deployment URL), Ollama, vLLM and llama.cpp servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from churnguard.llm.base import ModelProfile, ModelRequest, ModelResponse
from churnguard.llm.errors import ModelError
from churnguard.llm.http import post_json
from churnguard.llm.providers import Provider


@dataclass(frozen=True)
class OpenAIChatModel:
    model_name: str
    provider: Provider
    profile: ModelProfile = field(default_factory=ModelProfile)

    @property
    def name(self) -> str:
        return f"{self.provider.name}:{self.model_name}"

    def request(self, request: ModelRequest) -> ModelResponse:
        data = post_json(self.provider, "chat/completions", self.body(request))
        return self.parse(data)

    def body(self, request: ModelRequest) -> dict[str, Any]:
        """Build the request body; the schema goes in ``response_format`` when the profile allows."""
        messages: list[dict[str, str]] = []
        if request.system:
            role = "system" if self.profile.system_role else "user"
            messages.append({"role": role, "content": request.system})
        messages += [{"role": m.role, "content": m.content} for m in request.messages]

        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.json_schema is not None and self.profile.json_schema_output:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.json_schema, "strict": True},
            }
        elif request.json_schema is not None and self.profile.json_object_output:
            body["response_format"] = {"type": "json_object"}
        return body

    def parse(self, data: dict[str, Any]) -> ModelResponse:
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ModelError(f"{self.name} returned a reply without choices[0].message.content", retryable=False) from None
        if not isinstance(text, str):
            raise ModelError(f"{self.name} returned message content that is not text (refusal or tool call)",
                             retryable=False)

        usage = data.get("usage") or {}
        return ModelResponse(
            text=text,
            model=str(data.get("model") or self.model_name),
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            raw=data,
        )
