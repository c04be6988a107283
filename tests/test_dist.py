"""``lambdasim.dist``: stated means and variances agree with samples, and samplers are pure functions of the seed.

Tolerances are honest: five standard errors of the estimate, computed from the samples themselves (for the variance,
from the fourth central moment), so a correct distribution fails with probability well below one in a million and a
wrong mean or variance of a few percent fails for sure at these sample sizes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdasim import dist

N = 200_000
DISTRIBUTIONS = [
    dist.Constant(0.25),
    dist.Exponential(0.5),
    dist.Exponential(30.0),
    dist.LogNormal(median=0.2, spread=1.5),
    dist.LogNormal(median=2.0, spread=3.0),
    dist.Uniform(0.1, 0.3),
    dist.Uniform(0.0, 900.0),
    dist.Empirical([0.1, 0.1, 0.2, 0.5, 1.7]),
]


def rng(seed: int = 20260101) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("d", DISTRIBUTIONS, ids=repr)
def test_mean_and_variance_match_samples(d: dist.Distribution) -> None:
    x = np.asarray(d.sample(rng(), N))
    assert x.shape == (N,)
    assert (x >= 0).all()
    mean, var = float(x.mean()), float(x.var(ddof=1))
    if d.variance == 0:
        assert (x == d.mean).all()
        return
    se_mean = math.sqrt(var / N)
    assert abs(mean - d.mean) <= 5 * se_mean, (mean, d.mean)
    m4 = float(((x - mean) ** 4).mean())
    se_var = math.sqrt(max(m4 - var**2, 0.0) / N)
    assert abs(var - d.variance) <= 5 * se_var, (var, d.variance)


def test_closed_forms() -> None:
    """The stated moments are the textbook ones (not just whatever the sampler does)."""
    assert dist.Exponential(2.0).mean == 2.0 and dist.Exponential(2.0).variance == 4.0
    assert dist.Uniform(1.0, 3.0).mean == 2.0 and dist.Uniform(1.0, 3.0).variance == pytest.approx(4 / 12)
    sigma = math.log(1.5)
    ln = dist.LogNormal(median=0.2, spread=1.5)
    assert ln.mean == pytest.approx(0.2 * math.exp(sigma**2 / 2))
    assert ln.variance == pytest.approx((math.exp(sigma**2) - 1) * 0.2**2 * math.exp(sigma**2))
    emp = dist.Empirical([1.0, 2.0, 3.0, 6.0])
    assert emp.mean == 3.0 and emp.variance == pytest.approx(3.5)  # population variance: what resampling gives
    assert dist.Constant(4.0).mean == 4.0 and dist.Constant(4.0).variance == 0.0


def test_lognormal_is_parameterised_by_median_and_spread() -> None:
    """The median is the median, and about 68% of draws fall within [median / spread, median * spread]."""
    d = dist.LogNormal(median=0.45, spread=1.6)
    x = d.sample(rng(), N)
    assert float(np.median(x)) == pytest.approx(0.45, rel=0.01)
    inside = float(np.mean((x >= 0.45 / 1.6) & (x <= 0.45 * 1.6)))
    p = math.erf(1 / math.sqrt(2))  # 0.6827
    assert abs(inside - p) <= 5 * math.sqrt(p * (1 - p) / N)


def test_empirical_resamples_only_its_values_in_proportion() -> None:
    d = dist.Empirical([0.1, 0.1, 0.2, 0.5])
    x = d.sample(rng(), N)
    values, counts = np.unique(x, return_counts=True)
    assert values.tolist() == [0.1, 0.2, 0.5]
    shares = counts / N
    for share, p in zip(shares, (0.5, 0.25, 0.25), strict=True):
        assert abs(share - p) <= 5 * math.sqrt(p * (1 - p) / N)
    assert dist.empirical((1, 2, 3)) == dist.Empirical([1.0, 2.0, 3.0])


@pytest.mark.parametrize("d", DISTRIBUTIONS, ids=repr)
def test_sampler_is_a_pure_function_of_the_generator_seed(d: dist.Distribution) -> None:
    n = 2 * dist.BLOCK + 17  # across block refills
    a = d.sampler(rng(7))
    b = d.sampler(rng(7))
    first = [a() for _ in range(n)]
    assert first == [b() for _ in range(n)]
    # The buffered sampler serves exactly the draws of block-sized sample() calls on the same stream.
    g = rng(7)
    blocks = np.concatenate([d.sample(g, dist.BLOCK) for _ in range(3)])[:n]
    assert first == blocks.tolist()
    assert all(isinstance(v, float) for v in first[:10])
    # Another seed gives another sequence (unless there is no randomness at all).
    other = d.sampler(rng(8))
    assert ([other() for _ in range(100)] == first[:100]) == (d.variance == 0)


def test_sample_one_value_is_a_float() -> None:
    assert isinstance(dist.Exponential(1.0).sample(rng()), float)
    assert dist.Constant(3).sample(rng()) == 3.0


def test_as_distribution_accepts_seconds_or_a_distribution() -> None:
    assert dist.as_distribution("Duration", 2) == dist.Constant(2.0)
    assert dist.as_distribution("Duration", 0.0) == dist.Constant(0.0)
    e = dist.Exponential(1.0)
    assert dist.as_distribution("Duration", e) is e


def test_distributions_are_frozen_and_hashable() -> None:
    import attrs

    e = dist.Exponential(1.0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        e.mean_s = 2.0  # type: ignore[misc]
    assert {e, dist.Exponential(1.0)} == {e}
