"""The exceptions churnguard raises.

    ChurnguardError
    ├── ConfigError            a setting, workspace or mapping is wrong; fix it and rerun
    │   ├── WorkspaceError
    │   └── MappingError
    ├── InputError             one input record is bad; it is rejected and nothing else is lost
    │   ├── ImportRowError
    │   └── MessageParseError
    ├── StateError             the stored state forbids the action (revoked identity, ...)
    └── RemoteError            a server failed; may succeed on retry when ``retryable``
        └── TransportError
            └── UnsupportedFeature   a transport was asked for something it cannot do

Messages name the value, file, line or setting involved and what to do next. They never
contain customer data (addresses, names, message text).
"""

from __future__ import annotations


class ChurnguardError(Exception):
    """Base class of every error churnguard raises on purpose."""


class ConfigError(ChurnguardError):
    """A setting, workspace or mapping file is wrong."""


class WorkspaceError(ConfigError):
    """The workspace folder is missing or incomplete."""


class MappingError(ConfigError):
    """A column-mapping file is invalid."""


class InputError(ChurnguardError):
    """One input record is invalid."""


class ImportRowError(InputError):
    """A row of an import file failed validation."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MessageParseError(InputError):
    """An email message could not be parsed."""


class StateError(ChurnguardError):
    """The stored state forbids the requested action."""


class RemoteError(ChurnguardError):
    """A remote server failed."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class TransportError(RemoteError):
    """A mail transport failed to hand a message over."""


class UnsupportedFeature(TransportError):
    """A transport was asked for a feature it does not have."""

    def __init__(self, transport: str, feature: str) -> None:
        super().__init__(
            f"the {transport} transport does not support {feature}; "
            f"choose a transport that lists {feature} in docs/mail.md",
            retryable=False,
        )
        self.transport = transport
        self.feature = feature
