"""What a run produced: per-function counts, distributions and levels, stamped with the seed and settings."""

from __future__ import annotations

import math
from typing import Any

import attrs

from lambdasim.counters import FunctionStats
from lambdasim.rules import Condition
from lambdasim.settings import Settings


class Results:
    """A snapshot of a simulation at ``now`` (simulated seconds).

    ``results.functions[name]`` is a JSON-ready dict of that function's figures; :meth:`summary` prints them as a
    table; :meth:`to_dict` is everything, with the seed and settings that produced it.
    """

    def __init__(
        self,
        *,
        seed: int,
        now: float,
        settings: Settings,
        concurrency_limit: int,
        stats: dict[str, FunctionStats],
        trace: list[Any] | None,
        configs: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.seed = seed
        self.now = now
        self.settings = settings
        self.concurrency_limit = concurrency_limit
        self._stats = stats
        self.functions: dict[str, dict[str, Any]] = {name: st.to_dict(now) for name, st in stats.items()}
        self.trace = trace
        # Each function's configuration as GetFunctionConfiguration reports it (MemorySize, Architectures, ...).
        self.configs: dict[str, dict[str, Any]] = dict(configs or {})

    def stats(self, function: str) -> FunctionStats:
        """The live running statistics of ``function`` (tallies with quantiles, levels)."""
        try:
            return self._stats[function]
        except KeyError:
            raise KeyError(f"no function {function!r} in these results; functions: {sorted(self._stats)}") from None

    def bill(self, prices: Any = None, *, init_billing: bool | None = None) -> Any:
        """What these results cost on AWS: a :class:`lambdasim.cost.Bill` (requests, GB-seconds, monthly projection).

        ``prices`` is a :class:`lambdasim.prices.PriceTable` (default: the current us-east-1 table);
        ``init_billing`` overrides the table's rule for billing the init phase of cold starts.
        """
        from lambdasim.cost import bill

        return bill(self, prices, init_billing=init_billing)

    def outcomes(self, function: str | None = None) -> dict[str, int]:
        """Outcome counts per condition, for one function or all together."""
        names = [function] if function else list(self.functions)
        total = dict.fromkeys((c.value for c in Condition), 0)
        for name in names:
            for cond, n in self.functions[name]["outcomes"].items():
                total[cond] += n
        return total

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready."""
        return {
            "seed": self.seed,
            "now_s": self.now,
            "concurrency_limit": self.concurrency_limit,
            "settings": attrs.asdict(self.settings),
            "functions": self.functions,
        }

    def summary(self) -> str:
        """A readable table per function: outcomes, attempts, throttles, event-age and end-to-end quantiles."""
        lines = [f"lambdasim results at t = {self.now:,.1f} s (seed {self.seed})"]
        for name, f in self.functions.items():
            lines.append("")
            lines.append(f"function {name}")
            lines.append(
                f"  events received      {f['async_events_received']:>10,}"
                f"   duplicates {f['duplicates']:,}   in flight {f['in_flight']:,}"
            )
            lines.append("  outcomes")
            for cond, n in f["outcomes"].items():
                share = n / f["async_events_received"] if f["async_events_received"] else 0.0
                lines.append(f"    {cond:<24} {n:>10,}  {share:6.1%}")
            lines.append(
                f"  attempts             {f['attempts']:>10,}   errors {f['errors']:,}"
                f" (timeouts {f['timeouts']:,})   cold starts {f['cold_starts']:,}"
            )
            reasons = ", ".join(f"{r} {n:,}" for r, n in f["throttles_by_reason"].items()) or "none"
            lines.append(f"  throttles            {f['throttles']:>10,}   ({reasons})")
            lines.append(f"  service errors       {f['service_errors']:>10,}")
            lines.append("  seconds                  mean       p50       p90       p99       max")
            for label, key in (
                ("event age at attempt", "event_age_s"),
                ("end to end", "end_to_end_s"),
                ("duration", "duration_s"),
            ):
                t = f[key]
                lines.append(f"    {label:<20}" + "".join(_num(t[k]) for k in ("mean", "p50", "p90", "p99", "max")))
            conc, depth = f["concurrency"], f["queue_depth"]
            lines.append(
                f"  concurrency          mean {conc['mean']:.2f}   max {conc['max']:.0f}"
                f"   queue depth mean {depth['mean']:.2f}   max {depth['max']:.0f}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Results t={self.now:g}s seed={self.seed} functions={list(self.functions)}>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(self.summary())


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return f"{'-':>10}"
    return f"{x:>10.3f}"
