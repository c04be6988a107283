"""What a run costs on AWS Lambda: requests, duration and provisioned concurrency, by architecture and memory.
No SimPy here.

The rules (us-east-1; prices from a :class:`~lambdasim.core.prices.PriceTable`):

- every attempt that ran is a billed request, retries included, on a provisioned environment or not; throttled
  attempts (429) and Lambda service errors never ran and are not billed;
- each attempt's duration is billed per 1 ms, rounded up, at ``memory_mb / 1024`` GB: at the provisioned duration
  rate when it ran on a provisioned environment, at the on-demand rate otherwise (spill-over included);
- since 2025-08-01 the init phase of an on-demand cold start is billed too: the attempt bills
  ``ceil(init + duration)`` ms (``init_billing=False`` applies the rule before that date: ``ceil(duration)`` ms);
  provisioned environments never run an init phase at invoke time;
- provisioned concurrency is billed per GB-second *configured*: the concurrency configured times
  ``memory_mb / 1024`` GB, from the time it is enabled until it is disabled, whether it runs invocations or not;
  AWS rounds each such period up to the nearest 5 minutes (:data:`PROVISIONED_ROUNDING_S`);
- a monthly projection repeats the bill of the measured window (after any warm-up) over a month, as a
  :class:`Month` says: ``Month.calendar()`` (the default) scales it to 730 hours of continuous traffic;
  ``Month.working_days(22)`` takes the window as one working day's traffic and counts it 22 times (a run that
  covers 08:00 to 16:00 projects to 22 such days, not to 730 hours of them).

[model] choices for provisioned concurrency:

- *Enabled* means from the ``PutProvisionedConcurrencyConfig`` call, at its ``ProvisionedConcurrentExecutions``,
  not from the moment the environments are ``READY`` (AWS: "from the time you enable it on your function until it
  is disabled"): the allocation time is billed, while invocations during it run, and are billed, on demand. A
  later ``Put`` on the same version or alias changes the amount from that moment without starting a new period;
  ``DeleteProvisionedConcurrencyConfig`` (or deleting the alias) ends the period.
- The round-up to 5 minutes is charged when a period ends, at the concurrency configured then, on the period's
  whole length (before a warm-up included). A period still open when the bill is taken (``run(until=t)`` stopped
  midway, or a config never deleted) is billed for the time elapsed, not rounded: the run has not disabled it,
  and a rounded open period would inflate the monthly projection of a short window.
- A statistics reset (a warm-up, ``Engine.reset_statistics``) starts the window afresh: configured concurrency is
  billed from the reset on; periods that ended before it are forgotten, round-up included.
- Memory is the function's at the end of the run, for provisioned concurrency as for duration.

Not in the bill: the lower prices of the higher monthly duration tiers, the free tier (which does not apply to
functions with provisioned concurrency anyway), Compute Savings Plans, ephemeral storage beyond 512 MB and data
transfer.

The engine counts billed milliseconds per attempt as it runs (``FunctionStats.billed_ms``, ``billed_init_ms`` and
``provisioned_billed_ms``) and integrates the configured provisioned concurrency only when a config changes
(``FunctionStats.provisioned_configured``), so a bill costs nothing per event and needs no trace.

>>> from lambdasim.core.cost import estimate
>>> round(estimate(requests=1_000_000, duration_s=0.2, memory_mb=128), 7)   # $0.20 + 25,000 GB-s
0.6166675
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from lambdasim.core._optional import _deprecated, require
from lambdasim.core._validators import check_range, in_range
from lambdasim.core.billing import billed_ms_of
from lambdasim.core.prices import PriceTable, price_table

if TYPE_CHECKING:
    from lambdasim.core.counters import FunctionStats
    from lambdasim.core.results import Results

__all__ = [
    "MONTH_S",
    "PROVISIONED_ROUNDING_S",
    "Bill",
    "FunctionBill",
    "Month",
    "Usage",
    "bill",
    "billed_ms",
    "estimate",
    "provisioned_billed_s",
    "usage",
]

MONTH_S = 730 * 3600
"""Seconds in the month of a monthly projection: 730 hours, as AWS's pricing calculator uses."""


