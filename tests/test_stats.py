"""Streaming statistics (``lambdasim.core.stats``) against numpy on the full records, and a hand-worked level.

The differential style of salabim (``shared/style.md``): the cheap running figures and the full records side by side.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdasim.core.counters import FunctionStats
from lambdasim.core.stats import TALLY_BUFFER, Level, QuantileSketch, Tally

QUANTILES = (0.5, 0.9, 0.99)


def samples() -> dict[str, np.ndarray]:
    g = np.random.default_rng(20260101)
    return {
        "exponential": g.exponential(0.5, 100_000),
        "lognormal": g.lognormal(math.log(0.2), math.log(2.5), 100_000),
        "lognormal wide": g.lognormal(math.log(30.0), 2.0, 50_000),
        "uniform ages": g.uniform(0.0, 21_600.0, 20_000),
    }


SAMPLES = samples()


@pytest.mark.parametrize("name", list(SAMPLES))
def test_sketch_quantiles_are_within_one_percent_of_numpy(name: str) -> None:
    x = SAMPLES[name]
    sketch = QuantileSketch()
    for v in x.tolist():
        sketch.add(v)
    bulk = QuantileSketch()
    bulk.add_many(x)
    assert sketch.count == bulk.count == x.size
    for q in QUANTILES:
        got = sketch.quantile(q)
        assert bulk.quantile(q) == got  # one by one or in bulk: the same buckets
        assert abs(got - np.quantile(x, q)) <= 0.01 * np.quantile(x, q)
        # The documented guarantee: within alpha of the observation at rank ceil(q (n - 1)).
        at_rank = np.quantile(x, q, method="higher")
        assert abs(got - at_rank) <= sketch.alpha * at_rank * (1 + 1e-12)


def test_sketch_memory_is_logarithmic_in_the_value_range() -> None:
    sketch = QuantileSketch()
    sketch.add_many(SAMPLES["lognormal wide"])
    low, high = SAMPLES["lognormal wide"].min(), SAMPLES["lognormal wide"].max()
    bound = math.log(high / low) / math.log((1 + sketch.alpha) / (1 - sketch.alpha)) + 2
    assert sketch.buckets <= bound
    assert sketch.buckets < 2_000  # for 50,000 values spanning many decades


def test_sketch_edges() -> None:
    sketch = QuantileSketch()
    assert math.isnan(sketch.quantile(0.5))
    with pytest.raises(ValueError, match=r"q must be in \[0, 1\], got 1.5"):
        sketch.quantile(1.5)
    with pytest.raises(ValueError, match=r"values >= 0, got -1.0"):
        sketch.add(-1.0)
    with pytest.raises(ValueError, match=r"values >= 0"):
        sketch.add_many([1.0, -2.0])
    assert sketch.count == 0  # nothing of a refused batch is counted
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        QuantileSketch(alpha=0.0)
    for v in (0.0, 0.0, 0.0, 5.0):
        sketch.add(v)
    assert sketch.quantile(0.5) == 0.0  # zeros are counted exactly
    assert sketch.quantile(1.0) == pytest.approx(5.0, rel=sketch.alpha)
    values, fractions = sketch.cdf()
    assert values[0] == 0.0 and fractions.tolist() == [0.75, 1.0]


def test_sketch_merge_equals_one_sketch_of_the_union() -> None:
    x, y = SAMPLES["exponential"], SAMPLES["lognormal"]
    a, b, union = QuantileSketch(), QuantileSketch(), QuantileSketch()
    a.add_many(x)
    b.add_many(y[:1000])
    for v in y[1000:].tolist():
        b.add(v)
    union.add_many(np.concatenate([x, y]))
    a.merge(b)
    assert a.count == union.count
    for q in (0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0):
        assert a.quantile(q) == union.quantile(q)
    assert [arr.tolist() for arr in a.cdf()] == [arr.tolist() for arr in union.cdf()]
    with pytest.raises(ValueError, match="cannot merge sketches"):
        a.merge(QuantileSketch(alpha=0.01))


@pytest.mark.parametrize("name", list(SAMPLES))
def test_tally_moments_match_numpy(name: str) -> None:
    x = SAMPLES[name]
    t = Tally()
    t.extend(x.tolist())
    assert t.count == x.size
    assert t.mean == pytest.approx(float(x.mean()), rel=1e-12)
    assert t.variance == pytest.approx(float(x.var(ddof=1)), rel=1e-10)
    assert (t.min, t.max) == (float(x.min()), float(x.max()))
    for q in QUANTILES:
        assert t.min <= t.quantile(q) <= t.max
        assert t.quantile(q) == pytest.approx(float(np.quantile(x, q)), rel=0.01)
    d = t.to_dict()
    assert set(d) == {"count", "mean", "min", "max", "p50", "p90", "p99"}
    assert d["p99"] == t.quantile(0.99)


def test_tally_is_stable_far_from_zero() -> None:
    """Running moments of values around 1e9 with a tiny spread (the naive sum-of-squares formula fails here)."""
    x = 1e9 + np.random.default_rng(1).normal(0.0, 1e-3, 5 * TALLY_BUFFER + 3)
    t = Tally()
    t.extend(x.tolist())
    assert t.variance == pytest.approx(float(x.var(ddof=1)), rel=1e-6)


def test_tally_figures_do_not_depend_on_when_they_were_read() -> None:
    x = SAMPLES["lognormal"][: 3 * TALLY_BUFFER + 100].tolist()
    quiet, watched = Tally(), Tally()
    for i, v in enumerate(x):
        quiet.add(v)
        watched.add(v)
        if i % 337 == 0:
            watched.to_dict()  # reading folds nothing into the figures
    assert watched.to_dict() == quiet.to_dict()
    assert (watched.mean, watched.variance) == (quiet.mean, quiet.variance)


def test_tally_edges() -> None:
    t = Tally()
    assert t.to_dict() == {"count": 0, "mean": None, "min": None, "max": None, "p50": None, "p90": None, "p99": None}
    assert math.isnan(t.variance) and math.isnan(t.quantile(0.5))
    t.add(2.0)
    assert (t.count, t.mean, t.min, t.max) == (1, 2.0, 2.0, 2.0)
    assert math.isnan(t.variance)
    assert t.quantile(0.5) == 2.0  # clamped to [min, max]: exact for a single value
    with pytest.raises(ValueError):
        t.add(-1.0)
    with pytest.raises(ValueError):
        t.add(math.nan)
    assert t.count == 1


def test_merged_event_age_equals_the_tally_of_all_ages() -> None:
    """``FunctionStats.event_age`` merges the per-attempt tallies; it must equal one tally over every age."""
    g = np.random.default_rng(5)
    parts = [g.uniform(0, 1, 3000), g.uniform(60, 70, 2500), 180 + g.exponential(5.0, 10)]
    stats = FunctionStats(0.0)
    for tally, ages in zip(stats.age_by_attempt, parts, strict=True):
        tally.extend(ages.tolist())
    everything = np.concatenate(parts)
    merged = stats.event_age
    assert merged.count == everything.size
    assert merged.mean == pytest.approx(float(everything.mean()), rel=1e-12)
    assert merged.variance == pytest.approx(float(everything.var(ddof=1)), rel=1e-10)
    assert (merged.min, merged.max) == (float(everything.min()), float(everything.max()))
    direct = Tally()
    direct.extend(everything.tolist())
    for q in (0.1, 0.5, 0.9, 0.99, 1.0):
        assert merged.quantile(q) == direct.quantile(q)
    # Reading the merge leaves the parts as they were.
    assert [t.count for t in stats.age_by_attempt] == [3000, 2500, 10]


def test_level_time_average_by_hand() -> None:
    """Level 0 on [0, 2), 1 on [2, 5), 3 on [5, 6), 0 on [6, 10): area 1*3 + 3*1 = 6 over 10 s, mean 0.6."""
    level = Level(0.0)
    level.change(2.0, +1)
    level.change(5.0, +1)
    level.change(5.0, +1)  # two changes at one time add no area
    level.change(6.0, -3)
    assert level.mean(10.0) == pytest.approx(0.6)
    assert level.integral(10.0) == pytest.approx(6.0)
    assert (level.max, level.value) == (3, 0)
    assert level.to_dict(10.0) == {"mean": pytest.approx(0.6), "max": 3.0, "final": 0.0}
    # The current level counts up to "now" without any change being recorded.
    level.change(10.0, +2)
    assert level.mean(20.0) == pytest.approx((6.0 + 2 * 10) / 20)


def test_level_starting_later_and_restarting() -> None:
    level = Level(100.0)
    assert level.mean(100.0) == 0.0
    level.change(104.0, 4)
    assert level.mean(108.0) == pytest.approx(4 * 4 / 8)
    level.restart(108.0)  # the end of a warm-up: keep the value, forget the past
    assert level.mean(110.0) == pytest.approx(4.0)
    assert level.max == 4
