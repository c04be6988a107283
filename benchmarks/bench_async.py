#!/usr/bin/env python
"""lambdasim's asynchronous path against a plain SimPy M/M/c loop, on the same arrivals and service times.

Cases (all in one process except the memory case, which measures each size in a fresh subprocess):

- **calm** (always): Poisson arrivals at 90/s, exponential service with mean 1 s, 100 servers, 200,000 customers.
  (a) plain SimPy, one process per customer and a ``simpy.Resource(capacity=100)``; (b) lambdasim, the same
  arrivals as asynchronous invokes of a function with reserved concurrency 100, default settings and statistics,
  its durations the same service times. Repetitions alternate (a) and (b); figures are medians.
- **storm** (always): offered load twice the concurrency (200/s against 100) for 10 minutes, then draining;
  lambdasim's CPU time per invocation relative to the calm case.
- **sqs** (always): the calm arrivals as messages sent to an SQS queue, read by an event source mapping (batch size
  1, ``MaximumConcurrency`` 100) into the same function; messages per CPU second against bare SimPy's M/M/c on the
  same load (the mapping's pollers start at five, so its queue holds a backlog in the first minute).
- **door1** (always): the calm load of 50,000 events as a script drives it: top-level code that steps the clock
  and invokes through the boto3-shaped client, ``sim.run(until=t); lam.invoke(FunctionName=...,
  InvocationType="Event", Payload=...)``, into an ``async def`` handler that awaits ``context.sleep(d)``; against
  plain SimPy on the same arrivals, in its own JSON line.
- **features** (``--trace``): what the opt-in features cost when on (per-attempt trace, an outcome sink), relative
  to the calm run with them off.
- **memory** (``--memory``; small sizes with ``--quick``): peak resident memory of a whole run of 10 million
  invocations against 1 million, each in its own subprocess.

The last line printed is the JSON ``{"simpy_per_s": ..., "lambdasim_per_s": ..., "ratio": ...}`` of the calm case.
Times are CPU seconds of this process (``time.process_time``), which other processes' load disturbs far less than
wall time; still, compare ratios measured in one run, not absolute rates across machines or runs.

Usage::

    python benchmarks/bench_async.py              # calm, door1 and storm, 5 repetitions
    python benchmarks/bench_async.py --door1-only # only the first door (a script stepping the clock)
    python benchmarks/bench_async.py --quick      # CI smoke run: small versions of every case
    python benchmarks/bench_async.py --memory     # also the 1M / 10M memory case (several minutes)
    python benchmarks/bench_async.py --trace      # also the cost of traces and sinks when switched on
    python benchmarks/bench_async.py --profile    # cProfile of one lambdasim run, top 25 functions
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lambdasim as ls
import lambdasim.core.backlog as backlog_module
import lambdasim.core.engine as engine_module
from lambdasim import dist
from lambdasim.model import Function, Model
from lambdasim.workload import Poisson
from lambdasim.workload import Replay as ReplayTrace

RATE_PER_S = 90.0
MEAN_SERVICE_S = 1.0
SERVERS = 100
CUSTOMERS = 200_000
QUICK_CUSTOMERS = 20_000
DOOR1_EVENTS = 50_000
QUICK_DOOR1_EVENTS = 5_000
STORM_RATE_PER_S = 2 * SERVERS / MEAN_SERVICE_S  # twice what 100 servers of 1 s can take
STORM_S = 600.0
QUICK_STORM_S = 60.0
TIMEOUT_S = 900  # no attempt times out: the benchmark measures the queue, not timeouts
SEED = 2026
FUNCTION = "bench"

# CPU time of this process, not wall time: on a shared machine other processes' load barely moves it, so the
# ratios of one run stay comparable. Both simulators are single-threaded pure Python.
clock = time.process_time


def streams(n: int, seed: int, rate_per_s: float = RATE_PER_S) -> tuple[list[float], list[float]]:
    """``n`` inter-arrival gaps and ``n`` service times (s), from one seed, shared by both simulators."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / rate_per_s, n)
    services = rng.exponential(MEAN_SERVICE_S, n)
    return gaps.tolist(), services.tolist()


# -- (a) plain SimPy: one process per customer ---------------------------------------------------------------


