"""Memory: the statistics (tallies and sketches, levels, per-minute metrics, sink statistics) keep a footprint that
does not grow with the number of events. Measured with tracemalloc on a test-sized run: the same horizon with ten
times the events.

A quantile sketch holds one bucket per 1% (0.5% for tallies) of the values' range on a log scale, so its size is
bounded by the range, never by the count: durations here are bounded (uniform on 0.2..1 s) so that the small run
already covers the range and the comparison shows the flat part; the bound itself is checked on its own."""

from __future__ import annotations

import gc
import tracemalloc

import lambdasim as ls
from lambdasim import dist
from lambdasim.workload import Poisson

# Where statistics are allocated: what is still alive from these files after a run is the statistics' footprint.
STATISTICS_FILES = (
    "*lambdasim/core/stats.py",
    "*lambdasim/core/counters.py",
    "*lambdasim/core/metrics.py",
    "*lambdasim/core/sinks.py",
)
HORIZON_S = 600.0


class Nothing:
    """A sink that keeps nothing itself: only its attachment's statistics remain."""

    def deliver(self, outcome: ls.Outcome) -> None:
        return None


def footprint(events: int) -> tuple[int, int]:
    """``(bytes held by statistics after the run, events received)`` for ``events`` arrivals over the horizon."""
    gc.collect()
    tracemalloc.start()
    try:
        sim = ls.Simulation(seed=8)
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=dist.Uniform(0.2, 1.0), error_rate=0.2))
        lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=1)
        sim.add_sink(Nothing())
        Poisson(function="f", rate_per_s=events / HORIZON_S, stop_s=HORIZON_S).attach(sim)
        results = sim.run(until=HORIZON_S + 400)  # every retry (60 s) and attempt is over
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    held = snapshot.filter_traces([tracemalloc.Filter(True, pattern) for pattern in STATISTICS_FILES])
    assert results.functions["f"]["in_flight"] == 0
    return sum(stat.size for stat in held.statistics("filename")), results.functions["f"]["async_events_received"]


def test_the_statistics_footprint_is_flat_as_events_grow_tenfold() -> None:
    small, received_small = footprint(1_500)
    large, received_large = footprint(15_000)
    assert received_large > 9 * received_small
    # Sketches fill a few more log buckets with more samples (bounded by the value range), nothing per event.
    assert large < 1.15 * small, (small, large)
    assert large < 300_000, large  # bytes: far below one object per event


def test_a_sketch_is_bounded_by_the_range_of_its_values() -> None:
    import math

    from lambdasim.core.metrics import SKETCH_ALPHA, Samples

    samples = Samples()
    low, high = 1.0, 10_000.0  # ms
    for i in range(200_000):
        samples.add(low * (high / low) ** ((i * 0.618034) % 1.0))
    bound = math.log(high / low) / math.log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA)) + 2
    assert len(samples.buckets) <= bound
