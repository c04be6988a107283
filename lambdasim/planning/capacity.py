"""Planning helpers: the least reserved concurrency (or memory size, or retry setting) that meets an objective.

An :class:`Objective` is a set of :class:`Target`\\ s on the measures of :class:`~lambdasim.planning.experiment.Metrics`
(for example ``event_age_p99_s`` at most 60 and ``async_events_dropped`` at most 0), judged over seeded
replications. :func:`least` searches an ordered list of candidate values by bisection, assuming the objective is
monotone in them (if a value meets it, every later value does): about ``log2(len(candidates))`` evaluations, each
``replications`` runs on the executor of your choice. The :class:`Plan` it returns names the least value, the
margin by which it meets each target, and by how much the value below it fails.

>>> import lambdasim as ls
>>> from lambdasim.planning.model import Function, Model
>>> from lambdasim.planning.capacity import Objective, Target, least_reserved_concurrency
>>> from lambdasim.planning.workload import Burst
>>> model = Model(functions=[Function(name="f", behaviour=ls.Behaviour(duration=1.0))],
...               workloads=[Burst(function="f", at_s=0, count=80, over_s=10)])   # one event every 0.125 s
>>> plan = least_reserved_concurrency(model, "f", Objective(Target("throttles", at_most=0)), high=20,
...                                   replications=1)
>>> plan.value                   # 1 s per event, 8 arrivals per second: 8 run at once
8
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from lambdasim.core._validators import check_range, one_of
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.dist import Distribution, as_distribution
from lambdasim.core.rules import MIN_UNRESERVED_CONCURRENCY
from lambdasim.planning.experiment import (
    ExecutorChoice,
    Interval,
    MetricsFn,
    Replications,
    Variation,
    _apply,
    _label,
    replicate,
)

if TYPE_CHECKING:
    from lambdasim.planning.model import Model

__all__ = ["Evaluation", "MemoryDurations", "Objective", "Plan", "Target", "least", "least_reserved_concurrency"]

RULES = ("every", "mean", "bound")


def _bound(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        check_range(attribute.name, value, None)


@frozen
class Target:
    """A limit on one measure: ``at_most`` and/or ``at_least`` (for example ``Target("event_age_p99_s", at_most=60)``).

    A measure that is ``nan`` (a quantile of no events, for example) never meets a target.
    """

    metric: str = field()
    at_most: float | None = field(default=None, validator=_bound, kw_only=True)
    at_least: float | None = field(default=None, validator=_bound, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.at_most is None and self.at_least is None:
            raise ValueError(f"target {self.metric!r} needs at_most, at_least or both")

    def margin(self, value: float) -> float:
        """How far ``value`` is inside the limits (negative: outside by that much; ``nan`` for ``nan``)."""
        if math.isnan(value):
            return math.nan
        slack = math.inf
        if self.at_most is not None:
            slack = min(slack, self.at_most - value)
        if self.at_least is not None:
            slack = min(slack, value - self.at_least)
        return slack

    def __str__(self) -> str:
        parts = []
        if self.at_least is not None:
            parts.append(f"{self.metric} >= {self.at_least:g}")
        if self.at_most is not None:
            parts.append(f"{self.metric} <= {self.at_most:g}")
        return " and ".join(parts)


def _targets(value: Any) -> tuple[Target, ...]:
    items = tuple(value)
    if not items:
        raise ValueError("an objective needs at least one target")
    for t in items:
        if not isinstance(t, Target):
            raise TypeError(f"targets must be lambdasim.planning.Target objects, got {t!r}")
    return items


@frozen(init=False)
class Objective:
    """What a setting must achieve: every target, judged over replications by ``rule``.

    Rules:
        ``"every"`` (default): every replication meets every target (strict, and what "no events dropped" means).
        ``"mean"``: the mean over replications meets it.
        ``"bound"``: the confidence bound on the unfavourable side (upper for ``at_most``) meets it.

    >>> Objective(Target("event_age_p99_s", at_most=60), Target("async_events_dropped", at_most=0)).rule
    'every'
    """

    targets: tuple[Target, ...] = field(converter=_targets)
    rule: str = field(default="every", validator=one_of(*RULES))

    def __init__(self, *targets: Target, rule: str = "every") -> None:
        self.__attrs_init__(targets, rule)

    def judge(self, reps: Replications) -> tuple[bool, dict[str, float]]:
        """Whether ``reps`` meet the objective, and each target's margin (the figure the rule judges by)."""
        margins: dict[str, float] = {}
        for target in self.targets:
            values = reps.values(target.metric)
            if self.rule == "every":
                slack = min((target.margin(float(v)) for v in values), key=_nan_first)
            else:
                ci = reps.interval(target.metric)
                if self.rule == "mean":
                    slack = target.margin(ci.mean)
                else:
                    sides = []
                    if target.at_most is not None:
                        sides.append(target.at_most - (ci.high if ci.n > 1 else ci.mean))
                    if target.at_least is not None:
                        sides.append((ci.low if ci.n > 1 else ci.mean) - target.at_least)
                    slack = min(sides)
            margins[str(target)] = slack
        met = all(not math.isnan(m) and m >= 0 for m in margins.values())
        return met, margins


