"""Simulated CloudWatch Logs: log groups of log streams of events, on the simulated clock, and the functions' logs.

Each function logs to the group ``/aws/lambda/<name>`` (created by its first logged attempt, as Lambda creates it on
the first invoke), one stream per execution environment, named ``YYYY/MM/DD/[<version>]<32 hex digits>`` after the
day the environment started: what Lambda and the Python runtime write for each attempt
(:func:`lambdasim.core.handler.log_lines`): ``START``, each line the handler printed, the ``[ERROR]`` record of an
exception with its traceback, ``END`` and ``REPORT``. ``START`` is stamped when the handler is entered (after any
init phase); a printed line when it was printed (an ``async def`` handler prints as it runs on the simulated clock; a
plain handler runs at once, and its lines are stamped when it is entered); the ``[ERROR]`` record, ``END`` and
``REPORT`` when the attempt ends. ``INIT_START`` and platform telemetry lines are not written.

Logs cost memory and time per attempt, so they are kept only from the moment :meth:`LogsService.enable` is called:
creating a logs client (``sim.client("logs")``) does so. Before that, the engine's attempts carry no logging hook at
all. Each group keeps its last :attr:`LogsService.max_events_per_group` events (10,000 by default) [model: AWS keeps
all of them, for the retention period]; a group's retention (``put_retention_policy``) drops events older than it
on the simulated clock.

Execution environments are known to the engine by their start time: the streams follow them, an attempt on a warm
environment continuing a stream its environment (or one that started at the same moment, indistinguishable here)
wrote before.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lambdasim.aws.account import ServiceError
from lambdasim.core.handler import AttemptLog, ErrorInfo, log_lines

if TYPE_CHECKING:
    from lambdasim.aws.account import Services
    from lambdasim.core.engine import FunctionState, OnEnd
    from lambdasim.core.target import FunctionVersion

__all__ = ["LogEvent", "LogGroup", "LogStream", "LogsService"]

DEFAULT_MAX_EVENTS = 10_000


class LogEvent:
    """One log event: ``timestamp`` and ``ingestion_time`` in epoch milliseconds."""

    __slots__ = ("event_id", "ingestion_time", "message", "stream", "timestamp")

    def __init__(self, stream: LogStream, timestamp: int, message: str, event_id: int) -> None:
        self.stream = stream
        self.timestamp = timestamp
        self.ingestion_time = timestamp  # [model] ingested as it is written
        self.message = message
        self.event_id = event_id


class LogStream:
    """A log stream: its name, when it was created, and when its first and last events were."""

    __slots__ = ("created", "first_event", "last_event", "last_ingestion", "name")

    def __init__(self, name: str, created: int) -> None:
        self.name = name
        self.created = created
        self.first_event: int | None = None
        self.last_event: int | None = None
        self.last_ingestion: int | None = None


class LogGroup:
    """A log group: its streams, and its events in the order they were written (at most ``max_events``)."""

    def __init__(self, name: str, created: int, max_events: int) -> None:
        self.name = name
        self.created = created
        self.retention_days: int | None = None
        self.streams: dict[str, LogStream] = {}
        self.events: deque[LogEvent] = deque(maxlen=max_events)
        self.tags: dict[str, str] = {}
        self.log_group_class = "STANDARD"
        self.kms_key_id: str | None = None

    def stored_bytes(self) -> int:
        return sum(len(e.message.encode()) for e in self.events)


class LogsService:
    """The account's log groups, and the engine hook that writes the functions' logs while enabled."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.groups: dict[str, LogGroup] = {}
        self.max_events_per_group = DEFAULT_MAX_EVENTS
        self._event_ids = 0
        self._streams = 0
        # Streams of idle execution environments, by (function, version, environment): an attempt on a warm
        # environment takes one back.
        self._idle: dict[tuple[str, str, Any], list[LogStream]] = {}

    # -- the simulated clock ----------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return self.epoch_ms(self._services.now)

    def epoch_ms(self, t: float) -> int:
        return round(self._services.epoch(t) * 1000)

    # -- groups and streams -----------------------------------------------------------------------------------

    def create_group(self, name: str) -> LogGroup:
        if name in self.groups:
            raise ServiceError("ResourceAlreadyExistsException", "The specified log group already exists")
        group = self.groups[name] = LogGroup(name, self.now_ms(), self.max_events_per_group)
        return group

    def group(self, name: str) -> LogGroup:
        found = self.groups.get(name)
        if found is None:
            raise ServiceError("ResourceNotFoundException", "The specified log group does not exist.")
        self._expire(found)
        return found

    def delete_group(self, name: str) -> None:
        self.group(name)
        del self.groups[name]
        self._idle = {k: v for k, v in self._idle.items() if f"/aws/lambda/{k[0]}" != name}

    def stream(self, group: LogGroup, name: str) -> LogStream:
        found = group.streams.get(name)
        if found is None:
            raise ServiceError("ResourceNotFoundException", "The specified log stream does not exist.")
        return found

    def events(self, group: LogGroup, streams: set[str] | None = None) -> Iterator[LogEvent]:
        """The group's events (of ``streams`` only, if given), in time order."""
        selected = [e for e in group.events if streams is None or e.stream.name in streams]
        return iter(sorted(selected, key=lambda e: (e.timestamp, e.event_id)))

    def _expire(self, group: LogGroup) -> None:
        """Drop events older than the group's retention, on the simulated clock."""
        if group.retention_days is None:
            return
        oldest = self.now_ms() - group.retention_days * 86_400_000
        events = group.events
        if any(e.timestamp < oldest for e in events):
            kept = [e for e in events if e.timestamp >= oldest]
            events.clear()
            events.extend(kept)

    def write(self, group: LogGroup, stream: LogStream, timestamp: int, message: str) -> None:
        self._event_ids += 1
        group.events.append(LogEvent(stream, timestamp, message, self._event_ids))
        if stream.first_event is None:
            stream.first_event = timestamp
        stream.last_event = timestamp
        stream.last_ingestion = timestamp

    # -- the functions' logs ----------------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        """Whether the functions' attempts are being logged."""
        return self._services.sim.engine.attempt_logger is not None

    def enable(self) -> None:
        """Log every attempt of every function from now on (creating a logs client calls this)."""
        self._services.sim.engine.attempt_logger = self._attempt

    def disable(self) -> None:
        """Stop logging attempts (what was logged stays)."""
        self._services.sim.engine.attempt_logger = None

    def _attempt(
        self, fs: FunctionState, call: Any, log: AttemptLog | None, on_end: OnEnd, seq: int
    ) -> tuple[AttemptLog, OnEnd]:
        """The engine's hook as an attempt starts: the AttemptLog to fill, and an ``on_end`` that writes its lines
        to its environment's stream before handing the attempt's end on."""
        if log is None:
            log = AttemptLog(self._clock)
        else:
            log.clock = self._clock
        version = call.target.version
        key = (fs.name, version.version, call.environment)
        group_name = f"/aws/lambda/{fs.name}"
        group = self.groups.get(group_name)
        if group is None:
            group = self.create_group(group_name)
        idle = self._idle.get(key)
        # A new environment (or a first use of a provisioned one) starts a stream; a warm one continues its own
        # (unless its group was deleted and made again since).
        stream = idle.pop() if idle and not fs.chosen_init else None
        if stream is None or group.streams.get(stream.name) is not stream:
            stream = self._new_stream(group, version.version)
        log.stream_name = stream.name  # the handler's context.log_stream_name
        request_id = fs.engine.request_id(seq)

        def ended(c: Any, error: ErrorInfo | None, response: Any, duration: float) -> None:
            self._log_attempt(group, stream, request_id, version, log, error, duration)
            self._idle.setdefault(key, []).append(stream)
            on_end(c, error, response, duration)

        return log, ended

    def _log_attempt(
        self,
        group: LogGroup,
        stream: LogStream,
        request_id: str,
        version: FunctionVersion,
        log: AttemptLog,
        error: ErrorInfo | None,
        duration: float,
    ) -> None:
        end = self._services.now
        entered = end - duration
        init_ms = log.init_s * 1000 if log.cold else None
        output = log.output.getvalue()
        lines = log_lines(request_id, version.version, version.memory_mb, output, error, duration * 1000, init_ms)
        start_ms, end_ms = self.epoch_ms(entered), self.epoch_ms(end)
        self.write(group, stream, start_ms, lines[0])
        # Each printed line at the time of the write it starts in (a plain handler runs when its attempt starts,
        # before any init phase: its lines are stamped when it is entered, after it).
        marks, m, offset = log.marks, 0, 0
        for line in lines[1 : len(lines) - 2 - (error is not None and bool(error[2]))]:
            while m + 1 < len(marks) and marks[m + 1][0] <= offset:
                m += 1
            at = max(marks[m][1], entered) if marks else entered
            self.write(group, stream, self.epoch_ms(at), line)
            offset += len(line)
        if error is not None and error[2]:
            self.write(group, stream, end_ms, lines[-3])  # the runtime's record, as the attempt ends
        for line in lines[-2:]:
            self.write(group, stream, end_ms, line)

    def _clock(self) -> float:
        return self._services.now

    def _new_stream(self, group: LogGroup, version: str) -> LogStream:
        self._streams += 1
        now = self._services.now
        day = _dt.datetime.fromtimestamp(self._services.epoch(now), tz=_dt.UTC).strftime("%Y/%m/%d")
        # 32 hex digits, as AWS's, from a counter (no random stream is drawn: logging does not change the run).
        digits = hashlib.md5(f"{group.name}:{self._streams}".encode(), usedforsecurity=False).hexdigest()
        stream = LogStream(f"{day}/[{version}]{digits}", self.epoch_ms(now))
        group.streams[stream.name] = stream
        return stream
