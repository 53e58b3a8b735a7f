"""The organizers' workspace (`scout serve`) through Flask's test client, on the
realistic "Clean Air for All" database: the pages show the right rows and numbers,
forms write what they say and survive a reload, and each safety rule holds (CSRF,
escaping, http(s)-only links, CSP, no file path from a request, the token)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb
import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from crawler.core.errors import UserError
from crawler.core.vocab import CLOSED_STATUSES, threshold
from crawler.web import create_app
from crawler.web.serve import check_bind, is_loopback
from tests.support.cli import one_line_error, scout
from tests.support.leads import CAMPAIGN, FORMULAS, HOSTILE_NAME
from tests.support.workspace import (
    AKELLER,
    HOSTILE_FIELD_URL,
    JANA,
    MALLORY,
    SIGNATURES,
    build_workspace_db,
    csrf_token,
)

BASE = f"/c/{quote(CAMPAIGN)}"
TOKEN = "s3cret-token-for-the-tests-0123456789"


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace_db(tmp_path_factory.mktemp("web") / "scout.duckdb")


@pytest.fixture
def db(tmp_path: Path, db_file: Path) -> Path:
    """A fresh copy per test: forms write."""
    copy = tmp_path / "scout.duckdb"
    copy.write_bytes(db_file.read_bytes())
    return copy


@pytest.fixture
def app(db: Path) -> Iterator[Flask]:
    app = create_app(db)
    yield app
    app.extensions["scout_stores"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def rows_of(db: Path, statement: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(statement, params or []).fetchall()


def page(client: FlaskClient, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.data[:500])
    return r.get_data(as_text=True)


def lead_links(html: str) -> list[str]:
    """Account ids of the lead links in a list, in page order."""
    found = re.findall(r'href="[^"]*/lead\?id=([^"]+)"', html)
    return [unquote(x.replace("&amp;", "&")) for x in found]


def mark(client: FlaskClient, account_id: str, **fields: str) -> str:
    url = f"{BASE}/lead?id={quote(account_id)}"
    token = csrf_token(page(client, url), "mark")
    data = {"mark-csrf_token": token, **{f"mark-{k}": v for k, v in fields.items()}}
    r = client.post(f"{BASE}/lead/status?id={quote(account_id)}", data=data)
    assert r.status_code == 303, r.data[:300]
    return page(client, r.headers["Location"])


# --------------------------------------------------------------------------- pages


def test_one_campaign_opens_its_dashboard(client: FlaskClient) -> None:
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{BASE}/")


def test_dashboard_puts_the_country_picture_first(client: FlaskClient, db: Path) -> None:
    html = page(client, f"{BASE}/")
    countries = rows_of(
        db,
        "SELECT count(DISTINCT country) FROM leads WHERE campaign = ? AND country IS NOT NULL",
        [CAMPAIGN],
    )[0][0]
    assert f"<strong>{countries} of 27</strong> member states have leads" in html
    assert html.index('id="countries-h"') < html.index('id="outreach-h"')
    # thresholds from the regulation, signatures against them, target flags
    assert f"{threshold('DE'):,}" in html and f"{threshold('MT'):,}" in html
    de = re.search(r'<tr class="[^"]*below[^"]*">\s*<th scope="row">Germany.*?</tr>', html, re.S)
    assert de and f'value="{SIGNATURES["DE"]}"' in de.group(0) and "target" in de.group(0)
    assert re.search(r'<tr class="[^"]*reached[^"]*">\s*<th scope="row">Malta', html)
    assert "<strong>1</strong> have reached their threshold" in html  # only MT
    # a country's count links to its filtered list
    de_volunteers = rows_of(
        db,
        "SELECT count(*) FROM leads WHERE campaign = ? AND country = 'DE' AND lead_type = 'volunteer'",
        [CAMPAIGN],
    )[0][0]
    assert f'leads/volunteer?country=DE"\n        aria-label="{de_volunteers} volunteer' in html
    # unknown country apart; Jana is new since the last run
    assert "country is unknown (3, shown apart)" in html
    assert "New leads: 1 volunteer, 0 influencer" in html
    assert "Jana Schröder" in html.split('id="new-h"')[1]


def test_list_filters_by_country_and_sorts(client: FlaskClient, db: Path) -> None:
    html = page(client, f"{BASE}/leads/volunteer?country=DE&sort=followers&dir=desc")
    expected = rows_of(
        db,
        "SELECT l.account_id FROM leads l JOIN accounts a USING (account_id)"
        " WHERE l.campaign = ? AND l.lead_type = 'volunteer' AND l.country = 'DE'"
        " ORDER BY a.followers_count DESC",
        [CAMPAIGN],
    )
    assert lead_links(html) == [r[0] for r in expected] and len(expected) == 2
    assert f"<strong>{len(expected)}</strong> leads match" in html
    assert 'aria-sort="descending"' in html
    # the unknown country and the other filters
    unknown = lead_links(page(client, f"{BASE}/leads/influencer?country=??"))
    assert unknown == [r[0] for r in rows_of(
        db,
        "SELECT account_id FROM leads WHERE campaign = ? AND lead_type = 'influencer'"
        " AND country IS NULL ORDER BY rank",
        [CAMPAIGN],
    )]  # fmt: skip
    journalists = lead_links(page(client, f"{BASE}/leads/influencer?role=journalist"))
    assert len(journalists) == 2
    assert lead_links(page(client, f"{BASE}/leads/volunteer?language=el")) == [
        r[0] for r in rows_of(db, "SELECT account_id FROM accounts WHERE language = 'el'")
    ]
    big = lead_links(page(client, f"{BASE}/leads/influencer?min_followers=20000"))
    assert big and all(
        rows_of(db, "SELECT followers_count FROM accounts WHERE account_id = ?", [a])[0][0] >= 20000
        for a in big
    )
    community = lead_links(page(client, f"{BASE}/leads/volunteer?community=0"))
    assert sorted(community) == sorted([JANA, *[a for a in community if a != JANA]])
    assert JANA in community and len(community) == 2  # Jana and Lukas; Anna is an influencer


def test_list_pages_through_every_lead_once(client: FlaskClient, db: Path) -> None:
    total = rows_of(
        db, "SELECT count(*) FROM leads WHERE campaign = ? AND lead_type = 'volunteer'", [CAMPAIGN]
    )[0][0]
    first = page(client, f"{BASE}/leads/volunteer?per=10")
    assert f"Page 1 of {-(-total // 10)}" in first and 'rel="next"' in first
    second = page(client, f"{BASE}/leads/volunteer?per=10&page=2")
    seen = lead_links(first) + lead_links(second)
    assert len(seen) == total == len(set(seen))
    ranks = [int(x) for x in re.findall(r'<td class="num">(\d+)</td>\s*<td><a', first + second)]
    assert ranks == sorted(ranks) == list(range(1, total + 1))
    assert "No leads with these filters." in page(client, f"{BASE}/leads/volunteer?page=99")


def test_status_and_owner_filters_follow_the_marks(client: FlaskClient) -> None:
    mark(client, JANA, status="joined", owner="Ana", note="")
    mark(client, MALLORY, status="contacted", owner="Ben", note="")
    open_list = lead_links(page(client, f"{BASE}/leads/volunteer?status=open"))
    assert JANA not in open_list and MALLORY in open_list and len(open_list) == 19
    # a closed lead stays visible in the full list, greyed
    full = page(client, f"{BASE}/leads/volunteer")
    assert JANA in lead_links(full) and '<tr class="closed">' in full
    assert "joined" in CLOSED_STATUSES
    assert lead_links(page(client, f"{BASE}/leads/volunteer?status=joined")) == [JANA]
    assert lead_links(page(client, f"{BASE}/leads/volunteer?owner=Ben")) == [MALLORY]
    assert len(lead_links(page(client, f"{BASE}/leads/volunteer?owner=-"))) == 18
    by_status = lead_links(page(client, f"{BASE}/leads/volunteer?sort=status"))
    assert by_status.index(MALLORY) < by_status.index(JANA)  # contacted before joined


def test_export_writes_the_filtered_view(client: FlaskClient) -> None:
    mark(client, MALLORY, status="contacted", owner="Ben", note="=1+1")
    r = client.get(f"{BASE}/leads/volunteer/export.csv?status=contacted")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    lines = r.get_data(as_text=True).lstrip("\ufeff").splitlines()
    header = lines[0].split(",")
    assert {"status", "owner", "note", "reasons", "account_id"} <= set(header)
    assert len(lines) == 2 and MALLORY in lines[1] and ",contacted,Ben," in lines[1]
    assert lines[1].endswith("'=1+1")  # the note is neutralised like every text cell

    r = client.get(f"{BASE}/leads/volunteer/export.xlsx?country=PT")
    sheet = openpyxl.load_workbook(io.BytesIO(r.data))["volunteer"]
    names = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    shown = rows[0][names.index("display_name")]
    assert shown == "'" + FORMULAS[0]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_lead_page_shows_profile_reasons_posts_and_interactions(
    client: FlaskClient, db: Path
) -> None:
    html = page(client, f"{BASE}/lead?id={quote(JANA)}")
    assert "Jana Schröder 🌱" in html and "jana@chaos.social" in html
    # every component with its weight; the points add up to the stored score
    score = rows_of(db, "SELECT score FROM leads WHERE account_id = ?", [JANA])[0][0]
    table = html.split('class="components"')[1].split("</table>")[0]
    points = [float(x) for x in re.findall(r'<td class="num points">([0-9.]+)</td>', table)]
    assert len(points) == 6
    assert abs(sum(points) - score) < 0.01, (points, score)
    # the campaign posts that made it, linked
    posts = rows_of(
        db,
        "SELECT p.url FROM campaign_posts c JOIN posts p USING (post_id) WHERE p.account_id = ?",
        [JANA],
    )
    assert f"Campaign posts ({len(posts)})" in html
    for (url,) in posts:
        assert f'href="{url}"' in html
    # interactions with other leads link to their pages
    inter = html.split('id="inter-h"')[1]
    assert "mention to" in inter and "repost from" in inter and "reply to" in inter
    assert f"lead?id={quote(AKELLER, safe='')}" in inter or f"lead?id={AKELLER}" in inter
    # contact routes: an http(s) field is a link, a javascript: one is text
    assert 'href="https://jana.example/kontakt"' in html
    assert HOSTILE_FIELD_URL in html and f'href="{HOSTILE_FIELD_URL}' not in html
    # contact routes found on the website: verified first, only http(s) as links
    routes = html.split("<h3>Contact routes</h3>")[1].split("</ul>")[0]
    assert "email: jana@jana.example" in routes and 'href="https://jana.example/"' in routes
    assert routes.index("jana@jana.example") < routes.index("javascript:alert(5)")
    assert 'href="javascript' not in routes and 'href="data:' not in routes
    assert "Nobody has marked this lead yet." in html


def test_mark_contacted_with_a_note_is_kept_with_its_history(client: FlaskClient, db: Path) -> None:
    html = mark(client, JANA, status="contacted", owner="Ana", note="wrote on 3 May",
                changed_by="Ana")  # fmt: skip
    assert '<span class="status s-contacted" id="current-status">contacted</span>' in html
    assert "wrote on 3 May" in html.split('id="current-note"')[1]
    html = mark(client, JANA, status="replied", owner="Ana", note="she replied", changed_by="Ana")
    history = html.split("<h3>History</h3>")[1].split("</ol>")[0]
    assert history.index("replied") < history.index("contacted")  # newest first
    assert "wrote on 3 May" in history and "by Ana" in history
    # stored where the CLI and exports read it
    assert rows_of(
        db, "SELECT status, owner, note FROM lead_status WHERE account_id = ?", [JANA]
    ) == [("replied", "Ana", "she replied")]
    assert rows_of(db, "SELECT count(*) FROM lead_status_history WHERE account_id = ?", [JANA]) == [
        (2,)
    ]
    # a fresh client (another organizer) sees it too
    fresh = page(client.application.test_client(), f"{BASE}/lead?id={quote(JANA)}")
    assert "she replied" in fresh


def test_correction_form_overrides_the_classifier(client: FlaskClient, db: Path) -> None:
    url = f"{BASE}/lead?id={quote(JANA)}"
    token = csrf_token(page(client, url), "fix")
    r = client.post(
        f"{BASE}/lead/correct?id={quote(JANA)}",
        data={
            "fix-csrf_token": token,
            "fix-country": "AT",
            "fix-role": "",
            "fix-org_type": "",
            "fix-scope": "",
        },  # fmt: skip
    )
    assert r.status_code == 303
    html = page(client, r.headers["Location"])
    assert "corrected " + JANA in html and "Austria" in html
    assert rows_of(db, "SELECT country FROM accounts WHERE account_id = ?", [JANA]) == [("AT",)]
    assert rows_of(db, "SELECT value FROM overrides WHERE account_id = ?", [JANA]) == [("AT",)]
    # an org type for a person is refused in one line, nothing stored
    token = csrf_token(html, "fix")
    r = client.post(
        f"{BASE}/lead/correct?id={quote(JANA)}",
        data={
            "fix-csrf_token": token,
            "fix-role": "journalist",
            "fix-org_type": "ngo",
            "fix-country": "",
            "fix-scope": "",
        },  # fmt: skip
        follow_redirects=True,
    )
    assert "needs role organization" in r.get_data(as_text=True)
    assert rows_of(db, "SELECT role FROM accounts WHERE account_id = ?", [JANA]) == [
        ("individual",)
    ]


def test_unknown_things_are_404(client: FlaskClient) -> None:
    assert client.get("/c/Nope/").status_code == 404
    assert client.get(f"{BASE}/leads/robots").status_code == 404
    assert client.get(f"{BASE}/lead?id=mastodon:https://nowhere/users/x").status_code == 404
    assert client.get(f"{BASE}/lead").status_code == 404


# --------------------------------------------------------------------------- safety


def test_a_post_without_csrf_token_is_refused(client: FlaskClient, db: Path) -> None:
    for url, data in (
        (f"{BASE}/lead/status?id={quote(JANA)}", {"mark-status": "joined"}),
        (f"{BASE}/lead/correct?id={quote(JANA)}", {"fix-country": "AT"}),
        (f"{BASE}/lead/status?id={quote(JANA)}", {"mark-status": "joined",
                                                  "mark-csrf_token": "forged"}),
    ):  # fmt: skip
        r = client.post(url, data=data)
        assert r.status_code == 400, url
        assert "security token" in r.get_data(as_text=True)
    assert rows_of(db, "SELECT count(*) FROM lead_status") == [(0,)]
    assert rows_of(db, "SELECT count(*) FROM overrides") == [(0,)]


def test_every_form_carries_a_csrf_token(client: FlaskClient) -> None:
    html = page(client, f"{BASE}/lead?id={quote(JANA)}")
    forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S)
    assert len(forms) == 2
    assert all("csrf_token" in f for f in forms)


def test_user_strings_are_escaped(client: FlaskClient) -> None:
    mark(client, JANA, status="contacted", owner="<b>Ana</b>", note="<script>alert(4)</script>")
    pages = [
        page(client, f"{BASE}/"),
        page(client, f"{BASE}/leads/volunteer"),
        page(client, f"{BASE}/leads/volunteer?owner=%3Cb%3EAna%3C%2Fb%3E"),
        page(client, f"{BASE}/lead?id={quote(MALLORY)}"),
        page(client, f"{BASE}/lead?id={quote(JANA)}"),
    ]
    for html in pages:
        assert "<script" not in html.lower()
        assert "<b>Ana" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]
    assert HOSTILE_NAME not in pages[3] and "&lt;script&gt;alert(1)" in pages[3]
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in pages[4]


def test_profile_links_are_http_only(client: FlaskClient) -> None:
    html = page(client, f"{BASE}/lead?id={quote(MALLORY)}")
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(("/", "http://", "https://", "#")) for h in hrefs), (
        hrefs
    )  # the stored javascript:alert(2) profile url is text, not a link
    assert "javascript:" not in "".join(hrefs)


def test_strict_content_security_policy_and_no_inline_script(client: FlaskClient) -> None:
    for url in ("/", f"{BASE}/", f"{BASE}/leads/sponsor", f"{BASE}/lead?id={quote(JANA)}",
                "/c/Nope/"):  # fmt: skip
        r = client.get(url)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp  # falls back to 'none': no script at all
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        body = r.get_data(as_text=True)
        assert "<script" not in body and " style=" not in body and "<style" not in body
    css = client.get("/static/workspace.css")
    assert css.status_code == 200 and css.mimetype == "text/css"


def test_no_file_path_is_taken_from_a_request(client: FlaskClient, db: Path) -> None:
    for url in (
        "/static/../../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
        f"{BASE}/leads/volunteer/export.parquet",
        f"{BASE}/leads/volunteer/export.csv/../../../etc/passwd",
    ):
        r = client.get(url)
        assert r.status_code in (404, 400), url
        assert b"[project]" not in r.data and b"root:" not in r.data
    # a ?db= or ?out= names nothing: the database is fixed, the export is sent back
    r = client.get(f"{BASE}/leads/volunteer/export.csv?out=/tmp/x.csv&db=/etc/passwd")
    assert r.status_code == 200 and not Path("/tmp/x.csv").exists()
    assert len(r.get_data(as_text=True).splitlines()) == 21


def test_with_a_token_every_request_must_carry_it(db: Path) -> None:
    app = create_app(db, token=TOKEN)
    try:
        client = app.test_client()
        r = client.get(f"{BASE}/")
        assert r.status_code == 302 and r.headers["Location"].endswith("/login")
        assert client.get(f"{BASE}/leads/volunteer/export.csv").status_code == 302
        wrong = {"Authorization": "Bearer not-the-token"}
        assert client.get(f"{BASE}/", headers=wrong).status_code == 401
        assert client.post(f"{BASE}/lead/status?id={quote(JANA)}").status_code == 401
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get(f"{BASE}/", headers=right).status_code == 200
        # the login form: CSRF-protected, a wrong token refused, the right one remembered
        login = page(client, "/login")
        assert 'type="password"' in login and '<label for="token">' in login
        assert client.post("/login", data={"token": TOKEN}).status_code == 400
        r = client.post("/login", data={"token": "nope", "csrf_token": csrf_token(login)})
        assert r.status_code == 200 and "not the token" in r.get_data(as_text=True)
        r = client.post("/login", data={"token": TOKEN, "csrf_token": csrf_token(login)})
        assert r.status_code == 303
        assert client.get(f"{BASE}/").status_code == 200
        cookie = client.get_cookie("session")
        assert cookie is not None and TOKEN not in cookie.value
        assert cookie.http_only and cookie.same_site == "Strict"
    finally:
        app.extensions["scout_stores"].close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    assert is_loopback(host) and check_bind(host, None) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_any_other_bind_needs_the_token(host: str) -> None:
    with pytest.raises(UserError, match="SCOUT_SERVE_TOKEN"):
        check_bind(host, None)
    assert check_bind(host, TOKEN) == TOKEN
    with pytest.raises(UserError, match="too short"):
        check_bind(host, "short")


def test_scout_serve_refuses_an_open_bind_without_token(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCOUT_SERVE_TOKEN", raising=False)
    proc = scout("serve", "--db", str(db), "--host", "0.0.0.0", "--port", "0", cwd=tmp_path)
    assert "SCOUT_SERVE_TOKEN" in one_line_error(proc)
    proc = scout("serve", "--db", str(tmp_path / "none.duckdb"), "--port", "0", cwd=tmp_path)
    assert "no database yet" in one_line_error(proc)