@frozen(kw_only=True)
class Month:
    """How a month repeats the measured window, for monthly projections (build it with :meth:`calendar` or
    :meth:`working_days`).

    Attributes:
        days: ``None`` for calendar time (the window is a slice of continuous traffic, scaled to ``hours``); else
            the number of times the window's traffic happens in a month (a window of one working day: 22).
        hours: The hours of a calendar month (730, as AWS's pricing calculator uses).

    >>> Month.calendar().scale(3600.0), Month.working_days(22).scale(8 * 3600.0)
    (730.0, 22.0)
    """

    days: float | None = field(default=None, validator=in_range(0.0, low_open=True, optional=True))
    hours: float = field(default=730.0, validator=in_range(0.0, low_open=True))

    @classmethod
    def calendar(cls, hours: float = 730.0) -> Month:
        """A calendar month of ``hours`` hours of traffic like the window's."""
        return cls(hours=hours)

    @classmethod
    def working_days(cls, days: float = 22) -> Month:
        """A month of ``days`` days, each with the window's traffic (the window being one day, however long)."""
        return cls(days=days)

    def scale(self, window_s: float) -> float:
        """The factor from the window's bill to the month's."""
        if self.days is not None:
            return float(self.days)
        check_range("window_s", window_s, 0.0, low_open=True)
        return self.hours * 3600.0 / window_s

    def __str__(self) -> str:
        if self.days is not None:
            return f"{self.days:g} days, each the measured window"
        return f"{self.hours:g} hours of traffic like the measured window"


PROVISIONED_ROUNDING_S = 300.0
"""Provisioned concurrency is billed from enabled to disabled rounded up to a multiple of this: 5 minutes (s)."""


def billed_ms(duration_s: float, init_s: float = 0.0) -> int:
    """Milliseconds billed for one attempt: ``ceil(1000 * (init + duration))``, rounded at the microsecond first.

    >>> billed_ms(0.2), billed_ms(0.0501), billed_ms(0.2, init_s=0.3)
    (200, 51, 500)
    """
    check_range("duration_s", duration_s, 0.0)
    check_range("init_s", init_s, 0.0)
    return billed_ms_of((init_s + duration_s) * 1000.0)


def provisioned_billed_s(enabled_s: float) -> float:
    """Seconds billed for provisioned concurrency enabled for ``enabled_s`` seconds (>= 0): rounded up to the nearest
    5 minutes, after rounding to the microsecond (so float noise above a multiple of 300 s is not a new period).

    >>> provisioned_billed_s(420.0), provisioned_billed_s(600.0), provisioned_billed_s(600.0000000001)
    (600.0, 600.0, 600.0)
    >>> provisioned_billed_s(601.0), provisioned_billed_s(0.0)
    (900.0, 0.0)
    """
    check_range("enabled_s", enabled_s, 0.0)
    return math.ceil(round(enabled_s, 6) / PROVISIONED_ROUNDING_S) * PROVISIONED_ROUNDING_S


def estimate(
    *,
    requests: float,
    duration_s: float,
    memory_mb: int,
    architecture: str = "x86_64",
    init_s: float = 0.0,
    cold_starts: float = 0.0,
    provisioned_concurrency: int = 0,
    provisioned_s: float = 0.0,
    provisioned_requests: float = 0.0,
    prices: PriceTable | str | None = None,
) -> float:
    """The spreadsheet formula: ``requests`` attempts of ``duration_s`` each (every one billed alike).

    ``cold_starts`` of the requests also bill ``init_s`` when the price table bills the init phase.
    ``provisioned_concurrency`` (>= 0) configured for ``provisioned_s`` seconds (one period, rounded up to 5 minutes)
    adds its charge, and ``provisioned_requests`` of the requests (at most all of them, and only with provisioned
    concurrency) ran on provisioned environments: they pay the provisioned duration rate and have no cold start.

    >>> # 1,024 MB, 1,000 provisioned for 2 hours, 1.2 million requests of 1 s all on provisioned environments:
    >>> round(estimate(requests=1.2e6, duration_s=1.0, memory_mb=1024, provisioned_concurrency=1000,
    ...                provisioned_s=7200, provisioned_requests=1.2e6), 2)    # $30.00 + $11.67 + $0.24
    41.91
    """
    table = price_table(prices)
    check_range("requests", requests, 0.0)
    check_range("memory_mb", memory_mb, 128, 10240, integer=True)
    check_range("provisioned_concurrency", provisioned_concurrency, 0, integer=True)
    check_range("provisioned_requests", provisioned_requests, 0.0, requests)
    if provisioned_requests and not provisioned_concurrency:
        raise ValueError(f"provisioned_requests={provisioned_requests} needs provisioned_concurrency >= 1, got 0")
    check_range("cold_starts", cold_starts, 0.0, requests - provisioned_requests)
    gb = memory_mb / 1024.0
    per_attempt = billed_ms(duration_s)
    total_ms = (requests - provisioned_requests) * per_attempt
    if table.init_billed and cold_starts:
        total_ms += cold_starts * (billed_ms(duration_s, init_s) - per_attempt)
    cost = requests * table.per_request + total_ms / 1000.0 * gb * table.gb_second(architecture)
    if provisioned_concurrency:
        provisioned_ms = provisioned_requests * per_attempt
        cost += provisioned_ms / 1000.0 * gb * table.provisioned_gb_second(architecture)
        configured_gb_s = provisioned_concurrency * gb * provisioned_billed_s(provisioned_s)
        cost += configured_gb_s * table.provisioned_concurrency(architecture)
    return cost


