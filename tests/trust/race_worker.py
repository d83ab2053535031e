"""A send worker for the revocation race test: deliver pending touches until the stop file appears.

Run as ``python -m tests.trust.race_worker WORKSPACE LOGFILE STOPFILE``. Each transport call
is logged as one JSON line with its wall-clock start and end, written before and after the
call, so the test can compare every send with the revoke's commit time.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from churnguard.mail_setup import make_transport
from churnguard.sequences.outbox import Outbox
from churnguard.store.models import Identity
from churnguard.workspace import Workspace


class LoggedTransport:
    def __init__(self, inner, log) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.log, self.name = inner, log, inner.name

    def send(self, raw: bytes, *, envelope_from: str, recipients: list[str], message_id: str) -> str:
        time.sleep(0.05)  # a slow relay: widens the window in which a revoke could slip past a send
        start = time.time()
        self.log.write(json.dumps({"event": "start", "message_id": message_id, "t": start}) + "\n")
        self.log.flush()
        receipt = self.inner.send(raw, envelope_from=envelope_from, recipients=recipients, message_id=message_id)
        self.log.write(json.dumps({"event": "end", "message_id": message_id, "t0": start, "t": time.time()}) + "\n")
        self.log.flush()
        return receipt

    def was_sent(self, message_id: str) -> bool | None:
        return self.inner.was_sent(message_id)


def main(root: str, log_path: str, stop_path: str) -> None:
    ws = Workspace.open(Path(root))
    log = open(log_path, "a", encoding="utf-8")
    transports: dict = {}

    def transport_for(identity_id: str):  # type: ignore[no-untyped-def]
        if identity_id not in transports:
            with ws.db.session() as session:
                identity = session.get(Identity, identity_id)
            transports[identity_id] = LoggedTransport(make_transport(ws, identity), log)
        return transports[identity_id]

    outbox = Outbox(ws.db, transport_for, lambda *args: None, ws.clock.now)
    while not Path(stop_path).exists():
        for touch_id in _pending(ws):
            outbox.deliver(touch_id)
            time.sleep(0.03)  # a steady pace, so the revoke lands mid-stream
        time.sleep(0.05)
    ws.close()


def _pending(ws: Workspace) -> list[int]:
    from sqlalchemy import select

    from churnguard.store.models import Touch

    with ws.db.session() as session:
        ids = list(session.scalars(select(Touch.id).where(Touch.state == "pending")))
    random.shuffle(ids)  # workers spread over the queue instead of racing for the same touch
    return ids


if __name__ == "__main__":
    main(*sys.argv[1:4])
