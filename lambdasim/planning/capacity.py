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
    Metrics,
    MetricsFn,
    Replications,
    Variation,
    _apply,
    _label,
    _run_all,
    replication_seeds,
)
from lambdasim.planning.risk import ShareRule

if TYPE_CHECKING:
    from lambdasim.planning.assumptions import AssumptionCheck
    from lambdasim.planning.model import Model

__all__ = [
    "Evaluation",
    "MemoryDurations",
    "Objective",
    "Plan",
    "Share",
    "Target",
    "evaluate",
    "least",
    "least_reserved_concurrency",
]

RULES = ("every", "mean", "bound", "share")
DEFAULT_REPLICATIONS = 5
"""Replications per candidate for the rules ``every``, ``mean`` and ``bound`` when none are given."""


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

    def meets(self, value: float) -> bool:
        """Whether ``value`` is within the limits (``nan`` never is)."""
        return not math.isnan(value) and self.margin(value) >= 0

    def at_share(self, values: Sequence[float], share: float) -> float:
        """The figure met on at least ``share`` of ``values``: for ``at_most``, the smallest ``v`` with at least
        ``ceil(share * n)`` values ``<= v`` (``nan`` counts as the worst); for ``at_least``, its mirror. With both
        limits, the side with the smaller margin."""
        n = len(values)
        need = max(1, math.ceil(share * n - 1e-9))
        xs = [float(v) for v in values]
        best: tuple[float, float] | None = None  # (margin, figure)
        if self.at_most is not None:
            ordered = sorted(xs, key=lambda v: math.inf if math.isnan(v) else v)
            v = ordered[need - 1]
            best = (self.at_most - v if not math.isnan(v) else -math.inf, v)
        if self.at_least is not None:
            ordered = sorted(xs, key=lambda v: -math.inf if math.isnan(v) else v, reverse=True)
            v = ordered[need - 1]
            side = (v - self.at_least if not math.isnan(v) else -math.inf, v)
            best = side if best is None or side[0] < best[0] else best
        assert best is not None
        return best[1]

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


@frozen
class Share:
    """How a share-of-replications objective came out at one candidate.

    Attributes:
        met: Replications (days) that met every target.
        n: Replications run.
        lower: Lower confidence bound on the true share (at the rule's per-look confidence).
        upper: Upper confidence bound on the true share.
        decision: ``"met"``, ``"failed"``, or ``"undecided"`` (at the cap: not shown, so counted as failing).
        rule: The requirement.
    """

    met: int
    n: int
    lower: float
    upper: float
    decision: str
    rule: ShareRule

    @property
    def observed(self) -> float:
        """``met / n``."""
        return self.met / self.n

    @property
    def margin(self) -> float:
        """How far the lower bound is above the required share (negative: below it)."""
        return self.lower - self.rule.share

    def __str__(self) -> str:
        head = f"{self.met} of {self.n} replications met every target ({self.observed:.0%}); "
        level = f"{self.rule.confidence:.0%} confidence"
        need = f"needs {self.rule.share:.0%}"
        if self.decision == "met":
            return head + f"the share is >= {self.lower:.1%} at {level} ({need}): met"
        if self.decision == "failed":
            return head + f"the share is <= {self.upper:.1%} at {level} ({need}): fails"
        return (
            head + f"the share lies in [{self.lower:.1%}, {self.upper:.1%}] ({need}): not shown within "
            f"{self.n} replications, counted as failing"
        )


def _share_rule(value: Any) -> ShareRule | None:
    if value is None or isinstance(value, ShareRule):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ShareRule(share=float(value))
    raise TypeError(f"share must be a lambdasim.risk.ShareRule or a share in (0, 1), got {value!r}")


