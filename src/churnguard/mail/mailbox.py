"""Reading mailboxes incrementally: IMAP and local Maildir.

Both adapters number messages with increasing UIDs and tag the numbering with a
UIDVALIDITY value. A caller keeps the returned ``MailboxCursor`` and passes it back, so
each message is returned once. When the UIDVALIDITY differs from the cursor's, old UIDs
mean nothing any more: the read starts over from UID 0 and a warning is logged.
"""

from __future__ import annotations

import fcntl
import json
import logging
import mailbox as stdlib_mailbox
import os
import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Protocol

from churnguard.errors import ConfigError, RemoteError

log = logging.getLogger(__name__)

INBOX = "INBOX"


@dataclass(frozen=True)
class RawInbound:
    """One message as read from a mailbox, bytes untouched."""

    folder: str
    uid: int
    raw: bytes


@dataclass(frozen=True)
class MailboxCursor:
    """How far a folder has been read: the UIDVALIDITY seen and the last UID returned."""

    uidvalidity: int | None
    last_uid: int
    token: str | None = None
    """An opaque resume token, for mailboxes such as the hosted API that page with one."""

    def to_json(self) -> str:
        return json.dumps({"uidvalidity": self.uidvalidity, "last_uid": self.last_uid, "token": self.token})

    @classmethod
    def from_json(cls, text: str) -> "MailboxCursor":
        try:
            data = json.loads(text)
            return cls(uidvalidity=data["uidvalidity"], last_uid=int(data["last_uid"]), token=data.get("token"))
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"invalid mailbox cursor {text[:80]!r}: expected JSON with uidvalidity and last_uid") from None


class Mailbox(Protocol):
    """A folder tree read by UID."""

    name: str

    def fetch_new(self, folder: str, cursor: MailboxCursor | None) -> tuple[list[RawInbound], MailboxCursor]:
        """Return the messages after ``cursor`` in UID order, and the cursor to store next."""
        ...

    def find_message_id(self, folder: str, message_id: str) -> bool:
        """Return True when ``folder`` contains a message with this Message-ID header."""
        ...


def start_uid(folder: str, cursor: MailboxCursor | None, uidvalidity: int) -> int:
    """Return the last UID already read, or 0 when the cursor is missing or stale."""
    if cursor is None:
        return 0
    if cursor.uidvalidity is not None and cursor.uidvalidity != uidvalidity:
        log.warning(
            "UIDVALIDITY of folder %s changed from %s to %s; reading it again from the start",
            folder, cursor.uidvalidity, uidvalidity,
        )
        return 0
    return cursor.last_uid


def header_message_id(raw_headers: bytes) -> str:
    """Return the Message-ID header of a message's header block, stripped, or ""."""
    value = BytesHeaderParser().parsebytes(raw_headers).get("Message-ID", "")
    return "".join(str(value).split())


