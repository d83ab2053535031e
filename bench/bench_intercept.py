"""Intercept latency: cancel-form webhook received -> save offer accepted by the SMTP server.

Starts ``churnguard serve`` on 127.0.0.1 over a fresh workspace whose mail goes by SMTP to a
local aiosmtpd sink, then posts signed cancel-form submissions at a steady rate for a fixed
time (bounded in count and time, loopback only) and reports p50/p99 of the time from sending a
request to the sink accepting that account's message.

    python -m bench.bench_intercept --rate 50 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from bench.bench_send import free_port
from churnguard.web.signature import sign

SECRET = "bench-cancel-form-secret"


class TimingSink:
    """An SMTP handler that records when the message for each recipient was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        now = time.monotonic()
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.accepted.setdefault(recipient.lower(), now)
        return "250 OK"


def _seed(root: Path, accounts: int, smtp_port: int) -> None:
    from churnguard.identity import NewIdentity
    from churnguard.setup_workspace import init_workspace
    from churnguard.store.models import Account, Contact
    from churnguard.workspace import Workspace

    agent = NewIdentity("bench-agent", "bench-csm", "Bo Bench", "csm@csm.example.com", "agent@agent.example.com",
                        "bench-lead", "Lee Bench", "lead@csm.example.com")
    settings = {"mail.transport": "smtp", "mail.smtp_host": "127.0.0.1", "mail.smtp_port": smtp_port,
                "mail.smtp_security": "none", "pacing.mailbox_max_per_day": 1000000, "pacing.account_max_per_week": 100}
    init_workspace(root, agent, overrides=settings)
    workspace = Workspace.open(root)
    with workspace.db.transaction() as session:
        for number in range(accounts):
            account_id = f"acct-{number:05d}"
            session.add(Account(id=account_id, name=f"Bench Account {number}", plan="Team", mrr_cents=9900,
                                owner_identity_id=agent.id))
            session.flush()
            session.add(Contact(account_id=account_id, email=f"c{number:05d}@customer.example.org", name="Robin Doe",
                                is_main=True))
    workspace.close()


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"churnguard serve did not listen on 127.0.0.1:{port}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(rate: float, seconds: float) -> dict[str, Any]:
    requests_total = int(rate * seconds)
    sink = TimingSink()
    smtp_port, web_port = free_port(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    folder = Path(tempfile.mkdtemp(prefix="churnguard-intercept-"))
    root = folder / "ws"
    _seed(root, requests_total, smtp_port)

    env = dict(os.environ, CHURNGUARD_CANCEL_FORM_SECRET=SECRET)
    server_log = open(folder / "serve.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "churnguard", "serve", "--workspace", str(root), "--port", str(web_port)],
                              stdout=subprocess.DEVNULL, stderr=server_log, env=env)
    sent_at: dict[str, float] = {}
    statuses: dict[int, int] = {}
    try:
        _wait_for_port(web_port, 30)
        with httpx.Client(base_url=f"http://127.0.0.1:{web_port}", timeout=10) as client:
            started = time.monotonic()
            for number in range(requests_total):
                target = started + number / rate
                pause = target - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                body = json.dumps({"id": f"form-{number}", "account_id": f"acct-{number:05d}",
                                   "contact_email": f"c{number:05d}@customer.example.org",
                                   "reason_text": "too expensive for us right now"}).encode()
                header = sign(SECRET, int(time.time()), body)
                sent_at[f"c{number:05d}@customer.example.org"] = time.monotonic()
                response = client.post("/webhooks/cancel-form", content=body,
                                       headers={"Churnguard-Signature": header, "Content-Type": "application/json"})
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        deadline = time.monotonic() + 30
        while len(sink.accepted) < requests_total and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
        controller.stop()
        print(f"server log: {folder / 'serve.log'}", file=sys.stderr)

    latencies = [sink.accepted[address] - moment for address, moment in sent_at.items() if address in sink.accepted]
    return {
        "rate_per_second": rate,
        "seconds": seconds,
        "requests": requests_total,
        "statuses": statuses,
        "messages_accepted": len(latencies),
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="cancel-form submissions per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.rate * args.seconds > 10000:
        raise SystemExit("use a positive rate and duration with at most 10,000 requests")
    print(json.dumps(run(args.rate, args.seconds), indent=2))


if __name__ == "__main__":
    main()
