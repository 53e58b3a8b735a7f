"""Fixtures shared by every test module; helpers live in ``tests/support``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures import FIXTURES_DIR, SHARED_DIR, require


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return require(SHARED_DIR)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return require(FIXTURES_DIR)
