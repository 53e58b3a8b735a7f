"""Client side of the demo network: :class:`DemoNetwork` runs the servers in a
subprocess (``python -m scout_demo``) for a ``with`` block and talks to their
``/_demo/*`` control endpoints; :func:`write_demo_campaign` writes a campaign file
pointing at a running network.

The subprocess reports the URLs it bound (port 0, chosen by the OS) in its state JSON;
``start`` waits for that file with a deadline. The servers are on 127.0.0.1, which the
address policy (:mod:`crawler.core.net`) refuses unless ``SCOUT_ALLOWED_HOSTS`` names
them: while the network runs, its ``host:port`` entries (:attr:`DemoNetwork.allowed_hosts`)
are added to that variable in this process, so the crawler (and any child process)
may reach them and nothing else on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from crawler.core.files import atomic_write
from crawler.core.net import ALLOWED_HOSTS_ENV, host_key
from crawler.core.vocab import country_code
from scout_demo.service import json_bytes
from scout_demo.tables import (
    DEMO_CAMPAIGN_NAME,
    DEMO_FOLLOWERS_MAX,
    DEMO_HASHTAGS,
    DEMO_KEYWORDS,
    LANGS,
    NOW,
    SPAN_DAYS,
)


class DemoNetwork:
    """Runs the demo servers in a subprocess for the duration of a ``with`` block."""

    def __init__(
        self,
        seed: int = 2026,
        rate_limit: int | None = None,
        window: float | None = None,
        bsky_rate_limit: int | None = None,
        state_path: Path | None = None,
        timeout: float = 60.0,
        n_accounts: int | None = None,
        n_posts: int | None = None,
        paging_limit: int | None = None,
        paging_window: float | None = None,
        allow_hosts: bool = True,
    ) -> None:
        self.seed = seed
        self.allow_hosts = allow_hosts
        self._env_before: str | None = None
        self._env_set = False
        self.paging_limit = paging_limit
        self.paging_window = paging_window
        self.rate_limit = rate_limit
        self.window = window
        self.bsky_rate_limit = bsky_rate_limit
        self.timeout = timeout
        self.n_accounts = n_accounts
        self.n_posts = n_posts
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.state_path = state_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}

    @property
    def mastodon_urls(self) -> list[str]:
        return list(self.state["mastodon"])

    @property
    def bluesky_url(self) -> str:
        return str(self.state["bluesky"])

    @property
    def urls(self) -> list[str]:
        return [*self.mastodon_urls, self.bluesky_url]

    @property
    def site_urls(self) -> list[str]:
        """The demo websites (:mod:`scout_demo.sites`), one ``http://127.0.0.1:port/`` each."""
        return list(self.state.get("sites", {}).get("urls", []))

    @property
    def sites_index(self) -> str:
        """The sites' control server (``/_demo/sites``, ``/_demo/site-requests``)."""
        return str(self.state.get("sites", {}).get("index", ""))

    @property
    def allowed_hosts(self) -> str:
        """``SCOUT_ALLOWED_HOSTS`` entries (``host:port``) of the servers bound (the
        demo websites included)."""
        return ",".join(host_key(u) for u in [*self.urls, *self.site_urls])

    def _allow(self) -> None:
        self._env_before = os.environ.get(ALLOWED_HOSTS_ENV)
        os.environ[ALLOWED_HOSTS_ENV] = ",".join(
            filter(None, [self._env_before, self.allowed_hosts])
        )
        self._env_set = True

    def _disallow(self) -> None:
        if not self._env_set:
            return
        self._env_set = False
        if self._env_before is None:
            os.environ.pop(ALLOWED_HOSTS_ENV, None)
        else:
            os.environ[ALLOWED_HOSTS_ENV] = self._env_before

    def start(self) -> DemoNetwork:
        if self.state_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="scout-demo-")
            self.state_path = Path(self._tmpdir.name) / "state.json"
        if self.state_path.exists():
            self.state_path.unlink()
        cmd = [sys.executable, "-m", "scout_demo", "--state", str(self.state_path)]
        cmd += ["--seed", str(self.seed)]
        for flag, value in (
            ("--rate-limit", self.rate_limit),
            ("--window", self.window),
            ("--bsky-rate-limit", self.bsky_rate_limit),
            ("--accounts", self.n_accounts),
            ("--posts", self.n_posts),
            ("--paging-limit", self.paging_limit),
            ("--paging-window", self.paging_window),
        ):
            if value is not None:
                cmd += [flag, str(value)]
        root = Path(__file__).resolve().parents[1]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + self.timeout
        while not self.state_path.exists():
            try:
                self.proc.wait(timeout=0.05)  # returns at once if the server dies
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(
                        f"demo network did not start within {self.timeout:.0f} s"
                    ) from None
                continue
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            raise RuntimeError(
                f"demo network exited with {self.proc.returncode}: {err.strip()[-2000:]}"
            )
        # written with atomic_write: complete as soon as it exists
        self.state = json.loads(self.state_path.read_text(encoding="utf-8"))
        if self.allow_hosts:
            self._allow()
        return self

    def stop(self) -> None:
        self._disallow()
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc is not None and proc.stderr:
            proc.stderr.close()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> DemoNetwork:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- control ------------------------------------------------------------------------
    @staticmethod
    def _call(url: str, payload: dict[str, Any] | None = None) -> Any:
        if not url.startswith("http://127.0.0.1:"):
            raise ValueError(f"demo control only talks to loopback, not {url!r}")
        data = None if payload is None else json_bytes(payload)
        req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:  # loopback only (checked above)
            return json.loads(resp.read())

    def advance(self) -> int:
        """Release the held-back posts on every server; returns how many."""
        return int(self._call(self.urls[0] + "/_demo/advance", {})["released"])

    def faults(
        self,
        base_url: str | None = None,
        *,
        status: int | None = None,
        count: int = 1,
        bad_body: int | None = None,
        path: str | None = None,
        latency: float | None = None,
    ) -> None:
        """Make the next ``count`` API responses of a server (default: all) fail; with
        ``path``, only responses to requests whose path starts with it; with
        ``latency``, every answer comes that many seconds late (0 ends it)."""
        spec: dict[str, Any] = {}
        if latency is not None:
            spec["latency"] = latency
        if status is not None:
            spec.update(status=status, count=count)
        if bad_body is not None:
            spec["bad_body"] = bad_body
        if path is not None:
            spec["path"] = path
        for url in [base_url] if base_url else self.urls:
            self._call(url.rstrip("/") + "/_demo/faults", spec)

    def stats(self) -> dict[str, Any]:
        """Per server base URL: request counts per endpoint, 429s served, ..."""
        return {url: self._call(url + "/_demo/stats") for url in self.urls}