class MaildirMailbox:
    """A local Maildir++ tree: ``INBOX`` is the root, other folders are ``.Name`` below it.

    Maildir has no UIDs, so a small JSON map in each folder gives every file name a UID
    in the order first seen (oldest delivery name first). Deleting the map starts a new
    UIDVALIDITY, which a cursor notices.
    """

    name = "maildir"
    UID_MAP = "churnguard-uids.json"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def folder_path(self, folder: str) -> Path:
        if folder.upper() == INBOX:
            return self.path
        if "/" in folder or folder.startswith(".") or not folder:
            raise ConfigError(f"invalid Maildir folder name {folder!r}: use a name like Sent")
        return self.path / f".{folder}"

    def open_folder(self, folder: str, *, create: bool = False) -> stdlib_mailbox.Maildir:
        path = self.folder_path(folder)
        if not create and not (path / "cur").is_dir():
            raise ConfigError(f"no Maildir folder {folder} at {path}")
        if create:
            ensure_maildir(path)
        return stdlib_mailbox.Maildir(path, factory=None, create=create)

    def fetch_new(self, folder: str, cursor: MailboxCursor | None) -> tuple[list[RawInbound], MailboxCursor]:
        box = self.open_folder(folder, create=True)
        uidvalidity, uids = self._assign_uids(folder, box)
        after = start_uid(folder, cursor, uidvalidity)

        found: list[RawInbound] = []
        for key, uid in sorted(uids.items(), key=lambda item: item[1]):
            if uid > after:
                raw = self._read(box, key)
                if raw is not None:
                    found.append(RawInbound(folder=folder, uid=uid, raw=raw))
        last = max([after, *(m.uid for m in found)])
        return found, MailboxCursor(uidvalidity=uidvalidity, last_uid=last)

    def find_message_id(self, folder: str, message_id: str) -> bool:
        path = self.folder_path(folder)
        if not (path / "cur").is_dir():
            return False
        wanted = "".join(message_id.split())
        for sub in ("new", "cur"):
            for entry in (path / sub).iterdir():
                if entry.is_file() and header_message_id(_read_headers(entry)) == wanted:
                    return True
        return False

    def _read(self, box: stdlib_mailbox.Maildir, key: str) -> bytes | None:
        try:
            return box.get_bytes(key)
        except KeyError:
            return None  # removed since the listing; it has no content to return any more

    def _assign_uids(self, folder: str, box: stdlib_mailbox.Maildir) -> tuple[int, dict[str, int]]:
        map_path = self.folder_path(folder) / self.UID_MAP
        with open(map_path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = _load_uid_map(map_path)
            known: dict[str, int] = state["uids"]
            present = set(box.keys())
            for key in sorted(present - known.keys()):  # delivery names start with a timestamp
                state["next_uid"] += 1
                known[key] = state["next_uid"]
            state["uids"] = {key: uid for key, uid in known.items() if key in present}
            _save_uid_map(map_path, state)
        return state["uidvalidity"], state["uids"]


def ensure_maildir(path: Path) -> None:
    """Create a Maildir with its parents and its cur/new/tmp folders.

    The stdlib creates those folders only when the Maildir folder itself is new, which
    fails once a subfolder such as ``.Sent`` was created first.
    """
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)


