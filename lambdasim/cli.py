"""The ``lambdasim`` command: run and validate scenario files, and run the built-in demo.

- ``lambdasim run SCENARIO.toml``: a summary table; ``--json PATH``, ``--plot PATH``, ``--trace PATH`` (checked
  before the run), ``--replications N``, ``--seed N``, ``--allow-code``; a progress bar on long runs (tqdm, when
  installed and on a terminal).
- ``lambdasim plan SCENARIO.toml --function NAME --target "time_to_success_p99_s<=300" --share 0.95``: the least
  reserved concurrency meeting the targets on the share of replications (days) given, shown at ``--confidence``,
  re-checked across the plausible ranges of the settings AWS does not publish (``--no-check-assumptions`` skips
  that); ``--replications N`` with ``--rule every|mean|bound`` judges by a fixed number of replications instead.
- ``lambdasim run TEMPLATE.yaml --workload LOAD.toml``: a SAM or CloudFormation template (``.yaml``, ``.yml``,
  ``.json``, ``.template``) as the scenario, driven by a workload file
  (:mod:`lambdasim.planning.template.workload_file`), with ``--behaviours FILE.toml`` and ``--parameter Name=Value``
  (repeatable); the other options as for a scenario. ``lambdasim plan`` takes a template the same way.
- ``lambdasim validate SCENARIO.toml ...``: read and build each scenario without running it, and list what it
  would import; a template is read and built with what it does not simulate listed (``--workload`` optional).
- ``lambdasim demo``: the built-in bursty example.
- ``lambdasim --version``; ``lambdasim`` alone prints the help. A closed pipe (``| head -1``) ends quietly.

Bad input (a scenario file that cannot be read, parsed or built) ends with a one-line error naming the file and the
field, and exit code 2; an output file that cannot be written, exit code 1. Never a traceback for either.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdasim.core.results import json_ready
from lambdasim.planning._progress import progress_bar, run_with_progress

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.results import Results
    from lambdasim.planning import Target
    from lambdasim.planning.scenario import Scenario

EXIT_OK, EXIT_OUTPUT, EXIT_BAD_INPUT = 0, 1, 2
PLOT_SAMPLES = 120
"""A plotted run's timeline is sampled this many times over the horizon."""


class CommandError(Exception):
    """A one-line error for the user, with the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# -- progress ---------------------------------------------------------------------------------------------------


def _bar(total: float, enabled: bool | None, desc: str, unit: str) -> Any:
    """A tqdm bar (see :mod:`lambdasim.planning._progress`: by default only on a terminal), or ``None``."""
    try:
        return progress_bar(total, progress=enabled, desc=desc, unit=unit)
    except ImportError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None


# -- run --------------------------------------------------------------------------------------------------------


def _load(path: str, allow_code: bool = False) -> Scenario:
    from lambdasim.planning.scenario import ScenarioError, load

    try:
        return load(path, allow_code=allow_code)
    except ScenarioError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None


def _is_template(path: str) -> bool:
    from lambdasim.planning.template import TEMPLATE_SUFFIXES

    return Path(path).suffix.lower() in TEMPLATE_SUFFIXES


def _parameters(items: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--parameter must read Name=Value, got {item!r}", EXIT_BAD_INPUT)
        out[name.strip()] = value
    return out


def _load_template(args: argparse.Namespace, path: str, *, require_behaviours: bool = True) -> tuple[Scenario, Any]:
    """A template with its workload and behaviours files, as a scenario (and the template read)."""
    from lambdasim.planning.scenario import ScenarioError
    from lambdasim.planning.template import TemplateError
    from lambdasim.planning.template.workload_file import scenario

    try:
        return scenario(
            path,
            args.workload,
            behaviours=args.behaviours,
            parameters_given=_parameters(args.parameter),
            allow_code=True if getattr(args, "allow_code", False) else (None if not require_behaviours else False),
            require_behaviours=require_behaviours,
        )
    except (ScenarioError, TemplateError) as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    except ImportError as exc:  # PyYAML or aws-sam-translator not installed: the message names the extra
        raise CommandError(f"{path}: {exc}", EXIT_BAD_INPUT) from None


def _load_run(args: argparse.Namespace) -> Scenario:
    """The scenario ``lambdasim run`` runs: a scenario file, or a template with its workload file."""
    if not _is_template(args.scenario):
        for flag in ("workload", "behaviours", "parameter"):
            if getattr(args, flag):
                raise CommandError(
                    f"--{flag} is for templates (.yaml, .yml, .json, .template), not {args.scenario}", EXIT_BAD_INPUT
                )
        return _load(args.scenario, getattr(args, "allow_code", False))
    scenario, read = _load_template(args, args.scenario)
    message = read.warning()
    if message is not None:
        print(f"lambdasim: warning: {message}", file=sys.stderr)
    return scenario


PLOT_FORMATS = (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")
"""The figure formats ``--plot`` writes (matplotlib's, by the path's suffix)."""


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before a run that may take long, output paths that could not be written after it."""
    for flag in ("json", "plot", "trace"):
        path = getattr(args, flag)
        if path is None:
            continue
        p = Path(path)
        if p.is_dir():
            raise CommandError(f"--{flag} {path}: is a directory, not a file", EXIT_OUTPUT)
        folder = p.parent if str(p.parent) else Path(".")
        if not folder.is_dir():
            raise CommandError(f"--{flag} {path}: no such directory {str(folder)!r}", EXIT_OUTPUT)
        if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
            raise CommandError(f"--{flag} {path}: not writable", EXIT_OUTPUT)
        if flag == "plot" and p.suffix.lower() not in PLOT_FORMATS:
            raise CommandError(
                f"--plot {path}: unknown figure format {p.suffix or '(none)'!r}; use one of {', '.join(PLOT_FORMATS)}",
                EXIT_OUTPUT,
            )


