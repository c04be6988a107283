"""What a run costs on AWS Lambda: requests and GB-seconds, by architecture and memory. No SimPy here.

The rules (us-east-1, on-demand; prices from a :class:`~lambdasim.prices.PriceTable`):

- every attempt that ran is a billed request, retries included; throttled attempts (429) and Lambda service
  errors never ran and are not billed;
- each attempt's duration is billed per 1 ms, rounded up, at ``memory_mb / 1024`` GB;
- since 2025-08-01 the init phase of a cold start is billed too: the attempt bills ``ceil(init + duration)`` ms
  (``init_billing=False`` applies the rule before that date: ``ceil(duration)`` ms);
- a monthly projection scales the bill of the measured window (after any warm-up) to a month of 730 hours.

Not in the bill: provisioned concurrency's own charge and its lower duration rate (invocations on provisioned
environments are priced here at on-demand rates), the lower prices of the higher monthly duration tiers, the free
tier, ephemeral storage beyond 512 MB and data transfer.

The engine counts billed milliseconds per attempt as it runs (``FunctionStats.billed_ms`` and
``billed_init_ms``), so a bill costs nothing per event and needs no trace.

>>> from lambdasim.cost import estimate
>>> round(estimate(requests=1_000_000, duration_s=0.2, memory_mb=128), 7)   # $0.20 + 25,000 GB-s
0.6166675
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from lambdasim._optional import require
from lambdasim._validators import check_range
from lambdasim.prices import PriceTable, price_table

if TYPE_CHECKING:
    from lambdasim.results import Results

__all__ = ["MONTH_S", "Bill", "FunctionBill", "bill", "billed_ms", "estimate"]

MONTH_S = 730 * 3600
"""Seconds in the month of a monthly projection: 730 hours, as AWS's pricing calculator uses."""


def billed_ms(duration_s: float, init_s: float = 0.0) -> int:
    """Milliseconds billed for one attempt: ``ceil(1000 * (init + duration))``, rounded at the microsecond first.

    >>> billed_ms(0.2), billed_ms(0.0501), billed_ms(0.2, init_s=0.3)
    (200, 51, 500)
    """
    check_range("duration_s", duration_s, 0.0)
    check_range("init_s", init_s, 0.0)
    return math.ceil(round((init_s + duration_s) * 1000.0, 6))


def estimate(
    *,
    requests: float,
    duration_s: float,
    memory_mb: int,
    architecture: str = "x86_64",
    init_s: float = 0.0,
    cold_starts: float = 0.0,
    prices: PriceTable | str | None = None,
) -> float:
    """The spreadsheet formula: ``requests`` attempts of ``duration_s`` each (every one billed alike).

    ``cold_starts`` of the requests also bill ``init_s`` when the price table bills the init phase.
    """
    table = price_table(prices)
    check_range("requests", requests, 0.0)
    check_range("memory_mb", memory_mb, 128, 10240, integer=True)
    check_range("cold_starts", cold_starts, 0.0, requests)
    per_attempt = billed_ms(duration_s)
    total_ms = requests * per_attempt
    if table.init_billed and cold_starts:
        total_ms += cold_starts * (billed_ms(duration_s, init_s) - per_attempt)
    gb_s = total_ms / 1000.0 * memory_mb / 1024.0
    return requests * table.per_request + gb_s * table.gb_second(architecture)


@frozen(kw_only=True)
class FunctionBill:
    """One function's share of a bill.

    Attributes:
        function: The function's name.
        architecture: ``"x86_64"`` or ``"arm64"``.
        memory_mb: Configured memory (MB).
        requests: Billed requests: attempts that ran, retries included, throttles not.
        billed_ms: Billed duration (ms), init phase included when it is billed.
        gb_seconds: ``billed_ms / 1000 * memory_mb / 1024``.
        request_cost: ``requests * price per request``.
        duration_cost: ``gb_seconds * price per GB-second``.
    """

    function: str
    architecture: str
    memory_mb: int
    requests: int
    billed_ms: int
    gb_seconds: float
    request_cost: float
    duration_cost: float

    @property
    def total(self) -> float:
        """Requests plus duration."""
        return self.request_cost + self.duration_cost


@frozen(kw_only=True)
class Bill:
    """The cost of a run's measured window, per function, with the prices that produced it.

    Attributes:
        functions: One :class:`FunctionBill` per function.
        window_s: The simulated seconds the bill covers (after any warm-up).
        prices: The price table used.
        init_billing: Whether the init phase was billed.
    """

    functions: tuple[FunctionBill, ...]
    window_s: float
    prices: PriceTable
    init_billing: bool = field()

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
        """Billed GB-seconds, all functions."""
        return sum(f.gb_seconds for f in self.functions)

    def monthly(self, month_s: float = MONTH_S) -> float:
        """The bill scaled from the window to a month of ``month_s`` seconds (default 730 hours).

        The projection assumes the window is representative of the month: simulate a whole day (or a week) of a
        daily cycle, not only its peak, before projecting.
        """
        check_range("month_s", month_s, 0.0, low_open=True)
        if self.window_s <= 0:
            raise ValueError("cannot project a bill over an empty window (window_s is 0)")
        return self.total * month_s / self.window_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per-function lines, totals, the window and the price table."""
        return {
            "total": self.total,
            "monthly": self.monthly() if self.window_s > 0 else None,
            "window_s": self.window_s,
            "init_billing": self.init_billing,
            "prices": self.prices.to_dict(),
            "functions": [
                {
                    "function": f.function,
                    "architecture": f.architecture,
                    "memory_mb": f.memory_mb,
                    "requests": f.requests,
                    "billed_ms": f.billed_ms,
                    "gb_seconds": f.gb_seconds,
                    "request_cost": f.request_cost,
                    "duration_cost": f.duration_cost,
                    "total": f.total,
                }
                for f in self.functions
            ],
        }

    def to_frame(self) -> Any:
        """One row per function (needs pandas)."""
        pandas = require("pandas", "pandas")
        return pandas.DataFrame(self.to_dict()["functions"])


def bill(results: Results, prices: PriceTable | str | None = None, *, init_billing: bool | None = None) -> Bill:
    """The bill of ``results``: every function's requests and billed GB-seconds priced with ``prices``.

    Memory and architecture are each function's configuration at the end of the run.
    ``init_billing`` (default: the table's rule) says whether cold starts' init phase is billed.
    """
    table = price_table(prices)
    with_init = table.init_billed if init_billing is None else bool(init_billing)
    lines = []
    since = results.now
    for name in results.functions:
        st = results.stats(name)
        since = min(since, st.since)
        config = results.configs.get(name)
        if config is None:
            raise ValueError(f"results carry no configuration for function {name!r}: memory size is unknown")
        memory = int(config["MemorySize"])
        architecture = str(config.get("Architectures", ["x86_64"])[0])
        ms = st.billed_ms + (st.billed_init_ms if with_init else 0)
        gb_s = ms / 1000.0 * memory / 1024.0
        lines.append(
            FunctionBill(
                function=name,
                architecture=architecture,
                memory_mb=memory,
                requests=st.invocations,
                billed_ms=ms,
                gb_seconds=gb_s,
                request_cost=st.invocations * table.per_request,
                duration_cost=gb_s * table.gb_second(architecture),
            )
        )
    return Bill(functions=tuple(lines), window_s=results.now - since, prices=table, init_billing=with_init)
