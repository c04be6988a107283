"""The throttling storm's floor: the least its own work can cost in plain Python, beside what lambdasim's costs.

Issue 13 asks that an invocation in the benchmark's throttling storm (``bench_async.py``: 200 events/s against a
reserved concurrency of 100, 1 s on average, for 10 minutes, then draining) cost at most 2.0 times a calm one. A storm
invocation does more than a calm one, whatever the implementation: it is throttled when it arrives and parked, its
tries are counted as they come due (about 6 per invocation, each a ``Throttles`` datapoint in its own minute), it is
woken when a slot frees and its try comes first, and only then does its attempt start. This script measures how
little that extra work can cost: :func:`skeleton` is the storm's model and nothing else, written for speed:

- one callback-driven loop on a bare heap (no SimPy, no functions, settings, environments, levels, percentiles,
  billing or results), the model's ordering kept: ends and arrivals before backed-off tries at the same instant;
- parked events in one list in the order they were parked, with a cursor per number of throttles in a row instead
  of lanes to move events between, and closed-form try times (the first parked try plus the backoffs since), so that
  counting a try touches no event;
- no maximum event age (the storm never nears 6 hours), no changes of limits, no ties (the streams have none).

It agrees with lambdasim exactly on the storm: the same throttles in every minute, the same invocations
(``tests/test_storm_floor.py``). It prints, from paired runs in one process (medians):

- ``skeleton_extra_us``: a storm invocation's cost less a calm one's, both in the skeleton: the storm's extra work at
  its leanest;
- ``floor``: lambdasim's calm invocation plus that extra, over lambdasim's calm invocation: the least relative cost
  any implementation as rich as lambdasim's calm path could reach with the skeleton's storm machinery;
- ``relative_cost``: lambdasim's measured storm invocation over its calm one (the benchmark's ``storm`` figure).

Run with ``python benchmarks/storm_floor.py`` (``--quick`` for a short run); CPU time of this process, as in
``bench_async.py``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import time
from collections.abc import Iterable, Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np
from bench_async import (
    CUSTOMERS,
    FUNCTION,
    QUICK_CUSTOMERS,
    QUICK_STORM_S,
    SEED,
    SERVERS,
    STORM_RATE_PER_S,
    STORM_S,
    lambdasim_async,
    lambdasim_model,
    streams,
    timed,
)

import lambdasim as ls

_NEVER = math.inf
PERIOD_S = 60.0  # CloudWatch's period, lambdasim's default metrics period

__all__ = ["Outcome", "lambdasim_results", "skeleton"]


class _Event:
    __slots__ = ("uid",)

    def __init__(self, uid: int) -> None:
        self.uid = uid


class Outcome:
    """What :func:`skeleton` counted, by period index (``int(t // PERIOD_S)``)."""

    def __init__(self) -> None:
        self.received: dict[int, int] = {}
        self.throttles: dict[int, int] = {}
        self.invocations: dict[int, int] = {}


def skeleton(
    times: Iterable[float],
    durations: Iterable[float],
    servers: int = SERVERS,
    base_s: float = 1.0,
    cap_s: float = 300.0,
) -> Outcome:
    """Events arriving at ``times`` (nondecreasing), run on ``servers`` slots for ``durations`` taken in the order
    attempts start (as ``Behaviour(duration=Replay(...))`` does), throttled events backing off ``base_s * 2**(n-1)``
    up to ``cap_s`` after their ``n``-th throttle in a row, as lambdasim's model does (AWS Lambda's asynchronous
    invocation with reserved concurrency ``servers``). Every event succeeds."""
    backoffs = [0.0] + [float(min(base_s * 2 ** (n - 1), cap_s)) for n in range(1, 62)]
    # Parked try n of an event comes at its first parked try plus offsets[n] (offsets[1] = 0).
    offsets = [0.0, 0.0]
    for n in range(2, 62):
        offsets.append(offsets[-1] + backoffs[n])
    out = Outcome()
    received = out.received
    throttles = out.throttles
    invocations = out.invocations
    queue: list[tuple[float, int, int, int, Any]] = []  # (time, priority, id, kind, object): a bare heap
    arrivals = iter(times)
    duration = iter(durations).__next__
    # The parked events, in the order they were parked (None: left), and their first parked try's time. Those at
    # positions [cur[n], cur[n - 1]) have been throttled n times in a row (cur[0] is the end); heads[n] is the time of
    # the next try of the first of them (the earliest of that cursor's).
    parked: list[_Event | None] = []
    firsts: list[float] = []
    cur = [0, 0]
    heads = [_NEVER, _NEVER]
    count = 0
    first: _Event | None = None  # the earliest parked try: its event, cursor, position and time (None: find it)
    first_n = 1
    first_pos = 0
    next_due = _NEVER
    woken: _Event | None = None  # the event of the latest wake on the heap
    in_use = 0
    eid = 0
    uid = 0

    def catch_up(limit: float) -> None:
        """Count every parked try before ``limit`` as a throttle (the pool has been full since), then find the
        earliest parked try left."""
        nonlocal first, first_n, first_pos, next_due
        if first is not None and next_due >= limit:
            return
        cur[0] = len(parked)
        for n, head in enumerate(heads):
            if head < limit:
                if n == len(heads) - 1:
                    heads.append(_NEVER)
                    cur.append(cur[n])
                c = cur[n]
                end = cur[n - 1]
                offset = offsets[n]
                while c < end:
                    if parked[c] is not None:
                        due = firsts[c] + offset
                        if due >= limit:
                            break
                        i = int(due // PERIOD_S)
                        throttles[i] = throttles.get(i, 0) + 1
                    c += 1
                cur[n] = c
                heads[n] = firsts[c] + offset if c < end else _NEVER
                if heads[n + 1] == _NEVER:  # the next cursor's events were none: its first is among those passed
                    k = cur[n + 1]
                    while k < c and parked[k] is None:
                        k += 1
                    cur[n + 1] = k
                    heads[n + 1] = firsts[k] + offsets[n + 1] if k < c else _NEVER
        earliest = min(heads)
        if earliest == _NEVER:
            first = None
            next_due = _NEVER
            return
        best = heads.index(earliest)
        first_n = best
        first_pos = cur[best]
        first = parked[first_pos]
        next_due = earliest

    def start(now: float) -> None:
        nonlocal in_use, eid
        in_use += 1
        i = int(now // PERIOD_S)
        invocations[i] = invocations.get(i, 0) + 1
        eid += 1
        heappush(queue, (now + duration(), 1, eid, 1, None))

    arrival = next(arrivals, None)
    if arrival is not None:
        eid += 1
        heappush(queue, (arrival, 1, eid, 0, None))
    while queue:
        now, _, _, kind, obj = heappop(queue)
        if kind == 0:  # an arrival
            arrival = next(arrivals, None)
            if arrival is not None:
                eid += 1
                heappush(queue, (arrival, 1, eid, 0, None))
            uid += 1
            i = int(now // PERIOD_S)
            received[i] = received.get(i, 0) + 1
            if in_use < servers:
                start(now)
                continue
            throttles[i] = throttles.get(i, 0) + 1
            due = now + backoffs[1]
            if heads[1] == _NEVER:
                heads[1] = due
                cur[1] = len(parked)
            ev = _Event(uid)
            parked.append(ev)
            firsts.append(due)
            count += 1
            if count == 1 or (first is not None and due < next_due):  # (no try found yet: catch_up finds it)
                first = ev
                first_n = 1
                first_pos = len(parked) - 1
                next_due = due
            continue
        if kind == 1:  # an attempt ends
            in_use -= 1
            if not count:
                continue
            catch_up(now)
        else:  # a wake: the earliest parked try, put on the heap when a slot freed
            ev, n, p = obj
            if ev is woken:
                woken = None
            if parked[p] is not ev or cur[n] != p or in_use >= servers:
                continue  # outdated, or the slot was taken: the next catch-up counts the try
            parked[p] = None
            c = p + 1
            end = cur[n - 1] if n > 1 else len(parked)
            while c < end and parked[c] is None:
                c += 1
            cur[n] = c
            heads[n] = firsts[c] + offsets[n] if c < end else _NEVER
            count -= 1
            first = None
            start(now)
            if not count or in_use >= servers:
                continue
            catch_up(now)
        if first is not None and first is not woken and in_use < servers:
            woken = first
            heappush(queue, (next_due, 2, first.uid, 2, (first, first_n, first_pos)))
    return out


def lambdasim_results(
    gaps: list[float], durations: list[float], servers: int = SERVERS, base_s: float = 1.0, cap_s: float = 300.0
) -> ls.Results:
    """What lambdasim makes of :func:`skeleton`'s load (arrivals at the running sum of ``gaps``), with these
    backoffs."""
    settings = ls.Settings(throttle_backoff_base_s=base_s, throttle_backoff_cap_s=cap_s)
    return lambdasim_model(gaps, durations, servers, settings=settings).build(seed=SEED).run()


def _cpu(run: Any) -> float:
    """CPU time of ``run()`` after a full collection (as ``bench_async.timed``)."""
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


def measure(customers: int, storm_s: float, repetitions: int) -> dict[str, Any]:
    """Paired repetitions of lambdasim and the skeleton, calm and storm (the loads of ``bench_async.py``)."""
    calm_gaps, calm_durations = streams(customers, SEED)
    n_storm = int(STORM_RATE_PER_S * storm_s)
    storm_gaps, storm_durations = streams(n_storm, SEED + 1, rate_per_s=STORM_RATE_PER_S)
    calm_times = np.cumsum(calm_gaps).tolist()  # as lambdasim_model's trace: the running sum of the gaps
    storm_times = np.cumsum(storm_gaps).tolist()
    rows: list[dict[str, float]] = []
    for rep in range(repetitions):
        row = {
            "lambdasim_calm_us": timed(lambda: lambdasim_async(calm_gaps, calm_durations)) / customers,
            "skeleton_calm_us": _cpu(lambda: skeleton(calm_times, calm_durations)) / customers,
            "lambdasim_storm_us": timed(lambda: lambdasim_async(storm_gaps, storm_durations)) / n_storm,
            "skeleton_storm_us": _cpu(lambda: skeleton(storm_times, storm_durations)) / n_storm,
        }
        row = {k: v * 1e6 for k, v in row.items()}
        row["skeleton_extra_us"] = row["skeleton_storm_us"] - row["skeleton_calm_us"]
        row["floor"] = 1.0 + row["skeleton_extra_us"] / row["lambdasim_calm_us"]
        row["relative_cost"] = row["lambdasim_storm_us"] / row["lambdasim_calm_us"]
        rows.append(row)
        print(
            f"  rep {rep + 1}: extra {row['skeleton_extra_us']:.2f} us, floor {row['floor']:.2f}, "
            f"lambdasim {row['relative_cost']:.2f}",
            flush=True,
        )
    # The same work: the skeleton's throttles are lambdasim's, minute by minute.
    throttled = skeleton(storm_times, storm_durations).throttles
    expected = lambdasim_results(storm_gaps, storm_durations).metric(FUNCTION, "Throttles")
    assert throttled == {int(start // PERIOD_S): int(n) for start, n in expected}, "the skeleton counts otherwise"
    result: dict[str, Any] = {"invocations": n_storm, "throttles": sum(throttled.values())}
    for key in rows[0]:
        result[key] = round(statistics.median(row[key] for row in rows), 3)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short calm run and a 60 s storm")
    parser.add_argument("--repetitions", type=int, default=5, help="paired repetitions (median reported)")
    args = parser.parse_args(argv)
    if args.repetitions < 1:
        parser.error(f"--repetitions must be >= 1, got {args.repetitions}")
    customers = QUICK_CUSTOMERS if args.quick else CUSTOMERS
    storm_s = QUICK_STORM_S if args.quick else STORM_S
    print(f"storm floor: calm {customers} events, storm {STORM_RATE_PER_S:g}/s for {storm_s:g} s", flush=True)
    print(json.dumps({"storm_floor": measure(customers, storm_s, args.repetitions)}), flush=True)


if __name__ == "__main__":
    main()
