"""``scout schedule CAMPAIGN.toml --every 6h [--install]``: the crontab entry of a
campaign's regular crawl.

The entry runs the venv's ``scout crawl`` with absolute paths (cron starts in the home
folder with a bare ``PATH``), appends everything the run prints to a log file per
campaign and day in the log folder (created here; ``data/logs/`` beside the default
database) and deletes that campaign's logs older than :data:`KEEP_LOG_DAYS` days: log
rotation with nothing but ``sh``, ``date`` and ``find``, so it works in plain cron.
The minute is derived from the campaign name, so campaigns on one machine do not all
start at once. ``install`` adds the entry to the user's crontab (``crontab -l`` /
``crontab -``), replacing an earlier entry for the same campaign file and database.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from crawler.core.config import Campaign
from crawler.core.errors import UserError

KEEP_LOG_DAYS = 14
MARKER = "# eci-scout schedule"
_EVERY = re.compile(r"^\s*(\d+)\s*([mhd])\s*$", re.IGNORECASE)
EVERY_CHOICES = "5m, 10m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h or 1d"


class ScheduleError(UserError):
    """A bad ``--every`` or no usable ``crontab`` (one line)."""


@dataclass
class Schedule:
    every: str
    cron: str  # the five time fields
    command: str  # the shell command cron runs
    key: str  # what identifies this entry in a crontab (campaign file and database)
    log_dir: Path
    secrets: tuple[str, ...] = ()  # names of the environment variables the crawl reads

    @property
    def marker(self) -> str:
        return f"{MARKER} {self.key}"

    @property
    def line(self) -> str:
        # cron turns an unescaped % into a newline: the date format escapes them
        return f"{self.cron} {self.command}"

    @property
    def entry(self) -> str:
        return f"{self.marker}\n{self.line}\n"

    @property
    def text(self) -> str:
        """What ``scout schedule`` prints: a note on the secrets cron needs, the entry."""
        note = ""
        if self.secrets:
            note = f"# cron's environment needs: {', '.join(self.secrets)} (see README)\n"
        return note + self.entry


def secret_names(campaign: Campaign) -> tuple[str, ...]:
    """Names (never values) of the environment variables the crawl reads secrets from."""
    names: list[str | None] = []
    if campaign.mastodon is not None:
        names.append(campaign.mastodon.token_env)
    if campaign.bluesky is not None:
        names += [campaign.bluesky.handle_env, campaign.bluesky.password_env]
    return tuple(n for n in names if n)


def cron_fields(every: str, seed: str) -> str:
    """The five crontab time fields for ``every`` (``15m``, ``6h``, ``1d``...), at a
    minute (and hour) derived from ``seed``."""
    m = _EVERY.match(every)
    if not m:
        raise ScheduleError(f"--every {every!r}: give a number and m, h or d ({EVERY_CHOICES})")
    n, unit = int(m.group(1)), m.group(2).lower()
    spread = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    minute = spread % 60
    if unit == "m" and n in (5, 10, 15, 20, 30):
        return f"{minute % n}-59/{n} * * * *"
    if unit == "h" and n in (1, 2, 3, 4, 6, 8, 12):
        hours = "*" if n == 1 else f"{(spread // 60) % n}-23/{n}"
        return f"{minute} {hours} * * *"
    if unit == "d" and n == 1:
        return f"{minute} {(spread // 60) % 24} * * *"
    raise ScheduleError(
        f"--every {every!r}: cron cannot run that evenly; use one of {EVERY_CHOICES}"
    )


def scout_executable() -> list[str]:
    """How cron starts this installation's ``scout``: the script beside this Python (the
    venv's), else the one on PATH, else ``python -m crawler.cli``."""
    beside = Path(sys.executable).parent / "scout"
    if beside.exists():
        return [str(beside.absolute())]
    found = shutil.which("scout")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "crawler.cli"]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "campaign"


def build_schedule(
    campaign: Campaign, campaign_path: Path, db: Path, every: str, log_dir: Path | None = None
) -> Schedule:
    """The entry for ``campaign`` (read from ``campaign_path``); creates the log folder."""
    campaign_path = campaign_path.resolve()
    db = db.resolve()
    log_dir = (log_dir or db.parent / "logs").resolve()
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScheduleError(f"{log_dir}: cannot create the log folder: {exc}") from None
    key = f"{campaign_path} --db {db}"
    cron = cron_fields(every, key)
    slug = _slug(campaign.name)
    q = shlex.quote
    run = " ".join(
        q(a) for a in [*scout_executable(), "crawl", str(campaign_path), "--db", str(db)]
    )
    log = f"{q(str(log_dir))}/{slug}-$(date +\\%Y-\\%m-\\%d).log"
    cleanup = (
        f"find {q(str(log_dir))} -maxdepth 1 -name {q(slug + '-*.log')} "
        f"-mtime +{KEEP_LOG_DAYS} -delete"
    )
    command = f"cd {q(str(db.parent))} && {run} >> {log} 2>&1; {cleanup}"
    return Schedule(every, cron, command, key, log_dir, secret_names(campaign))


def _crontab() -> str:
    found = shutil.which("crontab")
    if found is None:
        raise ScheduleError("no `crontab` command on this machine: add the line above by hand")
    return found


def read_crontab() -> str:
    """The user's crontab ('' when there is none yet)."""
    proc = subprocess.run([_crontab(), "-l"], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        if "no crontab" in proc.stderr.lower():
            return ""
        raise ScheduleError(f"crontab -l failed: {' '.join(proc.stderr.split())[:200]}")
    return proc.stdout


def with_entry(crontab: str, schedule: Schedule) -> str:
    """``crontab`` without any earlier entry of this schedule's key, plus its entry."""
    kept: list[str] = []
    lines = crontab.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == schedule.marker:
            i += 2  # the marker and the job line under it
            continue
        kept.append(lines[i])
        i += 1
    text = "\n".join(kept).rstrip("\n")
    return (text + "\n" if text else "") + schedule.entry


def install(schedule: Schedule) -> str:
    """Put the entry in the user's crontab (unless it is there already); what was done."""
    current = read_crontab()
    wanted = with_entry(current, schedule)
    if wanted == current:
        return f"already in your crontab; logs in {schedule.log_dir}"
    proc = subprocess.run(
        [_crontab(), "-"], input=wanted, capture_output=True, text=True, timeout=30
    )
    if proc.returncode != 0:
        raise ScheduleError(f"crontab - failed: {' '.join(proc.stderr.split())[:200]}")
    return f"added to your crontab; logs in {schedule.log_dir}"