def _queue_depths(sim: Simulation, scenario: Scenario) -> dict[str, int]:
    """Messages waiting in each SQS queue the scenario sends to (destinations and dead-letter queues)."""
    out: dict[str, int] = {}
    queues = [arn for arn in scenario.destinations() if arn.split(":")[2] == "sqs"]
    if not queues:
        return out
    sqs = sim.client("sqs")
    for arn in queues:
        name = arn.rsplit(":", 1)[-1]
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        out[name] = int(attrs["ApproximateNumberOfMessages"])
    return out


class Run:
    """One replication's results and what the CLI reports beside them."""

    def __init__(self, seed: int, results: Results, queues: dict[str, int], series: dict[str, Any]) -> None:
        self.seed = seed
        self.results = results
        self.queues = queues
        self.series = series  # {function: TimeSeries} of a plotted run, else empty

    def to_dict(self) -> dict[str, Any]:
        """The replication as ``--json`` writes it: seed, results and queue depths."""
        return {"seed": self.seed, "results": self.results.to_dict(), "queues": self.queues}


def _run(args: argparse.Namespace) -> int:
    _check_outputs(args)
    scenario = _load_run(args)
    seeds = _seeds(scenario, args)
    horizon = scenario.model.horizon_s
    runs: list[Run] = []
    if horizon is not None:
        bar = _bar(horizon * len(seeds), args.progress, scenario.name, "sim s")
    else:
        bar = _bar(len(seeds), args.progress, scenario.name, "run")
    try:
        for seed in seeds:
            sim = _build(scenario, seed, args.trace is not None)
            probe = None
            if args.plot is not None and horizon is not None:
                from lambdasim.planning.probe import Probe

                probe = Probe(sim, interval_s=horizon / PLOT_SAMPLES, until_s=horizon)
            try:
                results = run_with_progress(sim, horizon, bar)
            except (TypeError, ValueError) as exc:  # a workload's own callable gone wrong mid-run, say
                raise CommandError(
                    f"{args.scenario}: the run stopped: {' '.join(str(exc).split())}", EXIT_BAD_INPUT
                ) from None
            if bar is not None and horizon is None:
                bar.update(1)
            series: dict[str, Any] = {}
            if probe is not None:
                probe.flush()
                series = {name: probe.series(name) for name in probe.functions}
            runs.append(Run(seed, results, _queue_depths(sim, scenario), series))
    finally:
        if bar is not None:
            bar.close()
    print(_report(scenario, runs, args))
    if args.json is not None:
        text = json.dumps(json_ready(_json(scenario, runs)), indent=2, default=_jsonable, allow_nan=False)
        _write(args.json, text + "\n")
    if args.trace is not None:
        _write(args.trace, _trace_text(runs, args.trace))
    if args.plot is not None:
        _plot(scenario, runs, args.plot)
    return EXIT_OK


