"""``churnguard serve``: run the web app (webhooks, the Segment-compatible source, unsubscribe)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated, Optional

import typer

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, fail, open_workspace
from churnguard.errors import ChurnguardError


@app.command(
    "serve",
    epilog="Example: churnguard serve --workspace ./acme --port 8325",
)
def serve(
    workspace: WorkspaceOption = None,
    host: Annotated[Optional[str], typer.Option(help="address to listen on (default: the web.host setting, 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="TCP port to listen on (default: the web.port setting); 0 picks a free port")] = None,
    as_json: JsonOption = False,
) -> None:
    """Serve the webhook endpoints until stopped (Ctrl-C or SIGTERM).

    Secrets come from the environment variables the webhooks.* settings name. With --json,
    one JSON line with the listening address goes to stdout once the server is ready.
    """
    import uvicorn

    from churnguard.web.app import create_app

    _configure_logging()
    ws = open_workspace(workspace)
    server: _ReportingServer | None = None
    try:
        config = uvicorn.Config(
            create_app(ws),
            host=host or str(ws.settings["web.host"]),
            port=int(ws.settings["web.port"]) if port is None else port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        server = _ReportingServer(config, as_json)
        server.run()
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    if server is None or not server.started:
        fail("the server did not start; see the log above (is the port in use?)")


class _ReportingServer:
    """A uvicorn server that prints where it listens once it is ready."""

    def __init__(self, config: "object", as_json: bool) -> None:
        import uvicorn

        self.server = uvicorn.Server(config)  # type: ignore[arg-type]
        self.as_json = as_json
        self.started = False

    def run(self) -> None:
        import asyncio

        asyncio.run(self._serve())

    async def _serve(self) -> None:
        import asyncio

        task = asyncio.create_task(self.server.serve())
        while not self.server.started and not task.done():
            await asyncio.sleep(0.05)
        if self.server.started:
            self.started = True
            self._report()
        await task

    def _report(self) -> None:
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        url = f"http://{host}:{port}"
        if self.as_json:
            sys.stdout.write(json.dumps({"url": url, "host": host, "port": port}) + "\n")
            sys.stdout.flush()
        else:
            logging.getLogger("churnguard.web").info("listening on %s", url)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
