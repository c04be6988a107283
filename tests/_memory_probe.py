"""Run by tests/test_metrics_rollup.py in a fresh interpreter: the traced peak memory (bytes) of a run of light
traffic (0.05 events/s) over ``sys.argv[1]`` simulated days, after a short warm-up run has imported everything."""

from __future__ import annotations

import sys
import tracemalloc

import lambdasim as ls
from lambdasim.model import Function, Model
from lambdasim.workload import Poisson


def model(horizon_s: float) -> Model:
    return Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.2))],
        workloads=[Poisson(function="f", rate_per_s=0.05, stop_s=horizon_s)],
        horizon_s=horizon_s,
    )


def main() -> None:
    days = float(sys.argv[1])
    model(3600.0).run(seed=2).to_dict()  # imports and caches: not part of what is measured
    tracemalloc.start()
    results = model(days * 86400.0).run(seed=1)
    results.to_dict()
    print(tracemalloc.get_traced_memory()[1])


if __name__ == "__main__":
    main()
