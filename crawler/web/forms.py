"""The workspace's forms (Flask-WTF: each carries its CSRF token; labels for every field).

Choices come from :mod:`crawler.core.vocab`, so a form can only send a known status,
role, org type, country or scope; the app layer checks them again
(:func:`crawler.app.outreach.check_status`, :func:`crawler.app.corrections.corrected_values`).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crawler.app.summaries import COUNTRY_NAMES
from crawler.core.vocab import EU_COUNTRIES, LEAD_STATUSES, ORG_TYPES, ROLES, SCOPES

KEEP = ""  # "keep the classifier's value" in the correction form


def _words(values: tuple[str, ...], keep: bool = False) -> list[SelectChoice]:
    """Options for ``values`` as people read them, after a "(keep)" one with ``keep``."""
    head = [SelectChoice(KEEP, "(keep)")] if keep else []
    return head + [SelectChoice(v, v.replace("_", " ")) for v in values]


class StatusForm(FlaskForm):
    """Status, owner and note of one lead; the note and owner replace the stored ones
    (an empty field clears them); the history keeps every earlier value."""

    status = SelectField("Status", choices=_words(LEAD_STATUSES))
    owner = StringField("Owner", validators=[Optional(), Length(max=80)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])
    changed_by = StringField("Your name", validators=[Optional(), Length(max=80)])


class CorrectionForm(FlaskForm):
    """Corrections of the classifier; a field left on "keep" is not changed."""

    role = SelectField("Role", choices=_words(ROLES, keep=True))
    org_type = SelectField("Organisation type", choices=_words(ORG_TYPES, keep=True))
    country = SelectField(
        "Country",
        choices=[
            SelectChoice(KEEP, "(keep)"),
            *[SelectChoice(c, f"{COUNTRY_NAMES.get(c, c)} ({c})") for c in EU_COUNTRIES],
        ],
    )
    scope = SelectField("Level", choices=_words(SCOPES, keep=True))


class LoginForm(FlaskForm):
    token = PasswordField("Access token", validators=[DataRequired(), Length(max=500)])