@frozen(kw_only=True)
class FunctionBill:
    """One function's share of a bill. Milliseconds and seconds are billed (rounded up) figures.

    Attributes:
        function: The function's name.
        architecture: ``"x86_64"`` or ``"arm64"``.
        memory_mb: Configured memory (MB).
        requests: Billed requests: attempts that ran, retries included, throttles not.
        provisioned_requests: The part of ``requests`` that ran on provisioned environments.
        billed_ms: Billed duration (ms), all environments, init phase included when it is billed.
        provisioned_billed_ms: The part of ``billed_ms`` that ran on provisioned environments.
        gb_seconds: ``billed_ms / 1000 * memory_mb / 1024``.
        provisioned_gb_seconds: The part of ``gb_seconds`` that ran on provisioned environments.
        provisioned_concurrency_s: Environment-seconds of provisioned concurrency configured in the window, the
            round-up of the periods that ended included.
        provisioned_concurrency_gb_seconds: ``provisioned_concurrency_s * memory_mb / 1024``.
        request_cost: ``requests * price per request``.
        on_demand_duration_cost: On-demand GB-seconds (``gb_seconds - provisioned_gb_seconds``) at the on-demand
            price.
        provisioned_duration_cost: ``provisioned_gb_seconds`` at the price of duration on provisioned environments.
        provisioned_concurrency_cost: ``provisioned_concurrency_gb_seconds`` at the provisioned concurrency price.
    """

    function: str
    architecture: str
    memory_mb: int
    requests: int
    provisioned_requests: int = 0
    billed_ms: int
    provisioned_billed_ms: int = 0
    gb_seconds: float
    provisioned_gb_seconds: float = 0.0
    provisioned_concurrency_s: float = 0.0
    provisioned_concurrency_gb_seconds: float = 0.0
    request_cost: float
    on_demand_duration_cost: float
    provisioned_duration_cost: float = 0.0
    provisioned_concurrency_cost: float = 0.0

    @property
    def on_demand_billed_ms(self) -> int:
        """Billed duration (ms) on on-demand environments (spill-over included)."""
        return self.billed_ms - self.provisioned_billed_ms

    @property
    def on_demand_gb_seconds(self) -> float:
        """``on_demand_billed_ms / 1000 * memory_mb / 1024``."""
        return self.gb_seconds - self.provisioned_gb_seconds

    @property
    def duration_cost(self) -> float:
        """Duration at both rates: on demand and on provisioned environments."""
        return self.on_demand_duration_cost + self.provisioned_duration_cost

    @property
    def total(self) -> float:
        """Requests, duration and provisioned concurrency."""
        return self.request_cost + self.duration_cost + self.provisioned_concurrency_cost

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the fields and the derived figures."""
        return {
            "function": self.function,
            "architecture": self.architecture,
            "memory_mb": self.memory_mb,
            "requests": self.requests,
            "provisioned_requests": self.provisioned_requests,
            "billed_ms": self.billed_ms,
            "on_demand_billed_ms": self.on_demand_billed_ms,
            "provisioned_billed_ms": self.provisioned_billed_ms,
            "gb_seconds": self.gb_seconds,
            "on_demand_gb_seconds": self.on_demand_gb_seconds,
            "provisioned_gb_seconds": self.provisioned_gb_seconds,
            "provisioned_concurrency_s": self.provisioned_concurrency_s,
            "provisioned_concurrency_gb_seconds": self.provisioned_concurrency_gb_seconds,
            "request_cost": self.request_cost,
            "on_demand_duration_cost": self.on_demand_duration_cost,
            "provisioned_duration_cost": self.provisioned_duration_cost,
            "duration_cost": self.duration_cost,
            "provisioned_concurrency_cost": self.provisioned_concurrency_cost,
            "total": self.total,
        }


@frozen(kw_only=True)
class Bill:
    """The cost of a run's measured window, per function, with the prices that produced it.

    Attributes:
        functions: One :class:`FunctionBill` per function.
        window_s: The simulated seconds the bill covers (after any warm-up).
        prices: The price table used.
        init_billing: Whether the init phase was billed.
        month: How :meth:`monthly` repeats the window (default: a calendar month of 730 hours).
    """

    functions: tuple[FunctionBill, ...]
    window_s: float
    prices: PriceTable
    init_billing: bool = field()
    month: Month = field(factory=Month)

    def __iter__(self) -> Iterator[FunctionBill]:
        return iter(self.functions)

    def __getitem__(self, function: str) -> FunctionBill:
        for f in self.functions:
            if f.function == function:
                return f
        raise KeyError(f"no function {function!r} in this bill; functions: {[f.function for f in self.functions]}")

    @property
    def total(self) -> float:
        """The whole bill for the window, in the table's currency."""
        return sum(f.total for f in self.functions)

    @property
    def requests(self) -> int:
        """Billed requests, all functions."""
        return sum(f.requests for f in self.functions)

    @property
    def gb_seconds(self) -> float:
        """Billed GB-seconds of duration, both rates, all functions."""
        return sum(f.gb_seconds for f in self.functions)

    @property
    def request_cost(self) -> float:
        """Requests, all functions."""
        return sum(f.request_cost for f in self.functions)

    @property
    def duration_cost(self) -> float:
        """Duration at both rates, all functions."""
        return sum(f.duration_cost for f in self.functions)

    @property
    def provisioned_concurrency_cost(self) -> float:
        """Provisioned concurrency configured, all functions."""
        return sum(f.provisioned_concurrency_cost for f in self.functions)

    def monthly(self, month_s: float | None = None) -> float:
        """The bill repeated over a month as :attr:`month` says (``month_s``: a calendar month of that many
        seconds instead).

        The projection assumes the window is representative: simulate a whole day (or a week) of a daily cycle,
        not only its peak, before projecting; for traffic on working days only, take the window as one day with
        ``Month.working_days``. Every part scales alike, provisioned concurrency included: configured all the
        window, it is configured all the month.
        """
        month = self.month
        if month_s is not None:
            check_range("month_s", month_s, 0.0, low_open=True)
            month = Month.calendar(month_s / 3600.0)
        if self.window_s <= 0:
            raise ValueError("cannot project a bill over an empty window (window_s is 0)")
        return self.total * month.scale(self.window_s)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per-function lines (each with its monthly projection), totals, the window, the month and
        the prices."""
        scale = self.month.scale(self.window_s) if self.window_s > 0 else None
        return {
            "total": self.total,
            "monthly": self.monthly() if scale is not None else None,
            "month": str(self.month),
            "request_cost": self.request_cost,
            "duration_cost": self.duration_cost,
            "provisioned_concurrency_cost": self.provisioned_concurrency_cost,
            "window_s": self.window_s,
            "init_billing": self.init_billing,
            "prices": self.prices.to_dict(),
            "functions": [
                {**f.to_dict(), "monthly": f.total * scale if scale is not None else None} for f in self.functions
            ],
        }

    def frame(self) -> Any:
        """One row per function (needs pandas)."""
        pandas = require("pandas", "pandas")
        return pandas.DataFrame(self.to_dict()["functions"])

    def to_frame(self) -> Any:
        """Deprecated spelling of :meth:`frame` (every result type has ``frame()``)."""
        _deprecated("Bill.to_frame()", "Bill.frame()")
        return self.frame()


@frozen(kw_only=True)
class Usage:
    """What a bill needs of one function's statistics, as they were at one moment (:func:`usage`): a
    :class:`~lambdasim.core.results.Results` keeps one per function, so that its bill stays that of its own window
    even if the simulation runs on.

    Attributes:
        since: Start of the window (s): the start of the run, or the end of a warm-up.
        requests: Attempts that ran (all billed requests).
        provisioned_requests: Those that ran on provisioned environments.
        billed_ms: Billed milliseconds of the handler phase, over all attempts.
        billed_init_ms: Extra milliseconds billed for cold starts' init phase (under the init-billing rule).
        provisioned_billed_ms: The part of ``billed_ms`` that ran on provisioned environments.
        provisioned_concurrency_s: Environment-seconds of provisioned concurrency configured over the window, with
            each ended period rounded up to 5 minutes.
    """

    since: float
    requests: int
    provisioned_requests: int
    billed_ms: int
    billed_init_ms: int
    provisioned_billed_ms: int
    provisioned_concurrency_s: float


def usage(st: FunctionStats, now: float) -> Usage:
    """``st``'s billing figures over ``[st.since, now]``."""
    return Usage(
        since=st.since,
        requests=st.invocations,
        provisioned_requests=st.provisioned_invocations,
        billed_ms=st.billed_ms,
        billed_init_ms=st.billed_init_ms,
        provisioned_billed_ms=st.provisioned_billed_ms,
        provisioned_concurrency_s=_provisioned_concurrency_s(st, now),
    )