@frozen(init=False)
class Objective:
    """What a setting must achieve: every target, judged over replications by ``rule``.

    Rules:
        ``"every"`` (default): every replication meets every target (strict, and what "no events dropped" means).
        ``"mean"``: the mean over replications meets it.
        ``"bound"``: the confidence bound on the unfavourable side (upper for ``at_most``) meets it.
        ``"share"`` (set by giving ``share``): the share of replications (days) meeting every target is at least
        ``share.share``, shown by a confidence bound (:class:`lambdasim.risk.ShareRule`); replications are added
        until that is clear. This is the rule to stake a budget on: "p99 <= 300 s on at least 95% of days".

    >>> Objective(Target("event_age_p99_s", at_most=60), Target("async_events_dropped", at_most=0)).rule
    'every'
    >>> Objective(Target("event_age_p99_s", at_most=300), share=0.95).rule
    'share'
    """

    targets: tuple[Target, ...] = field(converter=_targets)
    rule: str = field(default="every", validator=one_of(*RULES))
    share: ShareRule | None = field(default=None)

    def __init__(self, *targets: Target, rule: str | None = None, share: ShareRule | float | None = None) -> None:
        rule_share = _share_rule(share)
        if rule is None:
            rule = "every" if rule_share is None else "share"
        if rule == "share" and rule_share is None:
            rule_share = ShareRule()
        if rule_share is not None and rule != "share":
            raise ValueError(f"share= goes with rule='share', got rule={rule!r}")
        self.__attrs_init__(targets, rule, rule_share)

    def meets(self, run: Mapping[str, float]) -> bool:
        """Whether one replication's measures meet every target."""
        return all(t.meets(float(run[t.metric])) for t in self.targets)

    def judge(self, reps: Replications) -> tuple[bool, dict[str, float]]:
        """Whether ``reps`` meet the objective, and each target's margin (the figure the rule judges by).

        For the ``"share"`` rule, the margin of a target is how far inside its limit the figure met on
        ``share`` of the replications is, and the result is the decision on these replications alone (see
        :meth:`judge_share`)."""
        if self.rule == "share":
            share = self.judge_share(reps)
            return share.decision == "met", self._share_margins(reps)
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

    def judge_share(self, reps: Replications) -> Share:
        """The share decision on ``reps`` (rule ``"share"``)."""
        rule = self.share
        if rule is None:
            raise ValueError(f"judge_share needs rule='share', this objective's rule is {self.rule!r}")
        for target in self.targets:
            reps.values(target.metric)  # a KeyError naming the metrics
        met = sum(self.meets(run) for run in reps.runs)
        n = len(reps.runs)
        lower, upper = rule.bounds(met, n)
        return Share(met, n, lower, upper, rule.decide(met, n), rule)

    def _share_margins(self, reps: Replications) -> dict[str, float]:
        assert self.share is not None
        out = {}
        for target in self.targets:
            values = [float(v) for v in reps.values(target.metric)]
            out[str(target)] = target.margin(target.at_share(values, self.share.share))
        return out

    def __str__(self) -> str:
        targets = " and ".join(str(t) for t in self.targets)
        return f"{targets} ({self.share if self.share is not None else self.rule})"


def _nan_first(x: float) -> float:
    return -math.inf if math.isnan(x) else x


@frozen
class Evaluation:
    """One candidate value, evaluated over replications.

    Attributes:
        value: The candidate.
        met: Whether the objective is met.
        margins: Per target, how far inside its limit the judged figure is (negative: how far outside); for the
            ``"share"`` rule, the figure met on the required share of replications.
        intervals: Each target metric's mean and confidence interval over the replications.
        share: For the ``"share"`` rule, how the share came out (``None`` otherwise).
        replications: The replications run.
        runs: The measures of each replication.
    """

    value: Any
    met: bool
    margins: dict[str, float]
    intervals: dict[str, Interval]
    share: Share | None = field(default=None, kw_only=True)
    replications: int = field(default=0, kw_only=True)
    runs: tuple[dict[str, float], ...] = field(default=(), kw_only=True, repr=False, eq=False)