def simpy_mmc(gaps: list[float], services: list[float], servers: int = SERVERS) -> float:
    """Run the M/M/c loop to completion; return the CPU time (s)."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=servers)
    served = [0]

    def customer(service: float) -> Generator[simpy.Event, Any, None]:
        with server.request() as req:
            yield req
            yield env.timeout(service)
        served[0] += 1

    def source() -> Generator[simpy.Event, Any, None]:
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    start = clock()
    env.run()
    spent = clock() - start
    assert served[0] == len(gaps), (served[0], len(gaps))
    return spent


# -- (b) lambdasim: the same streams as asynchronous invokes -------------------------------------------------


@attrs.frozen(eq=False)
class Replay(dist.Distribution):
    """The given durations in order (the benchmark's service times), through the public Distribution extension."""

    values: tuple[float, ...] = attrs.field(converter=tuple[float, ...])

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:
        return float(np.var(self.values))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        raise TypeError("Replay serves its values in order through sampler()")

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        return iter(self.values).__next__


class CountingSink:
    """An outcome sink that only counts (the cheapest listener: what building outcomes costs)."""

    def __init__(self) -> None:
        self.delivered = 0

    def deliver(self, outcome: ls.Outcome) -> None:
        self.delivered += 1


def lambdasim_model(
    gaps: list[float],
    services: list[float],
    concurrency: int = SERVERS,
    trace: bool = False,
    settings: ls.Settings | None = None,
) -> Model:
    """Reserved concurrency ``concurrency``, ``settings`` (``None``: the defaults) and default statistics, durations
    replayed in order."""
    function = Function(
        name=FUNCTION,
        behaviour=ls.Behaviour(duration=Replay(services)),
        timeout_s=TIMEOUT_S,
        reserved_concurrency=concurrency,
    )
    # Arrival times as SimPy's source reaches them: the running sum of the gaps.
    times = ReplayTrace(function=FUNCTION, times_s=np.cumsum(gaps).tolist())
    return Model(functions=[function], workloads=[times], trace=trace, settings=settings or ls.Settings())


def lambdasim_async(
    gaps: list[float],
    services: list[float],
    *,
    concurrency: int = SERVERS,
    trace: bool = False,
    sink: bool = False,
) -> float:
    """Run lambdasim to completion (every event succeeds); return the CPU time (s)."""
    sim = lambdasim_model(gaps, services, concurrency, trace).build(seed=SEED)
    counter = CountingSink()
    if sink:
        sim.engine.sinks.append(counter)
    start = clock()
    results = sim.run()
    spent = clock() - start
    succeeded = results.functions[FUNCTION]["outcomes"]["Success"]
    assert succeeded == len(gaps), (succeeded, len(gaps))
    assert not sink or counter.delivered == len(gaps)
    return spent


def lambdasim_sqs(gaps: list[float], services: list[float], *, concurrency: int = SERVERS) -> float:
    """The same arrivals as messages sent to an SQS queue, read by an event source mapping (batch size 1,
    ``MaximumConcurrency`` = ``concurrency``) into the same function; run to completion, return the CPU time (s).

    Its pollers start at 5 and reach ``concurrency`` after the first minute (AWS's scaling), so the queue holds a
    backlog at first; every message is processed and deleted in the end (asserted).
    """
    sim = ls.Simulation(seed=SEED)
    lam, sqs = sim.client("lambda"), sim.client("sqs")
    lam.create_function(FunctionName=FUNCTION, Handler=ls.Behaviour(duration=Replay(services)), Timeout=TIMEOUT_S)
    lam.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=concurrency)
    url = sqs.create_queue(QueueName="bench", Attributes={"VisibilityTimeout": str(TIMEOUT_S)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=FUNCTION, BatchSize=1, ScalingConfig={"MaximumConcurrency": concurrency}
    )
    queue = sim.services.sqs.by_name("bench")
    assert queue is not None
    env = sim.env
    times = iter(np.cumsum(gaps).tolist())

    def arrive(_event: object = None) -> None:
        queue.send("{}")
        nxt = next(times, None)
        if nxt is not None:
            env.timeout(nxt - env.now).callbacks.append(arrive)

    env.timeout(next(times)).callbacks.append(arrive)
    start = clock()
    results = sim.run()
    spent = clock() - start
    deleted = results.queues["bench"]["deleted"]
    assert deleted == len(gaps), (deleted, len(gaps))
    return spent


# -- (c) lambdasim through the first door: a script stepping the clock and invoking through the client ----------


async def sleeper(event: dict[str, Any], context: Any) -> None:
    """The door1 handler: its duration is the service time the event carries."""
    await context.sleep(event["d"])


def door1_payloads(services: list[float]) -> list[bytes]:
    """Each event's JSON payload, carrying its service time (built before timing, as the arrivals are)."""
    return [json.dumps({"d": d}).encode() for d in services]


def lambdasim_door1(gaps: list[float], payloads: list[bytes]) -> float:
    """Send the events from top-level code, one ``sim.run(until=t)`` and one ``Event`` invoke each, then run the
    queue out (every event succeeds); return the CPU time (s)."""
    sim = ls.Simulation(seed=SEED)
    lam = sim.client("lambda")
    lam.create_function(FunctionName=FUNCTION, Handler=sleeper, Timeout=TIMEOUT_S)
    lam.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=SERVERS)
    start = clock()
    t = 0.0
    for gap, payload in zip(gaps, payloads, strict=True):
        t += gap
        sim.run(until=t)
        lam.invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=payload)
    results = sim.run()
    spent = clock() - start
    succeeded = results.functions[FUNCTION]["outcomes"]["Success"]
    assert succeeded == len(gaps), (succeeded, len(gaps))
    return spent


