"""Shared fixtures. Slow validation runs execute in CI (``CI=true``) or with ``--run-slow``."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow") or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return
    skip = pytest.mark.skip(reason="slow validation run: runs in CI, or locally with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
