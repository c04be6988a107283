"""The built-in example: a bursty asynchronous load against a function with limited reserved concurrency."""

from __future__ import annotations

from lambdasim.aws.simulation import Simulation
from lambdasim.core import dist
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.results import Results
from lambdasim.planning.workload import Burst, Poisson

DEMO_SEED = 2026


def run_demo(seed: int = DEMO_SEED) -> Results:
    """Ten minutes of 20 events/s with two bursts of 3,000 events against ``orders``.

    ``orders`` runs about 0.5 s (log-normal), fails 5% of its invocations, and has 12 reserved concurrency: enough
    for the steady load (about 10 busy on average), not for the bursts, which get throttled and back off. Events
    that fail three times or grow older than 30 minutes go to the SQS queue ``orders-failed``.
    """
    sim = Simulation(seed=seed)
    lam = sim.client("lambda")
    sqs = sim.client("sqs")
    url = sqs.create_queue(QueueName="orders-failed")["QueueUrl"]
    failed_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_function(
        FunctionName="orders",
        Handler=Behaviour(
            duration=dist.LogNormal(median=0.45, spread=1.6),
            error_rate=0.05,
            error_type="DownstreamTimeout",
            error_message="payments API did not answer",
        ),
        Timeout=10,
        MemorySize=512,
    )
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=12)
    lam.put_function_event_invoke_config(
        FunctionName="orders",
        MaximumRetryAttempts=2,
        MaximumEventAgeInSeconds=1800,
        DestinationConfig={"OnFailure": {"Destination": failed_arn}},
    )
    Poisson(function="orders", rate_per_s=20.0, stop_s=600.0).attach(sim)
    Burst(function="orders", at_s=120.0, count=3000, over_s=10.0).attach(sim)
    Burst(function="orders", at_s=360.0, count=3000, over_s=10.0).attach(sim)
    return sim.run()
