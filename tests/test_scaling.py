"""The concurrency scaling rate (spec 5): 1000 new environments per function per 10 s, refilled continuously."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.core.scaling import ScalingBucket
from lambdasim.workload import Burst
from tests.helpers import attempts, throttles

SCALING = "FunctionInvocationRateLimitExceeded"


def test_bucket_starts_full_and_refills_continuously_up_to_its_capacity() -> None:
    bucket = ScalingBucket(capacity=1000, period_s=10.0)
    assert sum(bucket.take(0.0) for _ in range(1001)) == 1000
    assert not bucket.take(0.005)  # half a token
    assert bucket.take(0.01)  # one token 10 ms later
    assert bucket.available(5.0) == pytest.approx(499.0)
    assert bucket.available(1000.0) == 1000.0  # unused rate does not accumulate beyond 1000


def test_bucket_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="capacity must be >= 1, got 0"):
        ScalingBucket(capacity=0, period_s=10.0)
    with pytest.raises(ValueError, match="period_s must be > 0"):
        ScalingBucket(capacity=10, period_s=0.0)


def test_the_throttle_reason_is_a_member_of_the_botocore_enum() -> None:
    assert ls.ThrottleReason.SCALING.value == SCALING


def burst_sim(count: int, **settings: Any) -> ls.Simulation:
    sim = ls.Simulation(seed=1, concurrency_limit=5000, trace=True, settings=ls.Settings(**settings))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=100.0, Timeout=900)
    Burst(function="f", at_s=0.0, count=count).attach(sim)
    return sim


def test_a_burst_of_1500_events_scales_by_1000_at_once_then_at_100_per_second() -> None:
    """1000 start at 0; the other 500 back off 1, 2, 4 s (starting at 1, 3, 7 s) as tokens refill at 100/s."""
    sim = burst_sim(1500)
    res = sim.run(until=150)  # attempts are traced when they end
    starts = Counter(a[0] for a in attempts(res))
    assert dict(starts) == {0.0: 1000, 1.0: 100, 3.0: 200, 7.0: 200}
    assert Counter(throttles(res)) == {0.0: 500, 1.0: 400, 3.0: 200}
    assert res.functions["f"]["throttles_by_reason"] == {SCALING: 1100}
    assert res.functions["f"]["environments"]["created"] == 1500


def test_the_scaling_rate_is_a_setting_and_can_be_switched_off() -> None:
    res = burst_sim(30, scaling_environments=10, scaling_period_s=1.0).run(until=150)
    assert Counter(a[0] for a in attempts(res)) == {0.0: 10, 1.0: 10, 3.0: 10}
    res = burst_sim(1500, scaling_environments=None).run(until=150)
    assert Counter(a[0] for a in attempts(res)) == {0.0: 1500}


def test_reusing_a_warm_environment_takes_no_scaling_rate() -> None:
    """Two environments per 1000 s: the third event waits for a warm one (freed at 10 s), not for a token."""
    sim = ls.Simulation(seed=1, trace=True, settings=ls.Settings(scaling_environments=2, scaling_period_s=1000.0))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=10.0, Timeout=30)
    Burst(function="f", at_s=0.0, count=3).attach(sim)
    res = sim.run()
    assert throttles(res) == [0.0, 1.0, 3.0, 7.0]
    assert sorted(a[0] for a in attempts(res)) == [0.0, 0.0, 15.0]
    assert res.functions["f"]["environments"]["created"] == 2


def test_a_synchronous_invoke_past_the_scaling_rate_gets_429_with_the_reason_and_is_not_retried() -> None:
    sim = ls.Simulation(seed=1, settings=ls.Settings(scaling_environments=1, scaling_period_s=1000.0))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=100.0, Timeout=900)
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")  # takes the one token at t = 0
    sim.run(until=1)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as caught:
        lam.invoke(FunctionName="f", Payload=b"{}")
    err = caught.value.response
    assert err["Error"]["Code"] == "TooManyRequestsException"
    assert err["Reason"] == SCALING
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    res = sim.run()
    f = res.functions["f"]
    assert (f["invocations"], f["sync_throttles"]) == (1, 1)
