"""What the core asks of the layers above it, as protocols, so that it never imports them.

The account that hosts the engine (:class:`lambdasim.Simulation`) and the destination router it installs
(:class:`lambdasim.aws.destinations.Destinations`) live in :mod:`lambdasim.aws`. Core code that needs them (fault
schedules and sink workers attach to a host; the engine hands outcomes to a router) types them by these protocols.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lambdasim.core._kernel import Kernel
    from lambdasim.core.engine import Engine, FunctionState
    from lambdasim.core.metrics import FunctionMetrics
    from lambdasim.core.outcome import Outcome
    from lambdasim.core.target import Target


class Host(Protocol):
    """A simulated account: its SimPy environment, its engine and its functions by name."""

    env: Kernel
    engine: Engine

    def function_state(self, name: str) -> FunctionState:
        """The engine state of function ``name``; ``ValueError`` naming the functions when there is none."""
        ...


class DestinationRouter(Protocol):
    """Sends an asynchronous event's outcome to its target's on-success / on-failure destination and DLQ."""

    def deliver(self, target: Target, metrics: FunctionMetrics, outcome: Outcome) -> None:
        """Deliver ``outcome`` (an event that ended) where ``target``'s configuration says."""
        ...
