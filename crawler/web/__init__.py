"""``scout serve``: the organizers' workspace, a local web app over one database.

A Flask app with server-side Jinja templates (autoescaped) and plain HTML forms; no
JavaScript at all, nothing fetched from elsewhere (the stylesheet ships in the package),
so it works offline. Pages: the campaigns, a dashboard per campaign (the country picture
against the ECI thresholds first, then outreach and what is new since the last crawl),
lead lists per lead type (filters, sorting, paging, CSV/XLSX export of the filtered
view) and a lead page (profile, contact routes, reasons with the numbers, campaign
posts, interactions with other leads, status history, forms for status, owner, note and
corrections).

Safe by default (:mod:`crawler.web.app`): every form carries a CSRF token (a POST
without one is 400); every user string is escaped; links only for http(s) URLs; a
strict Content-Security-Policy (no script at all); no file path is taken from a
request (the database is fixed when the app is made, exports are written to a fresh
temporary folder). :mod:`crawler.web.serve` binds loopback unless
``SCOUT_SERVE_TOKEN`` is set, and with a token every request must carry it
(``Authorization: Bearer``, or the login form's session cookie).

The database is read per request in one short read-only unit of work and written in
short transactions, so a crawl can run beside the app.
"""

from __future__ import annotations

from crawler.web.app import create_app

__all__ = ["create_app"]