def seeds_toml(net_state: dict[str, Any]) -> str:
    """The ``[seeds]`` section for the network's seed accounts and starter packs, each
    written in another of the forms organizers copy (handle, profile URL, at:// URI);
    empty if the state names none."""
    accounts: list[str] = []
    forms = {"mastodon": 0, "bluesky": 0}
    for seed in net_state.get("seeds", []):
        n = forms[seed["platform"]]
        forms[seed["platform"]] += 1
        if seed["platform"] == "mastodon":
            base, user = seed["base_url"], seed["username"]
            accounts.append((seed["handle"], f"{base}/@{user}", "@" + seed["handle"])[n % 3])
        else:
            web = f"https://bsky.app/profile/{seed['did']}"
            accounts.append((seed["handle"], web, "@" + seed["handle"])[n % 3])
    packs = []
    for i, pack in enumerate(net_state.get("starter_packs", [])):
        if i % 2 == 0:
            packs.append(f"at://{pack['creator_did']}/app.bsky.graph.starterpack/{pack['rkey']}")
        else:
            packs.append(f"https://bsky.app/starter-pack/{pack['creator_handle']}/{pack['rkey']}")
    if not accounts and not packs:
        return ""
    return (
        "\n[seeds]\n"
        "# the campaign's own accounts and its partners': their followers and follows\n"
        f"accounts = {_toml_array(accounts)}\n"
        f"starter_packs = {_toml_array(packs)}\n"
        f"followers_max = {DEMO_FOLLOWERS_MAX}\n"
    )


def _toml_array(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def write_demo_campaign(net_state: dict[str, Any], path: Path, *, seeds: bool = True) -> Path:
    """Write a campaign TOML pointing at a running demo network; returns ``path``.
    With ``seeds`` (default) it has a ``[seeds]`` section naming the network's seed
    accounts and starter packs (:func:`seeds_toml`)."""
    since = (NOW - timedelta(days=SPAN_DAYS)).date().isoformat()
    langs = sorted(LANGS)
    countries = sorted(
        {code for lang in LANGS.values() for c in lang["countries"] if (code := country_code(c))}
    )

    def arr(values: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"

    text = f"""# Demo campaign for the built-in demo network (scout_demo); generated.
[campaign]
name = {json.dumps(DEMO_CAMPAIGN_NAME)}
hashtags = {arr(DEMO_HASHTAGS)}
keywords = {arr(DEMO_KEYWORDS)}
countries = {arr(countries)}
languages = {arr(langs)}
since = {since}

[mastodon]
instances = {arr(list(net_state["mastodon"]))}
discover = false
max_instances = 10

[bluesky]
service = {json.dumps(net_state["bluesky"])}
handle_env = "SCOUT_DEMO_BSKY_HANDLE"
password_env = "SCOUT_DEMO_BSKY_PASSWORD"

[privacy]
retention_days = 365
"""
    if seeds:
        text += seeds_toml(net_state)
    return atomic_write(Path(path), text)
