"""lambdasim.calibrate: reading observations, fitting the environment settings, held-out checks and the plot."""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import matplotlib
import numpy as np
import pytest

import lambdasim as ls
from lambdasim import calibrate as cal
from lambdasim import dist

matplotlib.use("Agg")

FIXED = ls.Settings(idle_timeout_jitter_s=0.0, environment_reuse="most_recent", max_environment_lifetime_s=None)
"""One environment, a fixed idle timeout, no lifetime: P(cold) = exp(-rate (T + d)) in closed form."""


def closed_form_row(rate: float, timeout_s: float, duration_s: float = 1.0) -> cal.RateObservation:
    """What a fixed idle timeout gives at a rate low enough for one environment (cold iff the gap > T + d)."""
    p = math.exp(-rate * (timeout_s + duration_s))
    return cal.RateObservation(
        arrival_rate_per_s=rate,
        cold_start_share=p,
        mean_instances=1 - p + rate * duration_s * p,  # alive while the last request is < T + d old
        duration_s=duration_s,
        horizon_s=400 / rate,
    )


# -- observations ---------------------------------------------------------------------------------------------------


def test_read_table_skips_comment_lines_and_ignores_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(
        "# measured by us, 2026\n"
        "arrival_rate_per_s,cold_start_share,note,mean_instances,duration_s,warmup_s\n"
        "0.01,0.05,a,1.2,0.5,\n"
        "0.1,0.01,b,,0.5,3600\n",
        encoding="utf-8",
    )
    rows = cal.read_table(path)
    assert rows[0] == cal.RateObservation(
        arrival_rate_per_s=0.01, cold_start_share=0.05, mean_instances=1.2, duration_s=0.5
    )
    assert rows[1].mean_instances is None and rows[1].horizon_s == 28 * 3600
    assert (rows[0].warmup_s, rows[1].warmup_s) == (0.0, 3600.0)


