"""Synchronous traffic (spec 5): shared concurrency, 429s that Lambda does not retry, SDK retries, Erlang B."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.planning.sync import Caller, RetryQuota, StandardRetry, SyncPoisson
from tests.helpers import throttles


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/G/c/c with offered load ``load`` (Erlangs), by the stable recursion."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def blocking_run(seed: int, servers: int, rate: float, horizon: float) -> tuple[float, float]:
    """Sync Poisson(rate) with Exp(1 s) durations against reserved concurrency ``servers``: (blocked, busy mean)."""
    sim = ls.Simulation(seed=seed)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=dist.Exponential(1.0)), Timeout=900)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=servers)
    SyncPoisson(function="f", rate_per_s=rate, stop_s=horizon).attach(sim)
    f = sim.run(until=horizon).functions["f"]
    blocked = f["caller_errors"].get("TooManyRequestsException", 0) / f["caller_requests"]
    assert f["sync_throttles"] == f["caller_errors"].get("TooManyRequestsException", 0)
    return blocked, f["environments"]["busy_mean"]


def check_erlang_b(servers: int, rate: float, horizon: float, seeds: range) -> None:
    runs = np.array([blocking_run(seed, servers, rate, horizon) for seed in seeds])
    n = len(seeds)
    t_999 = {8: 4.03, 20: 3.58}[n]  # two-sided 99.9% Student t with n - 1 degrees of freedom
    expected_b = erlang_b(servers, rate)
    for column, expected in ((0, expected_b), (1, rate * (1 - expected_b))):  # blocking; carried load (Little)
        values = runs[:, column]
        half = t_999 * values.std(ddof=1) / math.sqrt(n)
        assert abs(values.mean() - expected) < half, (column, values.mean(), expected, half)
        assert half < 0.05 * expected  # tight enough to tell a wrong model apart


def test_erlang_b_blocking_of_synchronous_traffic_against_reserved_concurrency() -> None:
    """c = 5, offered load 4 Erlangs: B = 0.199; 8 seeded replications of 2,500 s."""
    check_erlang_b(servers=5, rate=4.0, horizon=2500.0, seeds=range(8))


@pytest.mark.slow
def test_erlang_b_blocking_long_run() -> None:
    """c = 20, offered load 15 Erlangs: B = 0.0456; 20 replications of 5,000 s (about 20 s in all)."""
    check_erlang_b(servers=20, rate=15.0, horizon=5000.0, seeds=range(20))


def test_a_throttled_synchronous_invoke_is_not_retried_by_lambda() -> None:
    sim = ls.Simulation(seed=1, trace=True)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=10.0, Timeout=30)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    sim.run(until=1)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as exc:
        lam.invoke(FunctionName="f", Payload=b"{}")
    assert exc.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    f = sim.run().functions["f"]
    assert (f["invocations"], f["sync_throttles"], f["throttles"]) == (1, 1, 1)


def test_sync_and_async_share_concurrency() -> None:
    """A handler's synchronous call holds f's only slot from 0 to 10 s; an event for f queued at 0.5 s is
    throttled at 0.5, 1.5, 3.5 and 7.5 s and runs at 15.5 s."""

    async def caller(event: Any, context: Any) -> Any:
        resp = await context.invoke(FunctionName="f", Payload=b"{}")
        return json.loads(resp["Payload"].read())

    sim = ls.Simulation(seed=1, trace=True)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=10.0, Timeout=30)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    lam.create_function(FunctionName="caller", Handler=caller, Timeout=30)
    lam.invoke(FunctionName="caller", InvocationType="Event", Payload=b"{}")
    sim.run(until=0.5)
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    res = sim.run()
    assert throttles(res) == [0.5, 1.5, 3.5, 7.5]
    f_attempts = sorted((t.start, t.end) for t in res.trace or [] if t.function_name == "f" and t.kind == "Success")
    assert f_attempts == [(15.5, 25.5)]
    assert res.functions["caller"]["duration_s"]["max"] == 10.0
    assert res.functions["f"]["invocations"] == 2


def test_a_sync_call_inside_a_handler_sees_the_throttle_as_a_client_error() -> None:
    async def caller(event: Any, context: Any) -> Any:
        try:
            await context.invoke(FunctionName="f", Payload=b"{}")
        except ls.ClientError as err:
            return {"code": err.response["Error"]["Code"], "reason": err.response["Reason"]}
        return {"code": None}

    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=10.0, Timeout=30)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    lam.create_function(FunctionName="caller", Handler=caller, Timeout=30)
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    sim.run(until=1)
    resp = lam.invoke(FunctionName="caller", Payload=b"{}")
    assert json.loads(resp["Payload"].read()) == {
        "code": "TooManyRequestsException",
        "reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
    }


# -- the caller's SDK retries -------------------------------------------------------------------------------------


def test_standard_retry_backoff_is_full_jitter_truncated_at_20_s() -> None:
    retry = StandardRetry()
    assert (retry.max_attempts, retry.max_backoff_s, retry.quota) == (3, 20.0, True)
    assert [retry.delay(n, 1.0) for n in (1, 2, 3, 4, 5, 6, 10)] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert retry.delay(3, 0.25) == 1.0
    assert retry.delay(1, 0.0) == 0.0


def test_retry_quota_pays_for_retries_and_is_refilled_by_successes() -> None:
    quota = RetryQuota()
    assert sum(quota.acquire(5) for _ in range(101)) == 100
    quota.release(5)
    quota.release(1)
    assert quota.available == 6
    quota.release(10_000)
    assert quota.available == 500


def caller_sim(retry: StandardRetry | None) -> tuple[ls.Simulation, Caller]:
    """f has one slot, held by an event from 0 to 1.2 s; the caller's jitter draws are all 0.5."""
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=1.2, Timeout=30)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    sim.run(until=1e-9)
    fs = sim.engine.functions["f"]
    return sim, Caller(sim.engine, fs, retry, lambda: 0.5)