def _nan_first(x: float) -> float:
    return -math.inf if math.isnan(x) else x


@frozen
class Evaluation:
    """One candidate value, evaluated over replications.

    Attributes:
        value: The candidate.
        met: Whether the objective is met.
        margins: Per target, how far inside its limit the judged figure is (negative: how far outside).
        intervals: Each target metric's mean and confidence interval over the replications.
    """

    value: Any
    met: bool
    margins: dict[str, float]
    intervals: dict[str, Interval]


@frozen
class Plan:
    """The outcome of a search.

    Attributes:
        variation: What was varied (a path or a callable's name).
        value: The least candidate meeting the objective, or ``None`` if even the last one fails.
        objective: The objective.
        evaluations: Every candidate evaluated, in candidate order.
    """

    variation: str
    value: Any
    objective: Objective
    evaluations: tuple[Evaluation, ...]

    def evaluation(self, value: Any) -> Evaluation:
        """The evaluation of ``value``."""
        for e in self.evaluations:
            if e.value == value:
                return e
        raise KeyError(f"{value!r} was not evaluated; evaluated: {[e.value for e in self.evaluations]}")

    @property
    def margin(self) -> dict[str, float]:
        """Per target, how far inside its limit the answer is (empty if there is no answer)."""
        return {} if self.value is None else dict(self.evaluation(self.value).margins)

    @property
    def below(self) -> Evaluation | None:
        """The evaluation of the candidate just below the answer (which fails), if there is one."""
        if self.value is None:
            return None
        values = [e.value for e in self.evaluations]
        i = values.index(self.value)
        return self.evaluations[i - 1] if i > 0 and not self.evaluations[i - 1].met else None

    def report(self) -> str:
        """A readable account of the answer, its margins and the value below."""
        lines = [f"objective: {' and '.join(str(t) for t in self.objective.targets)} ({self.objective.rule})"]
        if self.value is None:
            last = self.evaluations[-1]
            lines.append(f"no candidate meets it; at {self.variation} = {last.value!r}:")
            lines.extend(f"  {t}: off by {-m:.6g}" for t, m in last.margins.items())
            return "\n".join(lines)
        lines.append(f"least {self.variation} = {self.value!r}, with margins:")
        lines.extend(f"  {t}: {m:.6g}" for t, m in self.margin.items())
        below = self.below
        if below is not None:
            lines.append(f"at {below.value!r} it fails:")
            lines.extend(f"  {t}: {m:.6g}" for t, m in below.margins.items())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def _durations(value: Mapping[int, Any]) -> tuple[tuple[int, Distribution], ...]:
    if not isinstance(value, Mapping) or not value:
        raise TypeError(f"durations must map memory sizes (MB) to durations, got {value!r}")
    out = []
    for memory, duration in sorted(value.items()):
        check_range("memory size", memory, 128, 10240, integer=True)
        out.append((memory, as_distribution(f"durations[{memory}]", duration)))
    return tuple(out)