def _load_uid_map(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
        if isinstance(state.get("uids"), dict) and isinstance(state.get("uidvalidity"), int):
            return state
        log.warning("UID map %s has an unexpected shape; starting a new UIDVALIDITY", path)
    except FileNotFoundError:
        pass
    except ValueError:
        log.warning("UID map %s is not valid JSON; starting a new UIDVALIDITY", path)
    return {"uidvalidity": time.time_ns() // 1000 % 2**31 or 1, "next_uid": 0, "uids": {}}


def _save_uid_map(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True))
    os.replace(tmp, path)


def _read_headers(path: Path) -> bytes:
    with open(path, "rb") as handle:
        head = bytearray()
        for line in handle:
            if line in (b"\r\n", b"\n"):
                break
            head += line
        return bytes(head)


class ImapMailbox:
    """An IMAP account read by UID through imapclient; folders are opened read-only."""

    name = "imap"

    def __init__(self, host: str, port: int, username: str, password: str, *, ssl: bool = False, timeout: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.ssl = ssl
        self.timeout = timeout
        self._client: Any = None

    def __repr__(self) -> str:
        return f"ImapMailbox(host={self.host!r}, port={self.port}, username={self.username!r}, password='***')"

    def __enter__(self) -> "ImapMailbox":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except Exception:  # the connection may already be gone; nothing to release then
                log.debug("IMAP logout from %s:%s failed", self.host, self.port)

    def fetch_new(self, folder: str, cursor: MailboxCursor | None) -> tuple[list[RawInbound], MailboxCursor]:
        def read(client: Any) -> tuple[list[RawInbound], MailboxCursor]:
            status = client.select_folder(folder, readonly=True)
            uidvalidity = int(status[b"UIDVALIDITY"])
            after = start_uid(folder, cursor, uidvalidity)

            # "n:*" always matches the newest message even when its UID is below n.
            uids = sorted(uid for uid in client.search(["UID", f"{after + 1}:*"]) if uid > after)
            found = []
            if uids:
                for uid, data in sorted(client.fetch(uids, ["BODY.PEEK[]"]).items()):
                    found.append(RawInbound(folder=folder, uid=uid, raw=bytes(data[b"BODY[]"])))
            last = max([after, *(m.uid for m in found)])
            return found, MailboxCursor(uidvalidity=uidvalidity, last_uid=last)

        return self._call(read, f"read folder {folder}")

    def find_message_id(self, folder: str, message_id: str) -> bool:
        wanted = "".join(message_id.split())

        def search(client: Any) -> bool:
            if not client.folder_exists(folder):
                return False
            client.select_folder(folder, readonly=True)
            uids = client.search(["HEADER", "Message-ID", wanted])
            if not uids:
                return False
            # The server matches substrings; compare the whole header to be exact.
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            return any(header_message_id(_header_bytes(data)) == wanted for data in fetched.values())

        return self._call(search, f"search folder {folder}")

    def wait_for_changes(self, folder: str, timeout: float, *, poll_interval: float = 30.0) -> bool:
        """Block until ``folder`` may have new mail or ``timeout`` seconds pass; True when woken early.

        With IDLE (RFC 2177) the server wakes us on EXISTS. Without it the folder's UIDNEXT is
        polled every ``poll_interval`` seconds. Either way the caller then reads with
        ``fetch_new``, which is what decides what is new.
        """

        def wait(client: Any) -> bool:
            client.select_folder(folder, readonly=True)
            if b"IDLE" in client.capabilities():
                return _idle(client, timeout)
            return _poll(client, folder, timeout, poll_interval)

        return bool(self._call(wait, f"wait on folder {folder}"))

    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        """Store ``raw`` in ``folder`` (created when missing), as a client saves a sent copy."""

        def store(client: Any) -> None:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=[b"\\Seen"] if seen else [])

        self._call(store, f"append to folder {folder}")

    def _connect(self) -> Any:
        import imapclient

        client = imapclient.IMAPClient(self.host, port=self.port, ssl=self.ssl, timeout=self.timeout)
        try:
            client.login(self.username, self._password)
        except imapclient.exceptions.LoginError:
            client.shutdown()
            raise ConfigError(
                f"IMAP login to {self.host}:{self.port} was rejected; check the mailbox username and password"
            ) from None
        return client

    def _call(self, operation: Any, what: str) -> Any:
        # One retry on a fresh connection: a server may drop an idle one at any time.
        for attempt in (1, 2):
            try:
                if self._client is None:
                    self._client = self._connect()
                return operation(self._client)
            except ConfigError:
                raise
            except Exception as exc:
                self._drop()
                if attempt == 2 or not _is_connection_error(exc):
                    raise RemoteError(
                        f"IMAP {what} on {self.host}:{self.port} failed: {type(exc).__name__}",
                        retryable=_is_connection_error(exc),
                    ) from exc
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except Exception:  # already closed by the peer
                pass


def _idle(client: Any, timeout: float) -> bool:
    # Servers may drop an IDLE after 30 minutes (RFC 2177), so waits are cut into 25-minute turns.
    deadline = time.monotonic() + timeout
    client.idle()
    try:
        while (left := deadline - time.monotonic()) > 0:
            responses = client.idle_check(timeout=min(left, 1500))
            if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                return True
        return False
    finally:
        client.idle_done()


def _poll(client: Any, folder: str, timeout: float, interval: float) -> bool:
    # Selecting again, not STATUS: RFC 3501 warns that STATUS on the selected folder may be stale.
    start = client.select_folder(folder, readonly=True).get(b"UIDNEXT")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
        if client.select_folder(folder, readonly=True).get(b"UIDNEXT") != start:
            return True
    return False


def _is_connection_error(exc: Exception) -> bool:
    import imapclient

    return isinstance(exc, (OSError, imapclient.exceptions.IMAPClientAbortError))


def _header_bytes(data: dict[bytes, Any]) -> bytes:
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER"):
            return bytes(value)
    return b""
