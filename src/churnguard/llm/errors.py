"""Errors of the LLM layer, placed in churnguard's exception tree.

    ConfigError
    └── ModelConfigError          a provider setting is missing or invalid
        └── ModelRequestsBlocked  the switch forbids requests to hosts off this machine
    RemoteError
    └── ModelError                the model endpoint failed; ``retryable`` tells whether to retry
        ├── ModelResponseInvalid  the reply did not match the requested schema
        └── UnsupportedCapability an adapter was asked for something it cannot do
"""

from __future__ import annotations

from churnguard.errors import ConfigError, RemoteError


class ModelConfigError(ConfigError):
    """A model or provider setting is missing or invalid."""


class ModelRequestsBlocked(ModelConfigError):
    """A request to a model off this machine was made while model requests are blocked."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"model request to {url} blocked: real model requests are switched off "
            "(CHURNGUARD_ALLOW_MODEL_REQUESTS=0 or allow_model_requests(False)); "
            "use TestModel or a server on 127.0.0.1 in tests"
        )
        self.url = url


class ModelError(RemoteError):
    """The model endpoint failed or returned something unusable."""


class ModelResponseInvalid(ModelError):
    """The model's reply did not match the requested JSON schema."""

    def __init__(self, model: str, problem: str) -> None:
        super().__init__(f"model {model} returned an invalid reply: {problem}", retryable=False)
        self.problem = problem


class UnsupportedCapability(ModelError):
    """An adapter was asked for a capability it does not have."""

    def __init__(self, adapter: str, capability: str) -> None:
        super().__init__(f"the {adapter} adapter does not support {capability}; see docs/llm.md", retryable=False)
        self.adapter = adapter
        self.capability = capability
