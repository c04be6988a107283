"""Test helpers for regression tests on asynchronous retry timing, destinations and dead-letter queues.

Everything here works with plain ``assert`` in any test runner; the pytest plugin (:mod:`lambdasim.testing.plugin`)
adds the ``lambda_sim`` fixture, a seed option and readable failure reports.

- :class:`LambdaSim` is a seeded, traced :class:`~lambdasim.Simulation` with its clients at hand.
- :func:`trace_of` collects one request's attempts, throttles and outcome from a run's trace
  (:class:`RequestTrace`); :class:`Expected` states the timeline a test expects, and :func:`assert_attempts`
  compares the two, failing with both timelines side by side.
- :class:`Capture` is a :class:`~lambdasim.Sink` that keeps the outcomes (and their AWS invocation records) of chosen
  functions and conditions; :func:`read_queue` drains a simulated SQS queue, for example a dead-letter queue.

>>> import lambdasim as ls
>>> from lambdasim.testing.helpers import LambdaSim, assert_attempts, retry_starts
>>> def always_fail(event, context):
...     raise RuntimeError("payments API is down")
>>> ls_sim = LambdaSim(seed=1)
>>> _ = ls_sim.lam.create_function(FunctionName="orders", Handler=always_fail, Duration=2.0, Timeout=30)
>>> failures = ls_sim.capture("orders", condition="RetriesExhausted")
>>> rid = ls_sim.invoke("orders", {"order": 17})
>>> _ = ls_sim.run()
>>> retry_starts(2.0)
[0.0, 62.0, 184.0]
>>> trace = assert_attempts(ls_sim, rid, starts=retry_starts(2.0), condition="RetriesExhausted",
...                         approximate_invoke_count=3)
>>> failures.records[0]["requestContext"]["approximateInvokeCount"]
3
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
from attrs import field, frozen

from lambdasim.aws.simulation import Simulation
from lambdasim.core._validators import check_range, check_type
from lambdasim.core.engine import TraceEntry
from lambdasim.core.outcome import Outcome
from lambdasim.core.results import Results
from lambdasim.core.rules import Condition
from lambdasim.core.settings import Settings

__all__ = [
    "DEFAULT_SEED",
    "FAILURE_CONDITIONS",
    "Capture",
    "Expected",
    "LambdaSim",
    "QueueMessage",
    "RequestTrace",
    "assert_attempts",
    "capture",
    "read_queue",
    "retry_starts",
    "trace_of",
]

DEFAULT_SEED = 1
"""The seed of the ``lambda_sim`` fixture unless ``--lambdasim-seed``, the ``lambdasim_seed`` ini setting or a
``@pytest.mark.lambdasim(seed=...)`` marker says otherwise."""

RAN = ("Success", "Error", "Timeout")
"""Trace kinds of an attempt that ran (and counts in ``approximateInvokeCount``)."""

OUTCOME = "Outcome"

FAILURE_CONDITIONS = frozenset(
    {Condition.RETRIES_EXHAUSTED, Condition.EVENT_AGE_EXCEEDED, Condition.ZERO_RESERVED_CONCURRENCY}
)
"""The conditions that reach an on-failure destination and a dead-letter queue."""

FLOAT_SLACK = 1e-9
"""Relative slack (1 ns per second) added to every tolerance, so ``d + 60`` compares equal however it was summed."""

Source = Any
"""Where a trace comes from: a :class:`LambdaSim`, a :class:`~lambdasim.Simulation`, a :class:`~lambdasim.Results`
or a sequence of :class:`~lambdasim.core.engine.TraceEntry`."""


# -- timelines --------------------------------------------------------------------------------------------------


def retry_starts(
    duration_s: float, attempts: int = 3, *, delays_s: Sequence[float] | None = None, at_s: float = 0.0
) -> list[float]:
    """Attempt start times of an always-failing event, as AWS schedules them with no wait for concurrency.

    Args:
        duration_s: Seconds each attempt runs (>= 0).
        attempts: Attempts that run, 1 to 3 (``MaximumRetryAttempts + 1``).
        delays_s: Wait after the 1st and 2nd attempt end; default :attr:`Settings.retry_delays_s` (60 s, 120 s).
        at_s: Time of the ``Invoke`` call (s).

    >>> retry_starts(1.0)
    [0.0, 61.0, 182.0]
    >>> retry_starts(0.5, attempts=2, at_s=10.0)
    [10.0, 70.5]
    """
    delays = tuple(Settings().retry_delays_s if delays_s is None else delays_s)
    for i, delay in enumerate(delays):
        check_range(f"delays_s[{i}]", delay, 0)
    check_range("attempts", attempts, 1, len(delays) + 1, integer=True)
    check_range("duration_s", duration_s, 0)
    check_range("at_s", at_s, 0)
    starts = [float(at_s)]
    for delay in delays[: attempts - 1]:
        starts.append(starts[-1] + duration_s + delay)
    return starts


@frozen
class RequestTrace:
    """Everything the trace holds about one request id, in simulated-time order.

    Attributes:
        request_id: The request id shared by every attempt.
        function_name: The function invoked.
        attempts: Attempts that ran (kinds ``Success``, ``Error``, ``Timeout``).
        rejections: Tries that did not run (``Throttled``, ``ServiceError``): ``start == end`` is when.
        outcomes: The outcome entries (one, or two when the queue delivered the event twice; none while in flight).
    """

    request_id: str
    function_name: str
    attempts: tuple[TraceEntry, ...]
    rejections: tuple[TraceEntry, ...]
    outcomes: tuple[TraceEntry, ...]

    @classmethod
    def from_entries(cls, entries: Iterable[TraceEntry], request_id: str) -> RequestTrace:
        """Pick ``request_id``'s entries out of a whole trace."""
        mine = [e for e in entries if e.request_id == request_id]
        return cls(
            request_id=request_id,
            function_name=mine[0].function_name if mine else "",
            attempts=tuple(e for e in mine if e.kind in RAN),
            rejections=tuple(e for e in mine if e.kind not in RAN and e.kind != OUTCOME),
            outcomes=tuple(e for e in mine if e.kind == OUTCOME),
        )

    @property
    def starts(self) -> list[float]:
        """Start time of each attempt that ran (s)."""
        return [e.start for e in self.attempts]

    @property
    def ends(self) -> list[float]:
        """End time of each attempt that ran (s)."""
        return [e.end for e in self.attempts]

    @property
    def kinds(self) -> list[str]:
        """``"Success"``, ``"Error"`` or ``"Timeout"`` per attempt."""
        return [e.kind for e in self.attempts]

    @property
    def throttled_at(self) -> list[float]:
        """Times of throttles and service errors (s)."""
        return [e.start for e in self.rejections]

    @property
    def outcome(self) -> TraceEntry | None:
        """The (first) outcome entry, or ``None`` while the event is in flight."""
        return self.outcomes[0] if self.outcomes else None

    @property
    def condition(self) -> str | None:
        """The outcome's condition (``"RetriesExhausted"``, ...), or ``None`` while in flight."""
        return None if self.outcome is None else self.outcome.detail

    @property
    def approximate_invoke_count(self) -> int | None:
        """``approximateInvokeCount`` of the outcome: attempts that ran."""
        return None if self.outcome is None else self.outcome.attempt

    @property
    def finished_at(self) -> float | None:
        """Simulated time of the outcome (s)."""
        return None if self.outcome is None else self.outcome.end


