"""The settings AWS does not publish, their plausible ranges, and whether a planning answer depends on them.

Where AWS publishes nothing, lambdasim makes a documented choice (a [model] fact of the behaviour spec) and makes
it a :class:`~lambdasim.Settings` field. A capacity plan computed with the defaults is conditional on those
choices. :data:`PLAUSIBLE` gives each one a plausible range, with what the range rests on (a measurement, AWS's
wording, or a stress value where there is nothing to go on); :func:`check_assumptions` re-checks an answer at each
end of each range, one setting at a time, and where the answer no longer meets the objective, searches for the
answer under that setting: "with ``throttle_backoff_jitter = 1`` the answer moves from 148 to 162".

A setting is only re-checked when its mechanism acted in the runs at the answer (backoff jitter needs throttles,
the idle timeout needs cold starts with an init phase, ...): when it did not, the runs under the other value are
the same runs, so the answer holds there without running them.

>>> [a.setting for a in PLAUSIBLE][:3]
['throttle_backoff_jitter', 'retry_jitter_s', 'backlog_backoff_factor']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from lambdasim.core.settings import Settings
from lambdasim.planning.experiment import ExecutorChoice, MetricsFn, Variation, _apply

if TYPE_CHECKING:
    from lambdasim.planning.capacity import Evaluation, Objective
    from lambdasim.planning.model import Model

__all__ = ["PLAUSIBLE", "Assumption", "AssumptionCheck", "Recheck", "check_assumptions"]

Runs = Sequence[Mapping[str, float]]


def _seen(runs: Runs, metric: str) -> bool:
    """Whether ``metric`` (or a prefixed ``orders.<metric>``) is above 0 in any run; also when the runs were
    measured without it (a custom metrics function): then nothing shows it did not act."""
    values = [v for run in runs for k, v in run.items() if k == metric or k.endswith("." + metric)]
    return not values or any(v > 0 for v in values)


def _throttles(model: Model, runs: Runs) -> bool:
    return _seen(runs, "throttles") or model.settings.service_error_probability > 0


def _errors(model: Model, runs: Runs) -> bool:
    return _seen(runs, "errors")


def _always(model: Model, runs: Runs) -> bool:
    return True


def _init_phases(model: Model, runs: Runs) -> bool:
    """Cold starts that cost time: an environment's lifecycle changes when an invocation waits for an init."""
    has_init = model.settings.default_init_duration_s > 0 or any(
        f.init_duration is not None and f.init_duration.mean > 0 for f in model.functions
    )
    return has_init and _seen(runs, "cold_starts")


def _provisioned(model: Model, runs: Runs) -> bool:
    return any(f.provisioned_concurrency for f in model.functions)


@frozen
class Assumption:
    """One setting AWS does not publish, and the values it may plausibly take.

    Attributes:
        setting: The :class:`~lambdasim.Settings` field.
        values: The ends of its plausible range (lambdasim's default lies within, usually at one end).
        basis: What the range rests on.
        acts_when: When the setting can change a run: ``(model, runs) -> bool`` on the measures of the runs at the
            answer (``Metrics``); if it cannot, the answer holds under every value without running it.
        condition: ``acts_when`` in words.
    """

    setting: str
    values: tuple[Any, ...]
    basis: str
    acts_when: Callable[[Model, Runs], bool] = field(eq=False, repr=False)
    condition: str = "always"

    def __attrs_post_init__(self) -> None:
        for v in self.values:  # a bad range is a ValueError naming the setting, here
            attrs.evolve(Settings(), **{self.setting: v})


