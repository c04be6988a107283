"""The SQS event source mapping: Lambda's pollers read a queue and invoke a function synchronously with batches.

Everything runs as callbacks on the simulated clock (no SimPy process per poller or per batch). The behaviour, as AWS
documents it ([doc], see ``docs/how-to/sqs-event-source.md`` for the pages) and where AWS publishes nothing, as
lambdasim chooses ([model]):

- [doc] Pollers long-poll the queue; a batch holds up to ``BatchSize`` messages (1-10,000 standard, at most 10
  FIFO), gathered for up to ``MaximumBatchingWindowInSeconds`` (0-300 s), and no more than the synchronous payload
  limit (6 MB). [model] Long polling answers the moment a message becomes visible (no poll latency); with a window
  of 0 a free poller invokes at once with what one ``ReceiveMessage`` returns (up to 10); with a window, one batch
  is open at a time: it starts with the first message it receives and is invoked when it is full, when the next
  message would pass the payload limit, or when its window ends, whichever is first.
- [doc] Received messages are invisible for the queue's ``VisibilityTimeout`` from their receive, and each receive
  increments ``ApproximateReceiveCount``. On success the batch is deleted; on a function error or timeout the whole
  batch (with ``ReportBatchItemFailures``, only the reported items) becomes visible again when its visibility
  timeout ends; past the queue's ``maxReceiveCount`` SQS moves a message to the dead-letter queue on the receive
  that would exceed it (:mod:`lambdasim.aws.sqs.backend`).
- [doc] Partial batch responses: ``{"batchItemFailures": [{"itemIdentifier": id}, ...]}``; an empty or null list, or
  no such key, is a complete success; an item identifier that is empty, null, not a string or not a message of the
  batch makes the whole batch a failure.
- [doc] FIFO queues: messages reach the function in order per message group, and a group whose messages are in
  flight (being processed or waiting out a failure's visibility timeout) is skipped, so a failing group blocks only
  itself (the SQS backend's group rule).
- [doc] Filter criteria: a message that matches none of the filters is deleted by Lambda without invoking.
- [doc] Scaling (standard mode): five concurrent batches to start, up to 300 more per minute while messages remain,
  at most 1,000, never more than ``ScalingConfig.MaximumConcurrency`` (2-1,000). [model] The mapping counts minutes
  from when its pollers first find messages; at the end of a minute in which messages waited while every poller was
  busy and no invoke was throttled, it adds 300 pollers; after a minute without such waiting it keeps only as many
  as were busy at once in that minute (at least five, or ``MaximumConcurrency`` if lower); after a minute with
  throttles it holds (AWS: "Lambda gradually backs off" on throttles and errors, without figures; function errors
  are left to the visibility timeout, which already delays their messages).
- [doc] A throttled invoke is retried with backoff until the messages' visibility timeout ends, then the messages
  reappear. [model] The backoff is 1 s, doubling per retry, and a retry that would start at or after the visibility
  deadline is not made; the poller stays busy while it retries, and waits out that last backoff before it polls
  again.
- [model] ``State``: ``Creating`` (``Enabling``, ``Disabling``, ``Updating``, ``Deleting``) settles into ``Enabled``
  (``Disabled``, removed) at the next step of the clock, so exact timings are not shifted. A disabled or deleted
  mapping starts no new batch; batches already started finish and delete their messages.
"""

from __future__ import annotations

import base64
import json
import weakref
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import simpy

from lambdasim.aws._service_client import utc
from lambdasim.aws.account import ServiceError
from lambdasim.aws.events.backend import check_pattern, matches
from lambdasim.aws.lambda_.backend import LambdaError
from lambdasim.aws.lambda_.lookup import resolve_function
from lambdasim.aws.sqs.backend import Message, Queue, attributes_size
from lambdasim.core.metrics import Aggregate

if TYPE_CHECKING:
    from lambdasim.aws.lambda_.stream_esm import StreamMapping
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.handler import ErrorInfo

__all__ = [
    "MAX_POLLERS",
    "MINUTE_S",
    "SCALE_STEP",
    "START_POLLERS",
    "EventSourceMapping",
    "EventSourceMappings",
    "MappingStats",
    "esm_service",
    "sqs_record",
]

