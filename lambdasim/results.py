"""What a run produced: per-function counts, distributions and levels, stamped with the seed and settings."""

from __future__ import annotations

import math
from typing import Any

import attrs

from lambdasim._optional import _deprecated, require
from lambdasim.cost import usage
from lambdasim.counters import FunctionStats
from lambdasim.metrics import METRIC_UNITS, STATISTICS, FunctionMetrics, parse_percentile
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
        metrics: dict[str, FunctionMetrics] | None = None,
        destinations: dict[str, dict[str, dict[str, Any]]] | None = None,
        sinks: dict[str, dict[str, Any]] | None = None,
        metrics_epoch_s: float = 0.0,
    ) -> None:
        self.seed = seed
        self.now = now
        self.settings = settings
        self.concurrency_limit = concurrency_limit
        self._stats = stats
        self.functions: dict[str, dict[str, Any]] = {name: st.to_dict(now) for name, st in stats.items()}
        # What the bill needs, frozen at `now` like `functions` (the statistics are live: the run may go on).
        self.usage = {name: usage(st, now) for name, st in stats.items()}
        self.trace = trace
        # Each function's configuration as GetFunctionConfiguration reports it (MemorySize, Architectures, ...).
        self.configs: dict[str, dict[str, Any]] = dict(configs or {})
        # CloudWatch-style series per function (lambdasim.metrics), frozen at `now`; periods start at the
        # simulation's start, Unix time metrics_epoch_s.
        self.metrics: dict[str, FunctionMetrics] = dict(metrics or {})
        self.metrics_epoch_s = metrics_epoch_s
        # What the destinations, dead-letter queues and attached sinks got (lambdasim.sinks.SinkStats.to_dict):
        # {"on_success" | "on_failure" | "dead_letter": {ARN: figures}} and {sink name: figures}.
        self.destinations: dict[str, dict[str, dict[str, Any]]] = destinations or {
            "on_success": {},
            "on_failure": {},
            "dead_letter": {},
        }
        self.sinks: dict[str, dict[str, Any]] = dict(sinks or {})

    def stats(self, function: str) -> FunctionStats:
        """The live running statistics of ``function`` (tallies with quantiles, levels).

        Live: if the simulation runs on, they move on, and their throttle counts may lag behind the clock while
        throttled events are parked (:mod:`lambdasim.backlog`) until the next ``sim.results()`` or ``sim.run()``
        brings them up to date. The figures in :attr:`functions` and the bill are those of these results' end."""
        try:
            return self._stats[function]
        except KeyError:
            raise KeyError(f"no function {function!r} in these results; functions: {sorted(self._stats)}") from None

    def bill(self, prices: Any = None, *, init_billing: bool | None = None, month: Any = None) -> Any:
        """What these results cost on AWS: a :class:`lambdasim.cost.Bill` (requests, GB-seconds, monthly projection).

        ``prices`` is a :class:`lambdasim.prices.PriceTable` (default: the current us-east-1 table);
        ``init_billing`` overrides the table's rule for billing the init phase of cold starts; ``month`` (a
        :class:`lambdasim.cost.Month`) sets the monthly projection: calendar hours (default) or working days.
        """
        from lambdasim.cost import bill

        return bill(self, prices, init_billing=init_billing, month=month)

    def outcomes(self, function: str | None = None) -> dict[str, int]:
        """Outcome counts per condition, for one function or all together."""
        names = [function] if function else list(self.functions)
        total = dict.fromkeys((c.value for c in Condition), 0)
        for name in names:
            for cond, n in self.functions[name]["outcomes"].items():
                total[cond] += n
        return total

    def metric(self, function: str, metric: str, statistic: str = "Sum") -> list[tuple[float, float]]:
        """One CloudWatch-style series: ``[(period start in simulated s, value), ...]`` for the periods with data.

        ``statistic`` is ``SampleCount``, ``Average``, ``Sum``, ``Minimum``, ``Maximum`` or a percentile such as
        ``p99`` (periods without that percentile are left out).
        """
        try:
            fm = self.metrics[function]
        except KeyError:
            raise KeyError(f"no function {function!r} in these results; functions: {sorted(self.metrics)}") from None
        q = parse_percentile(statistic)
        if q is None and statistic not in STATISTICS:
            raise ValueError(
                f"statistic must be one of {list(STATISTICS)} or a percentile such as 'p99', got {statistic!r}"
            )
        out = []
        for i, agg in sorted(fm.series(metric).items()):
            value = agg.statistic(statistic) if q is None else agg.percentile(q)
            if value is not None:
                out.append((i * fm.period, value))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (``None`` for undefined figures), with the seed and settings that produced it."""
        out: dict[str, Any] = json_ready(
            {
                "seed": self.seed,
                "now_s": self.now,
                "concurrency_limit": self.concurrency_limit,
                "settings": attrs.asdict(self.settings),
                "functions": self.functions,
                "destinations": self.destinations,
                "sinks": self.sinks,
                "metrics": {
                    "namespace": "AWS/Lambda",
                    "period_s": self.settings.metrics_period_s,
                    "start_epoch_s": self.metrics_epoch_s,
                    "functions": {name: fm.to_dict() for name, fm in self.metrics.items()},
                },
            }
        )
        return out

    def to_frame(self) -> Any:
        """Deprecated spelling of :meth:`frame` (every result type has ``frame()``)."""
        _deprecated("Results.to_frame()", "Results.frame()")
        return self.frame()

    def frame(self) -> Any:
        """A pandas DataFrame with one row per function and one column per figure (needs pandas).

        Nested figures are flattened with dots: ``outcomes.Success``, ``end_to_end_s.p99``, ``concurrency.max``.
        """
        pandas = require("pandas", "pandas")
        rows = []
        for name, figures in self.functions.items():
            row: dict[str, Any] = {"function": name}
            _flatten(figures, "", row)
            rows.append(row)
        frame = pandas.DataFrame(rows)
        return frame.set_index("function") if rows else frame

    def metrics_frame(self) -> Any:
        """A tidy pandas DataFrame of the CloudWatch-style metrics (needs pandas): one row per function, metric and
        period, with ``timestamp`` (UTC), ``period_start_s`` (simulated), ``unit``, the five statistics and the
        ``p50``, ``p99`` and ``p99.9`` percentiles (missing where a metric has none)."""
        pandas = require("pandas", "pandas")
        rows = []
        for name, fm in self.metrics.items():
            for metric, series in fm.to_dict().items():
                for point in series:
                    row = {"function": name, "metric": metric, "unit": METRIC_UNITS[metric]}
                    start = self.metrics_epoch_s + point["period_start_s"]
                    row["timestamp"] = pandas.Timestamp(start, unit="s", tz="UTC")
                    row.update(point)
                    rows.append(row)
        columns = ["function", "metric", "timestamp", "period_start_s", "unit", *STATISTICS, "p50", "p99", "p99.9"]
        return pandas.DataFrame(rows, columns=columns)

    def summary(self) -> str:
        """A readable table per function: outcomes, attempts, throttles, event age, time to success and to discard
        (from ``Invoke`` to the outcome, per outcome) and duration quantiles."""
        lines = [f"lambdasim results at t = {self.now:,.1f} s (seed {self.seed})"]
        for name, f in self.functions.items():
            lines.append("")
            lines.append(f"function {name}")
            carried = f.get("carried_in", 0)
            # What can have an outcome: events received, duplicates, and events carried over from a warm-up (they
            # count in the outcomes when they finish). That total = outcomes + in flight, line by line.
            events = f["async_events_received"] + f["duplicates"] + carried
            lines.append(
                f"  events received      {f['async_events_received']:>10,}"
                f"   duplicates {f['duplicates']:,}"
                + (f"   carried in from the warm-up {carried:,}" if carried else "")
                + f"   in flight {f['in_flight']:,}"
            )
            lines.append("  outcomes" + (f" (shares of the {events:,} events above)" if events else ""))
            for cond, n in f["outcomes"].items():
                share = n / events if events else 0.0
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
                ("time to success", "time_to_success_s"),
                ("time to discard", "time_to_discard_s"),
                ("duration", "duration_s"),
            ):
                t = f[key]
                lines.append(f"    {label:<20}" + "".join(_num(t[k]) for k in ("mean", "p50", "p90", "p99", "max")))
            conc, depth = f["concurrency"], f["queue_depth"]
            lines.append(
                f"  concurrency          mean {conc['mean']:.2f}   max {conc['max']:.0f}"
                f"   queue depth mean {depth['mean']:.2f}   max {depth['max']:.0f}"
            )
            env = f.get("environments")
            if env is not None:
                cold = env["cold_start_probability"]
                lines.append(
                    f"  environments         mean busy {env['busy_mean']:.2f}   idle {env['idle_mean']:.2f}"
                    f"   total {env['total_mean']:.2f}   cold-start probability "
                    + ("-" if cold is None else f"{cold:.2%}")
                )
            prov = f.get("provisioned")
            if prov is not None and (prov["invocations"] or prov["spillover_invocations"]):
                util = prov["utilization_mean"]
                lines.append(
                    f"  provisioned          invocations {prov['invocations']:,}   spill-over "
                    f"{prov['spillover_invocations']:,}   utilisation " + ("-" if util is None else f"{util:.1%}")
                )
            if f.get("caller_requests"):
                errors = ", ".join(f"{c} {n:,}" for c, n in f["caller_errors"].items()) or "none"
                lines.append(
                    f"  sync callers         requests {f['caller_requests']:,}   SDK retries {f['caller_retries']:,}"
                    f"   failed ({errors})"
                )
        lines.extend(self._delivery_lines())
        return "\n".join(lines)

    def _delivery_lines(self) -> list[str]:
        """Messages per destination, dead-letter queue and attached sink, for :meth:`summary`."""
        rows: list[tuple[str, str, dict[str, Any]]] = [
            (role.replace("_", "-"), arn, figures)
            for role, targets in self.destinations.items()
            for arn, figures in targets.items()
        ]
        rows.extend(("sink", name, figures) for name, figures in self.sinks.items())
        if not rows:
            return []
        width = max(len(target) for _, target, _ in rows)
        lines = ["", f"{'deliveries':<15}{'target':<{width}} {'delivered':>10}  {'failed':>10}"]
        for role, target, figures in rows:
            lines.append(f"  {role:<12} {target:<{width}} {figures['delivered']:>10,}  {figures['failed']:>10,}")
        return lines

    def __repr__(self) -> str:
        return f"<Results t={self.now:g}s seed={self.seed} functions={list(self.functions)}>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(self.summary())


def _flatten(value: Any, prefix: str, into: dict[str, Any]) -> None:
    """Flatten nested dicts (and lists of dicts) into ``into`` with dotted keys."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value, 1):
            _flatten(item, f"{prefix}.{i}", into)
    else:
        into[prefix] = None if isinstance(value, (dict, list)) and not value else value


def json_ready(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None`` (strict JSON has neither), tuples as lists and keys as strings,
    so ``json.dumps(..., allow_nan=False)`` writes it."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return f"{'-':>10}"
    return f"{x:>10.3f}"
