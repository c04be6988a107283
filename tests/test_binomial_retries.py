"""Retry outcomes against their closed form (spec 1.3): each attempt fails independently with probability ``p``.

With ``MaximumRetryAttempts = r``, an event needs ``k`` attempts and succeeds with probability ``p**(k-1) * (1-p)``
for ``k = 1 .. r+1``, and is discarded as ``RetriesExhausted`` after ``r+1`` attempts with probability ``p**(r+1)``.
Over ``n`` independent events the four (or fewer) counts are multinomial: a chi-square goodness-of-fit test at the
99.9% level checks them, and the mean attempts per event is ``(1 - p**(r+1)) / (1 - p)``.
"""

from __future__ import annotations

from collections import Counter

import pytest

import lambdasim as ls
from lambdasim.workload import Burst

# Chi-square 99.9% quantiles by degrees of freedom.
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27}


class CountBySink:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, int]] = Counter()

    def deliver(self, outcome: ls.Outcome) -> None:
        self.counts[(outcome.condition.value, outcome.approximate_invoke_count)] += 1


def expected_shares(p: float, retries: int) -> dict[tuple[str, int], float]:
    shares = {("Success", k): p ** (k - 1) * (1 - p) for k in range(1, retries + 2)}
    shares[("RetriesExhausted", retries + 1)] = p ** (retries + 1)
    return shares


@pytest.mark.parametrize(("p", "retries", "seed"), [(0.3, 2, 1), (0.5, 1, 2), (0.2, 0, 3), (0.45, 2, 4)])
def test_outcomes_and_invoke_counts_follow_the_truncated_geometric_law(p: float, retries: int, seed: int) -> None:
    n = 20_000
    sim = ls.Simulation(seed=seed)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=0.01, error_rate=p), Timeout=3)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=retries)
    sink = CountBySink()
    sim.engine.sinks.append(sink)
    Burst(function="f", at_s=0.0, count=n, over_s=100.0).attach(sim)
    f = sim.run().functions["f"]

    shares = expected_shares(p, retries)
    assert set(sink.counts) <= set(shares)
    chi2 = sum((sink.counts[key] - n * share) ** 2 / (n * share) for key, share in shares.items())
    assert chi2 < CHI2_999[len(shares) - 1], (chi2, dict(sink.counts))
    mean_attempts = (1 - p ** (retries + 1)) / (1 - p)
    # The mean of n i.i.d. attempt counts: its standard error is below 1.2 / sqrt(n) for these p and r.
    assert f["attempts"] / n == pytest.approx(mean_attempts, abs=4 * 1.2 / n**0.5)
    assert f["errors"] == f["attempts"] - f["outcomes"]["Success"]


def test_the_check_tells_one_retry_from_two() -> None:
    """Power of the check: a run with 2 retries is far from the law for 1 retry (an off-by-one would be caught)."""
    n, p = 20_000, 0.3
    sim = ls.Simulation(seed=5)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=0.01, error_rate=p), Timeout=3)
    sink = CountBySink()
    sim.engine.sinks.append(sink)
    Burst(function="f", at_s=0.0, count=n, over_s=100.0).attach(sim)
    sim.run()
    wrong = expected_shares(p, 1)
    chi2 = sum((sink.counts[key] - n * share) ** 2 / (n * share) for key, share in wrong.items())
    assert chi2 > 100 * CHI2_999[2]
