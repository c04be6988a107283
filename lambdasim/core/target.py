"""What an invocation runs: a function version's code snapshot, and the qualifier it was invoked through.

Lambda freezes a function's code and configuration when a version is published; ``$LATEST`` stays editable.
Each qualifier (``$LATEST``, a version number, an alias) has its own event invoke configuration, and an invoke
through an alias runs the version the alias routes it to under the alias's configuration. So the engine reads two
small objects per event, never copies:

- :class:`FunctionVersion`: the code snapshot (handler, duration and init samplers, timeout, memory, dead-letter
  queue) of ``$LATEST`` or of a published version;
- :class:`Target`: one (qualifier, version) pair: the ARNs the event was invoked on, the version that runs, and the
  qualifier's retry, age and destination settings. Each ``AsyncEvent`` and ``SyncCall`` points at one; the Lambda
  client keeps the targets of a qualifier in step when its configuration changes, so events already queued see a
  change from then on.

Concurrency, execution environments, statistics and random streams stay per function on
:class:`~lambdasim.core.engine.FunctionState`, shared by all versions (reserved concurrency is per function on AWS).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from lambdasim.core.behaviour import Behaviour
from lambdasim.core.code import CodeHandler
from lambdasim.core.handler import is_async
from lambdasim.core.rules import DEFAULT_MAXIMUM_EVENT_AGE_S, DEFAULT_MAXIMUM_RETRY_ATTEMPTS

if TYPE_CHECKING:
    import numpy as np

    from lambdasim.core.dist import Distribution, Sampler
    from lambdasim.core.engine import FunctionState

LATEST = "$LATEST"

# Handler kinds, resolved once at create/update time so the hot path branches on a small int.
KIND_NONE, KIND_BEHAVIOUR, KIND_PLAIN, KIND_ASYNC, KIND_IMPORT = range(5)


def handler_kind(handler: object) -> int:
    """The ``KIND_*`` of a handler (see :mod:`lambdasim.core.handler` for the kinds)."""
    if handler is None:
        return KIND_NONE
    if isinstance(handler, Behaviour):
        return KIND_BEHAVIOUR
    if isinstance(handler, (str, CodeHandler)):
        return KIND_IMPORT
    if is_async(handler):
        return KIND_ASYNC
    return KIND_PLAIN


class FunctionVersion:
    """The code and configuration one version runs with: ``$LATEST`` (mutable) or a published snapshot.

    Attributes:
        version: ``"$LATEST"`` or the version number as a string (``"1"``, ``"2"``, ...).
        handler: The handler (callable, ``async def``, ``"module.function"``, :class:`~lambdasim.Behaviour`, None).
        kind: Its ``KIND_*``.
        duration: Seconds per invocation of a plain handler (a Behaviour carries its own).
        sample_duration: Buffered sampler of ``duration`` on the function's ``"duration"`` stream.
        init_duration: Cold-start init time (s).
        sample_init: Buffered sampler of ``init_duration`` on the function's ``"init"`` stream.
        timeout_s: The function timeout, 1 to 900 s.
        memory_mb: Memory, 128 to 10240 MB.
        dead_letter_arn: The dead-letter queue (``DeadLetterConfig.TargetArn``), part of the version's snapshot.
    """

    __slots__ = (
        "dead_letter_arn",
        "duration",
        "handler",
        "init_duration",
        "kind",
        "memory_mb",
        "sample_duration",
        "sample_init",
        "timeout_s",
        "version",
    )

    def __init__(
        self,
        rngs: dict[str, np.random.Generator],
        *,
        handler: object,
        duration: Distribution,
        init_duration: Distribution,
        timeout_s: float,
        memory_mb: int,
        version: str = LATEST,
    ) -> None:
        self.version = version
        self.timeout_s = float(timeout_s)
        self.memory_mb = memory_mb
        self.dead_letter_arn: str | None = None
        self.set_handler(rngs, handler, duration)
        self.set_init_duration(rngs, init_duration)

    def set_handler(self, rngs: dict[str, np.random.Generator], handler: object, duration: Distribution) -> None:
        """Resolve the handler's kind once, so the hot path does not inspect it per event."""
        self.handler = handler
        self.kind = handler_kind(handler)
        if isinstance(handler, Behaviour):
            duration = handler.duration
        self.duration = duration
        self.sample_duration: Sampler = duration.sampler(rngs["duration"])

    def set_init_duration(self, rngs: dict[str, np.random.Generator], init_duration: Distribution) -> None:
        """Set the cold-start init time (s) and its sampler on the function's ``"init"`` stream."""
        self.init_duration = init_duration
        self.sample_init: Sampler = init_duration.sampler(rngs["init"])

    def publish(self, version: str) -> FunctionVersion:
        """A frozen copy numbered ``version``. It shares the samplers, so publishing a version does not move the
        function's random streams: invoking through it draws exactly what invoking ``$LATEST`` would have."""
        snapshot = copy.copy(self)
        snapshot.version = version
        return snapshot


class Target:
    """One (qualifier, version) an event can be invoked on; what each ``AsyncEvent``/``SyncCall`` points at.

    Attributes:
        function: The function's runtime state (concurrency, environments, statistics).
        version: The code snapshot that runs.
        qualifier: ``None`` (unqualified invoke), ``"$LATEST"``, a version number or an alias name.
        invoked_arn: The ARN as invoked (``context.invoked_function_arn``): unqualified for an unqualified invoke.
        qualified_arn: The qualified ARN of the invocation record (``...:$LATEST`` for an unqualified invoke).
        max_retry_attempts: The qualifier's ``MaximumRetryAttempts``, 0 to 2 (default 2).
        max_event_age_s: The qualifier's ``MaximumEventAgeInSeconds``, 60 to 21600 s (default 21600).
        on_success: The qualifier's on-success destination ARN, or ``None``.
        on_failure: The qualifier's on-failure destination ARN, or ``None``.
    """

    __slots__ = (
        "function",
        "invoked_arn",
        "max_event_age_s",
        "max_retry_attempts",
        "on_failure",
        "on_success",
        "qualified_arn",
        "qualifier",
        "version",
    )

    def __init__(
        self,
        function: FunctionState,
        version: FunctionVersion,
        qualifier: str | None,
        invoked_arn: str,
        qualified_arn: str,
    ) -> None:
        self.function = function
        self.version = version
        self.qualifier = qualifier
        self.invoked_arn = invoked_arn
        self.qualified_arn = qualified_arn
        self.max_retry_attempts = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
        self.max_event_age_s = float(DEFAULT_MAXIMUM_EVENT_AGE_S)
        self.on_success: str | None = None
        self.on_failure: str | None = None

    @property
    def dead_letter_arn(self) -> str | None:
        """The dead-letter queue of the version that runs (a DLQ is version configuration, not qualifier)."""
        return self.version.dead_letter_arn

    @property
    def executed_version(self) -> str:
        """``responseContext.executedVersion``: the version that runs."""
        return self.version.version

    def __repr__(self) -> str:
        return f"<Target {self.qualified_arn} runs {self.version.version}>"
