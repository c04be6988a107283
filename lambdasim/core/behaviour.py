"""Declarative function behaviour: what a handler does, without writing one.

A :class:`Behaviour` can be passed as ``Handler=`` on the boto3-shaped door or used on the Pythonic door. Its draws
come from the function's own seeded streams, so a run is exactly repeatable.

>>> from lambdasim import Behaviour, dist
>>> Behaviour(duration=dist.Exponential(0.5), error_rate=0.1).duration.mean
0.5
"""

from __future__ import annotations

from typing import Any

from attrs import field, frozen

from lambdasim.core._validators import non_empty_text, probability
from lambdasim.core.dist import Constant, Distribution, as_distribution


def _duration(value: object) -> Distribution:
    return as_distribution("duration", value)


@frozen(kw_only=True)
class Behaviour:
    """A function that runs for ``duration`` seconds and fails with probability ``error_rate``.

    Attributes:
        duration: Seconds per invocation, a number or a :mod:`lambdasim.core.dist` distribution. Default 0.1 s.
        error_rate: Probability in [0, 1] that an invocation ends in a function error.
        error_type: The ``errorType`` of those errors (for example ``"ValueError"``).
        error_message: Their ``errorMessage``.
        response: What a successful invocation returns (must be JSON-serialisable).
    """

    duration: Distribution = field(default=Constant(0.1), converter=_duration)
    error_rate: float = field(default=0.0, validator=probability)
    error_type: str = field(default="Error", validator=non_empty_text)
    error_message: str = field(default="Simulated function error", validator=non_empty_text)
    response: Any = None