def _seeds(scenario: Scenario, args: argparse.Namespace) -> list[int]:
    if args.seed is not None and args.seed < 0:
        raise CommandError(f"--seed must be an integer >= 0, got {args.seed}", EXIT_BAD_INPUT)
    if args.replications is not None and args.replications < 1:
        raise CommandError(f"--replications must be an integer >= 1, got {args.replications}", EXIT_BAD_INPUT)
    return scenario.seeds(args.seed, args.replications)


def _build(scenario: Scenario, seed: int, trace: bool) -> Simulation:
    from lambdasim.planning.scenario import ScenarioError

    try:
        return scenario.build(seed, trace=trace)
    except ScenarioError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None


def _report(scenario: Scenario, runs: list[Run], args: argparse.Namespace) -> str:
    head = scenario.describe(args.seed, len(runs))
    if len(runs) == 1:
        body = runs[0].results.summary()
        if runs[0].queues:
            body += "\n\nmessages waiting in queues\n" + "\n".join(
                f"  {name:<40} {n:>10,}" for name, n in runs[0].queues.items()
            )
        return f"{head}\n\n{body}"
    return f"{head}\n\n{_replications_table(runs)}"


REPLICATION_FIGURES: tuple[tuple[str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("events received", lambda f: f["async_events_received"]),
    ("carried in (warm-up)", lambda f: f.get("carried_in") or None),
    ("Success", lambda f: f["outcomes"].get("Success")),
    ("RetriesExhausted", lambda f: f["outcomes"].get("RetriesExhausted")),
    ("EventAgeExceeded", lambda f: f["outcomes"].get("EventAgeExceeded")),
    ("Dropped", lambda f: f["outcomes"].get("Dropped")),
    ("in flight at the end", lambda f: f["in_flight"]),
    ("attempts", lambda f: f["attempts"]),
    ("throttles", lambda f: f["throttles"]),
    ("event age p99 (s)", lambda f: f["event_age_s"]["p99"]),
    ("time to success p99 (s)", lambda f: f["time_to_success_s"]["p99"]),
    ("time to discard p99 (s)", lambda f: f["time_to_discard_s"]["p99"]),
    ("concurrency max", lambda f: f["concurrency"]["max"]),
)
"""The figures compared across replications: (label, how to read it from ``results.functions[name]``)."""


def _replications_table(runs: list[Run]) -> str:
    from lambdasim.planning.experiment import interval

    n = len(runs)
    lines = [f"{n} replications (seeds in the --json output): mean, 95% confidence half-width (Student t), min and max"]
    for name in runs[0].results.functions:
        lines.append("")
        lines.append(f"function {name}")
        lines.append(f"  {'':<24}{'mean':>12}{'+/-':>10}{'min':>12}{'max':>12}")
        for label, read in REPLICATION_FIGURES:
            values = [read(r.results.functions[name]) for r in runs if name in r.results.functions]
            xs = [float(v) for v in values if v is not None]
            if not xs:
                continue
            ci = interval(xs)
            lines.append(f"  {label:<24}{ci.mean:>12,.2f}{_num(ci.half_width, 10)}{min(xs):>12,.2f}{max(xs):>12,.2f}")
    queues = sorted({q for r in runs for q in r.queues})
    if queues:
        lines.append("")
        lines.append("messages waiting in queues (mean over replications)")
        for q in queues:
            mean = sum(r.queues.get(q, 0) for r in runs) / n
            lines.append(f"  {q:<40} {mean:>12,.2f}")
    return "\n".join(lines)


def _num(x: float, width: int) -> str:
    return f"{'-':>{width}}" if math.isnan(x) else f"{x:>{width},.2f}"


def _jsonable(value: Any) -> Any:
    """What ``json.dumps`` cannot write itself: numpy scalars as numbers, anything else as text."""
    if hasattr(value, "item"):
        return json_ready(value.item())
    return str(value)


def _json(scenario: Scenario, runs: list[Run]) -> dict[str, Any]:
    return {
        "scenario": {"name": scenario.name, "description": scenario.description, "source": scenario.source},
        "seeds": [r.seed for r in runs],
        "runs": [r.to_dict() for r in runs],
    }


TRACE_COLUMNS = ("replication", "seed", "request_id", "function_name", "attempt", "start", "end", "kind", "detail")


def _trace_rows(runs: list[Run]) -> Iterator[dict[str, Any]]:
    for i, r in enumerate(runs):
        for entry in r.results.trace or ():
            yield {"replication": i, "seed": r.seed, **entry._asdict()}


def _trace_text(runs: list[Run], path: str) -> str:
    """Every trace entry of every replication: JSON for a ``.json`` path, else CSV."""
    if Path(path).suffix.lower() == ".json":
        return json.dumps(json_ready(list(_trace_rows(runs))), indent=1, allow_nan=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TRACE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _trace_rows(runs):
        writer.writerow(row)
    return out.getvalue()


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}", EXIT_OUTPUT) from None


def _plot(scenario: Scenario, runs: list[Run], path: str) -> None:
    """The figure of every replication (:mod:`lambdasim.plots`), one column per function: the timeline dashboard
    (when the scenario has a horizon; the median of the replications with a 10-90% band), the CDFs of time to
    success, time to discard and event age (one line per replication), and the outcomes of all replications."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from lambdasim.planning import plots

    run = runs[0]
    names = list(run.results.functions)
    timeline_rows = 4 if run.series else 0
    colours = {"time_to_success": "tab:green", "time_to_discard": "tab:red", "event_age": "tab:blue"}
    rows = timeline_rows + 2
    fig = Figure(figsize=(max(8.0, 6.5 * len(names)), 2.4 * rows), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(rows, max(1, len(names)))
    for col, name in enumerate(names):
        if run.series:
            top = fig.add_subplot(grid[0, col])
            dashboard = [top, *(fig.add_subplot(grid[r, col], sharex=top) for r in range(1, timeline_rows))]
            plots.dashboard([r.series[name] for r in runs], axes=dashboard)
            top.set_title(name)
        cdf_ax = fig.add_subplot(grid[timeline_rows, col])
        for which, colour in colours.items():
            if run.results.stats(name).event_age.count == 0 and which == "event_age":
                continue
            labelled = False
            for r in runs:
                before = len(cdf_ax.get_lines())
                label = "_nolegend_" if labelled else f"{name}: {which.replace('_', ' ')}"
                plots.cdf(r.results, name, which, ax=cdf_ax, label=label)
                for line in cdf_ax.get_lines()[before:]:  # none when nothing was measured
                    labelled = True
                    line.set_color(colour)
                    line.set_alpha(1.0 if len(runs) == 1 else max(0.15, 1.0 / len(runs) ** 0.5))
        cdf_ax.set_xlabel("seconds since Invoke")
        cdf_ax.set_ylabel("fraction of events (or attempts, for event age)")
        if not run.series:
            cdf_ax.set_title(name)
    plots.outcome_breakdown(_merged_outcomes(runs), ax=fig.add_subplot(grid[timeline_rows + 1, :]))
    which = f"{len(runs)} replications (median and 10-90% band)" if len(runs) > 1 else f"seed {run.seed}"
    fig.suptitle(f"{scenario.name}\n{which}")
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandError(f"cannot write {path}: {message}", EXIT_OUTPUT) from None


class _Outcomes:
    """The outcome counts of several replications together, shaped as :func:`lambdasim.plots.outcome_breakdown`
    reads results (``functions[name]["outcomes"]``)."""

    def __init__(self, functions: dict[str, dict[str, Any]]) -> None:
        self.functions = functions


def _merged_outcomes(runs: list[Run]) -> Any:
    merged: dict[str, dict[str, Any]] = {}
    for r in runs:
        for name, f in r.results.functions.items():
            into = merged.setdefault(name, {"outcomes": dict.fromkeys(f["outcomes"], 0)})
            for cond, n in f["outcomes"].items():
                into["outcomes"][cond] += n
    return _Outcomes(merged)


# -- plan -------------------------------------------------------------------------------------------------------

_TARGET = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def _target(text: str) -> Target:
    from lambdasim.planning import Target

    m = _TARGET.match(text)
    if m is None:
        raise CommandError(
            f"--target must read METRIC<=NUMBER or METRIC>=NUMBER, such as 'time_to_success_p99_s<=300', got {text!r}",
            EXIT_BAD_INPUT,
        )
    metric, op, number = m.group(1), m.group(2), float(m.group(3))
    try:
        return Target(metric, at_most=number) if op == "<=" else Target(metric, at_least=number)
    except ValueError as exc:
        raise CommandError(f"--target {text!r}: {exc}", EXIT_BAD_INPUT) from None


def _plan(args: argparse.Namespace) -> int:
    import attrs

    from lambdasim.planning import Objective, least_reserved_concurrency
    from lambdasim.planning.experiment import Metrics
    from lambdasim.planning.risk import ShareRule
    from lambdasim.planning.scenario import ScenarioError

    scenario = _load_run(args)
    model = scenario.model
    names = [f.name for f in model.functions]
    function = args.function if args.function is not None else (names[0] if len(names) == 1 else None)
    if function not in names:
        raise CommandError(f"--function must be one of {names}, got {args.function!r}", EXIT_BAD_INPUT)
    targets = [_target(t) for t in args.target]
    # The metric names, from a run that stops at once: a misspelt one fails here, not after hours of runs.
    try:
        known = Metrics(function=function)(scenario.build().run(until=1e-9))
    except ScenarioError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    for t in targets:
        if t.metric not in known:
            raise CommandError(
                f"--target {t.metric!r}: no such measure; measures: {', '.join(sorted(known))}", EXIT_BAD_INPUT
            )
    try:
        if args.replications is not None:
            if args.share is not None:
                raise ValueError("give --share (replications decided by the share) or --replications, not both")
            objective = Objective(*targets, rule=args.rule)
        else:
            if args.rule != "every":
                raise ValueError(f"--rule {args.rule} needs --replications N")
            rule = ShareRule(
                share=0.95 if args.share is None else args.share,
                confidence=args.confidence,
                first=args.first,
                cap=args.cap,
            )
            objective = Objective(*targets, share=rule)
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    measure = Metrics(function=function)
    print(scenario.describe(seed=args.seed), file=sys.stderr)
    try:
        plan = least_reserved_concurrency(
            attrs.evolve(model),
            function,
            objective,
            low=args.low,
            high=args.high,
            replications=args.replications,
            seed=scenario.seed if args.seed is None else args.seed,
            metrics=measure,
            executor=args.executor,
            progress=args.progress,
            check_assumptions=args.check_assumptions,
        )
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    print(plan.report())
    print()
    print(plan.risk_statement())
    return EXIT_OK


# -- validate ---------------------------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    from lambdasim.planning.scenario import ScenarioError, load

    code = EXIT_OK
    for path in args.scenarios:
        if _is_template(path):
            try:
                _validate_template(args, path)
            except CommandError as exc:
                print(f"lambdasim: error: {exc}", file=sys.stderr)
                code = EXIT_BAD_INPUT
            continue
        if args.workload or args.behaviours or args.parameter:
            print(
                f"lambdasim: error: --workload, --behaviours and --parameter are for templates, not {path}",
                file=sys.stderr,
            )
            code = EXIT_BAD_INPUT
            continue
        try:
            # Read to say what the file would import (building it imports nothing: a handler is imported at its
            # first invocation); a file outside its folder is read only with --allow-code.
            scenario = load(path, allow_code=True if args.allow_code else None)
            scenario.build(scenario.seed)
        except ScenarioError as exc:
            print(f"lambdasim: error: {exc}", file=sys.stderr)
            code = EXIT_BAD_INPUT
            continue
        m = scenario.model
        print(
            f"{path}: ok: scenario {scenario.name!r}, {len(m.functions)} function(s), "
            f"{len(m.workloads)} workload(s) and fault(s)"
        )
        if scenario.imports:
            needs = "" if args.allow_code else "; `lambdasim run` needs --allow-code for it"
            print(f"{path}: imports code or reads files outside its folder{needs}:")
            for line in scenario.imports:
                print(f"  {line}")
    return code


def _validate_template(args: argparse.Namespace, path: str) -> None:
    """Read and build a template (with its workload and behaviours files, if given); say what it holds, what is
    not simulated, and which functions still need a behaviour."""
    from lambdasim.planning.scenario import ScenarioError

    given = args.workload is not None or args.behaviours is not None
    scenario, read = _load_template(args, path, require_behaviours=given)
    try:
        scenario.build(scenario.seed)
    except ScenarioError as exc:
        raise CommandError(str(exc), EXIT_BAD_INPUT) from None
    m = scenario.model
    counts = [
        f"{len(m.functions)} function(s)",
        f"{len(m.queues)} queue(s)",
        f"{len(m.event_source_mappings)} event source mapping(s)",
        f"{len(m.topics)} topic(s)",
        f"{len(m.buckets)} bucket(s)",
        f"{len(m.rules)} rule(s)",
        f"{len(m.workloads)} workload(s) and fault(s)",
    ]
    kind = "SAM template" if read.sam else "template"
    print(f"{path}: ok: {kind}, {', '.join(counts)}")
    if read.unmodelled:
        print(f"{path}: not simulated (lambdasim does not model them): {', '.join(read.unmodelled)}")
    if read.inert:
        print(
            f"{path}: read for their names only (IAM and resource policies are not enforced): {', '.join(read.inert)}"
        )
    if read.without_behaviour:
        print(
            f"{path}: functions that need a behaviour to run (a [behaviours.<LogicalId>] table in the workload file): "
            + ", ".join(
                f"{read.function_ids[n]} ({n})" if read.function_ids[n] != n else n for n in read.without_behaviour
            )
        )
    if scenario.imports:
        needs = "" if args.allow_code else "; `lambdasim run` needs --allow-code for it"
        print(f"{path}: imports code or reads files outside its folder{needs}:")
        for line in scenario.imports:
            print(f"  {line}")


def _template_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workload",
        default=None,
        metavar="LOAD.toml",
        help="templates: the workload file (workloads, [behaviours.<LogicalId>], [parameters], horizon, seed, ...)",
    )
    parser.add_argument(
        "--behaviours", default=None, metavar="FILE.toml", help="templates: [<LogicalId>] tables of behaviours"
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="templates: a value of one of the template's Parameters (repeatable)",
    )


# -- demo -------------------------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from lambdasim.planning.demo import run_demo

    if args.seed < 0:
        raise CommandError(f"--seed must be an integer >= 0, got {args.seed}", EXIT_BAD_INPUT)
    results = run_demo(seed=args.seed)
    if args.json:
        print(json.dumps(results.to_dict(), indent=2, default=str))
    else:
        print("lambdasim demo: 10 min of 20 events/s plus two bursts of 3,000 events against 'orders'")
        print("(reserved concurrency 12, ~0.5 s per invoke, 5% function errors, 2 retries, max age 30 min)\n")
        print(results.summary())
    return EXIT_OK


# -- the parser -------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``lambdasim`` command line: ``run``, ``plan``, ``validate`` and ``demo``."""
    from lambdasim import __version__

    parser = argparse.ArgumentParser(
        prog="lambdasim",
        description="AWS Lambda asynchronous invocation, simulated: run scenario files and the demo.",
    )
    parser.add_argument("--version", action="version", version=f"lambdasim {__version__}")
    parser.set_defaults(func=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a scenario file and print a summary table",
        description="Run a TOML scenario file (see examples/), or a SAM or CloudFormation template with a workload "
        "file (--workload), and print a summary table.",
    )
    run.add_argument(
        "scenario", metavar="SCENARIO.toml", help="the scenario file, or a SAM/CloudFormation template with --workload"
    )
    _template_options(run)
    run.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="root seed (default: the file's seed): one replication runs with N itself; several run with seeds "
        "spawned from N (lambdasim.planning.experiment.replication_seeds), each printed with its results",
    )
    run.add_argument(
        "--replications", type=int, default=None, metavar="N", help="independent replications (default: the file's)"
    )
    run.add_argument(
        "--allow-code",
        action="store_true",
        help="run a file that imports code ('module.function' behaviours) or reads files outside its folder",
    )
    run.add_argument("--json", default=None, metavar="PATH", help="write every result as JSON to PATH")
    run.add_argument("--plot", default=None, metavar="PATH", help="draw a figure to PATH (.png, .svg, .pdf)")
    run.add_argument(
        "--trace",
        default=None,
        metavar="PATH",
        help="keep the per-attempt trace and write it to PATH (JSON for .json, else CSV)",
    )
    shown = run.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="always show a progress bar"
    )
    shown.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    run.set_defaults(func=_run)

    plan = sub.add_parser(
        "plan",
        help="find the least reserved concurrency that meets targets on a share of days",
        description=(
            "Find the least reserved concurrency of a function that meets every --target on at least --share of "
            "replications (each a day of the scenario), shown at --confidence, adding replications until that is "
            "clear; then re-check the answer across the plausible ranges of the settings AWS does not publish."
        ),
    )
    plan.add_argument(
        "scenario", metavar="SCENARIO.toml", help="the scenario file, or a SAM/CloudFormation template with --workload"
    )
    _template_options(plan)
    plan.add_argument("--function", default=None, metavar="NAME", help="the function (default: the only one)")
    plan.add_argument(
        "--target",
        action="append",
        required=True,
        metavar="METRIC<=N",
        help="a target on a measure of lambdasim.experiment.Metrics, e.g. 'time_to_success_p99_s<=300' (repeatable)",
    )
    plan.add_argument("--share", type=float, default=None, metavar="S", help="share of days to meet it (default 0.95)")
    plan.add_argument("--confidence", type=float, default=0.95, metavar="C", help="confidence (default 0.95)")
    plan.add_argument("--first", type=int, default=20, metavar="N", help="replications at the first look (20)")
    plan.add_argument("--cap", type=int, default=120, metavar="N", help="most replications of a candidate (120)")
    plan.add_argument(
        "--replications", type=int, default=None, metavar="N", help="judge by N replications with --rule instead"
    )
    plan.add_argument("--rule", default="every", choices=["every", "mean", "bound"], help="with --replications")
    plan.add_argument("--low", type=int, default=1, metavar="N", help="least candidate (default 1)")
    plan.add_argument("--high", type=int, default=None, metavar="N", help="largest candidate (default: the account's)")
    plan.add_argument("--seed", type=int, default=None, metavar="N", help="root seed of the replications")
    plan.add_argument(
        "--executor", default=None, choices=["serial", "processes"], help="where runs go (default: by count)"
    )
    plan.add_argument(
        "--no-check-assumptions",
        dest="check_assumptions",
        action="store_false",
        help="do not re-check the answer across the plausible ranges of unpublished settings",
    )
    plan.add_argument("--progress", action="store_true", default=False, help="show progress bars")
    plan.set_defaults(func=_plan)

    validate = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Read and build each scenario file; report the first problem of each, with its field.",
    )
    validate.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO.toml", help="the scenario files (or SAM/CloudFormation templates)"
    )
    _template_options(validate)
    validate.add_argument(
        "--allow-code", action="store_true", help="the files may import code (only changes what is reported)"
    )
    validate.set_defaults(func=_validate)

    demo = sub.add_parser(
        "demo",
        help="run the built-in example and print its summary",
        description="Ten minutes of steady load plus two bursts against a function with reserved concurrency 12.",
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (0 ok, 1 an output could not be written, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is None:  # bare `lambdasim`
        parser.print_help()
        return EXIT_OK
    try:
        code: int = args.func(args)
    except CommandError as exc:
        print(f"lambdasim: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("lambdasim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`lambdasim run ... | head -1`): stop quietly, and keep the interpreter from
        # complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