@frozen
class MemoryDurations:
    """A variation that sets a function's memory and, with it, the duration measured at that memory.

    Lambda gives a function CPU in proportion to its memory, so a CPU-bound handler runs faster with more of it;
    lambdasim does not guess how much faster. Measure it (for example with AWS Lambda Power Tuning) and give the
    durations here; then sweep or search over memory sizes:
    ``sweep(model, {MemoryDurations("orders", {128: 1.2, 256: 0.6, 512: 0.31}): [128, 256, 512]})``.

    Attributes:
        function: The function's name.
        durations: ``{memory MB: duration}``, each a number of seconds or a :mod:`lambdasim.core.dist` distribution.
    """

    function: str
    durations: tuple[tuple[int, Distribution], ...] = field(converter=_durations)
    label: str = field(default="memory_mb", kw_only=True)

    @property
    def sizes(self) -> list[int]:
        """The memory sizes with a duration, ascending."""
        return [m for m, _ in self.durations]

    def __call__(self, model: Model, memory_mb: int) -> Model:
        memory_mb = operator.index(memory_mb)  # numpy integers from a table are fine
        found = dict(self.durations)
        if memory_mb not in found:
            raise KeyError(f"no duration measured at {memory_mb!r} MB; measured: {self.sizes}")
        duration = found[memory_mb]
        f = model.function(self.function)  # a KeyError naming the functions if it is not there
        if isinstance(f.behaviour, Behaviour):
            changed = attrs.evolve(f, memory_mb=memory_mb, behaviour=attrs.evolve(f.behaviour, duration=duration))
        else:
            changed = attrs.evolve(f, memory_mb=memory_mb, duration=duration)
        return attrs.evolve(model, functions=[changed if g.name == f.name else g for g in model.functions])


def least(
    model: Model,
    variation: Variation,
    candidates: Sequence[Any],
    objective: Objective,
    *,
    replications: int = 5,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = False,
) -> Plan:
    """The least of ``candidates`` (ordered, the objective monotone in them) for which ``model`` meets ``objective``.

    Bisection: the last candidate is evaluated first (if it fails, there is no answer), then the first, then the
    midpoints. Each evaluation runs ``replications`` seeded replications (the same seeds for every candidate), on
    ``executor`` (see :func:`lambdasim.planning.experiment.replicate`).

    Args:
        model: The model.
        variation: A path (``"functions[orders].reserved_concurrency"``) or a callable ``(model, value) -> model``.
        candidates: The values to choose from, in an order in which meeting the objective is monotone.
        objective: What must be met.
        replications, seed, metrics, executor, progress: As for :func:`lambdasim.planning.experiment.replicate`.
    """
    values = list(candidates)
    if not values:
        raise ValueError("candidates must hold at least one value")
    if not isinstance(objective, Objective):
        raise TypeError(f"objective must be a lambdasim.planning.Objective, got {objective!r}")
    done: dict[int, Evaluation] = {}

    def evaluate(i: int) -> Evaluation:
        if i not in done:
            reps = replicate(
                _apply(model, {variation: values[i]}),
                replications,
                seed=seed,
                metrics=metrics,
                executor=executor,
                progress=progress,
            )
            met, margins = objective.judge(reps)
            intervals = {t.metric: reps.interval(t.metric) for t in objective.targets}
            done[i] = Evaluation(values[i], met, margins, intervals)
        return done[i]

    def plan(answer: int | None) -> Plan:
        evaluated = tuple(done[i] for i in sorted(done))
        return Plan(_label(variation), None if answer is None else values[answer], objective, evaluated)

    high = len(values) - 1
    if not evaluate(high).met:
        return plan(None)
    if evaluate(0).met:
        return plan(0)
    low = 0  # fails; high meets
    while high - low > 1:
        mid = (low + high) // 2
        if evaluate(mid).met:
            high = mid
        else:
            low = mid
    return plan(high)


def least_reserved_concurrency(
    model: Model,
    function: str,
    objective: Objective,
    *,
    low: int = 1,
    high: int | None = None,
    replications: int = 5,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = False,
) -> Plan:
    """The least reserved concurrency of ``function``, between ``low`` and ``high``, meeting ``objective``.

    ``high`` defaults to the most the account allows (its concurrency limit less the 100 that must stay unreserved
    and what other functions reserve).
    """
    model.function(function)  # a KeyError naming the functions, before anything runs
    if high is None:
        others = sum(f.reserved_concurrency or 0 for f in model.functions if f.name != function)
        high = model.concurrency_limit - MIN_UNRESERVED_CONCURRENCY - others
    check_range("low", low, 0, integer=True)
    check_range("high", high, low, integer=True)
    return least(
        model,
        f"functions[{function}].reserved_concurrency",
        range(low, high + 1),
        objective,
        replications=replications,
        seed=seed,
        metrics=metrics,
        executor=executor,
        progress=progress,
    )
