"""Replays of AWS's per-request logs (Mahmoudi and Khazaei's experiments, tests/aws_logs.py) through lambdasim, and
:class:`lambdasim.calibrate.RequestLog` itself.

Each replay invokes at the logged request times (after the log's own last hour, as every log began warm), with
durations drawn from the logged ones and the log's init duration, and compares the share of cold starts and the count
of environments (counted as the authors count them: each until 10 min after its last request) with the log's. The
idle timeout's window was read from all the logs; the active idle timeout's upper end was fitted to the replays of the
logs of the table's even rows (rates 0.0018, 0.0029, 0.0042, 0.0079, 0.050 and 0.100 requests/s): the other five are
held out.
"""

from __future__ import annotations

import numpy as np
import pytest

import lambdasim as ls
from lambdasim import calibrate as cal
from tests import aws_logs

EARLIER_RULE = ls.Settings(
    idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, environment_reuse="most_recent", active_idle_timeout_s=None
)
PREVIOUS_DEFAULTS = ls.Settings(active_idle_timeout_s=900.0, active_idle_timeout_jitter_s=0.0)
"""The defaults before the active idle timeout had a spread: a fixed 900 s."""
SEEDS = tuple(range(1, 13))


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


def test_a_log_that_began_warm_is_replayed_after_its_own_last_hour() -> None:
    """The first request was warm: an environment existed. The replay runs the log's tail first (here the whole
    log, shorter than an hour), not counted, so the first request finds the environment the tail left warm."""
    times = [0.0, 300.0, 1500.0]
    log = cal.RequestLog(times_s=times, durations_s=[1.0] * 3, cold=[False, False, True])
    settings = ls.Settings(idle_timeout_s=600.0, idle_timeout_jitter_s=0.0)
    assert cal.replay_log(settings, log, seeds=(1,))[0] == pytest.approx(1 / 3)  # only the one after 1,200 s idle
    assert cal.replay_log(settings, log, seeds=(1,), warmup_s=0.0)[0] == pytest.approx(2 / 3)  # begins cold
    cold_start = cal.RequestLog(times_s=times, durations_s=[1.0] * 3, cold=[True, False, True])
    assert cal.replay_log(settings, cold_start, seeds=(1,))[0] == pytest.approx(2 / 3)  # began cold: no warm-up
    with pytest.raises(ValueError, match="warmup_s"):
        cal.replay_log(settings, log, warmup_s=-1.0)


@pytest.mark.slow
def test_replays_of_the_aws_logs_match_their_cold_starts() -> None:
    """Every experiment within 10% over 12 seeds (the figures of docs/explanation/validation.md: the worst is -8.9%,
    at 0.0042 requests/s, where AWS went cold at 6 gaps of the idle timeout's window, 3.7 expected). A replay takes
    about 0.04 s per seed and thousand requests, so the slow run affords the documented 12 seeds."""
    logs = aws_logs.load()
    errors, previous_errors, earlier_errors, instance_errors = [], [], [], []
    for log in logs:
        cold, instances = cal.replay_log(ls.Settings(), log, SEEDS, idle_allowance_s=aws_logs.IDLE_ALLOWANCE_S)
        previous, _ = cal.replay_log(PREVIOUS_DEFAULTS, log, SEEDS)
        earlier, _ = cal.replay_log(EARLIER_RULE, log, SEEDS)
        errors.append(cold / log.cold_start_share - 1)
        previous_errors.append(previous / log.cold_start_share - 1)
        earlier_errors.append(earlier / log.cold_start_share - 1)
        observed_instances = log.counted_instances(aws_logs.IDLE_ALLOWANCE_S)
        instance_errors.append(instances / observed_instances - 1)
    assert max(abs(e) for e in errors) < 0.10, errors
    mape = float(np.mean(np.abs(errors)))
    assert mape < 0.04, errors
    assert float(np.mean(np.abs(instance_errors))) < 0.02, instance_errors
    # The fixed 900 s active idle timeout made too many cold starts at every rate with several environments
    # (0.016-0.1 requests/s, the last four logs), up to 14%: the defaults before this rule.
    assert all(e > 0.04 for e in previous_errors[-4:]) and max(previous_errors) > 0.12, previous_errors
    assert max(abs(e) for e in errors[-4:]) < 0.07, errors
    assert float(np.mean(np.abs(earlier_errors))) > 2 * mape, (earlier_errors, errors)
