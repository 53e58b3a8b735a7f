"""Fixtures shared by every test module; helpers live in ``tests/support``."""

from __future__ import annotations

from pathlib import Path

import pytest

# the helpers' asserts explain their failures as the tests' own do (and a test module
# may import a helper module before pytest loads it as a plugin)
pytest.register_assert_rewrite("tests.support")

from tests.support.fixtures import FIXTURES_DIR, SHARED_DIR, require  # noqa: E402


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return require(SHARED_DIR)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return require(FIXTURES_DIR)
