"""Over a real socket on 127.0.0.1: the app in uvicorn, the busy event store, churnguard serve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from typing import Any

import httpx

from churnguard.detect.eventstore import open_event_store
from churnguard.web.app import create_app
from churnguard.web.inbox import flush_inbox
from churnguard.web.state import WebhookSecrets
from tests.web.conftest import FORM_SECRET, STRIPE_SECRET, WRITE_KEY, ThreadedServer, WebEnv, stripe_header

SECRETS = WebhookSecrets(stripe=(STRIPE_SECRET,), cancel_form=(FORM_SECRET,), segment_write_keys=(WRITE_KEY,))


def invoice_failed(event_id: str, created: int) -> bytes:
    obj = {"id": "in_sock_1", "object": "invoice", "customer": "cus_UZ11RVzkmLf6Cf", "amount_due": 4900}
    return json.dumps({"id": event_id, "object": "event", "type": "invoice.payment_failed", "created": created,
                       "data": {"object": obj}}).encode()


def wait_for(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_stripe_event_over_socket_reaches_event_store(env: WebEnv) -> None:
    body = invoice_failed("evt_socket_1", env.now())

    with ThreadedServer(create_app(env.workspace, secrets=SECRETS)) as server:
        response = httpx.post(f"{server.url}/webhooks/stripe", content=body,
                              headers={"Stripe-Signature": stripe_header(body, env.now())})
        assert response.status_code == 200
        assert wait_for(lambda: [row.status for row in env.inbound()] == ["stored"])
        health = httpx.get(f"{server.url}/healthz")

    assert health.json() == {"ok": True}
    assert open_event_store(env.workspace).count() == 1


def test_concurrent_duplicates_over_socket_are_one(env: WebEnv) -> None:
    body = invoice_failed("evt_socket_race", env.now())
    headers = {"Stripe-Signature": stripe_header(body, env.now())}

    with ThreadedServer(create_app(env.workspace, secrets=SECRETS)) as server:
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: httpx.post(f"{server.url}/webhooks/stripe", content=body, headers=headers), range(8)))

    statuses = sorted(answer.json()["status"] for answer in answers)
    assert all(answer.status_code == 200 for answer in answers)
    assert statuses.count("duplicate") == 7
    assert len(env.inbound()) == 1
    assert env.audit_count() == 1


HOLD_DUCKDB = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    sys.stdin.readline()
    con.close()
""")


def test_busy_duckdb_keeps_events_pending(make_env: Any) -> None:
    env = make_env()
    open_event_store(env.workspace).count()  # creates events.duckdb
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DUCKDB, str(env.workspace.events_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        response = env.post_stripe(None, body=invoice_failed("evt_busy_1", env.now()))
        blocked = flush_inbox(env.workspace)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=10)

    assert response.status_code == 200
    assert blocked.stored == 0 and blocked.pending == 1 and blocked.error
    assert [row.status for row in env.inbound()] == ["pending"]
    assert flush_inbox(env.workspace).stored == 1
    assert [row.status for row in env.inbound()] == ["stored"]


def test_churnguard_serve_subprocess(env: WebEnv) -> None:
    environment = {**os.environ, "CHURNGUARD_SEGMENT_WRITE_KEY": WRITE_KEY}
    environment.pop("CHURNGUARD_STRIPE_WEBHOOK_SECRET", None)
    command = [sys.executable, "-m", "churnguard", "serve", "--port", "0", "--json", "--workspace", str(env.workspace.root)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        address = json.loads(line)
        assert address["host"] == "127.0.0.1"
        track = {"type": "track", "messageId": "serve-1", "userId": "u-1", "event": "Signed In",
                 "context": {"groupId": "acct-zulip"}}
        accepted = httpx.post(f"{address['url']}/v1/track", json=track, auth=(WRITE_KEY, ""))
        unconfigured = httpx.post(f"{address['url']}/webhooks/stripe", content=b"{}")
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert accepted.status_code == 200 and accepted.json()["accepted"] == 1
    assert unconfigured.status_code == 503
    assert [row.status for row in env.inbound()] == ["stored"]