# -- cases ---------------------------------------------------------------------------------------------------


def timed(run: Callable[[], float]) -> float:
    gc.collect()
    return run()


def calm(customers: int, repetitions: int) -> dict[str, float]:
    """Alternate (a) and (b); medians of the rates and of the paired ratios."""
    gaps, services = streams(customers, SEED)
    simpy_rates: list[float] = []
    lambdasim_rates: list[float] = []
    ratios: list[float] = []
    for rep in range(repetitions):
        a = timed(lambda: simpy_mmc(gaps, services))
        b = timed(lambda: lambdasim_async(gaps, services))
        simpy_rates.append(customers / a)
        lambdasim_rates.append(customers / b)
        ratios.append(a / b)
        print(
            f"  calm rep {rep + 1}: simpy {customers / a:10,.0f}/s   lambdasim {customers / b:10,.0f}/s"
            f"   ratio {a / b:5.2f}",
            flush=True,
        )
    return {
        "simpy_per_s": round(statistics.median(simpy_rates)),
        "lambdasim_per_s": round(statistics.median(lambdasim_rates)),
        "ratio": round(statistics.median(ratios), 3),
    }


def door1(events: int, repetitions: int) -> dict[str, float]:
    """The calm load through the first door against plain SimPy, alternated; medians of the rates and ratios."""
    gaps, services = streams(events, SEED)
    payloads = door1_payloads(services)
    simpy_rates: list[float] = []
    door_rates: list[float] = []
    ratios: list[float] = []
    for rep in range(repetitions):
        a = timed(lambda: simpy_mmc(gaps, services))
        b = timed(lambda: lambdasim_door1(gaps, payloads))
        simpy_rates.append(events / a)
        door_rates.append(events / b)
        ratios.append(a / b)
        print(
            f"  door1 rep {rep + 1}: simpy {events / a:10,.0f}/s   lambdasim {events / b:10,.0f}/s"
            f"   ratio {a / b:5.3f}",
            flush=True,
        )
    return {
        "events": events,
        "simpy_per_s": round(statistics.median(simpy_rates)),
        "lambdasim_per_s": round(statistics.median(door_rates)),
        "ratio": round(statistics.median(ratios), 3),
    }


def storm(customers: int, storm_s: float, repetitions: int) -> dict[str, float]:
    """Cost per invocation of a throttling storm relative to the calm case, paired repetition by repetition."""
    calm_gaps, calm_services = streams(customers, SEED)
    n_storm = int(STORM_RATE_PER_S * storm_s)
    gaps, services = streams(n_storm, SEED + 1, rate_per_s=STORM_RATE_PER_S)
    # One untimed run for the figures, counting the throttled tries a Backlog counts in bulk (lambdasim.core.backlog).
    sim = lambdasim_model(gaps, services).build(seed=SEED)
    in_bulk = [0]
    count = backlog_module._count

    def counting(fs: Any, reason: Any, index: int, n: int) -> None:
        in_bulk[0] += n
        count(fs, reason, index, n)

    backlog_module._count = counting
    try:
        results = sim.run()
    finally:
        backlog_module._count = count
    f = results.functions[FUNCTION]
    relative: list[float] = []
    for rep in range(repetitions):
        calm_per = timed(lambda: lambdasim_async(calm_gaps, calm_services)) / customers
        storm_per = timed(lambda: lambdasim_async(gaps, services)) / n_storm
        relative.append(storm_per / calm_per)
        print(f"  storm rep {rep + 1}: cost per invocation {storm_per / calm_per:5.2f} x calm", flush=True)
    return {
        "invocations": n_storm,
        "throttles": f["throttles"],
        "throttles_per_invocation": round(f["throttles"] / n_storm, 2),
        "throttles_counted_in_bulk": in_bulk[0],
        "drained_at_s": round(results.now, 1),
        "relative_cost": round(statistics.median(relative), 3),
    }