PLAUSIBLE: tuple[Assumption, ...] = (
    Assumption(
        "throttle_backoff_jitter",
        (0.0, 1.0),
        "AWS documents exponential backoff from 1 s to 5 min and no jitter; a measurement suggests some. From none "
        "(the default) to full jitter (each backoff uniform on (0, b]), AWS's own advice for retrying clients.",
        _throttles,
        "throttles or service errors",
    ),
    Assumption(
        "retry_jitter_s",
        (0.0, 30.0),
        "AWS documents retries 1 and 2 minutes after a failed attempt; recorded retries land within seconds of "
        "that. Up to 30 s (a quarter of the shorter delay) as a generous end.",
        _errors,
        "function errors",
    ),
    Assumption(
        "backlog_backoff_factor",
        (0.0, 1.0),
        "AWS: with many entries queued, 'Lambda increases the retry interval'; no figure. Stress value: 1 doubles "
        "the backoff at 1,000 events queued.",
        _throttles,
        "throttles or service errors",
    ),
    Assumption(
        "dispatch_latency_s",
        (0.0, 0.1),
        "Measured: the first attempt about 35 ms after Invoke; up to 100 ms for a loaded queue.",
        _always,
    ),
    Assumption(
        "duplicate_probability",
        (0.0, 0.001),
        "AWS: the queue is at-least-once and a duplicate is rare; no rate. Stress value: 1 in 1,000 events.",
        _always,
    ),
    Assumption(
        "drop_probability",
        (0.0, 0.001),
        "AWS: events may be deleted without being sent when the function cannot keep up; no rate. Stress value: "
        "1 in 1,000 throttled tries.",
        _throttles,
        "throttles or service errors",
    ),
    Assumption(
        "idle_timeout_s",
        (300.0, 1200.0),
        "Measured: warm reuse ends after about 10 to 11 minutes idle; 5 to 20 minutes covers the reports.",
        _init_phases,
        "cold starts with an init phase",
    ),
    Assumption(
        "idle_timeout_jitter_s",
        (0.0, 900.0),
        "Measured: idle environments reused after gaps of up to about 1,500 s (600 s plus up to 900 s).",
        _init_phases,
        "cold starts with an init phase",
    ),
    Assumption(
        "active_idle_timeout_s",
        (600.0, 1200.0),
        "Measured: while a function was busy, its other idle environments were reused after gaps of up to about "
        "1,500 s, three times in four after 660 to 1,300 s; the default, 620 s, is the idle timeout's own lower end "
        "(then up to 980 s later, its jitter); from 10 to 20 minutes.",
        _init_phases,
        "cold starts with an init phase",
    ),
    Assumption(
        "active_idle_timeout_jitter_s",
        (0.0, 1400.0),
        "Measured: no reuse after 1,550 s idle while the function was busy; the default 980 s (active timeouts "
        "uniform over [620, 1,600) s) fitted to replays of half the per-request logs; 0 is a fixed active timeout, "
        "1,400 s keeps environments up to about 2,000 s.",
        _init_phases,
        "cold starts with an init phase",
    ),
    Assumption(
        "environment_reuse",
        ("most_recent", "mixed", "least_recent"),
        "Measured cold-start probabilities agree with most-recent reuse (the default); other reuse was also seen.",
        _init_phases,
        "cold starts with an init phase",
    ),
    Assumption(
        "least_recent_reuse_probability",
        (0.0, 0.05),
        "With 'mixed' reuse: fitted at 0.01 on half of Mahmoudi and Khazaei's published cold-start table by the first "
        "calibration; 0 is strict most-recent reuse, 0.05 a stress value five times that fit.",
        _init_phases,
        "cold starts with an init phase",
    ),
    Assumption(
        "max_environment_lifetime_s",
        (3600.0, 14400.0),
        "AWS: environments are recycled 'every few hours, even when busy'; measured about 2 h. From 1 h to 4 h.",
        _init_phases,
        "cold starts with an init phase",
    ),
    Assumption(
        "provisioned_allocation_s",
        (60.0, 300.0),
        "AWS: allocating provisioned concurrency takes 'a few minutes'; no figure. From 1 to 5 minutes.",
        _provisioned,
        "provisioned concurrency",
    ),
)
"""The plausible range of every [model] setting that can move a planning answer. Not ranged: the poller read
rate (``poller_read_rate_per_s``: AWS publishes no figure and none has been measured, so any rate would be
invented; the default reads without limit, the optimistic end) and the settings AWS publishes (retry delays,
backoff base and cap, scaling rate)."""


@frozen
class Recheck:
    """The answer re-checked under one value of one assumption.

    Attributes:
        setting: The setting changed.
        value: Its value in this re-check.
        acted: Whether the setting's mechanism acted in the runs at the answer; if not, the answer holds without
            running.
        holds: Whether the answer still meets the objective.
        answer: The least candidate meeting the objective under this value (the original answer when it holds;
            ``None``: no candidate does).
        evaluation: The evaluation of the original answer under this value (``None`` if not run).
        shift: How many candidates the answer moves up (0 when it holds; ``None`` without an answer).
    """

    setting: str
    value: Any
    acted: bool
    holds: bool
    answer: Any
    evaluation: Evaluation | None
    shift: int | None
    condition: str = field(default="", kw_only=True, eq=False)

    def __str__(self) -> str:
        where = f"{self.setting} = {self.value!r}"
        if not self.acted:
            return f"  {where}: holds (it cannot act: no {self.condition} at the answer)"
        e = self.evaluation
        seen = f" ({e.share.met} of {e.share.n} replications met it)" if e is not None and e.share is not None else ""
        if self.holds:
            return f"  {where}: holds{seen}"
        if self.answer is None:
            return f"  {where}: FAILS{seen}, and no candidate meets the objective"
        return f"  {where}: FAILS{seen}; the answer moves to {self.answer!r} (+{self.shift} candidates)"


