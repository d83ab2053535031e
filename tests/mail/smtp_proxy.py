"""A loopback SMTP proxy for fault tests: it relays a client to a real server line by line.

The proxy calls ``on_phase`` at each point of a mail transaction and drops both connections
when the hook returns True:

- ``mail``: the client sent MAIL FROM; nothing has been handed to the server yet.
- ``data_end``: the client sent the whole message and the final dot. The server has not
  seen the dot, so closing now makes it discard the message.
- ``accepted``: the server replied 250 to the message; the client has not seen that reply.
- ``relayed``: the client has just been given the server's 250.

``rewrite`` may change the message content (unstuffed, without the final dot) before it is
forwarded, as a relay hop that re-encodes bodies does. Only plain DATA is spoken; the
client must not use PIPELINING or CHUNKING (smtplib uses neither).
"""

from __future__ import annotations

import quopri
import re
import socket
import threading
from collections.abc import Callable

Phase = Callable[[str], bool]


class SmtpProxy:
    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        on_phase: Phase | None = None,
        rewrite: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.upstream = upstream
        self.on_phase = on_phase
        self.rewrite = rewrite
        self.phases: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> "SmtpProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._listener.close()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _hit(self, phase: str) -> bool:
        self.phases.append(phase)
        return bool(self.on_phase and self.on_phase(phase))

    def _session(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream, timeout=30)
        from_client, from_server = client.makefile("rb"), upstream.makefile("rb")
        try:
            client.sendall(_reply(from_server))  # the greeting
            while line := from_client.readline():
                verb = line[:4].upper()
                if verb == b"MAIL" and self._hit("mail"):
                    return
                upstream.sendall(line)
                reply = _reply(from_server)
                client.sendall(reply)
                if verb == b"DATA" and reply.startswith(b"354"):
                    if not self._relay_content(client, upstream, from_client, from_server):
                        return
                if verb == b"QUIT":
                    return
        except OSError:
            return
        finally:
            for stream in (from_client, from_server, client, upstream):
                stream.close()

    def _relay_content(self, client: socket.socket, upstream: socket.socket, from_client, from_server) -> bool:  # noqa: ANN001
        content = _read_content(from_client)
        if self._hit("data_end"):
            return False
        if self.rewrite is not None:
            content = self.rewrite(content)
        upstream.sendall(_stuff(content) + b".\r\n")
        reply = _reply(from_server)
        if reply.startswith(b"250") and self._hit("accepted"):
            return False
        client.sendall(reply)
        return not (reply.startswith(b"250") and self._hit("relayed"))


def _reply(stream) -> bytes:  # noqa: ANN001
    """Read one SMTP reply, all its continuation lines included."""
    lines = b""
    while True:
        line = stream.readline()
        if not line:
            raise OSError("server closed the connection")
        lines += line
        if line[3:4] != b"-":
            return lines


def _read_content(stream) -> bytes:  # noqa: ANN001
    lines = []
    while (line := stream.readline()) not in (b".\r\n", b""):
        lines.append(line[1:] if line.startswith(b"..") else line)
    return b"".join(lines)


def _stuff(content: bytes) -> bytes:
    if content and not content.endswith(b"\r\n"):
        content += b"\r\n"
    return b"".join(b"." + line if line.startswith(b".") else line for line in content.splitlines(keepends=True))


def downgrade_8bit(entity: bytes) -> bytes:
    """Re-encode every 8-bit leaf part as quoted-printable, as a relay without 8BITMIME does.

    Parts that are already 7-bit are left byte for byte, and so are the headers, apart from
    the Content-Transfer-Encoding field of a part that is re-encoded.
    """
    if max(entity, default=0) < 0x80:
        return entity
    head, _, body = entity.partition(b"\r\n\r\n")
    unfolded = re.sub(rb"\r\n[ \t]+", b" ", head)
    boundary = re.search(rb'(?im)^content-type:\s*multipart/[^\r\n]*boundary="?([^";\r\n]+)', unfolded)
    if boundary:
        return head + b"\r\n\r\n" + _downgrade_parts(body, boundary.group(1))

    encoded = quopri.encodestring(body.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    field = b"Content-Transfer-Encoding: quoted-printable"
    if re.search(rb"(?im)^content-transfer-encoding:", head):
        head = re.sub(rb"(?im)^content-transfer-encoding:[^\r\n]*", field, head)
    else:
        head += b"\r\n" + field
    return head + b"\r\n\r\n" + encoded


def _downgrade_parts(body: bytes, boundary: bytes) -> bytes:
    delimiters = (b"--" + boundary, b"--" + boundary + b"--")
    out: list[bytes] = []
    part: list[bytes] | None = None  # None while in the preamble
    for line in body.splitlines(keepends=True):
        if line.rstrip(b"\r\n") in delimiters:
            if part is not None:
                out.append(downgrade_8bit(b"".join(part)))
            out.append(line)
            part = []
        elif part is None:
            out.append(line)
        else:
            part.append(line)
    out.append(b"".join(part or []))  # the epilogue
    return b"".join(out)
