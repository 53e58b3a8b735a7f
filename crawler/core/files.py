"""Files that appear whole or not at all: exports, reports, session strings, demo state."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def file_mode(path: Path, default: int = 0o666) -> int:
    """Rights for a new file: those of the file it replaces, else ``default`` less the
    process umask (what ``open()`` would give)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return default & ~umask


@contextmanager
def atomic_path(out: Path, *, mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside ``out``; when the block ends without error it replaces
    ``out`` in one rename (readers never see half a file), else it is removed.
    ``mode`` sets the rights (``0o600`` for secrets); by default those of
    :func:`file_mode`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, file_mode(out) if mode is None else mode)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(out: Path, data: str | bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends) to ``out`` atomically."""
    with atomic_path(out, mode=mode) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8", newline="\n")
    return out
