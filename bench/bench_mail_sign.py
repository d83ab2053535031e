"""Measure DKIM signing speed: churnguard's OpenSSL path against dkimpy's own RSA.

Run: python bench/bench_mail_sign.py. The goal (at least 1,000 signed messages per second on
one core) is checked here, not in the tests, because timings depend on the machine.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import dkim as dkimpy

from churnguard.mail.dkim import generate_ed25519_key, generate_rsa_key, sign_message
from churnguard.mail.message import OutboundMessage, build_message, make_message_id


def _rate(work, seconds: float = 2.0) -> float:  # noqa: ANN001
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    rsa_key = generate_rsa_key("agent.example.com", "bench")
    ed_key = generate_ed25519_key("agent.example.com", "benched")
    message = OutboundMessage(
        from_addr="agent@agent.example.com", from_name="Åsa Agent", to_addr="pat@customer.example.org",
        to_name="Pat Lee", subject="Quick question about the dashboards", text_body="Hi Pat,\n" * 40,
        message_id=make_message_id("bench", "agent.example.com"), date=datetime.now(timezone.utc),
    )
    raw = build_message(message)
    rows = {
        "build only": _rate(lambda: build_message(message)),
        "build + sign (RSA-2048, OpenSSL)": _rate(lambda: sign_message(build_message(message), rsa_key)),
        "build + sign (RSA + Ed25519)": _rate(lambda: sign_message(build_message(message), rsa_key, ed_key)),
        "dkimpy sign (RSA-2048)": _rate(lambda: dkimpy.sign(raw, b"bench", b"agent.example.com", rsa_key.private_pem,
                                                            canonicalize=(b"relaxed", b"relaxed"))),
    }
    for name, rate in rows.items():
        print(f"{name:36s} {rate:8.0f} messages/s")


if __name__ == "__main__":
    main()
