"""Capacity planning on the simulated account: the Pythonic model, workloads, replications and sweeps, planners,
scenario files, cost and plots.

The planners of :mod:`lambdasim.planning.capacity` (``least_reserved_concurrency``, :class:`Objective`, ...) are
re-exported here, where they have always been imported from. Imports run one way: :mod:`lambdasim.core` <-
:mod:`lambdasim.aws` <- ``lambdasim.planning``.
"""

from __future__ import annotations

from lambdasim.planning.capacity import (
    DEFAULT_REPLICATIONS,
    RULES,
    Evaluation,
    MemoryDurations,
    Objective,
    Plan,
    Share,
    Target,
    evaluate,
    least,
    least_reserved_concurrency,
)

__all__ = [
    "DEFAULT_REPLICATIONS",
    "RULES",
    "Evaluation",
    "MemoryDurations",
    "Objective",
    "Plan",
    "Share",
    "Target",
    "evaluate",
    "least",
    "least_reserved_concurrency",
]
