"""Running the workspace: the bind rule and a threaded WSGI server (werkzeug's).

Loopback (``127.0.0.1``, ``::1``, ``localhost``) is the default. Any other address
makes the workspace reachable from the network, so it needs ``SCOUT_SERVE_TOKEN`` in
the environment; without it :func:`check_bind` refuses with a :class:`UserError` (the
CLI exits 2 with one line). With a token, every request must carry it, whatever the
address. Werkzeug's server is plain HTTP: behind anything but loopback, put a TLS
proxy in front.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from crawler.core.errors import UserError
from crawler.core.vocab import SERVE_PORT
from crawler.web.app import create_app

TOKEN_ENV = "SCOUT_SERVE_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = SERVE_PORT
MIN_TOKEN = 16  # characters: a token someone could guess protects nothing


def is_loopback(host: str) -> bool:
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> str | None:
    """The token the app must ask for (None: none needed); refuses a non-loopback
    ``host`` without a token, and a token too short to protect anything."""
    token = (token or "").strip() or None
    if token is not None and len(token) < MIN_TOKEN:
        raise UserError(f"{TOKEN_ENV} is too short: use at least {MIN_TOKEN} random characters")
    if not is_loopback(host) and token is None:
        raise UserError(
            f"--host {host} makes the workspace reachable from the network: set "
            f"{TOKEN_ENV} (e.g. `export {TOKEN_ENV}=$(openssl rand -hex 24)`) or bind 127.0.0.1"
        )
    return token


def make_workspace_server(
    db: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, token: str | None = None
) -> BaseWSGIServer:
    """A bound, not yet serving, threaded server of the workspace over ``db`` (port 0:
    any free port; ``server.server_port`` tells which)."""
    token = check_bind(host, token)
    app = create_app(db, token=token)  # opens (and migrates) the database: one line if unusable
    try:
        return make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    db: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the workspace until Ctrl-C; ``announce`` gets the address once bound."""
    server = make_workspace_server(db, host, port, token=os.environ.get(TOKEN_ENV))
    shown = f"[{host}]" if ":" in host else host
    announce(f"eci-scout workspace on http://{shown}:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