START_POLLERS = 5
"""[doc] Concurrent batches a mapping starts with."""
SCALE_STEP = 300
"""[doc] Concurrent batches added per minute at most while messages remain."""
MAX_POLLERS = 1000
"""[doc] Concurrent batches of one mapping at most (standard mode)."""
MINUTE_S = 60.0
FIRST_BACKOFF_S = 1.0
"""[model] The first retry of a throttled batch comes 1 s after the throttle; each later one waits twice as long."""
RECEIVE_MAX = 10
"""[doc] ``ReceiveMessage`` returns at most 10 messages."""


class MappingStats:
    """What one mapping did: counts of messages, batches, invokes and SQS requests, and its concurrency.

    Attributes:
        received: Messages received (each receive of a message counts; a redelivery counts again).
        deleted: Messages deleted after a successful invoke.
        filtered: Messages deleted because they matched no filter.
        returned: Messages left to reappear after a failed, throttled or partly failed batch.
        batches: Batches invoked (a throttled batch counts once however often it is retried).
        invokes: Invoke attempts, throttled ones included.
        throttles: Invoke attempts Lambda refused (reserved or account concurrency, or a service fault).
        errors: Batches whose invoke ended in a function error or timeout, or could not be made (the function or
            qualifier was deleted), or whose partial batch response was invalid.
        partial: Batches that reported some items as failures.
        receive_requests: ``ReceiveMessage`` calls that returned messages.
        delete_requests: ``DeleteMessageBatch`` calls (one per 10 messages deleted).
        peak_batches: The most batches invoking at once.
        batch_seconds: Sum over time of batches invoking (divide by the run length for the mean concurrency).
    """

    __slots__ = (
        "_level",
        "_since",
        "batch_seconds",
        "batches",
        "delete_requests",
        "deleted",
        "errors",
        "filtered",
        "invokes",
        "partial",
        "peak_batches",
        "receive_requests",
        "received",
        "returned",
        "throttles",
    )

    def __init__(self, now: float) -> None:
        self.received = self.deleted = self.filtered = self.returned = 0
        self.batches = self.invokes = self.throttles = self.errors = self.partial = 0
        self.receive_requests = self.delete_requests = 0
        self.peak_batches = 0
        self.batch_seconds = 0.0
        self._level = 0
        self._since = now

    def level(self, now: float, batches: int) -> None:
        """Batches invoking changed to ``batches`` at ``now`` (a time-weighted level: accumulated on change)."""
        self.batch_seconds += self._level * (now - self._since)
        self._level = batches
        self._since = now
        if batches > self.peak_batches:
            self.peak_batches = batches

    def as_dict(self) -> dict[str, float]:
        """The counters by name."""
        return {name: getattr(self, name) for name in self.__slots__ if not name.startswith("_")}


class _Batch:
    """Messages gathered for one invoke, with the receipt handle each was received with."""

    __slots__ = ("bytes", "deadline", "entries", "exact", "full", "index", "retries")

    def __init__(self, deadline: float) -> None:
        self.entries: list[tuple[Message, str, dict[str, Any]]] = []
        self.index: dict[str, int] = {}  # message id -> position in entries
        self.bytes = 0
        self.full = False  # the next message would pass the payload limit
        self.exact = False  # bytes holds exact JSON sizes (else upper bounds, cheaper to get)
        self.deadline = deadline
        self.retries = 0


def sqs_record(
    queue: Queue, msg: Message, receipt: str, epoch: Callable[[float], float], region: str
) -> dict[str, Any]:
    """The record of one message in the event Lambda sends, in AWS's shape and key order (lowerCamelCase keys; the
    system attributes as SQS names them, timestamps in epoch milliseconds)."""
    attributes = {
        "ApproximateReceiveCount": str(msg.receive_count),
        "SentTimestamp": str(round(epoch(msg.sent_at) * 1000)),
        "SenderId": msg.sender_id,
        "ApproximateFirstReceiveTimestamp": str(round(epoch(msg.first_receive_at or msg.sent_at) * 1000)),
    }
    if queue.fifo:
        attributes["SequenceNumber"] = msg.sequence_number or ""
        attributes["MessageGroupId"] = msg.group_id or ""
        attributes["MessageDeduplicationId"] = msg.dedup_id or ""
    if msg.dead_letter_source_arn is not None:
        attributes["DeadLetterQueueSourceArn"] = msg.dead_letter_source_arn
    record: dict[str, Any] = {
        "messageId": msg.message_id,
        "receiptHandle": receipt,
        "body": msg.body,
        "attributes": attributes,
        "messageAttributes": {name: _attribute(attr) for name, attr in msg.attributes.items()},
    }
    if msg.md5_attributes is not None:
        record["md5OfMessageAttributes"] = msg.md5_attributes
    record["md5OfBody"] = msg.md5_body
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue.arn
    record["awsRegion"] = region
    return record