def sqs_case(customers: int, repetitions: int) -> dict[str, float]:
    """Messages per CPU second through SQS and a mapping, against bare SimPy's M/M/c on the same load."""
    gaps, services = streams(customers, SEED)
    simpy_rates: list[float] = []
    sqs_rates: list[float] = []
    for rep in range(repetitions):
        a = timed(lambda: simpy_mmc(gaps, services))
        b = timed(lambda: lambdasim_sqs(gaps, services))
        simpy_rates.append(customers / a)
        sqs_rates.append(customers / b)
        print(
            f"  sqs rep {rep + 1}: simpy {customers / a:10,.0f}/s   lambdasim via SQS {customers / b:10,.0f}/s",
            flush=True,
        )
    simpy_rate = statistics.median(simpy_rates)
    sqs_rate = statistics.median(sqs_rates)
    return {
        "messages": customers,
        "simpy_per_s": round(simpy_rate),
        "sqs_messages_per_s": round(sqs_rate),
        "ratio": round(sqs_rate / simpy_rate, 3),
    }


def optional_work(
    gaps: list[float], services: list[float], *, trace: bool = False, sink: bool = False
) -> dict[str, int]:
    """How many request ids, trace entries and outcome objects one run builds (the optional per-event work)."""
    sim = lambdasim_model(gaps, services, trace=trace).build(seed=SEED)
    if sink:
        sim.engine.sinks.append(CountingSink())
    counts = {"request_ids": 0, "trace_entries": 0, "outcomes": 0}
    module = vars(engine_module)
    originals = {"TraceEntry": module["TraceEntry"], "Outcome": module["Outcome"]}
    request_id = engine_module.Engine.request_id

    def counting(key: str, make: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[key] += 1
            return make(*args, **kwargs)

        return wrapper

    # Counted during the run only (creating the function makes API calls, each with its own request id).
    module["TraceEntry"] = counting("trace_entries", originals["TraceEntry"])
    module["Outcome"] = counting("outcomes", originals["Outcome"])
    setattr(engine_module.Engine, "request_id", counting("request_ids", request_id))  # noqa: B010
    try:
        sim.run()
    finally:
        module.update(originals)
        setattr(engine_module.Engine, "request_id", request_id)  # noqa: B010
    return counts


def features(customers: int, repetitions: int) -> dict[str, Any]:
    """Opt-in features: the optional work done with them off (must be none) and on, and their cost when on
    relative to off (medians of CPU time)."""
    gaps, services = streams(customers, SEED)
    work = {
        "off": optional_work(gaps, services),
        "trace": optional_work(gaps, services, trace=True),
        "sink": optional_work(gaps, services, sink=True),
    }
    rel_trace: list[float] = []
    rel_sink: list[float] = []
    for _ in range(repetitions):
        off = timed(lambda: lambdasim_async(gaps, services))
        rel_trace.append(timed(lambda: lambdasim_async(gaps, services, trace=True)) / off)
        rel_sink.append(timed(lambda: lambdasim_async(gaps, services, sink=True)) / off)
    return {
        "optional_work_when_off": work["off"],
        "optional_work_per_invocation_when_on": {
            name: {key: round(n / customers, 2) for key, n in counts.items() if n}
            for name, counts in work.items()
            if name != "off"
        },
        "trace_on": round(statistics.median(rel_trace), 3),
        "sink_on": round(statistics.median(rel_sink), 3),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory (MB): Linux's VmHWM, else ``ru_maxrss``.

    VmHWM belongs to the process image, so it starts afresh at ``exec``; ``ru_maxrss`` survives ``exec`` and would
    include the benchmark process this child was forked from.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux and BSD KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / per_mb


def memory_child(invocations: int) -> None:
    """Run ``invocations`` calm-load invocations with lambdasim's own Poisson workload; print peak RSS in MB."""
    stop_s = invocations / RATE_PER_S
    model = Model(
        functions=[
            Function(
                name=FUNCTION,
                behaviour=ls.Behaviour(duration=dist.Exponential(MEAN_SERVICE_S)),
                timeout_s=TIMEOUT_S,
                reserved_concurrency=SERVERS,
            )
        ],
        workloads=[Poisson(function=FUNCTION, rate_per_s=RATE_PER_S, stop_s=stop_s)],
    )
    start = clock()
    results = model.run(seed=SEED)
    spent = clock() - start
    received = results.functions[FUNCTION]["async_events_received"]
    peak_mb = peak_rss_mb()
    print(json.dumps({"invocations": received, "peak_mb": round(peak_mb, 1), "per_s": round(received / spent)}))


def memory(small: int, large: int) -> dict[str, float]:
    """Peak RSS of ``large`` invocations against ``small``, each measured in a fresh interpreter."""
    out: dict[str, float] = {}
    peaks = []
    for n in (small, large):
        proc = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(n)], check=True, capture_output=True, text=True
        )
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  memory {report['invocations']:>12,} invocations: peak {report['peak_mb']:7.1f} MB", flush=True)
        peaks.append(report["peak_mb"])
    out["small_invocations"] = small
    out["large_invocations"] = large
    out["small_peak_mb"] = peaks[0]
    out["large_peak_mb"] = peaks[1]
    out["ratio"] = round(peaks[1] / peaks[0], 3)
    return out