def _entries(source: Source) -> list[TraceEntry]:
    trace: Any
    if isinstance(source, LambdaSim):
        trace = source.sim.engine.trace
    elif isinstance(source, Simulation):
        trace = source.engine.trace
    elif isinstance(source, Results):
        trace = source.trace
    elif isinstance(source, (list, tuple)):
        trace = source
    else:
        raise TypeError(
            "the trace source must be a LambdaSim, a Simulation, a Results or a list of TraceEntry, "
            f"got {source!r} ({type(source).__name__})"
        )
    if trace is None:
        raise ValueError("this run kept no trace: create the Simulation with trace=True (the lambda_sim fixture does)")
    return list(trace)


def trace_of(source: Source, request_id: str) -> RequestTrace:
    """One request's attempts, throttles and outcome; ``AssertionError`` if the trace never saw ``request_id``."""
    entries = _entries(source)
    found = RequestTrace.from_entries(entries, request_id)
    if not (found.attempts or found.rejections or found.outcomes):
        known = list(dict.fromkeys(e.request_id for e in entries))
        shown = ", ".join(known[:5]) + (f", ... ({len(known)} in all)" if len(known) > 5 else "")
        raise AssertionError(f"request id {request_id!r} is not in the trace (it holds: {shown or 'nothing yet'})")
    return found


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _close(actual: float, expected: float, tolerance: float) -> bool:
    return math.isclose(actual, expected, rel_tol=FLOAT_SLACK, abs_tol=tolerance + FLOAT_SLACK)