def _provisioned_concurrency_s(st: FunctionStats, now: float) -> float:
    """Environment-seconds of provisioned concurrency configured over ``[st.since, now]``, with the round-up to
    5 minutes of each period that ended in it (at the concurrency configured when it ended)."""
    configured = st.provisioned_configured.integral(now)
    for enabled, disabled, concurrency in st.provisioned_periods:
        length = disabled - enabled
        configured += concurrency * (provisioned_billed_s(length) - length)
    return configured


def bill(
    results: Results,
    prices: PriceTable | str | None = None,
    *,
    init_billing: bool | None = None,
    month: Month | None = None,
) -> Bill:
    """The bill of ``results``: every function's requests, billed GB-seconds and provisioned concurrency priced with
    ``prices``.

    Memory and architecture are each function's configuration at the end of the run.
    ``init_billing`` (default: the table's rule) says whether cold starts' init phase is billed; ``month`` how the
    monthly projection repeats the window (default ``Month.calendar()``, 730 hours).
    """
    if month is not None and not isinstance(month, Month):
        raise TypeError(
            f"month must be a lambdasim.cost.Month (Month.calendar() or Month.working_days(22)), got {month!r}"
        )
    table = price_table(prices)
    with_init = table.init_billed if init_billing is None else bool(init_billing)
    lines = []
    now = results.now
    since = now
    for name in results.functions:
        st = results.usage[name]
        since = min(since, st.since)
        config = results.configs.get(name)
        if config is None:
            raise ValueError(f"results carry no configuration for function {name!r}: memory size is unknown")
        memory = int(config["MemorySize"])
        gb = memory / 1024.0
        architecture = str(config.get("Architectures", ["x86_64"])[0])
        ms = st.billed_ms + (st.billed_init_ms if with_init else 0)
        provisioned_ms = st.provisioned_billed_ms
        gb_s = ms / 1000.0 * gb
        provisioned_gb_s = provisioned_ms / 1000.0 * gb
        configured_s = st.provisioned_concurrency_s
        configured_gb_s = configured_s * gb
        lines.append(
            FunctionBill(
                function=name,
                architecture=architecture,
                memory_mb=memory,
                requests=st.requests,
                provisioned_requests=st.provisioned_requests,
                billed_ms=ms,
                provisioned_billed_ms=provisioned_ms,
                gb_seconds=gb_s,
                provisioned_gb_seconds=provisioned_gb_s,
                provisioned_concurrency_s=configured_s,
                provisioned_concurrency_gb_seconds=configured_gb_s,
                request_cost=st.requests * table.per_request,
                on_demand_duration_cost=(ms - provisioned_ms) / 1000.0 * gb * table.gb_second(architecture),
                provisioned_duration_cost=provisioned_gb_s * table.provisioned_gb_second(architecture),
                provisioned_concurrency_cost=configured_gb_s * table.provisioned_concurrency(architecture),
            )
        )
    return Bill(
        functions=tuple(lines), window_s=now - since, prices=table, init_billing=with_init, month=month or Month()
    )
