"""Anthropic's Messages API wire format: ``POST {base_url}/v1/messages``.

The Messages API has no JSON-schema response mode here, so the schema is stated in the
system prompt and the reply is validated after it arrives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from churnguard.llm.base import ModelProfile, ModelRequest, ModelResponse
from churnguard.llm.errors import ModelError
from churnguard.llm.http import post_json
from churnguard.llm.providers import Provider

ANTHROPIC_PROFILE = ModelProfile(json_schema_output=False, json_object_output=False, system_role=True)


@dataclass(frozen=True)
class AnthropicModel:
    model_name: str
    provider: Provider
    profile: ModelProfile = field(default_factory=lambda: ANTHROPIC_PROFILE)

    @property
    def name(self) -> str:
        return f"{self.provider.name}:{self.model_name}"

    def request(self, request: ModelRequest) -> ModelResponse:
        data = post_json(self.provider, "v1/messages", self.body(request))
        return self.parse(data)

    def body(self, request: ModelRequest) -> dict[str, Any]:
        system = request.system
        if request.json_schema is not None:
            schema = json.dumps(request.json_schema, separators=(",", ":"))
            system += f"\n\nReply with one JSON object only, matching this JSON schema:\n{schema}"
        return {
            "model": self.model_name,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "system": system,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }

    def parse(self, data: dict[str, Any]) -> ModelResponse:
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise ModelError(f"{self.name} returned a reply without a content list", retryable=False)
        text = "".join(block.get("text", "") for block in blocks if isinstance(block, dict) and block.get("type") == "text")
        if not text:
            raise ModelError(f"{self.name} returned no text block (stop_reason {data.get('stop_reason')!r})",
                             retryable=False)

        usage = data.get("usage") or {}
        return ModelResponse(
            text=text,
            model=str(data.get("model") or self.model_name),
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            raw=data,
        )