def test_read_table_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text("arrival_rate_per_s,cold_start_share,duration_s\n0.1,0.5,1\n0.1,1.5,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"obs.csv, line 3: .*cold_start_share"):
        cal.read_table(path)
    path.write_text("rate,cold\n0.1,0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header must name arrival_rate_per_s"):
        cal.read_table(path)


def test_observations_are_validated_naming_the_field() -> None:
    with pytest.raises(ValueError, match="arrival_rate_per_s"):
        cal.RateObservation(arrival_rate_per_s=0, cold_start_share=0.1, duration_s=1)
    with pytest.raises(ValueError, match="init_duration_s"):
        cal.RateObservation(arrival_rate_per_s=1, cold_start_share=0.1, duration_s=1, init_duration_s=11)
    with pytest.raises(ValueError, match=r"cold_starts must hold one value per period \(2\), got 1"):
        cal.CloudWatchSeries(invocations=[1, 2], cold_starts=[1], duration_s=1.0)
    with pytest.raises(ValueError, match="give duration_s or concurrent_executions"):
        cal.CloudWatchSeries(invocations=[1, 2], cold_starts=[1, 0])
    with pytest.raises(ValueError, match="invocations must hold numbers >= 0"):
        cal.CloudWatchSeries(invocations=[3, -2], cold_starts=[1, 0], duration_s=1.0)


def test_series_duration_by_littles_law() -> None:
    """120 invocations in 2 min with mean concurrency 0.5 busy: 60 busy seconds, minus 2 cold inits of 1.5 s."""
    series = cal.CloudWatchSeries(
        invocations=[60, 60], cold_starts=[2, 0], concurrent_executions=[0.5, 0.5], init_durations_s=[1.0, 2.0]
    )
    assert series.horizon_s == 120.0
    assert series.warm_duration_s == pytest.approx((60.0 - 2 * 1.5) / 120)


def test_init_duration_fit_recovers_a_log_normal() -> None:
    truth = dist.LogNormal(median=0.3, spread=1.4)
    samples = np.random.default_rng(2).lognormal(math.log(0.3), math.log(1.4), 4000)
    fitted = cal.fit_init_duration(samples)
    assert isinstance(fitted, dist.LogNormal)
    # standard errors: sigma / sqrt(n) on log median, sigma / sqrt(2n) on log spread (about 0.005 each)
    assert math.log(fitted.median) == pytest.approx(math.log(truth.median), abs=0.02)
    assert math.log(fitted.spread) == pytest.approx(math.log(truth.spread), abs=0.02)
    assert cal.fit_init_duration([0.25, 0.25]) == dist.Constant(0.25)
    with pytest.raises(ValueError, match="init durations must be > 0 s"):
        cal.fit_init_duration([0.2, 0.0])


def test_mape() -> None:
    assert cal.mape([1.1, 0.9, 5.0], [1.0, 1.0, 0.0]) == pytest.approx(0.1)  # observations of 0 are left out
    with pytest.raises(ValueError, match="at least one observation > 0"):
        cal.mape([1.0], [0.0])


# -- fitting --------------------------------------------------------------------------------------------------------


def test_predict_matches_the_closed_form_for_a_fixed_timeout() -> None:
    """Two 400-request runs: the cold share's standard error is about 0.017 at p = 0.37."""
    row = closed_form_row(1 / 300, 300.0)
    cold, instances = cal.predict(attrs.evolve(FIXED, idle_timeout_s=300.0), row, seeds=(1, 2))
    assert cold == pytest.approx(row.cold_start_share, abs=4 * 0.017)
    assert instances == pytest.approx(row.mean_instances, abs=0.06)


def test_a_warm_up_starts_the_counted_experiment_with_warm_environments() -> None:
    """One request a second to a 1 us function for 100 s: one environment that never idles long. Without a warm-up
    the first request is cold and the environment is counted from it; after one, nothing is cold and the
    environment is counted over the whole horizon (it was born in the warm-up)."""
    row = cal.RateObservation(
        arrival_rate_per_s=1.0, cold_start_share=0.0, duration_s=1e-6, horizon_s=100.0, instances_idle_allowance_s=600
    )
    cold, instances = cal.predict(FIXED, row, seeds=(1,))
    requests = 1 / cold  # exactly one cold start: the first request
    assert 60 < requests < 140  # Poisson: 100 expected
    assert 0.9 < instances < 1.0  # from the first arrival (about 1 s in) to the horizon
    warm_cold, warm_instances = cal.predict(FIXED, attrs.evolve(row, warmup_s=60.0), seeds=(1,))
    assert warm_cold == 0.0
    assert warm_instances == pytest.approx(1.0)
    with pytest.raises(ValueError, match="warmup_s"):
        attrs.evolve(row, warmup_s=-1.0)


def test_fit_table_recovers_the_idle_timeout_and_scores_held_out_rows() -> None:
    fit_rows = [closed_form_row(1 / 300, 300.0), closed_form_row(1 / 150, 300.0)]
    held_out = [closed_form_row(1 / 220, 300.0)]
    grid = {"idle_timeout_s": (100.0, 300.0, 900.0)}
    result = cal.fit_table(fit_rows, start=FIXED, grid=grid, seeds=(1, 2))
    assert result.fitted == {"idle_timeout_s": 300.0}
    assert result.settings.idle_timeout_s == 300.0
    assert result.evaluations == 4  # the start value (600 s) and the three candidates, each simulated once
    check = result.check(held_out)
    assert check.cold_start_mape < 0.15
    assert check.instances_mape is not None and check.instances_mape < 0.1
    assert result.init_duration == dist.Constant(0.0)


def test_fit_series_recovers_the_idle_timeout_from_per_minute_counts() -> None:
    """A series made by the closed-form rule (one environment: cold iff the gap since the previous request ended
    exceeds T = 300 s), per minute, over 4 days at one request per 5 min."""
    rng = np.random.default_rng(11)
    starts = np.cumsum(rng.exponential(300.0, 1200))
    starts = starts[starts < 4 * 86400]
    cold = np.concatenate([[True], np.diff(starts) > 300.0 + 1.0])
    minutes = (starts // 60).astype(int)
    n = 4 * 1440
    series = cal.CloudWatchSeries(
        invocations=np.bincount(minutes, minlength=n),
        cold_starts=np.bincount(minutes, weights=cold, minlength=n),
        duration_s=1.0,
    )
    grid = {"idle_timeout_s": (100.0, 300.0, 900.0)}
    result = cal.fit_series(series, start=FIXED, grid=grid, seeds=(1,), window_periods=240)
    assert result.fitted == {"idle_timeout_s": 300.0}
    assert result.check_series(series, window_periods=240) == pytest.approx(result.loss)
    assert result.loss < 0.3


def test_fit_refuses_an_unknown_setting_or_no_observations() -> None:
    row = closed_form_row(1 / 300, 300.0)
    with pytest.raises(ValueError, match="grid names an unknown setting 'idle_timeout'"):
        cal.fit_table([row], grid={"idle_timeout": (1.0,)})
    with pytest.raises(ValueError, match="fit_table needs at least one observation"):
        cal.fit_table([])
    with pytest.raises(ValueError, match=r"grid\['idle_timeout_s'\] holds no candidate values"):
        cal.fit_table([row], grid={"idle_timeout_s": ()})


def test_plot_table_draws_fit_against_data() -> None:
    rows = [closed_form_row(r, 300.0) for r in (1 / 300, 1 / 150)]
    check = cal.Check(
        observed_cold=tuple(r.cold_start_share for r in rows),
        predicted_cold=(0.3, 0.1),
        observed_instances=tuple(r.mean_instances for r in rows),
        predicted_instances=(0.7, 0.9),
    )
    fig = cal.plot_table(rows, {"fitted": check}, held_out=[False, True])
    cold_ax, inst_ax = fig.axes
    assert cold_ax.get_yscale() == "log"
    labels = [line.get_label() for line in cold_ax.get_lines()]
    assert labels == ["observed (fitted to)", "observed (held out)", "fitted"]
    assert list(inst_ax.get_lines()[-1].get_ydata()) == [0.7, 0.9]
