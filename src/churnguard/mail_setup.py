"""Build each identity's transport and mailbox from the workspace settings."""

from __future__ import annotations

import os

from churnguard.errors import ConfigError
from churnguard.mail.hosted import HostedApiClient, HostedApiMailbox, HostedApiTransport
from churnguard.mail.mailbox import ImapMailbox, Mailbox, MaildirMailbox
from churnguard.mail.maildir import MaildirTransport, maildir_path
from churnguard.mail.smtp import SmtpTransport
from churnguard.mail.transport import Transport
from churnguard.store.models import Identity
from churnguard.workspace import Workspace


def _secret(workspace: Workspace, setting: str) -> str | None:
    variable = workspace.settings[setting]
    return os.environ.get(variable) if variable else None


def _hosted(workspace: Workspace, setting: str) -> tuple[HostedApiClient, str]:
    """Return a client for the hosted agent-mail API and the inbox id, or raise ConfigError."""
    url, inbox_id = workspace.settings["mail.hosted_api_url"], workspace.settings["mail.hosted_inbox_id"]
    key = _secret(workspace, "mail.hosted_api_key_env")
    if not url or not inbox_id:
        raise ConfigError(
            f"{setting} is hosted_api but mail.hosted_api_url or mail.hosted_inbox_id is empty; "
            "set both from the provider's console"
        )
    if not key:
        raise ConfigError(
            f"{setting} is hosted_api but ${workspace.settings['mail.hosted_api_key_env']} is not set; "
            "export the API key in that variable"
        )
    return HostedApiClient(url, key), inbox_id


def make_mailbox(workspace: Workspace, identity: Identity) -> Mailbox:
    kind = workspace.settings["mail.mailbox"]
    if kind == "hosted_api":
        # NOTE: one hosted inbox serves every identity of the workspace, like the SMTP login.
        client, inbox_id = _hosted(workspace, "mail.mailbox")
        return HostedApiMailbox(client, inbox_id)
    if kind == "maildir":
        path = maildir_path(workspace.mail_root, identity.address)
        path.parent.mkdir(parents=True, exist_ok=True)
        return MaildirMailbox(path)
    if kind == "imap":
        password = _secret(workspace, "mail.imap_password_env")
        if password is None:
            raise ConfigError(
                f"mail.mailbox is imap but ${workspace.settings['mail.imap_password_env']} is not set; "
                "export the IMAP password in that variable"
            )
        return ImapMailbox(
            workspace.settings["mail.imap_host"],
            int(workspace.settings["mail.imap_port"]),
            workspace.settings["mail.imap_username"] or identity.address,
            password,
            ssl=bool(workspace.settings["mail.imap_ssl"]),
        )
    raise ConfigError(f"invalid mail.mailbox setting {kind!r}; use 'maildir', 'imap' or 'hosted_api'")


def make_transport(workspace: Workspace, identity: Identity) -> Transport:
    kind = workspace.settings["mail.transport"]
    if kind == "maildir":
        return MaildirTransport(workspace.mail_root, sent_folder_owner=identity.address)
    if kind == "hosted_api":
        client, inbox_id = _hosted(workspace, "mail.transport")
        return HostedApiTransport(client, inbox_id)
    if kind == "smtp":
        # NOTE: one set of SMTP credentials serves every identity of the workspace.
        sent_mailbox = make_mailbox(workspace, identity) if workspace.settings["mail.mailbox"] == "imap" else None
        return SmtpTransport(
            workspace.settings["mail.smtp_host"],
            int(workspace.settings["mail.smtp_port"]),
            username=workspace.settings["mail.smtp_username"] or None,
            password=_secret(workspace, "mail.smtp_password_env"),
            security=workspace.settings["mail.smtp_security"],
            sent_mailbox=sent_mailbox,
            append_sent_copy=sent_mailbox is not None,
            self_copy=identity.address if sent_mailbox is not None else None,
            copy_wait=float(workspace.settings["mail.smtp_copy_wait_seconds"]),
        )
    raise ConfigError(f"invalid mail.transport setting {kind!r}; use 'maildir', 'smtp' or 'hosted_api'")