_RECORD_OVERHEAD_BOUND = 2048
"""More than a record's JSON takes besides its body and message attributes (ids, receipt, system attributes,
ARN, keys: well under 1 KiB)."""


def _size_bound(msg: Message) -> int:
    """An upper bound on the bytes of a message's record in the event: JSON escapes a character into at most 6
    bytes (``\\uXXXX``), and base64 grows binary by 4/3."""
    return 6 * (len(msg.body) + attributes_size(msg.attributes)) + _RECORD_OVERHEAD_BOUND


def _size(record: dict[str, Any]) -> int:
    """The bytes of a record in the event's JSON, with its separating comma and space."""
    return len(json.dumps(record)) + 2


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a record (its values are strings, dicts of strings and empty lists), cheaper than JSON."""
    return {
        **record,
        "attributes": dict(record["attributes"]),
        "messageAttributes": {
            name: {**attr, "stringListValues": [], "binaryListValues": []}
            for name, attr in record["messageAttributes"].items()
        },
    }


def _attribute(attr: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "StringValue" in attr:
        out["stringValue"] = attr["StringValue"]
    if "BinaryValue" in attr:
        raw = attr["BinaryValue"]
        out["binaryValue"] = base64.b64encode(raw.encode() if isinstance(raw, str) else bytes(raw)).decode()
    out["stringListValues"] = []
    out["binaryListValues"] = []
    out["dataType"] = attr["DataType"]
    return out


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """What filter patterns see: the record, with a JSON body parsed ([doc]: a body that is not JSON is matched as
    the plain string)."""
    body = record["body"]
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body
    return {**record, "body": parsed}


def check_filters(criteria: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The parsed patterns of ``FilterCriteria`` (``ServiceError`` ``InvalidParameterValueException`` for a pattern
    that is not a valid event pattern)."""
    patterns: list[dict[str, Any]] = []
    for item in (criteria or {}).get("Filters", []) or []:
        raw = item.get("Pattern")
        try:
            pattern = json.loads(raw) if isinstance(raw, str) else None
            if not isinstance(pattern, dict):
                raise ValueError(raw)
            check_pattern(pattern)
        except (ValueError, ServiceError):
            raise ServiceError("InvalidParameterValueException", "Invalid filter pattern definition.") from None
        patterns.append(pattern)
    return patterns


