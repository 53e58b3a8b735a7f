"""Run the `scout` command as a user would, and read its one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_scout(
    *args: str,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``scout ARGS`` in a new process, as a user runs it (``env`` added to this one's)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full.pop("SCOUT_DEBUG", None)  # errors as users see them: one line, no traceback
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=cwd,
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def scout(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_scout(*args, cwd=cwd, stdin=stdin)


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def run_in_process(*args: str) -> tuple[int, str, str]:
    """``scout ARGS`` through :func:`crawler.cli.main` in this process (fast, for large
    parametrised corpora): ``(exit code, stdout, stderr)``."""
    import contextlib
    import io

    from crawler.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["scout", *args]
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return code, stdout.getvalue(), stderr.getvalue()


def assert_one_line(code: int, stdout: str, stderr: str, expected_code: int = 2) -> str:
    """The contract for a refused command: ``expected_code``, exactly one line on stderr
    starting with ``scout:``, no traceback, no usage box."""
    assert code == expected_code, (code, stdout, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("scout: "), lines[0]
    assert "Traceback" not in stderr and "Usage:" not in stderr and "╭" not in stderr
    assert not any(ord(c) < 32 and c not in "\t" for c in lines[0]), repr(lines[0])
    return lines[0]