def _times(name: str, value: Sequence[float] | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of seconds, got {value!r}")
    out = []
    for i, t in enumerate(value):
        if isinstance(t, bool) or not isinstance(t, (int, float)) or math.isnan(t):
            raise TypeError(f"{name}[{i}] must be a number of seconds, got {t!r}")
        out.append(float(t))
    return tuple(out)


def _starts(value: Sequence[float] | None) -> tuple[float, ...] | None:
    return _times("starts", value)


def _ends(value: Sequence[float] | None) -> tuple[float, ...] | None:
    return _times("ends", value)


def _throttled_at(value: Sequence[float] | None) -> tuple[float, ...] | None:
    return _times("throttled_at", value)


def _kinds(value: Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    kinds = tuple(value)
    for i, k in enumerate(kinds):
        if k not in RAN:
            raise ValueError(f"kinds[{i}] must be one of {list(RAN)}, got {k!r}")
    return kinds


def _condition(value: Condition | str | None) -> str | None:
    if value is None:
        return None
    valid = [c.value for c in Condition]
    if str(value) not in valid:
        raise ValueError(f"condition must be one of {valid}, got {value!r}")
    return str(value)


def _optional_count(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{attribute.name} must be an integer >= 0, got {value!r}")


def _tolerance(_instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{attribute.name} must be seconds >= 0, got {value!r}")


@frozen(kw_only=True, eq=False)
class Expected:
    """The timeline a test expects for one request; ``None`` leaves a part unchecked. Times in seconds.

    ``trace == Expected(...)`` is true when every stated part matches; under pytest, a failing
    ``assert trace == Expected(...)`` prints both timelines side by side.

    Attributes:
        starts: Start time of each attempt that ran (the count must match too).
        ends: End time of each attempt that ran.
        kinds: ``"Success"``, ``"Error"`` or ``"Timeout"`` per attempt.
        throttled_at: Times of throttles and service errors.
        condition: The outcome's condition (``"Success"``, ``"RetriesExhausted"``, ``"EventAgeExceeded"``, ...).
        approximate_invoke_count: The outcome record's ``approximateInvokeCount``.
        finished_at: Time of the outcome.
        tolerance: Seconds of slack on each time (>= 0; float rounding is always forgiven).
    """

    starts: tuple[float, ...] | None = field(default=None, converter=_starts)
    ends: tuple[float, ...] | None = field(default=None, converter=_ends)
    kinds: tuple[str, ...] | None = field(default=None, converter=_kinds)
    throttled_at: tuple[float, ...] | None = field(default=None, converter=_throttled_at)
    condition: str | None = field(default=None, converter=_condition)
    approximate_invoke_count: int | None = field(default=None, validator=_optional_count)
    finished_at: float | None = field(default=None)
    tolerance: float = field(default=0.0, validator=_tolerance)

    @finished_at.validator
    def _check_finished_at(self, attribute: Any, value: Any) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"finished_at must be seconds, got {value!r}")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestTrace):
            return not self.mismatches(other)
        if isinstance(other, Expected):
            return attrs.astuple(self) == attrs.astuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    # -- comparison -------------------------------------------------------------------------------------------

    def _same(self, actual: float | None, expected: float) -> bool:
        return actual is not None and _close(actual, expected, self.tolerance)

    def _attempt_ok(self, actual: RequestTrace, i: int) -> bool:
        got = actual.attempts[i] if i < len(actual.attempts) else None
        checks = (
            (self.starts, None if got is None else got.start),
            (self.ends, None if got is None else got.end),
        )
        for wanted, value in checks:
            if wanted is not None and (i >= len(wanted) or not self._same(value, wanted[i])):
                return False
        # An attempt beyond a given list is one nobody expected: a mismatch too.
        return self.kinds is None or (i < len(self.kinds) and got is not None and got.kind == self.kinds[i])

    def _throttle_ok(self, actual: RequestTrace, i: int) -> bool:
        if self.throttled_at is None:
            return True
        times = actual.throttled_at
        return i < len(self.throttled_at) and i < len(times) and self._same(times[i], self.throttled_at[i])

    def _outcome_ok(self, actual: RequestTrace) -> bool:
        if len(actual.outcomes) > 1 and (
            self.condition is not None or self.approximate_invoke_count is not None or self.finished_at is not None
        ):
            return False
        if self.condition is not None and actual.condition != self.condition:
            return False
        if self.approximate_invoke_count is not None and actual.approximate_invoke_count != (
            self.approximate_invoke_count
        ):
            return False
        return self.finished_at is None or self._same(actual.finished_at, float(self.finished_at))

    def _n_attempts(self, actual: RequestTrace) -> int:
        lists = [w for w in (self.starts, self.ends, self.kinds) if w is not None]
        return max([len(actual.attempts), *(len(w) for w in lists)])

    def _n_throttles(self, actual: RequestTrace) -> int:
        return max(len(actual.rejections), len(self.throttled_at or ()))

    def mismatches(self, actual: RequestTrace) -> list[str]:
        """Labels of the rows that differ (``"attempt 3"``, ``"throttle 1"``, ``"outcome"``); empty when it matches."""
        bad = [f"attempt {i + 1}" for i in range(self._n_attempts(actual)) if not self._attempt_ok(actual, i)]
        bad += [f"throttle {i + 1}" for i in range(self._n_throttles(actual)) if not self._throttle_ok(actual, i)]
        if not self._outcome_ok(actual):
            bad.append("outcome")
        return bad

    # -- the report -------------------------------------------------------------------------------------------

    def _expected_attempt(self, i: int) -> str:
        parts = []
        if self.starts is not None and i < len(self.starts):
            parts.append(f"start {_seconds(self.starts[i])}")
        if self.ends is not None and i < len(self.ends):
            parts.append(f"end {_seconds(self.ends[i])}")
        if self.kinds is not None and i < len(self.kinds):
            parts.append(self.kinds[i])
        given = [w for w in (self.starts, self.ends, self.kinds) if w is not None]
        if not parts:
            return "(none)" if given else "(any)"
        return "  ".join(parts)

    def _expected_outcome(self) -> str:
        parts = []
        if self.condition is not None:
            parts.append(self.condition)
        if self.approximate_invoke_count is not None:
            parts.append(f"count {self.approximate_invoke_count}")
        if self.finished_at is not None:
            parts.append(f"at {_seconds(float(self.finished_at))}")
        return ", ".join(parts) or "(any)"

    def report(self, actual: RequestTrace, title: str | None = None) -> list[str]:
        """The two timelines side by side, one row per attempt, throttle and outcome; ``!!`` marks rows that differ.

        The first line is ``title``, by default naming the request and the tolerance.
        """
        # Rows in time order (by the actual time, else the expected one), so throttles sit between attempts.
        keyed: list[tuple[float, tuple[str, str, str, bool]]] = []
        for i in range(self._n_attempts(actual)):
            got = actual.attempts[i] if i < len(actual.attempts) else None
            shown = "(none)" if got is None else f"start {_seconds(got.start)}  end {_seconds(got.end)}  {got.kind}"
            if got is not None and got.detail:
                shown += f" ({got.detail})"
            when = got.start if got is not None else _nth(self.starts, i)
            keyed.append((when, (f"attempt {i + 1}", self._expected_attempt(i), shown, self._attempt_ok(actual, i))))
        for i in range(self._n_throttles(actual)):
            got = actual.rejections[i] if i < len(actual.rejections) else None
            if self.throttled_at is None:
                wanted = "(any)"
            else:
                wanted = f"at {_seconds(self.throttled_at[i])}" if i < len(self.throttled_at) else "(none)"
            shown = "(none)" if got is None else f"at {_seconds(got.start)}  {got.kind} ({got.detail})"
            when = got.start if got is not None else _nth(self.throttled_at, i)
            keyed.append((when, (f"throttle {i + 1}", wanted, shown, self._throttle_ok(actual, i))))
        keyed.sort(key=lambda item: item[0])
        rows = [row for _, row in keyed]
        if actual.outcomes:
            shown = "; ".join(f"{o.detail}, count {o.attempt}, at {_seconds(o.end)}" for o in actual.outcomes)
        else:
            shown = "(none: still in flight)"
        rows.append(("outcome", self._expected_outcome(), shown, self._outcome_ok(actual)))
        if title is None:
            title = (
                f"request {actual.request_id} of function {actual.function_name!r}: timeline differs from the "
                f"expected one (tolerance {_seconds(self.tolerance)} s)"
            )
        return [title, *_table(rows)]


def _nth(values: tuple[float, ...] | None, i: int) -> float:
    return values[i] if values is not None and i < len(values) else math.inf


def _table(rows: list[tuple[str, str, str, bool]]) -> list[str]:
    width_label = max(len(r[0]) for r in rows)
    width_expected = max(len("expected"), *(len(r[1]) for r in rows))
    lines = [f"   {'':<{width_label}}  {'expected':<{width_expected}}  actual"]
    for label, wanted, got, ok in rows:
        mark = "  " if ok else "!!"
        lines.append(f"{mark} {label:<{width_label}}  {wanted:<{width_expected}}  {got}".rstrip())
    return lines


def assert_attempts(
    source: Source,
    request_id: str,
    *,
    starts: Sequence[float] | None = None,
    ends: Sequence[float] | None = None,
    kinds: Sequence[str] | None = None,
    throttled_at: Sequence[float] | None = None,
    condition: Condition | str | None = None,
    approximate_invoke_count: int | None = None,
    finished_at: float | None = None,
    tolerance: float = 0.0,
) -> RequestTrace:
    """Check one request's timeline; on a mismatch raise ``AssertionError`` with both timelines side by side.

    ``source`` is a :class:`LambdaSim`, a traced :class:`~lambdasim.Simulation` or its :class:`~lambdasim.Results`.
    Every keyword is optional (see :class:`Expected`); times are seconds on the simulated clock and each may be off by
    ``tolerance``. Returns the request's :class:`RequestTrace` for further checks.
    """
    __tracebackhide__ = True  # pytest shows the failing test's line, not this helper's
    expected = Expected(
        starts=starts,
        ends=ends,
        kinds=kinds,
        throttled_at=throttled_at,
        condition=condition,
        approximate_invoke_count=approximate_invoke_count,
        finished_at=finished_at,
        tolerance=tolerance,
    )
    actual = trace_of(source, request_id)
    if expected.mismatches(actual):
        raise AssertionError("\n".join(expected.report(actual)))
    return actual


# -- capturing outcomes -----------------------------------------------------------------------------------------


def _names(value: str | Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    for name in items:
        if not isinstance(name, str) or not name:
            raise TypeError(f"function must be a function name or a list of them, got {value!r}")
    return frozenset(items)


def _conditions(value: Condition | str | Iterable[Condition | str] | None) -> frozenset[Condition] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    valid = [c.value for c in Condition]
    out = set()
    for item in items:
        if str(item) not in valid:
            raise ValueError(f"condition must be one of {valid} (or a list of them), got {item!r}")
        out.add(Condition(str(item)))
    return frozenset(out)


class Capture:
    """A :class:`~lambdasim.Sink` that keeps the outcomes of chosen functions and conditions, in delivery order.

    Args:
        function: A function name, a list of names, or ``None`` for every function.
        condition: A condition (``"Success"``, ``"RetriesExhausted"``, ...), a list of them (for example
            :data:`FAILURE_CONDITIONS`, what a dead-letter queue receives), or ``None`` for all.

    ``capture.records`` are the AWS invocation records a destination receives (spec section 4).
    """

    def __init__(
        self,
        function: str | Iterable[str] | None = None,
        condition: Condition | str | Iterable[Condition | str] | None = None,
    ) -> None:
        self.functions = _names(function)
        self.conditions = _conditions(condition)
        self.outcomes: list[Outcome] = []

    def deliver(self, outcome: Outcome) -> None:
        """Keep ``outcome`` if it is one of ours."""
        if self.functions is not None and outcome.function_name not in self.functions:
            return
        if self.conditions is not None and outcome.condition not in self.conditions:
            return
        self.outcomes.append(outcome)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The invocation records (version 1.0) of the kept outcomes."""
        return [o.record() for o in self.outcomes]

    @property
    def request_ids(self) -> list[str]:
        """Request ids of the kept outcomes."""
        return [o.request_id for o in self.outcomes]

    def counts(self) -> dict[str, int]:
        """Kept outcomes per condition."""
        out: dict[str, int] = {}
        for o in self.outcomes:
            out[o.condition.value] = out.get(o.condition.value, 0) + 1
        return out

    def of(self, request_id: str) -> Outcome:
        """The single outcome kept for ``request_id``; ``AssertionError`` if there is none or more than one."""
        found = [o for o in self.outcomes if o.request_id == request_id]
        if len(found) != 1:
            raise AssertionError(f"expected 1 outcome for request {request_id!r}, captured {len(found)}")
        return found[0]

    def clear(self) -> None:
        """Forget what was kept."""
        self.outcomes.clear()

    def __len__(self) -> int:
        return len(self.outcomes)

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    def __getitem__(self, index: int) -> Outcome:
        return self.outcomes[index]

    def __repr__(self) -> str:
        return f"<Capture {len(self.outcomes)} outcomes {self.counts()}>"


def _simulation(source: LambdaSim | Simulation) -> Simulation:
    if isinstance(source, LambdaSim):
        return source.sim
    if isinstance(source, Simulation):
        return source
    raise TypeError(f"expected a LambdaSim or a Simulation, got {source!r} ({type(source).__name__})")


def capture(
    source: LambdaSim | Simulation,
    function: str | Iterable[str] | None = None,
    condition: Condition | str | Iterable[Condition | str] | None = None,
) -> Capture:
    """Attach a new :class:`Capture` to the simulation and return it: it keeps the outcomes from now on.

    It is attached like any sink (``sim.add_sink``), so it also shows in the results' sink statistics; it filters
    by function itself, so it may name functions created later.
    """
    sink = Capture(function, condition)
    _simulation(source).add_sink(sink)
    return sink


# -- reading queues ---------------------------------------------------------------------------------------------


@frozen
class QueueMessage:
    """A message read from a simulated SQS queue.

    Attributes:
        body: The body, parsed from JSON when it is JSON (an invocation record, or a DLQ's original event).
        attributes: Message attributes as ``{name: value}`` (a DLQ's ``RequestID``, ``ErrorCode``, ``ErrorMessage``).
        raw: The message exactly as ``receive_message`` returned it.
    """

    body: Any
    attributes: dict[str, str]
    raw: dict[str, Any]


def read_queue(source: LambdaSim | Simulation, queue: str, *, limit: int = 100_000) -> list[QueueMessage]:
    """Receive and delete every visible message of an SQS ``queue`` (name, URL or ARN), oldest first.

    Draining makes repeated reads see only new messages; ``limit`` guards against a queue that never empties.
    """
    check_type("queue", queue, str, "a queue name, URL or ARN (str)")
    check_range("limit", limit, 1, integer=True)
    sqs = _simulation(source).client("sqs")
    url = _queue_url(sqs, queue)
    out: list[QueueMessage] = []
    while len(out) < limit:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )
        if not batch:
            break
        for msg in batch:
            out.append(_message(msg))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    return out


def _queue_url(sqs: Any, queue: str) -> str:
    if queue.startswith(("http://", "https://")):
        return queue
    name = queue.rsplit(":", 1)[-1] if queue.startswith("arn:") else queue
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def _message(msg: dict[str, Any]) -> QueueMessage:
    body: Any = msg.get("Body", "")
    with contextlib.suppress(TypeError, ValueError):  # not JSON: keep the text
        body = json.loads(body)
    attributes = {
        name: str(value.get("StringValue", value.get("BinaryValue", "")))
        for name, value in msg.get("MessageAttributes", {}).items()
    }
    return QueueMessage(body=body, attributes=attributes, raw=msg)


# -- the fixture's object ---------------------------------------------------------------------------------------


class LambdaSim:
    """A seeded, traced :class:`~lambdasim.Simulation` with its clients and the helpers above as methods.

    Args:
        seed: The run's seed (an integer >= 0).
        trace: Keep the per-attempt trace (default ``True``: the timing helpers read it).
        **simulation: Any other :class:`~lambdasim.Simulation` keyword (``settings``, ``concurrency_limit``,
            ``start``, ...).
    """

    def __init__(self, seed: int = DEFAULT_SEED, *, trace: bool = True, **simulation: Any) -> None:
        self.sim = Simulation(seed=seed, trace=trace, **simulation)

    @property
    def seed(self) -> int:
        """The run's seed."""
        return self.sim.seed

    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return self.sim.now

    @property
    def lam(self) -> Any:
        """The Lambda client (``sim.client("lambda")``)."""
        return self.sim.client("lambda")

    def client(self, service: str) -> Any:
        """The boto3-shaped client of ``service``."""
        return self.sim.client(service)

    def invoke(self, function: str, payload: Any = None, **params: Any) -> str:
        """An ``Event`` invoke of ``function`` with ``payload`` (JSON-serialisable); returns the request id."""
        resp = self.sim.client("lambda").invoke(
            FunctionName=function,
            InvocationType="Event",
            Payload=b"{}" if payload is None else json.dumps(payload).encode(),  # bytes: parsed straight away
            **params,
        )
        return str(resp["ResponseMetadata"]["RequestId"])

    def run(self, until: float | None = None) -> Results:
        """Advance the clock to ``until`` (s), or until nothing is left to do."""
        return self.sim.run(until=until)

    def results(self) -> Results:
        """The results so far."""
        return self.sim.results()

    def capture(
        self,
        function: str | Iterable[str] | None = None,
        condition: Condition | str | Iterable[Condition | str] | None = None,
    ) -> Capture:
        """Attach a :class:`Capture` for ``function`` and ``condition`` (see :func:`capture`)."""
        return capture(self, function, condition)

    def request_ids(self) -> list[str]:
        """Request ids in the trace, in order of first appearance."""
        return list(dict.fromkeys(e.request_id for e in _entries(self)))

    def trace(self, request_id: str) -> RequestTrace:
        """One request's attempts, throttles and outcome."""
        return trace_of(self, request_id)

    def assert_attempts(self, request_id: str, **expected: Any) -> RequestTrace:
        """:func:`assert_attempts` on this simulation."""
        __tracebackhide__ = True
        return assert_attempts(self, request_id, **expected)

    def read_queue(self, queue: str) -> list[QueueMessage]:
        """:func:`read_queue` on this simulation."""
        return read_queue(self, queue)

    def __repr__(self) -> str:
        return f"<LambdaSim seed={self.seed} t={self.now:g}s>"
