"""Regression tests on retry timing: expected timelines, traces, captures and the ``lambda_sim`` pytest fixture.

The helpers live in :mod:`lambdasim.testing.helpers` and the pytest plugin in :mod:`lambdasim.testing.plugin`;
everything users write against is re-exported here. This layer sits on top: it imports :mod:`lambdasim.core`,
:mod:`lambdasim.aws` and :mod:`lambdasim.planning`, and nothing below imports it.

The helpers are imported on first use (module ``__getattr__``), so that pytest loading the plugin at startup does
not import the simulation for test sessions that never ask for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdasim.testing.helpers import (
        DEFAULT_SEED,
        FAILURE_CONDITIONS,
        Capture,
        Expected,
        LambdaSim,
        QueueMessage,
        RequestTrace,
        assert_attempts,
        capture,
        read_queue,
        retry_starts,
        trace_of,
    )

__all__ = [
    "DEFAULT_SEED",
    "FAILURE_CONDITIONS",
    "Capture",
    "Expected",
    "LambdaSim",
    "QueueMessage",
    "RequestTrace",
    "assert_attempts",
    "capture",
    "read_queue",
    "retry_starts",
    "trace_of",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("lambdasim.testing.helpers"), name)
    raise AttributeError(f"module 'lambdasim.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