@frozen
class Plan:
    """The outcome of a search.

    Attributes:
        variation: What was varied (a path or a callable's name).
        value: The least candidate meeting the objective under the model's settings, or ``None`` if even the last
            one fails.
        objective: The objective.
        evaluations: Every candidate evaluated, in candidate order.
        assumptions: The re-check of ``value`` across the plausible ranges of the settings AWS does not publish
            (:func:`lambdasim.assumptions.check_assumptions`), or ``None`` if it was not re-checked.
    """

    variation: str
    value: Any
    objective: Objective
    evaluations: tuple[Evaluation, ...]
    assumptions: AssumptionCheck | None = field(default=None, kw_only=True)

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
    def robust_value(self) -> Any:
        """The least candidate that meets the objective across the plausible ranges checked: ``value`` if it was
        not re-checked or holds everywhere, else the largest answer any assumption needs (``None``: some
        assumption has no answer among the candidates)."""
        if self.assumptions is None:
            return self.value
        return self.assumptions.robust_value

    @property
    def below(self) -> Evaluation | None:
        """The evaluation of the candidate just below the answer (which fails), if there is one."""
        if self.value is None:
            return None
        values = [e.value for e in self.evaluations]
        i = values.index(self.value)
        return self.evaluations[i - 1] if i > 0 and not self.evaluations[i - 1].met else None

    def report(self) -> str:
        """A readable account of the answer, its margins, the value below and whether it holds across the
        plausible ranges of what AWS does not publish."""
        objective = self.objective
        lines = [f"objective: {objective}"]
        if self.value is None:
            last = self.evaluations[-1]
            lines.append(f"no candidate meets it; at {self.variation} = {last.value!r}:")
            lines.extend(_evaluation_lines(last, objective, "off by"))
        else:
            lines.append(f"least {self.variation} = {self.value!r}, with margins:")
            lines.extend(_evaluation_lines(self.evaluation(self.value), objective, "margin"))
            below = self.below
            if below is not None:
                lines.append(f"at {below.value!r} it fails:")
                lines.extend(_evaluation_lines(below, objective, "margin"))
        lines.extend(self.assumption_lines())
        return "\n".join(lines)

    def risk_statement(self) -> str:
        """The answer in words a budget can be staked on: how many replications (days) met the objective, the
        share shown at the rule's confidence, and the figure met on that share of days."""
        if self.value is None:
            return f"no candidate of {self.variation} meets {self.objective}"
        e = self.evaluation(self.value)
        rule = self.objective.share
        if e.share is None or rule is None:
            worst = ", ".join(f"{t} with margin {m:.6g}" for t, m in e.margins.items())
            return (
                f"{self.variation} = {self.value!r} meets {self.objective} over {e.replications} replications: {worst}"
            )
        figures = "; ".join(
            f"{t.metric} was at most {_figure(t, e.margins[str(t)]):.6g} ({e.margins[str(t)]:.6g} inside the limit)"
            for t in self.objective.targets
        )
        return (
            f"With {self.variation} = {self.value!r}, every target held in {e.share.met} of {e.share.n} simulated "
            f"replications (days); at {rule.confidence:.0%} confidence the share of days that meet it is at least "
            f"{e.share.lower:.1%} (required: {rule.share:.0%}). On {rule.share:.0%} of the days, {figures}."
        )

    def assumption_lines(self) -> list[str]:
        """What the report says about the settings AWS does not publish."""
        if self.assumptions is not None:
            return self.assumptions.report_lines()
        if self.value is None:
            return ["assumptions: nothing to re-check (no candidate meets the objective)"]
        return [
            "assumptions: not re-checked; the answer takes lambdasim's defaults for the settings AWS does not publish "
            "(check with lambdasim.assumptions.check_assumptions)"
        ]

    def __str__(self) -> str:
        return self.report()


def _figure(target: Target, margin: float) -> float:
    """The figure whose margin is ``margin`` (on the side with the limit that binds)."""
    if target.at_most is not None and (target.at_least is None or target.at_most - margin >= target.at_least):
        return target.at_most - margin
    assert target.at_least is not None
    return target.at_least + margin


def _evaluation_lines(e: Evaluation, objective: Objective, word: str) -> list[str]:
    if e.share is None:
        if word == "off by":
            return [f"  {t}: off by {-m:.6g}" for t, m in e.margins.items()]
        return [f"  {t}: {m:.6g}" for t, m in e.margins.items()]
    assert objective.share is not None
    share = objective.share.share
    lines = [f"  {e.share}"]
    for t in objective.targets:
        m = e.margins[str(t)]
        side = "inside" if m >= 0 else "outside"
        lines.append(
            f"  {t}: on {share:.0%} of replications {_figure(t, m):.6g} ({abs(m):.6g} {side} the limit)"
            if not math.isnan(m)
            else f"  {t}: undefined (nan) on more than {1 - share:.0%} of replications"
        )
    return lines


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


def _replications(objective: Objective, replications: int | None) -> int:
    if objective.rule == "share":
        if replications is not None:
            raise ValueError(
                "with a share objective the replications are set by its ShareRule (first=..., cap=...), "
                f"got replications={replications!r}"
            )
        assert objective.share is not None
        return objective.share.first
    if replications is None:
        return DEFAULT_REPLICATIONS
    check_range("replications", replications, 1, integer=True)
    return replications


