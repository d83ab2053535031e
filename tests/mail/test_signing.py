"""DKIM signing through OpenSSL: dkimpy-compatible output, Ed25519, oversigning, folding, rotation."""

from __future__ import annotations

import base64
import email
from datetime import datetime, timedelta, timezone

import dkim as dkimpy
import pytest

from churnguard.errors import ConfigError
from churnguard.mail.dkim import (
    dns_txt_record,
    generate_ed25519_key,
    sign_message,
    verify_message,
    verify_signatures,
)
from churnguard.mail.dkim_rotation import KeyRing, load_ring, rotate, save_ring
from churnguard.mail.message import build_message, make_message_id, thread_references
from churnguard.mail.outlook import child_thread_index, new_thread_index, outlook_headers

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def ed_key():  # noqa: ANN201
    return generate_ed25519_key("agent.test", "cged")


def _records(*keys) -> dict[str, str]:  # noqa: ANN002
    return {key.record_name: dns_txt_record(key) for key in keys}


def _tags(raw: bytes, index: int = 0) -> dict[str, str]:
    headers = email.message_from_bytes(raw).get_all("DKIM-Signature")
    value = "".join(str(headers[index]).split())
    return dict(part.split("=", 1) for part in value.split(";") if part)


def _refold(raw: bytes, width: int) -> bytes:
    """Unfold every header and fold it again at other spaces, as some relays do."""
    head, _, body = raw.partition(b"\r\n\r\n")
    fields = head.replace(b"\r\n ", b" ").replace(b"\r\n\t", b"\t").split(b"\r\n")
    out = []
    for field in fields:
        words, line = field.split(b" "), b""
        for word in words:
            if line and len(line) + len(word) > width:
                out.append(line)
                line = b"  " + word
            else:
                line = line + b" " + word if line else word
        out.append(line)
    return b"\r\n".join(out) + b"\r\n\r\n" + body


def test_rsa_signature_verifies_with_dkimpy(make_message, dkim_key) -> None:  # noqa: ANN001
    signed = sign_message(build_message(make_message()), dkim_key)
    assert dkimpy.verify(signed, dnsfunc=lambda name, timeout=5: dns_txt_record(dkim_key).encode())
    assert verify_message(signed, _records(dkim_key))


def test_ed25519_is_a_second_signature(make_message, dkim_key, ed_key) -> None:  # noqa: ANN001
    signed = sign_message(build_message(make_message()), dkim_key, ed_key)
    assert verify_signatures(signed, _records(dkim_key, ed_key)) == [True, True]
    assert _tags(signed, 0)["a"] == "rsa-sha256"
    assert _tags(signed, 1)["a"] == "ed25519-sha256"
    assert dns_txt_record(ed_key).startswith("v=DKIM1; k=ed25519; p=")
    assert len(base64.b64decode(dns_txt_record(ed_key).split("p=")[1])) == 32


def test_ed25519_alone_is_rejected(make_message, ed_key) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="needs an RSA key"):
        sign_message(build_message(make_message()), ed_key)


def test_signature_tags(make_message, dkim_key) -> None:  # noqa: ANN001
    signed = sign_message(build_message(make_message()), dkim_key, timestamp=1_772_000_000)
    tags = _tags(signed)
    assert "l" not in tags
    assert tags["c"] == "relaxed/relaxed"
    assert tags["t"] == "1772000000"
    signed_names = tags["h"].split(":")
    for name in ("from", "subject", "message-id", "in-reply-to", "references", "list-unsubscribe", "list-unsubscribe-post"):
        assert signed_names.count(name) >= 1
    for name in ("from", "to", "cc", "subject", "date", "message-id", "reply-to", "in-reply-to", "references"):
        assert signed_names.count(name) == 2


@pytest.mark.parametrize("added", [b"Subject: a second subject\r\n", b"From: someone@else.test\r\n",
                                   b"References: <x@else.test>\r\n", b"Reply-To: x@else.test\r\n"])
