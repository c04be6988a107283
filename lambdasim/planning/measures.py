"""What each measure and swept setting is, for people: a label, a unit and the values it can take.

Plots and reports read labels from here instead of printing raw names: ``time_to_success_p99_s`` is "time to
success, p99 (s)", never below 0; ``functions[thumbnails].reserved_concurrency`` is "reserved concurrency
(thumbnails)", an integer; ``workloads[1].phases[0].end_s`` is "end (s), workload 2, phase 1".

>>> m = measure("orders.time_to_success_p99_s")
>>> m.label, m.unit, m.low
('orders: time to success, p99', 's', 0.0)
>>> parameter_label("functions[thumbnails].reserved_concurrency")
'reserved concurrency (thumbnails)'
>>> measure("AsyncEventAge").unit
'ms'
"""

from __future__ import annotations

import re

from attrs import frozen

from lambdasim.core.metrics import METRIC_UNITS

__all__ = ["Measure", "measure", "parameter_label"]


@frozen
class Measure:
    """A measure's label, unit and domain.

    Attributes:
        label: Words for an axis or a table.
        unit: ``"s"``, ``"ms"``, ``"$"``, ``"GB-s"``, ``"events"``, ``""`` (a pure number) ...
        low: The least value it can take (``None``: unbounded).
        high: The largest (``None``: unbounded); 1 for shares.
        integer: Whether it only takes whole values (counts).
    """

    label: str
    unit: str
    low: float | None = 0.0
    high: float | None = None
    integer: bool = False

    @property
    def axis_label(self) -> str:
        """``label (unit)``, or the label alone for a pure number."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def clip(self, value: float) -> float:
        """``value`` brought into the domain (for drawing bands, never for results)."""
        if self.low is not None and value < self.low:
            return self.low
        if self.high is not None and value > self.high:
            return self.high
        return value


_COUNTS = {
    "received": "events received",
    "carried_in": "events carried in from the warm-up",
    "attempts": "attempts",
    "invocations": "invocations",
    "errors": "function errors",
    "throttles": "throttles",
    "sync_throttles": "synchronous throttles",
    "cold_starts": "cold starts",
    "in_flight": "events in flight at the end",
    "success": "events that succeeded",
    "retries_exhausted": "events discarded: retries exhausted",
    "event_age_exceeded": "events discarded: too old",
    "zero_reserved_concurrency": "events discarded: zero reserved concurrency",
    "dropped": "events dropped by the queue",
    "async_events_dropped": "events discarded (AsyncEventsDropped)",
    "concurrency_max": "peak concurrency",
}
_LEVELS = {
    "concurrency_mean": ("mean concurrency", "executions"),
    "queue_depth_mean": ("mean queue depth", "events"),
    "queue_depth_max": ("peak queue depth", "events"),
    "gb_seconds": ("billed compute", "GB-s"),
    "cost": ("cost of the measured window", "$"),
    "cost_monthly": ("cost per month", "$"),
}
_TIMES = {
    "time_to_success": "time to success",
    "time_to_discard": "time to discard",
    "end_to_end": "time to outcome (success or discard)",
    "event_age": "event age at each attempt",
    "first_attempt_age": "wait before the first attempt",
    "duration": "attempt duration",
}
_TIME = re.compile(r"^(?P<what>[a-z_]+?)_(?P<stat>mean|max|p\d+(?:\.\d+)?)_s$")
_CLOUDWATCH_UNITS = {"Milliseconds": "ms", "Count": "", "None": ""}


def measure(name: str) -> Measure:
    """The :class:`Measure` of a name of :class:`lambdasim.experiment.Metrics` (``"orders."`` prefixes allowed)
    or of a CloudWatch metric (``"AsyncEventAge"``); an unknown name gets itself as label and no unit."""
    whole = _base(name)
    prefix, _, base = name.partition(".")
    if whole.low is not None or not base:  # known as it stands (``event_age_p99.9_s`` has a dot of its own)
        return whole
    m = _base(base)
    return Measure(f"{prefix}: {m.label}", m.unit, m.low, m.high, m.integer)


def _base(name: str) -> Measure:
    if name in METRIC_UNITS:
        unit = _CLOUDWATCH_UNITS.get(METRIC_UNITS[name], METRIC_UNITS[name])
        return Measure(name, unit, 0.0, 1.0 if name == "ProvisionedConcurrencyUtilization" else None)
    if name in _COUNTS:
        return Measure(_COUNTS[name], "", 0.0, None, True)
    if name in _LEVELS:
        label, unit = _LEVELS[name]
        return Measure(label, unit)
    if name == "dropped_fraction":
        return Measure("share of events discarded", "", 0.0, 1.0)
    m = _TIME.match(name)
    if m is not None and m.group("what") in _TIMES:
        stat = m.group("stat")
        return Measure(f"{_TIMES[m.group('what')]}, {stat}", "s")
    return Measure(name, "", None, None)


_UNIT_SUFFIXES = (("_per_s", "/s"), ("_mb", "MB"), ("_s", "s"), ("_bytes", "bytes"))
_STEP = re.compile(r"\.?([A-Za-z_]\w*)|\[([^\]]+)\]")


def parameter_label(path: str) -> str:
    """Words for a swept setting's path (or a callable variation's label): its last field, with its unit, and
    where it sits (``"end (s), workload 2, phase 1"``, ``"reserved concurrency (thumbnails)"``)."""
    steps: list[tuple[str, str | None]] = []  # (field, index into it)
    for m in _STEP.finditer(path):
        if m.group(1) is not None:
            steps.append((m.group(1), None))
        elif steps:
            steps[-1] = (steps[-1][0], m.group(2).strip().strip("'\""))
    if not steps:
        return path
    field, _ = steps[-1]
    words, unit = field, ""
    for suffix, u in _UNIT_SUFFIXES:
        if field.endswith(suffix):
            words, unit = field[: -len(suffix)], u
            break
    label = words.replace("_", " ") + (f" ({unit})" if unit else "")
    where = []
    for name, index in steps[:-1]:
        if index is None:
            continue
        singular = name[:-1] if name.endswith("s") else name
        where.append(f"{singular} {int(index) + 1}" if index.lstrip("-").isdigit() else f"{singular} {index}")
    named = steps[0][0] == "functions" and steps[0][1] is not None and not steps[0][1].lstrip("-").isdigit()
    if len(where) == 1 and named:
        return f"{label} ({steps[0][1]})"
    return ", ".join([label, *where])