def profile(customers: int) -> None:
    import cProfile
    import pstats

    gaps, services = streams(customers, SEED)
    sim = lambdasim_model(gaps, services).build(seed=SEED)
    prof = cProfile.Profile()
    prof.enable()
    sim.run()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"small versions of every case ({QUICK_CUSTOMERS:,})")
    parser.add_argument("--repetitions", type=int, default=None, help="repetitions per case (default 5, quick 3)")
    parser.add_argument("--customers", type=int, default=None, help=f"customers in the calm case ({CUSTOMERS:,})")
    parser.add_argument("--memory", action="store_true", help="also the 1M / 10M memory case (minutes)")
    parser.add_argument("--trace", action="store_true", help="also the cost of traces and sinks when on")
    parser.add_argument("--no-storm", action="store_true", help="skip the throttling storm")
    parser.add_argument("--no-sqs", action="store_true", help="skip the SQS event source mapping case")
    parser.add_argument("--no-door1", action="store_true", help="skip the first-door (script) case")
    parser.add_argument("--door1-events", type=int, default=None, help=f"events in door1 ({DOOR1_EVENTS:,})")
    parser.add_argument("--door1-only", action="store_true", help="run only the door1 case")
    parser.add_argument("--profile", action="store_true", help="cProfile one lambdasim run and stop")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child is not None:
        memory_child(args.memory_child)
        return 0
    customers = args.customers or (QUICK_CUSTOMERS if args.quick else CUSTOMERS)
    repetitions = args.repetitions or (3 if args.quick else 5)
    if args.profile:
        profile(customers)
        return 0

    if args.door1_only:
        events = args.door1_events or (QUICK_DOOR1_EVENTS if args.quick else DOOR1_EVENTS)
        print("  " + json.dumps({"door1": door1(events, repetitions)}), flush=True)
        return 0

    print(
        f"lambdasim {ls.__version__}, simpy {simpy.__version__}, numpy {np.__version__}, "
        f"Python {sys.version.split()[0]}"
    )
    print(f"calm: {customers:,} customers, {RATE_PER_S:g}/s, mean service {MEAN_SERVICE_S:g} s, {SERVERS} servers")
    headline = calm(customers, repetitions)
    if not args.no_door1:
        events = args.door1_events or (QUICK_DOOR1_EVENTS if args.quick else DOOR1_EVENTS)
        print(f"door1: {events:,} events from top-level code (sim.run(until=t); lam.invoke(...)), async handler")
        print("  " + json.dumps({"door1": door1(events, repetitions)}), flush=True)
    if not args.no_storm:
        storm_s = QUICK_STORM_S if args.quick else STORM_S
        print(f"storm: {STORM_RATE_PER_S:g}/s for {storm_s:g} s against {SERVERS}, then draining")
        print("  " + json.dumps({"storm": storm(customers, storm_s, repetitions)}), flush=True)
    if not args.no_sqs:
        print(f"sqs: the calm arrivals sent to a queue, a mapping (batch 1, maximum concurrency {SERVERS}) in front")
        print("  " + json.dumps({"sqs": sqs_case(customers, repetitions)}), flush=True)
    if args.trace or args.quick:
        print("features: trace and sink switched on, relative to off")
        print("  " + json.dumps({"features": features(customers, repetitions)}), flush=True)
    if args.memory or args.quick:
        small, large = (QUICK_CUSTOMERS, 10 * QUICK_CUSTOMERS) if not args.memory else (1_000_000, 10_000_000)
        print(f"memory: peak RSS, {small:,} against {large:,} invocations")
        print("  " + json.dumps({"memory": memory(small, large)}), flush=True)
    print(json.dumps(headline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