def test_oversigned_header_added_in_transit_fails(make_message, dkim_key, ed_key, added: bytes) -> None:  # noqa: ANN001
    signed = sign_message(build_message(make_message()), dkim_key, ed_key)
    head, _, body = signed.partition(b"\r\n\r\n")
    tampered = head + b"\r\n" + added.rstrip(b"\r\n") + b"\r\n\r\n" + body
    assert verify_signatures(tampered, _records(dkim_key, ed_key)) == [False, False]


def test_unsigned_trace_header_added_in_transit_passes(make_message, dkim_key) -> None:  # noqa: ANN001
    signed = sign_message(build_message(make_message()), dkim_key)
    relayed = b"Received: from relay.test by mx.test; Mon, 2 Mar 2026 09:31:00 +0000\r\n" + signed
    assert verify_message(relayed, _records(dkim_key))


def test_long_references_survive_refolding(make_message, dkim_key) -> None:  # noqa: ANN001
    chain: list[str] = []
    for step in range(40):
        chain = thread_references(chain, make_message_id(f"step-{step}", "agent.test"), limit=12)
    raw = build_message(make_message(references=chain, in_reply_to=chain[-1]))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    signed = sign_message(raw, dkim_key)

    refolded = _refold(signed, width=40)
    assert refolded != signed
    assert verify_message(refolded, _records(dkim_key))


def test_signing_lf_input_matches_crlf(make_message, dkim_key) -> None:  # noqa: ANN001
    raw = build_message(make_message())
    signed = sign_message(raw.replace(b"\r\n", b"\n"), dkim_key)
    assert verify_message(signed.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"), _records(dkim_key))


def test_rotation_grace_period(tmp_path) -> None:  # noqa: ANN001
    ring = load_ring(tmp_path, "dana-agent", "cg-2026a", NOW)
    ring = rotate(ring, "cged-2026a", "ed25519", NOW, timedelta(days=7))
    later = NOW + timedelta(days=30)
    ring = rotate(ring, "cg-2026b", "rsa", later, timedelta(days=7))
    save_ring(tmp_path, ring)
    ring = load_ring(tmp_path, "dana-agent", "ignored", NOW)

    assert [e.selector for e in ring.signing(later)] == ["cg-2026b", "cged-2026a"]
    assert [e.selector for e in ring.published(later + timedelta(days=6))] == ["cg-2026a", "cged-2026a", "cg-2026b"]
    assert [e.selector for e in ring.published(later + timedelta(days=7))] == ["cged-2026a", "cg-2026b"]


def test_rotation_rejects_reused_selectors_and_bad_types() -> None:
    ring = rotate(KeyRing("dana-agent"), "cg-1", "rsa", NOW, timedelta(days=1))
    with pytest.raises(ConfigError, match="already used"):
        rotate(ring, "cg-1", "rsa", NOW, timedelta(days=1))
    with pytest.raises(ConfigError, match="invalid DKIM key type"):
        rotate(ring, "cg-2", "dsa", NOW, timedelta(days=1))


def test_thread_index_layout_and_child_blocks() -> None:
    root = new_thread_index(NOW, "touch-1")
    assert len(base64.b64decode(root)) == 22
    assert base64.b64decode(root)[0] == 1
    child = child_thread_index(root, NOW + timedelta(hours=5), "touch-2")
    assert base64.b64decode(child)[:22] == base64.b64decode(root)
    assert len(base64.b64decode(child)) == 27
    assert child_thread_index("not base64!", NOW, "x") is None
    assert child_thread_index(base64.b64encode(b"short").decode(), NOW, "x") is None


def test_outlook_headers_continue_the_customers_conversation() -> None:
    theirs = new_thread_index(NOW, "their-client")
    headers = outlook_headers("Re: RE: Quick question", NOW + timedelta(days=1), "touch-2",
                              parent_topic="Quick Question", parent_index=theirs)
    assert headers["Thread-Topic"] == "Quick Question"
    assert headers["Thread-Index"].startswith(theirs[:28])
    assert len(base64.b64decode(headers["Thread-Index"])) == 27
    fresh = outlook_headers("Quick question", NOW, "touch-1")
    assert len(base64.b64decode(fresh["Thread-Index"])) == 22
