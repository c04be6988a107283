"""What the queues and event source mappings of a run did, as JSON-ready figures (``Results.queues`` and
``Results.event_source_mappings``), and the SQS request bill.

Per queue: messages ``sent``, ``received`` (each receive of a message), ``deleted``, ``moved_to_dead_letter``,
``expired`` (retention), ``purged``; what is in it now (``visible``, ``in_flight``, ``delayed``) and
``age_of_oldest_message_s`` (CloudWatch's ``ApproximateAgeOfOldestMessage``); ``depth``, the messages stored (visible,
in flight or delayed) over time (mean, max, final); ``dwell_s``, the time from send to delete of each deleted
message (for a queue in front of a function: the end-to-end latency of the messages it processed), and
``receives_per_message`` of each deleted message; ``requests`` and ``request_cost``.

Requests [doc]: every ``SendMessage``, ``ReceiveMessage`` and ``DeleteMessageBatch`` is a request, and each 64 KiB
chunk of a payload another; a batch of up to 10 is one request. [model] Counted: one send request per message (plus
its extra chunks; a ``SendMessageBatch`` through the client counts as one per message), the mappings'
``ReceiveMessage`` calls that returned messages and their ``DeleteMessageBatch`` calls. Not counted: the empty long
polls of idle pollers (AWS: as few as 2-5 pollers, 20 s polls; about 0.6 million requests a month per mapping) and
requests made directly through the SQS client for reading.

Prices [doc] (us-east-1, https://aws.amazon.com/sqs/pricing/): 0.40 USD per million standard-queue requests, 0.50 USD
per million FIFO requests, after the first million of a month, which are free ([model] the free tier is not
applied, as the Lambda bill does not apply Lambda's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdasim.aws.sqs.backend import Queue

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["FIFO_REQUEST_PER_MILLION", "STANDARD_REQUEST_PER_MILLION", "event_source_mapping_figures", "queue_figures"]

STANDARD_REQUEST_PER_MILLION = 0.40
FIFO_REQUEST_PER_MILLION = 0.50


def _requests(sim: Simulation, queue: Queue) -> int:
    from lambdasim.aws.lambda_.esm import esm_service

    polled = sum(
        m.stats.receive_requests + m.stats.delete_requests for m in esm_service(sim).all_mappings() if m.queue is queue
    )
    return queue.send_requests + polled


def queue_figures(sim: Simulation) -> dict[str, dict[str, Any]]:
    """Figures of every queue of ``sim`` (and of queues deleted during the run that a mapping read), by name."""
    now = sim.now
    out: dict[str, dict[str, Any]] = {}
    for name, queue in sorted(sim.services.sqs.queues.items()):
        visible, in_flight, delayed = queue.counts()
        oldest = min((m.sent_at for m in queue.messages.values()), default=None)
        requests = _requests(sim, queue)
        price = FIFO_REQUEST_PER_MILLION if queue.fifo else STANDARD_REQUEST_PER_MILLION
        out[name] = {
            "fifo": queue.fifo,
            "sent": queue.sent,
            "received": queue.received,
            "deleted": queue.deleted_messages,
            "moved_to_dead_letter": queue.moved_to_dead_letter,
            "expired": queue.expired,
            "purged": queue.purged,
            "visible": visible,
            "in_flight": in_flight,
            "delayed": delayed,
            "age_of_oldest_message_s": 0.0 if oldest is None else now - oldest,
            "depth": queue.depth.to_dict(now),
            "dwell_s": queue.dwell.to_dict(),
            "receives_per_message": queue.receives_per_message.to_dict(),
            "requests": requests,
            "request_cost": requests * price / 1e6,
        }
    return out


def event_source_mapping_figures(sim: Simulation) -> dict[str, dict[str, Any]]:
    """Figures of every event source mapping of ``sim`` by UUID: its queue, function, state, pollers now and its
    :class:`~lambdasim.aws.lambda_.esm.MappingStats`."""
    from lambdasim.aws.lambda_.esm import esm_service

    now = sim.now
    out: dict[str, dict[str, Any]] = {}
    for m in esm_service(sim).all_mappings():
        m.stats.level(now, m.invoking)  # bring the time-weighted level up to now
        figures: dict[str, Any] = {
            "queue": m.queue.name,
            "function_arn": m.function_arn,
            "state": m.state,
            "pollers": m.scale,
            **m.stats.as_dict(),
        }
        figures["batches_mean"] = m.stats.batch_seconds / now if now > 0 else 0.0
        out[m.uuid] = figures
    return out
