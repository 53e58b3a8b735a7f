"""The workspace's routes. Pages read in one unit of work of the read-only store;
forms write through the app layer (:func:`crawler.app.outreach.mark`,
:func:`crawler.app.corrections.correct`) in one short transaction of the writer, then
redirect back (post/redirect/get, so a reload never posts twice).

URLs: ``/`` campaigns; ``/c/<campaign>/`` dashboard; ``/c/<campaign>/leads/<type>``
list (query: country, language, status, owner, role, community, min_followers, sort,
dir, page, per) and ``.../export.csv|xlsx`` the same view as a file;
``/c/<campaign>/lead?id=<account_id>`` a lead, ``POST .../lead/status`` and
``.../lead/correct`` its forms; ``/login`` when the app has a token.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.utils import secure_filename

from crawler.app.corrections import correct, corrected_values
from crawler.app.outreach import mark
from crawler.core.errors import UserError
from crawler.core.vocab import LEAD_TYPES
from crawler.db import workspace
from crawler.db.store import Store
from crawler.web import pages
from crawler.web.app import log_in, stores
from crawler.web.forms import KEEP, CorrectionForm, LoginForm, StatusForm

bp = Blueprint("ws", __name__)
auth = Blueprint("auth", __name__)

LEAD_TYPE_TITLES: dict[str, str] = {
    "volunteer": "Volunteers",
    "influencer": "Influencers",
    "intermediary": "Intermediaries",
    "sponsor": "Sponsors",
}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(auth)

    @app.context_processor
    def nav() -> dict[str, Any]:
        return {"lead_types": LEAD_TYPES, "type_titles": LEAD_TYPE_TITLES}


def _known_campaign(store: Store, campaign: str) -> None:
    # the store of the current unit: a second connection of the other kind would wait
    if not workspace.has_campaign(store, campaign):
        abort(404, description="No such campaign in this database.")


def _lead_type(lead_type: str) -> str:
    if lead_type not in LEAD_TYPES:
        abort(404, description="No such lead type.")
    return lead_type


@bp.get("/")
def index() -> Any:
    with stores().reader.session():
        found = workspace.campaigns(stores().reader)
    if len(found) == 1:
        return redirect(url_for("ws.dashboard", campaign=found[0]["campaign"]))
    return render_template("index.html", campaigns=found, campaign=None)


@bp.get("/c/<campaign>/")
def dashboard(campaign: str) -> str:
    store = stores().reader
    with store.session():
        _known_campaign(store, campaign)
        data = pages.dashboard(store, campaign)
    return render_template("dashboard.html", campaign=campaign, **data)


@bp.get("/c/<campaign>/leads/<lead_type>")
def leads(campaign: str, lead_type: str) -> str:
    query = pages.parse_list_query(_lead_type(lead_type), request.args)
    store = stores().reader
    with store.session():
        _known_campaign(store, campaign)
        data = pages.lead_list(store, campaign, query)
    return render_template(
        "leads.html", campaign=campaign, lead_type=lead_type, query=query, **data
    )


@bp.get("/c/<campaign>/leads/<lead_type>/export.<fmt>")
def export(campaign: str, lead_type: str, fmt: str) -> Response:
    if fmt not in pages.EXPORT_FORMATS:
        abort(404, description="Exports are CSV or XLSX.")
    query = pages.parse_list_query(_lead_type(lead_type), request.args)
    store = stores().reader
    with store.session():
        _known_campaign(store, campaign)
        body = pages.export_view(store, campaign, query, fmt)
    name = secure_filename(f"{campaign}-{lead_type}-leads.{fmt}") or f"leads.{fmt}"
    return Response(
        body,
        mimetype=pages.EXPORT_FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _account_id() -> str:
    account_id = (request.args.get("id") or "").strip()
    if not account_id:
        abort(404, description="Which lead? The link is missing its id.")
    return account_id


@bp.get("/c/<campaign>/lead")
def lead(campaign: str) -> str:
    account_id = _account_id()
    store = stores().reader
    with store.session():
        _known_campaign(store, campaign)
        data = pages.lead_page(store, campaign, account_id)
    if data is None:
        abort(404, description="No such account in this database.")
    account = data["account"]
    status_form = StatusForm(
        prefix="mark",
        data={
            "status": account["status"],
            "owner": account["owner"] or "",
            "note": account["note"] or "",
        },
    )
    return render_template(
        "lead.html",
        campaign=campaign,
        status_form=status_form,
        fix_form=CorrectionForm(prefix="fix"),
        **data,
    )


def _back(campaign: str, account_id: str) -> Any:
    return redirect(url_for("ws.lead", campaign=campaign, id=account_id), code=303)


def _form_errors(form: Any) -> None:
    for name, errors in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        for message in errors:
            flash(f"{label.text if label else name}: {message}", "error")


@bp.post("/c/<campaign>/lead/status")
def set_status(campaign: str) -> Any:
    account_id = _account_id()
    form = StatusForm(prefix="mark")
    if not form.validate():
        _form_errors(form)
        return _back(campaign, account_id)
    store = stores().writer
    with store.session():
        _known_campaign(store, campaign)
        try:
            message = mark(
                store,
                campaign,
                account_id,
                status=form.status.data,
                owner=form.owner.data or "",
                note=form.note.data or "",
                changed_by=form.changed_by.data or "web",
            )
        except UserError as exc:
            flash(str(exc), "error")
        else:
            flash(message, "ok")
    return _back(campaign, account_id)


@bp.post("/c/<campaign>/lead/correct")
def set_correction(campaign: str) -> Any:
    account_id = _account_id()
    form = CorrectionForm(prefix="fix")
    if not form.validate():
        _form_errors(form)
        return _back(campaign, account_id)
    chosen = {
        k: getattr(form, k).data or None
        for k in ("role", "org_type", "country", "scope")
        if getattr(form, k).data != KEEP
    }
    store = stores().writer
    with store.session():
        _known_campaign(store, campaign)
        try:
            values = corrected_values(**chosen)
            stored = correct(store, account_id, values)
        except UserError as exc:
            flash(str(exc), "error")
        else:
            shown = ", ".join(f"{k} = {v or '(none)'}" for k, v in values.items())
            flash(f"corrected {stored}: {shown}", "ok")
    return _back(campaign, account_id)


@auth.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        if log_in(form.token.data or ""):
            return redirect(url_for("ws.index"), code=303)
        flash("That is not the token this workspace was started with.", "error")
    return render_template("login.html", form=form, campaign=None)
