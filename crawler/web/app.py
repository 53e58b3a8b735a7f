"""The Flask application: stores, security (CSRF, headers, token), template filters.

:func:`create_app` is handed the database path once; no request names a file. It opens
the database read-write once to migrate it (so a read-only store can read it), then
keeps one read-only :class:`~crawler.db.store.Store` for pages and one writer for the
forms; both hold the file only for a unit of work (a request's reads, one transaction).
"""

from __future__ import annotations

import hmac
import math
import secrets
from pathlib import Path
from typing import Any

import jinja2
from flask import (
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from crawler.app.report import fmt_int, fmt_time, safe_href
from crawler.app.summaries import COUNTRY_NAMES, open_store
from crawler.core.errors import ScoutError
from crawler.db.store import Store

# No script at all, nothing from elsewhere: styles and images from this server only,
# forms post only here, the app is never framed.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # profile links leave the app without telling the other site where they came from
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Paths reachable without the token: the login form and the stylesheet (package files).
OPEN_ENDPOINTS = frozenset({"auth.login", "static"})
SESSION_KEY = "scout_auth"

csrf = CSRFProtect()


class Stores:
    """The app's two stores on the one database file: ``reader`` (read-only, for
    pages) and ``writer`` (opened on first use, for the forms)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        # read-write once: migrate an older database, so the read-only store can open it
        with open_store(db):
            pass
        self.reader = Store(db, read_only=True)
        self._writer: Store | None = None

    @property
    def writer(self) -> Store:
        if self._writer is None:
            self._writer = Store(self.db)
        return self._writer

    def close(self) -> None:
        self.reader.close()
        if self._writer is not None:
            self._writer.close()


def stores() -> Stores:
    value: Stores = current_app.extensions["scout_stores"]
    return value


def _token_digest(token: str) -> str:
    # the session keeps a digest, never the token itself
    return hmac.new(b"scout-serve", token.encode(), "sha256").hexdigest()


def authorized(token: str | None) -> bool:
    """Whether the request carries ``token`` (Bearer header or a logged-in session)."""
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    stored = session.get(SESSION_KEY)
    return isinstance(stored, str) and hmac.compare_digest(stored, _token_digest(token))


def log_in(given: str) -> bool:
    token = current_app.config["SCOUT_TOKEN"]
    if token and hmac.compare_digest(given, token):
        session.clear()
        session[SESSION_KEY] = _token_digest(token)
        return True
    return False


# --------------------------------------------------------------------------- filters


def fmt_num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.{digits}f}"


def fmt_label(value: Any) -> str:
    """A vocabulary word for people: ``not_relevant`` -> ``not relevant``."""
    return "" if value is None else str(value).replace("_", " ")


def external_link(url: Any, text: Any) -> Markup:
    """An escaped link when ``url`` is http(s), else the escaped text alone."""
    href = safe_href(url)
    if href is None:
        return Markup("{}").format(text if text is not None else "")
    return Markup('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>').format(
        href, text if text is not None else href
    )


# --------------------------------------------------------------------------- app


def create_app(
    db: Path | str,
    *,
    token: str | None = None,
    secret_key: str | None = None,
) -> Flask:
    """The workspace over the database ``db`` (it must exist). With ``token``, every
    request must carry it. ``secret_key`` signs sessions and CSRF tokens (random per
    process by default: restarting the app logs everyone out)."""
    from crawler.web import views

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_hex(32),
        SCOUT_TOKEN=token or None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=None,  # a lead page left open over lunch still posts
        MAX_CONTENT_LENGTH=64 * 1024,  # forms only: a few fields of text
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    app.jinja_env.undefined = jinja2.StrictUndefined
    app.jinja_env.filters.update(
        href=safe_href,
        int=fmt_int,
        num=fmt_num,
        time=fmt_time,
        label=fmt_label,
        country_name=lambda code: COUNTRY_NAMES.get(str(code), str(code)) if code else "unknown",
    )
    app.jinja_env.globals["link"] = external_link
    app.extensions["scout_stores"] = Stores(Path(db))

    @app.before_request
    def require_token() -> Response | None:
        if request.endpoint in OPEN_ENDPOINTS or authorized(app.config["SCOUT_TOKEN"]):
            return None
        if request.method == "GET" and "Authorization" not in request.headers:
            return redirect(url_for("auth.login"))  # type: ignore[return-value]
        body = render_template("error.html", code=401, message="This workspace needs its token.")
        return Response(body, 401, {"WWW-Authenticate": 'Bearer realm="scout"'})

    # after the token check: a request without the token learns nothing about forms
    csrf.init_app(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"  # personal data: no copies
        return response

    @app.errorhandler(CSRFError)
    def csrf_missing(exc: CSRFError) -> tuple[str, int]:
        msg = "The form was missing its security token or it expired: reload the page."
        return render_template("error.html", code=400, message=msg), 400

    @app.errorhandler(ScoutError)
    def scout_error(exc: ScoutError) -> tuple[str, int]:
        # one line for the user, as the CLI prints it (e.g. the database is busy)
        return render_template("error.html", code=503, message=str(exc)), 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        return render_template("error.html", code=code, message=exc.description), code

    views.register(app)
    return app
