"""What a run produced: per-function counts, distributions and levels, stamped with the seed and settings."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from lambdasim.core._optional import _deprecated, require
from lambdasim.core.cost import Usage, usage
from lambdasim.core.counters import FunctionStats
from lambdasim.core.metrics import METRIC_UNITS, STATISTICS, FunctionMetrics, parse_percentile
from lambdasim.core.rules import Condition
from lambdasim.core.settings import Settings

if TYPE_CHECKING:
    from lambdasim.core.engine import FunctionState


_new = object.__new__

Frozen = tuple[
    list[Any] | None, dict[str, FunctionMetrics], dict[str, dict[str, dict[str, Any]]], dict[str, dict[str, Any]]
]
"""What :meth:`Results.deferred` takes from the live simulation when it freezes: the trace, each function's
metrics, the destinations' and the sinks' figures."""


class Results:
    """A snapshot of a simulation at ``now`` (simulated seconds).

    ``results.functions[name]`` is a JSON-ready dict of that function's figures; :meth:`summary` prints them as a
    table; :meth:`to_dict` is everything, with the seed and settings that produced it.

    Results taken from a running :class:`~lambdasim.aws.simulation.Simulation` (``sim.run(...)``,
    ``sim.results()``) are *deferred*: taking them costs a few attribute copies, and their figures are computed when
    first read, or, if the simulation is about to change first (its clock moves, an event is accepted, a limit
    changes), right then. Either way they are the figures as of ``now``.
    """

    # Slots: results are taken at every clock step of a script, so taking them must cost little.
    __slots__ = (
        "__weakref__",
        "_capture",
        "_configs",
        "_configs_shared",
        "_destinations",
        "_event_source_mappings",
        "_functions",
        "_functions_at",
        "_metrics",
        "_queues",
        "_sinks",
        "_stats",
        "_stream_mappings",
        "_streams",
        "_trace",
        "_usage",
        "concurrency_limit",
        "metrics_epoch_s",
        "now",
        "seed",
        "settings",
    )

    _capture: Callable[[float, dict[str, FunctionState]], Frozen] | None
    _functions_at: dict[str, FunctionState]

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
        queues: dict[str, dict[str, Any]] | None = None,
        event_source_mappings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.seed = seed
        self.now = now
        self.settings = settings
        self.concurrency_limit = concurrency_limit
        self._stats = stats
        # Each function's configuration as GetFunctionConfiguration reports it (MemorySize, Architectures, ...).
        self._configs: dict[str, dict[str, Any]] | None = dict(configs or {})
        self._configs_shared: dict[str, dict[str, Any]] = {}
        # CloudWatch-style series per function (lambdasim.core.metrics) have periods that start at the
        # simulation's start, Unix time metrics_epoch_s.
        self.metrics_epoch_s = metrics_epoch_s
        self._capture = None
        self._fill(trace, dict(metrics or {}), destinations, dict(sinks or {}))
        # What the SQS queues and the event source mappings did (lambdasim.aws.sqs.stats), by queue name and by
        # mapping UUID; empty when the run has none.
        self._queues: dict[str, dict[str, Any]] | None = dict(queues or {})
        self._event_source_mappings: dict[str, dict[str, Any]] | None = dict(event_source_mappings or {})
        # What the Kinesis and DynamoDB streams and the stream mappings did (lambdasim.aws.kinesis.stats).
        self._streams: dict[str, dict[str, Any]] | None = {}
        self._stream_mappings: dict[str, dict[str, Any]] | None = {}

    @classmethod
    def deferred(
        cls,
        seed: int,
        now: float,
        settings: Settings,
        concurrency_limit: int,
        functions: dict[str, FunctionState],
        configs: dict[str, dict[str, Any]],
        metrics_epoch_s: float,
        capture: Callable[[float, dict[str, FunctionState]], Frozen],
    ) -> Results:
        """Results at ``now`` of ``functions`` whose figures are computed on first read, from their live statistics
        and ``capture(now, functions)``. ``configs`` is a snapshot the caller may share between results and never
        changes: each results copies it when first read.

        The caller promises to call :meth:`freeze` before anything those read changes (the simulation does, see
        the class notes): until then, live and frozen are the same. Taking them costs a few attribute stores.
        """
        self: Results = _new(cls)  # without __init__, which computes the figures at once
        self.seed = seed
        self.now = now
        self.settings = settings
        self.concurrency_limit = concurrency_limit
        self._configs = None
        self._configs_shared = configs
        self.metrics_epoch_s = metrics_epoch_s
        self._functions_at = functions
        self._capture = capture
        self._queues = self._event_source_mappings = None  # empty, made when first read (most runs have none)
        self._streams = self._stream_mappings = None
        return self

    def freeze(self) -> None:
        """Compute the figures now, from the live state (a no-op once done)."""
        capture = self._capture
        if capture is not None:
            self._capture = None
            functions = self._functions_at
            self._stats = {name: fs.stats for name, fs in functions.items()}
            self._fill(*capture(self.now, functions))

    def _fill(
        self,
        trace: list[Any] | None,
        metrics: dict[str, FunctionMetrics],
        destinations: dict[str, dict[str, dict[str, Any]]] | None,
        sinks: dict[str, dict[str, Any]],
    ) -> None:
        now = self.now
        stats = self._stats
        self._functions = {name: st.to_dict(now) for name, st in stats.items()}
        # What the bill needs, frozen at `now` like `functions` (the statistics are live: the run may go on).
        self._usage = {name: usage(st, now) for name, st in stats.items()}
        self._trace = trace
        self._metrics = metrics  # frozen at `now` (FunctionMetrics.snapshot)
        # What the destinations, dead-letter queues and attached sinks got (lambdasim.core.sinks.SinkStats.to_dict):
        # {"on_success" | "on_failure" | "dead_letter": {ARN: figures}} and {sink name: figures}.
        self._destinations = destinations or {"on_success": {}, "on_failure": {}, "dead_letter": {}}
        self._sinks = sinks

    @property
    def queues(self) -> dict[str, dict[str, Any]]:
        """What each SQS queue did (:mod:`lambdasim.aws.sqs.stats`), by queue name; empty when the run has none."""
        queues = self._queues
        if queues is None:
            queues = self._queues = {}
        return queues

    @queues.setter
    def queues(self, value: dict[str, dict[str, Any]]) -> None:
        self._queues = value

    @property
    def event_source_mappings(self) -> dict[str, dict[str, Any]]:
        """What each event source mapping did, by mapping UUID; empty when the run has none."""
        mappings = self._event_source_mappings
        if mappings is None:
            mappings = self._event_source_mappings = {}
        return mappings

    @event_source_mappings.setter
    def event_source_mappings(self, value: dict[str, dict[str, Any]]) -> None:
        self._event_source_mappings = value

    @property
    def streams(self) -> dict[str, dict[str, Any]]:
        """What each Kinesis or DynamoDB stream did (:mod:`lambdasim.aws.kinesis.stats`), by name; empty when the run
        has none."""
        streams = self._streams
        if streams is None:
            streams = self._streams = {}
        return streams

    @streams.setter
    def streams(self, value: dict[str, dict[str, Any]]) -> None:
        self._streams = value

    @property
    def stream_mappings(self) -> dict[str, dict[str, Any]]:
        """What each stream event source mapping did, by mapping UUID; empty when the run has none."""
        mappings = self._stream_mappings
        if mappings is None:
            mappings = self._stream_mappings = {}
        return mappings

    @stream_mappings.setter
    def stream_mappings(self, value: dict[str, dict[str, Any]]) -> None:
        self._stream_mappings = value

    @property
    def configs(self) -> dict[str, dict[str, Any]]:
        """Each function's configuration as ``GetFunctionConfiguration`` reported it at ``now`` (``MemorySize``,
        ``Architectures``, ...)."""
        configs = self._configs
        if configs is None:
            configs = self._configs = {name: dict(config) for name, config in self._configs_shared.items()}
        return configs

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        """Each function's figures at ``now``, JSON-ready (:meth:`lambdasim.core.counters.FunctionStats.to_dict`)."""
        if self._capture is not None:
            self.freeze()
        return self._functions

    @property
    def usage(self) -> dict[str, Usage]:
        """What the bill needs per function (:func:`lambdasim.core.cost.usage`), as of ``now``."""
        if self._capture is not None:
            self.freeze()
        return self._usage

    @property
    def trace(self) -> list[Any] | None:
        """The per-attempt trace up to ``now`` (``None`` unless the simulation keeps one)."""
        if self._capture is not None:
            self.freeze()
        return self._trace

    @property
    def metrics(self) -> dict[str, FunctionMetrics]:
        """CloudWatch-style series per function (:mod:`lambdasim.core.metrics`), as of ``now``."""
        if self._capture is not None:
            self.freeze()
        return self._metrics

    @property
    def destinations(self) -> dict[str, dict[str, dict[str, Any]]]:
        """What each destination and dead-letter queue got: ``{"on_success" | "on_failure" | "dead_letter": {ARN:
        figures}}``."""
        if self._capture is not None:
            self.freeze()
        return self._destinations

    @property
    def sinks(self) -> dict[str, dict[str, Any]]:
        """What each attached sink got: ``{sink name: figures}``."""
        if self._capture is not None:
            self.freeze()
        return self._sinks

    def stats(self, function: str) -> FunctionStats:
        """The live running statistics of ``function`` (tallies with quantiles, levels).

        Live: if the simulation runs on, they move on, and their throttle counts may lag behind the clock while
        throttled events are parked (:mod:`lambdasim.core.backlog`) until the next ``sim.results()`` or ``sim.run()``
        brings them up to date. The figures in :attr:`functions` and the bill are those of these results' end."""
        if self._capture is not None:
            self.freeze()  # brings the throttle counts up to `now`, as taking eager results did
        try:
            return self._stats[function]
        except KeyError:
            raise KeyError(f"no function {function!r} in these results; functions: {sorted(self._stats)}") from None

    def bill(self, prices: Any = None, *, init_billing: bool | None = None, month: Any = None) -> Any:
        """What these results cost on AWS: a :class:`lambdasim.cost.Bill` (requests, GB-seconds, monthly
        projection).

        ``prices`` is a :class:`lambdasim.prices.PriceTable` (default: the current us-east-1 table);
        ``init_billing`` overrides the table's rule for billing the init phase of cold starts; ``month`` (a
        :class:`lambdasim.cost.Month`) sets the monthly projection: calendar hours (default) or working days.
        """
        from lambdasim.core.cost import bill

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
                "queues": self.queues,
                "event_source_mappings": self.event_source_mappings,
                "streams": self.streams,
                "stream_mappings": self.stream_mappings,
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
            # Errors, timeouts and cold starts count every invocation (async attempts, and the synchronous invokes
            # of callers and event source mappings): the line says how many invocations they are of.
            sync = f["invocations"] - f["attempts"]
            lines.append(
                f"  attempts             {f['attempts']:>10,}"
                + (f"   synchronous invocations {sync:,}" if sync else "")
                + f"   errors {f['errors']:,} (timeouts {f['timeouts']:,})   cold starts {f['cold_starts']:,}"
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
            environments = f.get("environments")
            if environments is not None:
                cold = environments["cold_start_probability"]
                busy, idle, total = environments["busy_mean"], environments["idle_mean"], environments["total_mean"]
                lines.append(
                    f"  environments         mean busy {busy:.2f}   idle {idle:.2f}"
                    f"   total {total:.2f}   cold-start probability " + ("-" if cold is None else f"{cold:.2%}")
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
        lines.extend(self._queue_lines())
        lines.extend(self._delivery_lines())
        return "\n".join(lines)

    def _queue_lines(self) -> list[str]:
        """Per SQS queue and event source mapping, for :meth:`summary`."""
        lines: list[str] = []
        for name, q in self.queues.items():
            dwell, depth = q["dwell_s"], q["depth"]
            lines.append("")
            lines.append(f"queue {name}" + (" (FIFO)" if q["fifo"] else ""))
            lines.append(
                f"  messages sent        {q['sent']:>10,}   deleted {q['deleted']:,}   to dead-letter queue "
                f"{q['moved_to_dead_letter']:,}   expired {q['expired']:,}"
            )
            left = q["visible"] + q["in_flight"] + q["delayed"]
            lines.append(
                f"  left in queue        {left:>10,}   oldest {q['age_of_oldest_message_s']:.1f} s   depth mean "
                f"{depth['mean']:.2f}   max {depth['max']:.0f}"
            )
            lines.append("  seconds                  mean       p50       p90       p99       max")
            lines.append(
                "    send to delete      " + "".join(_num(dwell[k]) for k in ("mean", "p50", "p90", "p99", "max"))
            )
            receives = q["receives_per_message"]["mean"]
            lines.append(
                "  receives per message "
                + ("         -" if receives is None else f"{receives:>10.2f}")
                + f"   SQS requests {q['requests']:,} ({q['request_cost']:.6f} USD)"
            )
        for uuid, m in self.event_source_mappings.items():
            lines.append("")
            lines.append(f"event source mapping {m['queue']} -> {m['function_arn'].rsplit(':function:', 1)[-1]}")
            lines.append(
                f"  batches              {m['batches']:>10,}   errors {m['errors']:,}   partial {m['partial']:,}"
                f"   throttled invokes {m['throttles']:,}   filtered {m['filtered']:,}"
            )
            lines.append(
                f"  concurrent batches   mean {m['batches_mean']:.2f}   max {m['peak_batches']:,}   pollers now "
                f"{m['pollers']:,}   state {m['state']}   ({uuid})"
            )
        for name, st in self.streams.items():
            lines.append("")
            lines.append(f"stream {name} ({st['source']}, {st['shards']} shards)")
            lines.append(
                f"  records put          {st['records_put']:>10,}   write throttles {st['write_throttles']:,}   "
                f"expired {st['expired']:,}   cost {st['cost']:.6f} USD"
            )
        for uuid, m in self.stream_mappings.items():
            lines.append("")
            lines.append(f"stream mapping {m['stream']} -> {m['function_arn'].rsplit(':function:', 1)[-1]}")
            lines.append(
                f"  records processed    {m['processed']:>10,}   discarded {m['discarded']:,}   expired "
                f"{m['expired']:,}   pending {m['pending']:,}   filtered {m['filtered']:,}"
            )
            lines.append(
                f"  batches              {m['batches']:>10,}   invokes {m['invokes']:,}   errors {m['errors']:,}   "
                f"iterator age max {m['iterator_age_ms_max'] / 1000:.1f} s   state {m['state']}   ({uuid})"
            )
        return lines

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
