"""Conservation (hypothesis): per function, every event received (and every duplicate) is accounted for exactly once:
an outcome (success, retries exhausted, aged out, zero-concurrency discard, dropped) or still in flight (queued,
waiting for a retry, or running). In flight is read off the engine's levels, not derived from the counts, so the
identity can fail. The metrics, destinations and dead-letter queues must agree with the counts too."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim import dist
from lambdasim.workload import Burst
from tests.outcome_helpers import queue, total

FAILED = ("RetriesExhausted", "EventAgeExceeded", "ZeroReservedConcurrency")

configs = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**31),
        "mean_duration_s": st.floats(0.05, 40.0),
        "error_rate": st.sampled_from([0.0, 0.2, 0.7, 1.0]),
        "reserved": st.one_of(st.none(), st.integers(0, 4)),
        "retries": st.integers(0, 2),
        "max_age_s": st.integers(60, 900),
        "events": st.integers(1, 60),
        "over_s": st.floats(0.0, 120.0),
        "drop": st.sampled_from([0.0, 0.0, 0.3]),
        "duplicate": st.sampled_from([0.0, 0.0, 0.3]),
        "service_errors": st.sampled_from([0.0, 0.0, 0.2]),
        "read_rate": st.sampled_from([None, None, 0.5, 5.0]),
        "jitter": st.sampled_from([0.0, 0.5]),
        "until_s": st.one_of(st.none(), st.floats(1.0, 3000.0)),
        "block_at_s": st.one_of(st.none(), st.floats(0.0, 300.0)),
    }
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs)
def test_every_event_is_accounted_for_exactly_once(config: dict[str, Any]) -> None:
    sim = ls.Simulation(
        seed=config["seed"],
        settings=ls.Settings(
            drop_probability=config["drop"],
            duplicate_probability=config["duplicate"],
            service_error_probability=config["service_errors"],
            poller_read_rate_per_s=config["read_rate"],
            throttle_backoff_jitter=config["jitter"],
        ),
    )
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="f",
        Handler=ls.Behaviour(duration=dist.Exponential(config["mean_duration_s"]), error_rate=config["error_rate"]),
        Timeout=900,
    )
    ok_url, ok_arn = queue(sim, "ok")
    failed_url, failed_arn = queue(sim, "failed")
    dlq_url, dlq_arn = queue(sim, "dlq")
    lam.put_function_event_invoke_config(
        FunctionName="f",
        MaximumRetryAttempts=config["retries"],
        MaximumEventAgeInSeconds=config["max_age_s"],
        DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": failed_arn}},
    )
    lam.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": dlq_arn})
    if config["reserved"] is not None:
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=config["reserved"])
    Burst(function="f", at_s=0.0, count=config["events"], over_s=config["over_s"]).attach(sim)
    if config["block_at_s"] is not None:  # reserved concurrency 0 mid-run: queued events are discarded
        sim.run(until=config["block_at_s"])
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    until = config["until_s"]
    results = sim.run() if until is None else sim.run(until=max(until, sim.now))

    f = results.functions["f"]
    stats = results.stats("f")
    outcomes = f["outcomes"]
    in_flight = stats.queued.value + stats.retry_waiting.value + stats.concurrency.value
    assert f["async_events_received"] + f["duplicates"] == sum(outcomes.values()) + in_flight
    assert f["in_flight"] == in_flight
    assert f["async_events_received"] == config["events"] or config["until_s"] is not None
    if config["until_s"] is None:
        assert in_flight == 0

    # The metrics count the same events.
    assert total(results, "f", "AsyncEventsReceived") == f["async_events_received"]
    assert total(results, "f", "AsyncEventsDropped") == sum(outcomes.values()) - outcomes["Success"]
    assert total(results, "f", "Invocations") == f["attempts"]
    assert total(results, "f", "Throttles") == f["throttles"]
    assert total(results, "f", "Errors") == f["errors"]

    # Destinations and the dead-letter queue get every discard but the queue's own drops, and nothing is lost.
    failed = sum(outcomes[c] for c in FAILED)
    counts = {
        name: int(
            sim.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        for name, url in (("ok", ok_url), ("failed", failed_url), ("dlq", dlq_url))
    }
    assert counts == {"ok": outcomes["Success"], "failed": failed, "dlq": failed}
    assert total(results, "f", "DestinationDeliveryFailures") == 0
    assert total(results, "f", "DeadLetterErrors") == 0