class EventSourceMapping:
    """One SQS event source mapping: its configuration (as AWS reports it) and its pollers on the simulated clock."""

    def __init__(
        self,
        service: EventSourceMappings,
        uuid: str,
        queue: Queue,
        function_name: str,
        function_arn: str,
        config: dict[str, Any],
    ) -> None:
        self._service = service
        sim = service.sim
        self._sim = sim
        self._env = sim.env
        self.uuid = uuid
        self.queue = queue
        self.function_name = function_name  # as given (name, ARN, with or without qualifier)
        self.function_arn = function_arn
        self.state = "Creating"
        self.last_modified = sim.now
        self.batch_size = 10
        self.window_s = 0
        self.max_concurrency: int | None = None
        self.report_failures = False
        self.filter_criteria: dict[str, Any] | None = None
        self.filters: list[dict[str, Any]] = []
        self.enabled = True
        self.stats = MappingStats(sim.now)
        self._scale = 0  # set from the configuration below
        self.busy = 0  # pollers in use: gathering, invoking or retrying a throttled batch
        self.invoking = 0
        self._open: _Batch | None = None
        self._wakes: set[float] = set()
        self._minute_end: float | None = None  # end of the current scaling minute (None: idle, not counting)
        self._waited = False  # this minute, messages waited while every poller was busy
        self._throttled = False  # this minute, an invoke was throttled
        self._peak_busy = 0
        self._pumping = False
        self.configure(config)
        self._scale = self.floor
        self._listener = self._on_message
        queue.listeners.append(self._listener)

    # -- configuration ------------------------------------------------------------------------------------------

    @property
    def scale(self) -> int:
        """Concurrent batches the mapping may run now (its pollers), with the minutes passed so far applied."""
        self._catch_up(self._env.now)
        return self._scale

    @property
    def cap(self) -> int:
        """The most concurrent batches: 1,000, or ``MaximumConcurrency`` if set."""
        return MAX_POLLERS if self.max_concurrency is None else min(MAX_POLLERS, self.max_concurrency)

    @property
    def floor(self) -> int:
        """The fewest concurrent batches the mapping keeps: five, or ``MaximumConcurrency`` if lower."""
        return min(START_POLLERS, self.cap)

    def configure(self, config: dict[str, Any]) -> None:
        """Apply checked settings (the keys of ``CreateEventSourceMapping``); new batches use them at once."""
        if "BatchSize" in config:
            self.batch_size = config["BatchSize"]
        if "MaximumBatchingWindowInSeconds" in config:
            self.window_s = config["MaximumBatchingWindowInSeconds"]
        if "ScalingConfig" in config:
            self._catch_up(self._env.now)
            self.max_concurrency = (config["ScalingConfig"] or {}).get("MaximumConcurrency")
            if self._scale:
                self._scale = max(self.floor, min(self._scale, self.cap))
        if "FunctionResponseTypes" in config:
            self.report_failures = "ReportBatchItemFailures" in (config["FunctionResponseTypes"] or [])
        if "FilterCriteria" in config:
            self.filters = check_filters(config["FilterCriteria"])
            self.filter_criteria = config["FilterCriteria"] if self.filters else None
        if "Enabled" in config:
            self.enabled = bool(config["Enabled"])
        self.last_modified = self._sim.now

    def describe(self) -> dict[str, Any]:
        """``EventSourceMappingConfiguration`` as AWS answers it for an SQS mapping."""
        out: dict[str, Any] = {
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.window_s,
            "EventSourceArn": self.queue.arn,
            "FunctionArn": self.function_arn,
            "LastModified": utc(self._sim.services.epoch(self.last_modified)),
            "State": self.state,
            "StateTransitionReason": "USER_INITIATED",
            "FunctionResponseTypes": ["ReportBatchItemFailures"] if self.report_failures else [],
            "EventSourceMappingArn": self._service.arn(self.uuid),
        }
        if self.filter_criteria is not None:
            out["FilterCriteria"] = self.filter_criteria
        if self.max_concurrency is not None:
            out["ScalingConfig"] = {"MaximumConcurrency": self.max_concurrency}
        return out

    def settle(self, state: str) -> None:
        """Move to ``state`` at the next step of the clock (``Enabled``, ``Disabled`` or ``Deleted``)."""
        self._schedule(0.0, lambda _ev: self._settled(state))

    def _settled(self, state: str) -> None:
        if self.state == "Deleting" and state != "Deleted":
            return  # deleted meanwhile: the deletion's own step removes it
        if state == "Deleted":
            self.state = state
            self._stop()
            self._service.mappings.pop(self.uuid, None)
            return
        self.state = state
        if state == "Enabled":
            self._pump()

    def _stop(self) -> None:
        if self._listener in self.queue.listeners:
            self.queue.listeners.remove(self._listener)

    @property
    def polling(self) -> bool:
        """Whether pollers start new batches now."""
        return self.state == "Enabled" and not self.queue.deleted

    # -- the clock ----------------------------------------------------------------------------------------------

    def _schedule(self, delay: float, callback: Callable[[simpy.Event], None]) -> None:
        ev = self._env.timeout(delay)
        ev.callbacks.append(callback)

    def _wake_at(self, t: float) -> None:
        """Run the pollers at ``t`` (one wake per instant, however many messages ask for it)."""
        if t in self._wakes:
            return
        self._wakes.add(t)

        def wake(_ev: simpy.Event) -> None:
            self._wakes.discard(t)
            self._pump()

        self._schedule(max(0.0, t - self._env.now), wake)

    def _on_message(self, msg: Message) -> None:
        if self.state not in ("Enabled", "Creating", "Enabling", "Updating"):
            return
        now = self._env.now
        if msg.visible_at <= now and self._saturated(now):
            return  # every poller is busy and this minute's waiting is noted: a freed poller will find it
        self._wake_at(max(msg.visible_at, now))

    def _saturated(self, now: float) -> bool:
        """Whether a wake now could change nothing: every poller busy (none gathering), the waiting of this minute
        already noted (or the pollers at their cap), and no minute boundary passed since."""
        end = self._minute_end
        return (
            self._open is None
            and self.busy >= self._scale
            and (self._waited or self._scale >= self.cap)
            and end is not None
            and now < end
        )

    # -- pollers ------------------------------------------------------------------------------------------------

    def _pump(self) -> None:
        """Start batches while pollers are free and messages are visible; feed the open batch."""
        if not self.polling or self._pumping:
            return  # a poller freed inside the loop below (a batch that failed at once) is seen by the loop
        self._pumping = True
        try:
            self._pump_loop()
        finally:
            self._pumping = False

    def _pump_loop(self) -> None:
        now = self._env.now
        self._catch_up(now)
        while True:
            batch = self._open
            if batch is not None:
                if not self._fill(batch, now):
                    return  # waiting for more messages or for its window to end
                continue
            if self.busy >= self._scale:
                if not self._waited and self._scale < self.cap and self.queue.any_visible(now):
                    self._count_minutes()
                    self._waited = True
                    assert self._minute_end is not None
                    self._wake_at(self._minute_end)  # the boundary adds pollers: be there
                return
            if self.window_s:
                batch = _Batch(now + self.window_s)
                if not self._receive(batch, now):
                    return
                self._take_poller()
                self._open = batch
                self._schedule(self.window_s, partial(self._window_ends, batch))
            else:
                batch = _Batch(now)
                if not self._receive(batch, now):
                    return
                self._take_poller()
                self._invoke(batch)

    def _take_poller(self) -> None:
        self.busy += 1
        self._count_minutes()
        if self.busy > self._peak_busy:
            self._peak_busy = self.busy

    def _fill(self, batch: _Batch, now: float) -> bool:
        """Add visible messages to the open batch; invoke it if it is full. Whether it was invoked."""
        while len(batch.entries) < self.batch_size and self._receive(batch, now):
            pass
        if len(batch.entries) >= self.batch_size or batch.full:
            self._open = None
            self._invoke(batch)
            return True
        return False

    def _window_ends(self, batch: _Batch, _ev: simpy.Event) -> None:
        self._catch_up(self._env.now)
        if self._open is batch:
            self._open = None
            self._invoke(batch)
            self._pump()

    def _receive(self, batch: _Batch, now: float) -> bool:
        """One ``ReceiveMessage`` into ``batch`` (filtered-out messages are deleted). Whether it returned any."""
        room = min(RECEIVE_MAX, self.batch_size - len(batch.entries))
        if room <= 0 or batch.full:
            return False
        queue = self.queue
        messages = queue.receive(room, None)
        if not messages:
            return False
        stats = self.stats
        stats.receive_requests += 1
        stats.received += len(messages)
        limit = self._sim.settings.sync_payload_limit_bytes
        epoch = self._sim.services.epoch
        region = self._sim.region
        for msg in messages:
            receipt = msg.receipt or ""
            record = sqs_record(queue, msg, receipt, epoch, region)
            at = batch.index.get(msg.message_id)
            if at is not None:
                # Its visibility timeout ended while the batch was still gathering, and it was received again: the
                # batch keeps one copy, with the new receipt handle and receive count.
                batch.entries[at] = (msg, receipt, record)
                continue
            if self.filters and not any(matches(p, _filterable(record)) for p in self.filters):
                queue.delete(receipt)
                stats.filtered += 1
                continue
            size = _size_bound(msg) if not batch.exact else _size(record)
            room = limit - len('{"Records":[]}')
            if not batch.exact and batch.bytes + size > room:
                # The cheap bounds say it may not fit: count exactly from here on.
                batch.exact = True
                batch.bytes = sum(_size(r) for _m, _r, r in batch.entries)
                size = _size(record)
            if batch.full or (batch.entries and batch.bytes + size > room):
                # Over the payload limit: this message waits for the next batch (it comes back after its
                # visibility timeout, as a message Lambda received but did not process).
                batch.full = True
                stats.returned += 1
                self._wake_at(msg.visible_at)
                continue
            batch.index[msg.message_id] = len(batch.entries)
            batch.entries.append((msg, receipt, record))
            batch.bytes += size
        return True

    # -- invoking -----------------------------------------------------------------------------------------------

    def _invoke(self, batch: _Batch) -> None:
        # Minute boundaries passed are applied first: what happens now counts for the minute it happens in.
        self._catch_up(self._env.now)
        if not batch.entries:
            self._release()
            return
        if batch.retries == 0:
            self.stats.batches += 1
        self.stats.invokes += 1
        sim = self._sim
        try:
            fs, target = resolve_function(sim, self.function_name)
        except LambdaError:  # the function was deleted: the batch fails, as an invoke of a missing function does
            self.stats.errors += 1
            self._failed(batch, [e[0] for e in batch.entries])
            return
        engine = sim.engine
        # A fresh event per invoke, as Lambda would serialize it: handlers never share objects.
        event = {"Records": [_copy(record) for _m, _r, record in batch.entries]}
        done = engine.invoke_sync(fs, event, engine.next_seq(), target)
        if isinstance(done, simpy.Event):
            self.invoking += 1
            self.stats.level(self._env.now, self.invoking)
            done.callbacks.append(lambda ev: self._finished(batch, ev))
            first = min(m.visible_at for m, _r, _rec in batch.entries)
            if first < self._env.now + target.version.timeout_s:
                self._wake_at(first)  # the invoke may outlast the visibility timeout: its messages come back
            return
        self.stats.throttles += 1
        self._throttled = True
        delay = FIRST_BACKOFF_S * 2**batch.retries
        deadline = min(m.visible_at for m, _r, _rec in batch.entries)
        if self._env.now + delay >= deadline:
            # Let the messages go; the poller waits out the backoff before it polls again.
            self._returned([e[0] for e in batch.entries])
            self._schedule(delay, lambda _ev: self._release())
            return
        batch.retries += 1
        self._schedule(delay, lambda _ev: self._invoke(batch))

    def _finished(self, batch: _Batch, ev: simpy.Event) -> None:
        self._catch_up(self._env.now)
        self.invoking -= 1
        self.stats.level(self._env.now, self.invoking)
        error, response = cast("tuple[ErrorInfo | None, Any]", ev.value)
        if error is not None:
            self.stats.errors += 1
            self._failed(batch, [e[0] for e in batch.entries])
            return
        failed_ids = self._item_failures(batch, response) if self.report_failures else set()
        if failed_ids is None:  # an invalid partial batch response fails the whole batch
            self.stats.errors += 1
            self._failed(batch, [e[0] for e in batch.entries])
            return
        if failed_ids:
            self.stats.partial += 1
        ok = [(m, r) for m, r, _rec in batch.entries if m.message_id not in failed_ids]
        self._delete(ok)
        self._returned([m for m, _r, _rec in batch.entries if m.message_id in failed_ids])
        self._release()

    @staticmethod
    def _item_failures(batch: _Batch, response: Any) -> set[str] | None:
        """The message ids a partial batch response reports, or ``None`` if the response is invalid ([doc])."""
        if not isinstance(response, dict) or response.get("batchItemFailures") is None:
            return set()
        failures = response["batchItemFailures"]
        if not isinstance(failures, list):
            return None
        ids = {m.message_id for m, _r, _rec in batch.entries}
        out: set[str] = set()
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(ident, str) or not ident or ident not in ids:
                return None
            out.add(ident)
        return out

    def _failed(self, batch: _Batch, messages: list[Message]) -> None:
        self._returned(messages)
        self._release()

    def _returned(self, messages: list[Message]) -> None:
        """Messages left in flight: they reappear when their visibility timeout ends."""
        self.stats.returned += len(messages)
        for msg in messages:
            self._wake_at(msg.visible_at)

    def _delete(self, entries: list[tuple[Message, str]]) -> None:
        if not entries or self.queue.deleted:
            return
        self.stats.delete_requests += -(-len(entries) // RECEIVE_MAX)
        for _msg, receipt in entries:
            before = self.queue.deleted_messages
            self.queue.delete(receipt)
            self.stats.deleted += self.queue.deleted_messages - before

    def _release(self) -> None:
        self._catch_up(self._env.now)
        self.busy -= 1
        self._pump()

    # -- scaling ------------------------------------------------------------------------------------------------

    def _count_minutes(self) -> None:
        """Start counting scaling minutes (from now) if the mapping was idle."""
        if self._minute_end is None:
            self._minute_end = self._env.now + MINUTE_S
            self._waited = False
            self._throttled = False
            self._peak_busy = self.busy

    def _catch_up(self, now: float) -> None:
        """Apply the scaling rule at every minute boundary passed. Boundaries are applied when the pollers next run:
        a timer is set only for a minute in which messages wait for pollers, where the boundary adds pollers."""
        while self._minute_end is not None and now >= self._minute_end:
            if self._waited and not self._throttled:
                self._scale = min(self._scale + SCALE_STEP, self.cap)
            elif not self._waited and not self._throttled:
                self._scale = max(self.floor, min(self._scale, self._peak_busy))
            idle = self.busy == 0 and not self._waited
            self._waited = False
            self._throttled = False
            self._peak_busy = self.busy
            if idle and self._scale == self.floor:
                self._minute_end = None  # idle: the next batch starts a new minute
            else:
                self._minute_end += MINUTE_S


class EventSourceMappings:
    """The simulation's event source mappings, by UUID (the backend behind the Lambda client's operations): SQS
    mappings (:class:`EventSourceMapping`) and stream mappings
    (:class:`~lambdasim.aws.lambda_.stream_esm.StreamMapping`) share the UUIDs, states and API."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.mappings: dict[str, EventSourceMapping | StreamMapping] = {}
        self.history: list[EventSourceMapping | StreamMapping] = []
        self.iterator_ages: dict[str, dict[int, Aggregate]] = {}
        """``IteratorAge`` (ms) of stream mappings' invokes: ``{function name: {period index: aggregate}}``."""

    def arn(self, uuid: str) -> str:
        """The mapping's ARN."""
        return f"arn:aws:lambda:{self.sim.region}:{self.sim.account_id}:event-source-mapping:{uuid}"

    def new_uuid(self) -> str:
        """A fresh UUID, seeded like every id of the run."""
        return self.sim.services.new_id()

    def all_mappings(self) -> list[EventSourceMapping]:
        """Every SQS mapping, deleted ones included (their statistics stay in the results), in creation order."""
        return [m for m in self.history if isinstance(m, EventSourceMapping)]

    def stream_mappings(self) -> list[StreamMapping]:
        """Every stream mapping, deleted ones included, in creation order."""
        from lambdasim.aws.lambda_.stream_esm import StreamMapping

        return [m for m in self.history if isinstance(m, StreamMapping)]

    def for_queue(self, queue_arn: str) -> list[EventSourceMapping]:
        """The mappings reading ``queue_arn``, in creation order."""
        return [m for m in self.mappings.values() if isinstance(m, EventSourceMapping) and m.queue.arn == queue_arn]

    def iterator_age(self, function_arn: str, now: float, age_ms: float) -> None:
        """Record one invoke's ``IteratorAge`` for the function of ``function_arn``."""
        name = function_arn.split(":")[6]
        index = int(now // self.sim.settings.metrics_period_s)
        series = self.iterator_ages.setdefault(name, {})
        agg = series.get(index)
        if agg is None:
            agg = series[index] = Aggregate()
        agg.merge(Aggregate.of_value(age_ms))


_SERVICES: weakref.WeakKeyDictionary[Simulation, EventSourceMappings] = weakref.WeakKeyDictionary()


def esm_service(sim: Simulation) -> EventSourceMappings:
    """The event source mappings of ``sim`` (made on first use)."""
    found = _SERVICES.get(sim)
    if found is None:
        found = EventSourceMappings(sim)
        _SERVICES[sim] = found
    return found
