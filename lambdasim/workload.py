"""Arrival processes that invoke simulated functions: constant-rate Poisson streams and bursts.

Each workload draws from its own seeded stream (keyed by function and workload name), so changing concurrency or
adding another workload leaves its arrival times unchanged (common random numbers). Arrivals are driven by
callbacks on bare timeouts: no SimPy process per event.

>>> import lambdasim as ls
>>> from lambdasim.workload import Poisson
>>> Poisson(function="orders", rate_per_s=5.0, stop_s=60.0).rate_per_s
5.0
"""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any

from attrs import field, frozen
from simpy.events import Timeout

from lambdasim._validators import in_range
from lambdasim.dist import _blocks

if TYPE_CHECKING:
    from lambdasim.engine import FunctionState
    from lambdasim.simulation import Simulation


def _json_payload(_instance: Any, attribute: Any, value: Any) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{attribute.name} must be JSON-serialisable, got {value!r}: {exc}") from None


def _function(sim: Simulation, name: str) -> FunctionState:
    try:
        return sim.engine.functions[name]
    except KeyError:
        raise ValueError(
            f"function {name!r} does not exist; create it first (functions: {sorted(sim.engine.functions)})"
        ) from None


def _function_name(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{attribute.name} must be a function name, got {value!r}")


@frozen(kw_only=True)
class Poisson:
    """Asynchronous invokes of ``function`` at a constant ``rate_per_s``, from ``start_s`` until ``stop_s``.

    Attributes:
        function: The function's name.
        rate_per_s: Mean arrivals per second (> 0).
        start_s: First possible arrival time (s).
        stop_s: No arrivals at or after this time (s); required so that ``sim.run()`` ends.
        payload: The event sent with every invoke (JSON-serialisable; ``None`` sends ``{}``).
        name: Distinguishes two workloads on one function (each gets its own random stream).
    """

    function: str = field(validator=_function_name)
    rate_per_s: float = field(converter=float, validator=in_range(0.0, low_open=True))
    stop_s: float = field(converter=float, validator=in_range(0.0))
    start_s: float = field(default=0.0, converter=float, validator=in_range(0.0))
    payload: Any = field(default=None, validator=_json_payload)
    name: str = "poisson"

    def attach(self, sim: Simulation) -> None:
        """Schedule this workload's arrivals on ``sim``."""
        fs = _function(sim, self.function)
        rng = sim.engine.generator(self.function, f"arrivals:{self.name}")
        scale = 1.0 / self.rate_per_s
        gap = partial(next, _blocks(lambda n: rng.exponential(scale, n)))
        engine = sim.engine
        env = sim.env
        payload = {} if self.payload is None else self.payload
        stop = self.stop_s

        def arrive(_e: object = None) -> None:
            engine.enqueue(fs, payload, engine.next_seq())
            schedule()

        def schedule() -> None:
            delay = gap()
            if env.now + delay < stop:
                Timeout(env, delay).callbacks.append(arrive)

        def begin(_e: object = None) -> None:
            schedule()

        Timeout(env, max(0.0, self.start_s - env.now)).callbacks.append(begin)


@frozen(kw_only=True)
class Burst:
    """``count`` asynchronous invokes of ``function`` spread evenly over ``[at_s, at_s + over_s)``."""

    function: str = field(validator=_function_name)
    at_s: float = field(converter=float, validator=in_range(0.0))
    count: int = field(validator=in_range(1, integer=True))
    over_s: float = field(default=0.0, converter=float, validator=in_range(0.0))
    payload: Any = field(default=None, validator=_json_payload)

    def attach(self, sim: Simulation) -> None:
        """Schedule the burst on ``sim``."""
        fs = _function(sim, self.function)
        engine = sim.engine
        env = sim.env
        payload = {} if self.payload is None else self.payload
        step = self.over_s / self.count
        remaining = [self.count]

        def arrive(_e: object = None) -> None:
            engine.enqueue(fs, payload, engine.next_seq())
            remaining[0] -= 1
            if remaining[0]:
                Timeout(env, step).callbacks.append(arrive)

        Timeout(env, max(0.0, self.at_s - env.now)).callbacks.append(arrive)