def test_a_caller_with_standard_retries_gets_through_after_the_backoff() -> None:
    """Throttled at 0 and 0.5 s (sleeps 0.5 * 1, 0.5 * 2), the third attempt at 1.5 s runs until 2.7 s."""
    sim, caller = caller_sim(StandardRetry())
    caller.request({})
    f = sim.run().functions["f"]
    assert (f["caller_requests"], f["caller_retries"], f["caller_errors"], f["sync_throttles"]) == (1, 2, {}, 2)
    assert f["caller_latency_s"]["max"] == pytest.approx(2.7)
    assert caller._quota is not None and caller._quota.available == 500 - 10 + 5


def test_a_caller_gives_up_after_max_attempts_and_counts_the_error() -> None:
    sim, caller = caller_sim(StandardRetry(max_attempts=2))
    caller.request({})
    f = sim.run().functions["f"]
    assert (f["caller_retries"], f["caller_errors"], f["sync_throttles"]) == (1, {"TooManyRequestsException": 1}, 2)
    assert f["caller_latency_s"]["count"] == 0


def test_a_caller_without_retries_loses_a_throttled_request() -> None:
    sim, caller = caller_sim(None)
    caller.request({})
    f = sim.run().functions["f"]
    assert (f["caller_retries"], f["caller_errors"]) == (0, {"TooManyRequestsException": 1})


def test_retries_lower_the_loss_of_a_synchronous_workload_and_are_seeded() -> None:
    def run(retry: StandardRetry | None, seed: int = 5) -> dict[str, Any]:
        sim = ls.Simulation(seed=seed)
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=dist.Exponential(0.5)), Timeout=60)
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=4)
        SyncPoisson(function="f", rate_per_s=6.0, stop_s=500.0, retry=retry).attach(sim)
        return sim.run().functions["f"]  # type: ignore[no-any-return]

    plain, retried = run(None), run(StandardRetry())
    assert plain["caller_requests"] == retried["caller_requests"]  # same arrivals (common random numbers)
    lost_plain = plain["caller_errors"]["TooManyRequestsException"] / plain["caller_requests"]
    lost_retried = retried["caller_errors"].get("TooManyRequestsException", 0) / retried["caller_requests"]
    assert lost_retried < 0.6 * lost_plain  # about half, measured
    assert retried["caller_retries"] > 0
    assert run(StandardRetry()) == retried
