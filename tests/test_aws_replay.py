"""Replays of AWS's per-request logs (Mahmoudi and Khazaei's experiments, tests/aws_logs.py) through lambdasim, and
:class:`lambdasim.calibrate.RequestLog` itself.

Each replay invokes at the logged request times, with durations drawn from the logged ones and the log's init
duration, and compares the share of cold starts and the count of environments (counted as the authors count them:
each until 10 min after its last request) with the log's. The settings were chosen against the even rows of the
published table (tests/test_calibration_aws.py), not against these logs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lambdasim as ls
from lambdasim import calibrate as cal
from tests import aws_logs

EARLIER_RULE = ls.Settings(
    idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, environment_reuse="most_recent", active_idle_timeout_s=None
)
SEEDS = (1, 2, 3)


def test_the_compact_logs_hold_the_published_experiments() -> None:
    logs = aws_logs.load()
    assert [len(log.times_s) for log in logs] == [186, 246, 290, 348, 428, 577, 791, 1648, 5050, 10066, 10116]
    assert [sum(log.cold) for log in logs] == [59, 52, 43, 35, 32, 28, 28, 29, 37, 59, 56]
    for log in logs:
        assert 27.7 * 3600 < log.times_s[-1] <= aws_logs.HORIZON_S
        assert 1.8 < float(np.median(log.durations_s)) < 1.9  # the 1.85 s function
        assert 0.1 < log.init_duration_s < 1.0
        # a cold start is always an environment's first request (those warmed up before the log began excepted)
        firsts = {env: i for i, env in reversed(list(enumerate(log.environments)))}
        assert {i for i, c in enumerate(log.cold) if c} <= set(firsts.values())
        assert sum(log.cold) >= len(firsts) - 2


def test_request_log_checks_its_input() -> None:
    with pytest.raises(ValueError, match="durations_s must hold one value per request"):
        cal.RequestLog(times_s=[0.0, 1.0], durations_s=[1.0], cold=[True, False])
    with pytest.raises(ValueError, match="in order"):
        cal.RequestLog(times_s=[1.0, 0.0], durations_s=[1.0, 1.0], cold=[True, False])
    with pytest.raises(ValueError, match="at least one request"):
        cal.RequestLog(times_s=[], durations_s=[], cold=[])
    with pytest.raises(ValueError, match="environments and elapsed_s"):
        cal.RequestLog(times_s=[0.0], durations_s=[1.0], cold=[True]).counted_instances(600.0)


def test_request_log_figures_by_hand() -> None:
    log = cal.RequestLog(
        times_s=[0.0, 100.0, 2000.0, 2001.0],
        durations_s=[1.0, 1.0, 1.0, 1.0],
        cold=[True, False, True, True],
        environments=[7, 7, 8, 9],
        elapsed_s=[1.5, 1.0, 1.5, 1.5],
        horizon_s=2400.0,
    )
    assert log.cold_start_share == 0.75
    assert log.init_duration_s == pytest.approx(0.5)
    # env 7: 0 to 101 + 600; env 8: 2000 to min(2001.5 + 600, 2400); env 9: 2001 to 2400
    assert log.counted_instances(600.0) == pytest.approx((701.0 + 400.0 + 399.0) / 2400.0)


def test_a_replay_of_a_sparse_log_is_cold_exactly_after_long_gaps() -> None:
    """Requests 10 min apart and 20 min apart against a fixed 600 s idle timeout: warm, then cold."""
    times = [0.0, 300.0, 1500.0, 1800.0, 3600.0]
    log = cal.RequestLog(times_s=times, durations_s=[1.0] * 5, cold=[True, False, True, False, True])
    settings = ls.Settings(idle_timeout_s=600.0, idle_timeout_jitter_s=0.0)
    cold, _ = cal.replay_log(settings, log, seeds=(1,))
    assert cold == pytest.approx(3 / 5)


@pytest.mark.slow
def test_replays_of_the_aws_logs_match_their_cold_starts() -> None:
    logs = aws_logs.load()
    errors, earlier_errors, instance_errors = [], [], []
    for log in logs:
        cold, instances = cal.replay_log(ls.Settings(), log, SEEDS, idle_allowance_s=aws_logs.IDLE_ALLOWANCE_S)
        earlier, _ = cal.replay_log(EARLIER_RULE, log, SEEDS)
        errors.append(cold / log.cold_start_share - 1)
        earlier_errors.append(earlier / log.cold_start_share - 1)
        observed_instances = log.counted_instances(aws_logs.IDLE_ALLOWANCE_S)
        instance_errors.append(instances / observed_instances - 1)
        # each within what AWS's own count of cold starts varies (4 standard deviations of a Poisson count)
        n = sum(log.cold)
        assert abs(cold * len(log.cold) - n) < 4 * math.sqrt(n) + 1, (len(log.cold), cold, log.cold_start_share)
    mape = float(np.mean(np.abs(errors)))
    assert mape < 0.10, errors
    assert float(np.mean(np.abs(instance_errors))) < 0.03, instance_errors
    assert float(np.mean(np.abs(earlier_errors))) > 1.5 * mape, (earlier_errors, errors)