def evaluate(
    model: Model,
    objective: Objective,
    *,
    value: Any = None,
    replications: int | None = None,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = False,
) -> Evaluation:
    """Judge ``model`` against ``objective`` over seeded replications (``value`` labels the evaluation).

    Rules ``every``, ``mean`` and ``bound`` run ``replications`` (default 5). The ``share`` rule runs its
    sequential design: ``share.first`` replications, then more at each look (doubling, up to ``share.cap``) until
    the decision is clear; replication ``r`` has the same seed whatever the look, so a look adds runs.
    """
    if not isinstance(objective, Objective):
        raise TypeError(f"objective must be a lambdasim.planning.Objective, got {objective!r}")
    first = _replications(objective, replications)
    measure = Metrics() if metrics is None else metrics
    looks = (first,) if objective.share is None else objective.share.looks
    seeds = replication_seeds(seed, looks[-1])
    runs: list[dict[str, float]] = []
    share: Share | None = None
    for n in looks:
        tasks = [(model, s) for s in seeds[len(runs) : n]]
        runs.extend(_run_all(tasks, measure, executor, progress, "replications"))
        reps = Replications(seeds=tuple(seeds[:n]), runs=tuple(runs))
        if objective.rule == "share":
            share = objective.judge_share(reps)
            if share.decision != "undecided":
                break
    met, margins = objective.judge(reps)
    intervals = {t.metric: reps.interval(t.metric) for t in objective.targets}
    return Evaluation(value, met, margins, intervals, share=share, replications=len(runs), runs=tuple(runs))


def least(
    model: Model,
    variation: Variation,
    candidates: Sequence[Any],
    objective: Objective,
    *,
    replications: int | None = None,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = False,
) -> Plan:
    """The least of ``candidates`` (ordered, the objective monotone in them) for which ``model`` meets ``objective``.

    Bisection: the last candidate is evaluated first (if it fails, there is no answer), then the first, then the
    midpoints. Each evaluation (:func:`evaluate`) runs seeded replications (the same seeds for every candidate),
    on ``executor`` (see :func:`lambdasim.experiment.replicate`).

    Args:
        model: The model.
        variation: A path (``"functions[orders].reserved_concurrency"``) or a callable ``(model, value) -> model``.
        candidates: The values to choose from, in an order in which meeting the objective is monotone.
        objective: What must be met.
        replications: Replications per candidate (default 5); a ``share`` objective sets its own.
        seed, metrics, executor, progress: As for :func:`lambdasim.experiment.replicate`.
    """
    values = list(candidates)
    if not values:
        raise ValueError("candidates must hold at least one value")
    if not isinstance(objective, Objective):
        raise TypeError(f"objective must be a lambdasim.planning.Objective, got {objective!r}")
    _replications(objective, replications)  # refused before anything runs
    done: dict[int, Evaluation] = {}

    def run(i: int) -> Evaluation:
        if i not in done:
            done[i] = evaluate(
                _apply(model, {variation: values[i]}),
                objective,
                value=values[i],
                replications=replications,
                seed=seed,
                metrics=metrics,
                executor=executor,
                progress=progress,
            )
        return done[i]

    def plan(answer: int | None) -> Plan:
        evaluated = tuple(done[i] for i in sorted(done))
        return Plan(_label(variation), None if answer is None else values[answer], objective, evaluated)

    high = len(values) - 1
    if not run(high).met:
        return plan(None)
    if run(0).met:
        return plan(0)
    low = 0  # fails; high meets
    while high - low > 1:
        mid = (low + high) // 2
        if run(mid).met:
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
    replications: int | None = None,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = False,
    check_assumptions: bool = True,
) -> Plan:
    """The least reserved concurrency of ``function``, between ``low`` and ``high``, meeting ``objective``.

    ``high`` defaults to the most the account allows (its concurrency limit less the 100 that must stay unreserved
    and what other functions reserve).

    With ``check_assumptions`` (the default) the answer is re-checked across the plausible ranges of the settings
    AWS does not publish (:func:`lambdasim.assumptions.check_assumptions`): the plan's report says whether it holds
    there, which setting it depends on and by how much, and :attr:`Plan.robust_value` is the answer that holds
    across them. Settings whose mechanism did not act at the answer cost nothing to re-check.
    """
    model.function(function)  # a KeyError naming the functions, before anything runs
    if high is None:
        others = sum(f.reserved_concurrency or 0 for f in model.functions if f.name != function)
        high = model.concurrency_limit - MIN_UNRESERVED_CONCURRENCY - others
    check_range("low", low, 0, integer=True)
    check_range("high", high, low, integer=True)
    variation = f"functions[{function}].reserved_concurrency"
    candidates = range(low, high + 1)
    kwargs: dict[str, Any] = {
        "replications": replications,
        "seed": seed,
        "metrics": metrics,
        "executor": executor,
        "progress": progress,
    }
    plan = least(model, variation, candidates, objective, **kwargs)
    if not check_assumptions or plan.value is None:
        return plan
    from lambdasim.planning.assumptions import check_assumptions as recheck

    checked = recheck(
        model, variation, candidates, plan.value, objective, at_answer=plan.evaluation(plan.value), **kwargs
    )
    return attrs.evolve(plan, assumptions=checked)
