"""Provisioned concurrency: pre-initialised execution environments of one published version or alias.

AWS [doc]: provisioned concurrency is set on a version or an alias, never ``$LATEST``; its environments are
initialised ahead of time, so invocations that land on them have no cold start; it counts against the function's
reserved concurrency (and, for a function without reserved concurrency, is carved out of the account's unreserved
pool); when every provisioned environment is busy, further invocations **spill over** to on-demand environments,
which scale, cold-start and throttle as usual.

Allocation takes time: ``PutProvisionedConcurrencyConfig`` answers ``Status: IN_PROGRESS`` with nothing allocated,
and after ``Settings.provisioned_allocation_s`` of simulated time [model] every requested environment is ready
(``READY``). Until then invocations run on-demand. Deleting a config frees its environments at once; invocations
running on them finish first.

Metrics (CloudWatch names) kept per function in :class:`~lambdasim.core.counters.FunctionStats`:
``ProvisionedConcurrentExecutions`` (busy provisioned environments, a time-weighted level),
``ProvisionedConcurrencyUtilization`` (busy / allocated), ``ProvisionedConcurrencyInvocations`` (invocations that
ran on a provisioned environment) and ``ProvisionedConcurrencySpilloverInvocations`` (invocations of a qualifier
with provisioned concurrency that ran on an on-demand environment).

For the bill (:mod:`lambdasim.core.cost`) the statistics also keep the concurrency *configured* over time
(``FunctionStats.provisioned_configured``, a level moved only by ``configure``/``unconfigure``) and the configuration
periods that ended (``FunctionStats.provisioned_periods``): [model] provisioned concurrency is billed from the
``PutProvisionedConcurrencyConfig`` call that enables it, at the requested amount, not from ``READY``.

>>> pool = ProvisionedConcurrency(requested=2, last_modified="2026-01-01T00:00:00.000+0000")
>>> pool.status, pool.take()
('IN_PROGRESS', False)
>>> pool.allocate()
>>> pool.status, pool.take(), pool.take(), pool.take()
('READY', True, True, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simpy.events import Timeout

if TYPE_CHECKING:
    from lambdasim.core.counters import FunctionStats
    from lambdasim.core.engine import Engine, FunctionState

IN_PROGRESS = "IN_PROGRESS"
READY = "READY"


class ProvisionedConcurrency:
    """The provisioned environments of one version or alias: how many are requested, allocated and busy.

    Attributes:
        requested: ``RequestedProvisionedConcurrentExecutions`` (>= 1).
        allocated: Environments initialised and kept ready (``AllocatedProvisionedConcurrentExecutions``).
        busy: Allocated environments running an invocation now.
        status: ``IN_PROGRESS`` while allocating, then ``READY``.
        last_modified: ``LastModified`` of the config, as Lambda writes it.
        generation: Counts configuration changes, so that an allocation timer set for an older request is ignored.
        enabled_at: Simulated time (s) of the ``Put`` that created the config; later ``Put`` calls change the amount
            without starting a new billing period.
    """

    __slots__ = ("allocated", "busy", "enabled_at", "generation", "last_modified", "requested", "stats", "status")

    def __init__(
        self, requested: int, last_modified: str, stats: FunctionStats | None = None, enabled_at: float = 0.0
    ) -> None:
        self.requested = requested
        self.enabled_at = enabled_at
        self.allocated = 0
        self.busy = 0
        self.status = IN_PROGRESS
        self.last_modified = last_modified
        self.generation = 0
        self.stats = stats

    @property
    def available(self) -> int:
        """``AvailableProvisionedConcurrentExecutions``: allocated environments not running an invocation."""
        return max(0, self.allocated - self.busy)

    def request(self, requested: int, last_modified: str) -> int:
        """A new ``PutProvisionedConcurrencyConfig``: allocate again; returns the generation to complete."""
        self.requested = requested
        self.status = IN_PROGRESS
        self.last_modified = last_modified
        self.generation += 1
        return self.generation

    def allocate(self, now: float = 0.0) -> None:
        """Allocation finished: every requested environment is initialised (``READY``)."""
        if self.stats is not None:
            self.stats.provisioned_allocated.change(now, self.requested - self.allocated)
        self.allocated = self.requested
        self.status = READY

    def release_all(self, now: float) -> None:
        """The config was deleted: its environments go away (busy ones finish their invocation first)."""
        if self.stats is not None:
            self.stats.provisioned_allocated.change(now, -self.allocated)
        self.allocated = 0
        self.requested = 0
        self.generation += 1

    def take(self) -> bool:
        """Start an invocation on a free provisioned environment, if there is one."""
        if self.busy < self.allocated:
            self.busy += 1
            return True
        return False

    def give_back(self) -> None:
        """An invocation on a provisioned environment ended."""
        self.busy -= 1

    def describe(self) -> dict[str, Any]:
        """The fields of ``GetProvisionedConcurrencyConfig``'s response."""
        return {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": self.available,
            "AllocatedProvisionedConcurrentExecutions": self.allocated,
            "Status": self.status,
            "LastModified": self.last_modified,
        }


def configure(
    engine: Engine, fs: FunctionState, qualifier: str, requested: int, last_modified: str
) -> ProvisionedConcurrency:
    """Put a config of ``requested`` environments on ``qualifier``: carved out of concurrency at once, allocated
    ``engine.settings.provisioned_allocation_s`` later (the caller has checked the limits)."""
    if engine.before_change is not None:
        engine.before_change()  # results handed out and not read yet are frozen first (Engine.before_change)
    env = engine.env
    pool = fs.provisioned.get(qualifier)
    if pool is None:
        pool = ProvisionedConcurrency(requested, last_modified, fs.stats, enabled_at=env.now)
        fs.provisioned[qualifier] = pool
        fs.stats.provisioned_configured.change(env.now, requested)
        generation = pool.generation
    else:
        fs.stats.provisioned_configured.change(env.now, requested - pool.requested)
        generation = pool.request(requested, last_modified)
    _recarve(engine, fs)

    def allocated(_e: object = None) -> None:
        if pool.generation == generation:  # not replaced or deleted since
            pool.allocate(env.now)

    Timeout(env, engine.settings.provisioned_allocation_s).callbacks.append(allocated)
    return pool


def unconfigure(engine: Engine, fs: FunctionState, qualifier: str) -> None:
    """Delete the config of ``qualifier``: its environments go at once (running invocations finish)."""
    if engine.before_change is not None:
        engine.before_change()  # as in configure
    pool = fs.provisioned.pop(qualifier)
    now = engine.env.now
    st = fs.stats
    st.provisioned_configured.change(now, -pool.requested)
    st.provisioned_periods.append((pool.enabled_at, now, pool.requested))  # billed rounded up (lambdasim.core.cost)
    pool.release_all(now)
    _recarve(engine, fs)


def _recarve(engine: Engine, fs: FunctionState) -> None:
    # The function's pool and the account's change: parked tries are no longer certain throttles.
    with engine.changing_pools():
        fs.provisioned_total = sum(p.requested for p in fs.provisioned.values())