@frozen
class AssumptionCheck:
    """An answer re-checked across the plausible ranges (:func:`check_assumptions`).

    Attributes:
        variation: What was varied.
        value: The answer under the model's own settings.
        rechecks: One per value of each assumption checked.
        robust_value: The answer that holds at every value checked: the largest any re-check needs (``None`` if
            under some value no candidate meets the objective).
    """

    variation: str
    value: Any
    rechecks: tuple[Recheck, ...]
    robust_value: Any

    @property
    def holds(self) -> bool:
        """Whether the answer meets the objective at every value checked."""
        return all(r.holds for r in self.rechecks)

    @property
    def depends_on(self) -> list[Recheck]:
        """The re-checks under which the answer fails."""
        return [r for r in self.rechecks if not r.holds]

    def report_lines(self) -> list[str]:
        """The lines the plan's report ends with."""
        if self.holds:
            head = f"assumptions: the answer {self.value!r} holds across the plausible range of every setting AWS "
            head += "does not publish:"
        else:
            names = sorted({r.setting for r in self.depends_on})
            robust = self.robust_value
            head = f"assumptions: the answer {self.value!r} does NOT hold across the plausible ranges; it depends on "
            head += ", ".join(names) + "; "
            head += (
                f"the answer that holds across them is {robust!r}:"
                if robust is not None
                else "under some of them no candidate meets the objective:"
            )
        acted = [str(r) for r in self.rechecks if r.acted]
        idle: dict[str, list[str]] = {}
        for r in self.rechecks:
            if not r.acted:
                idle.setdefault(r.condition, [])
                if r.setting not in idle[r.condition]:
                    idle[r.condition].append(r.setting)
        quiet = [f"  {', '.join(names)}: hold (cannot act: no {why} at the answer)" for why, names in idle.items()]
        return [head, *acted, *quiet]

    def __str__(self) -> str:
        return "\n".join(self.report_lines())


def check_assumptions(
    model: Model,
    variation: Variation,
    candidates: Sequence[Any],
    value: Any,
    objective: Objective,
    *,
    at_answer: Evaluation | None = None,
    assumptions: Sequence[Assumption] = PLAUSIBLE,
    replications: int | None = None,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = False,
) -> AssumptionCheck:
    """Re-check the answer ``value`` (one of ``candidates``) at each end of each assumption's plausible range.

    For each value that differs from the model's own setting, the objective is judged at ``value`` (same seeds,
    same rule); where it fails, the least candidate above ``value`` that meets it under that setting is searched
    for by bisection. Settings whose mechanism did not act in the runs at the answer are not run (the runs would be
    the same). ``at_answer``, the evaluation at ``value`` under the model's settings, saves running it again.

    Args:
        model: The model, with the settings of the original answer.
        variation, candidates, objective: As given to :func:`lambdasim.planning.least`.
        value: The answer to re-check.
        assumptions: What to re-check (default :data:`PLAUSIBLE`).
        replications, seed, metrics, executor, progress: As for :func:`lambdasim.planning.least`.
    """
    from lambdasim.planning.capacity import _replications, evaluate, least
    from lambdasim.planning.experiment import _label

    values = list(candidates)
    if value not in values:
        raise ValueError(f"value {value!r} is not among the candidates")
    _replications(objective, replications)
    index = values.index(value)
    kwargs: dict[str, Any] = {
        "replications": replications,
        "seed": seed,
        "metrics": metrics,
        "executor": executor,
        "progress": progress,
    }
    at_value = _apply(model, {variation: value})
    base = at_answer if at_answer is not None else evaluate(at_value, objective, value=value, **kwargs)
    runs = base.runs  # what acted in the runs at the answer
    out: list[Recheck] = []
    for a in assumptions:
        current = getattr(model.settings, a.setting)
        acted = a.acts_when(model, runs)
        for alt in a.values:
            if alt == current:
                continue
            if not acted:
                out.append(Recheck(a.setting, alt, False, True, value, None, 0, condition=a.condition))
                continue
            changed = attrs.evolve(model, settings=attrs.evolve(model.settings, **{a.setting: alt}))
            e = evaluate(_apply(changed, {variation: value}), objective, value=value, **kwargs)
            if e.met:
                out.append(Recheck(a.setting, alt, True, True, value, e, 0, condition=a.condition))
                continue
            above = values[index + 1 :]
            answer = least(changed, variation, above, objective, **kwargs).value if above else None
            shift = None if answer is None else values.index(answer) - index
            out.append(Recheck(a.setting, alt, True, False, answer, e, shift, condition=a.condition))
    shifts = [r.shift for r in out]
    robust = None if None in shifts else values[index + max([0, *(s for s in shifts if s is not None)])]
    return AssumptionCheck(_label(variation), value, tuple(out), robust)
