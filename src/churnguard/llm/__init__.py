"""Language models behind one small interface, built from the workspace's ``llm.*`` settings.

``model_from_settings`` returns None when ``llm.provider`` is ``none`` (the default), so the
product runs offline unless someone configures an endpoint.
"""

from __future__ import annotations

from churnguard.llm.anthropic import AnthropicModel
from churnguard.llm.base import ChatMessage, Model, ModelProfile, ModelRequest, ModelResponse
from churnguard.llm.errors import ModelConfigError, ModelError, ModelRequestsBlocked, ModelResponseInvalid, UnsupportedCapability
from churnguard.llm.openai import OpenAIChatModel
from churnguard.llm.providers import AnthropicProvider, AzureOpenAIProvider, Provider, api_key_from_env
from churnguard.llm.switch import allow_model_requests, model_requests_allowed
from churnguard.llm.testing import FunctionModel, TestModel

PROVIDERS = ("none", "openai", "azure", "ollama", "anthropic")

__all__ = [
    "AnthropicModel", "AnthropicProvider", "AzureOpenAIProvider", "ChatMessage", "FunctionModel", "Model",
    "ModelConfigError", "ModelError", "ModelProfile", "ModelRequest", "ModelRequestsBlocked", "ModelResponse",
    "ModelResponseInvalid", "OpenAIChatModel", "PROVIDERS", "Provider", "TestModel", "UnsupportedCapability",
    "allow_model_requests", "model_from_settings", "model_requests_allowed",
]


def model_from_settings(settings) -> Model | None:  # type: ignore[no-untyped-def]
    """Build the configured model, or return None when ``llm.provider`` is ``none``."""
    kind = str(settings["llm.provider"]).strip().lower()
    if kind not in PROVIDERS:
        raise ModelConfigError(f"llm.provider {kind!r} is unknown; use one of {', '.join(PROVIDERS)}")
    if kind == "none":
        return None

    model_name = str(settings["llm.model"]).strip()
    base_url = str(settings["llm.base_url"]).strip()
    if not model_name or not base_url:
        raise ModelConfigError(f"llm.provider is {kind!r} but llm.model or llm.base_url is empty; set both")

    # NOTE: keys come from the environment only; reading them from the vault is not built yet.
    key = api_key_from_env(str(settings["llm.api_key_env"]), required=kind in ("openai", "azure", "anthropic"))
    common = dict(api_key=key, timeout_seconds=float(settings["llm.timeout_seconds"]),
                  max_retries=int(settings["llm.max_retries"]))

    if kind == "anthropic":
        return AnthropicModel(model_name, AnthropicProvider("anthropic", base_url, **common))
    if kind == "azure":
        version = str(settings["llm.api_version"]).strip()
        if not version:
            raise ModelConfigError("llm.provider is 'azure' but llm.api_version is empty; set the Azure api-version")
        provider = AzureOpenAIProvider("azure", base_url, query=(("api-version", version),), **common)
        return OpenAIChatModel(model_name, provider)
    profile = ModelProfile(json_schema_output=kind == "openai")
    return OpenAIChatModel(model_name, Provider(kind, base_url, **common), profile)
