"""Waiters: ``lam.get_waiter("function_active_v2").wait(FunctionName="f")``, as botocore's, on the simulated clock.

Every waiter of botocore's Lambda model (``waiters-2.json``, generated into
``lambdasim.aws.lambda_._shapes.WAITERS``) is here with its operation, ``delay`` (s), ``maxAttempts`` and
acceptors, and :meth:`Waiter.wait` runs botocore's loop: poll the operation; the first acceptor that matches the
response sets the state; ``success`` returns, ``failure`` raises ``WaiterError`` ("Waiter encountered a terminal
failure state: ..."), an error response that no acceptor expects raises it at once ("An error occurred (Code):
Message"), and the last of ``MaxAttempts`` polls raises it with "Max attempts exceeded". ``WaiterConfig={"Delay":
seconds, "MaxAttempts": n}`` overrides the model's two numbers. The exception is
:class:`lambdasim.aws.errors.WaiterError`, which is also a ``botocore.exceptions.WaiterError`` when botocore is
installed.

**Waiting and the simulated clock.** lambdasim's functions and versions are ``Active``, with ``LastUpdateStatus``
``Successful``, as soon as the call that made or changed them returns. So ``function_active(_v2)``,
``function_updated(_v2)`` and ``published_version_active`` succeed at their first poll, which botocore makes at once:
the clock does not move. Between two polls botocore sleeps ``Delay`` seconds; lambdasim never sleeps in real time.
Called from top-level code (no ``sim.run`` in progress) a waiter advances the simulated clock by ``Delay`` instead,
exactly as ``sim.run(until=sim.now + Delay)`` would: whatever the model does meanwhile (a workload process that
creates the function, say) happens before the next poll, as a top-level ``RequestResponse`` invoke also waits. Inside
a running simulation (a handler, a sink, a SimPy process) the clock is SimPy's: a waiter that would have to wait
raises ``RuntimeError`` rather than advance it, or poll ``MaxAttempts`` times at one instant and report a wait that
never happened. With ``Delay`` 0 it polls back to back anywhere.

Two deviations from botocore, both to catch mistakes: ``WaiterConfig`` takes only ``Delay`` (a finite number >= 0)
and ``MaxAttempts`` (an integer >= 1), anything else raises ``TypeError``/``ValueError`` (botocore ignores unknown
keys and makes one poll for ``MaxAttempts`` 0).

>>> import lambdasim as ls
>>> sim = ls.Simulation(seed=1)
>>> lam = sim.client("lambda")
>>> _ = lam.create_function(FunctionName="orders")
>>> lam.get_waiter("function_active_v2").wait(FunctionName="orders")
>>> sim.now
0.0
>>> try:
...     lam.get_waiter("function_exists").wait(FunctionName="nope", WaiterConfig={"Delay": 2, "MaxAttempts": 3})
... except ls.WaiterError as exc:
...     print(exc)
Waiter FunctionExists failed: Max attempts exceeded. Previously accepted state: Matched expected service error \
code: ResourceNotFoundException
>>> sim.now
4.0
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from lambdasim.aws.errors import ClientError, waiter_error
from lambdasim.aws.lambda_._base import LambdaBase
from lambdasim.aws.lambda_._shapes import WAITERS
from lambdasim.aws.paginators import xform_name
from lambdasim.core._validators import check_range

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["AcceptorConfig", "SingleWaiterConfig", "Waiter", "WaitersMixin"]

Response = Mapping[str, Any]
Operation = Callable[..., Response]

# The path arguments lambdasim reads: dotted member names ("Configuration.State"), all that Lambda's waiters use.
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _is_error(response: Response) -> bool:
    """botocore's ``is_valid_waiter_error``: an error response, as a failed call's ``ClientError.response`` is."""
    error = response.get("Error")
    return isinstance(error, dict) and "Code" in error


def _lookup(response: Response, path: tuple[str, ...]) -> Any:
    """``path`` in ``response``, ``None`` where a member is missing (JMESPath's value for a dotted path)."""
    value: Any = response
    for member in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(member)
    return value


class AcceptorConfig:
    """One acceptor of a waiter, with botocore's attributes: ``state`` (``success``, ``failure`` or ``retry``),
    ``matcher`` (``path``, ``status`` or ``error``), ``expected``, ``argument`` and ``matcher_func(response)``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.state: str = config["state"]
        self.matcher: str = config["matcher"]
        self.expected: Any = config["expected"]
        self.argument: str | None = config.get("argument")
        self.matcher_func: Callable[[Response], bool | None] = self._matcher_func()

    @property
    def explanation(self) -> str:
        """What matched, in botocore's words (the reason of a ``WaiterError``)."""
        if self.matcher == "path":
            return f'For expression "{self.argument}" we matched expected path: "{self.expected}"'
        if self.matcher == "status":
            return f"Matched expected HTTP status code: {self.expected}"
        return f"Matched expected service error code: {self.expected}"

    def _matcher_func(self) -> Callable[[Response], bool | None]:
        expected = self.expected
        if self.matcher == "path":
            if self.argument is None or not _PATH.fullmatch(self.argument):
                raise ValueError(f"waiter path {self.argument!r} is not a dotted member name, all lambdasim reads")
            path = tuple(self.argument.split("."))

            def path_matches(response: Response) -> bool | None:
                return None if _is_error(response) else _lookup(response, path) == expected

            return path_matches
        if self.matcher == "status":
            return lambda response: response.get("ResponseMetadata", {}).get("HTTPStatusCode") == expected
        if self.matcher == "error":
            # True: any error; False: no error; a string: that error code.
            if expected is True:
                return _is_error
            if expected is False:
                return lambda response: "Error" not in response
            return lambda response: response.get("Error", {}).get("Code", "") == expected
        raise ValueError(f"waiter matcher {self.matcher!r} is not one lambdasim reads (path, status, error)")


class SingleWaiterConfig:
    """A waiter's configuration, with botocore's attributes: ``description``, ``operation``, ``delay`` (s between
    polls), ``max_attempts`` and ``acceptors``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config
        self.description: str = config.get("description", "")
        self.operation: str = config["operation"]
        self.delay: float = config["delay"]
        self.max_attempts: int = config["maxAttempts"]

    @property
    def acceptors(self) -> list[AcceptorConfig]:
        return [AcceptorConfig(acceptor) for acceptor in self._config["acceptors"]]


class Waiter:
    """A waiter as ``get_waiter`` returns it: ``name`` (botocore's, ``"FunctionActiveV2"``), ``config`` and
    :meth:`wait`."""

    def __init__(
        self, name: str, config: SingleWaiterConfig, operation: Operation, sleep: Callable[[str, float], None]
    ) -> None:
        self.name = name
        self.config = config
        self._operation = operation
        self._sleep = sleep

    def _poll(self, **params: Any) -> Response:
        """botocore's ``NormalizedOperationMethod``: a service error is a response to match, not an exception."""
        try:
            return self._operation(**params)
        except ClientError as exc:
            return exc.response

    def wait(self, **kwargs: Any) -> None:
        """Poll the operation with ``kwargs`` until an acceptor says success (return) or failure (``WaiterError``).

        ``WaiterConfig={"Delay": seconds >= 0, "MaxAttempts": n >= 1}`` overrides ``config.delay`` and
        ``config.max_attempts``. Between polls the simulated clock advances by ``Delay``, from top-level code only
        (see the module's docstring); parameter errors (``ParamValidationError``) are raised as botocore raises them.
        """
        delay, max_attempts = _waiter_config(kwargs.pop("WaiterConfig", {}), self.config)
        acceptors = self.config.acceptors
        state = "waiting"
        matched: AcceptorConfig | None = None
        attempts = 0
        while True:
            response = self._poll(**kwargs)
            attempts += 1
            # botocore reports the acceptor its loop stopped at: the one that matched, else the last one.
            acceptor = acceptors[-1]
            for candidate in acceptors:
                if candidate.matcher_func(response):
                    acceptor = matched = candidate
                    state = candidate.state
                    break
            else:
                if _is_error(response):
                    error = response["Error"]
                    reason = f"An error occurred ({error.get('Code', 'Unknown')}): {error.get('Message', 'Unknown')}"
                    raise waiter_error(self.name, reason, dict(response))
            if state == "success":
                return
            if state == "failure":
                reason = f"Waiter encountered a terminal failure state: {acceptor.explanation}"
                raise waiter_error(self.name, reason, dict(response))
            if attempts >= max_attempts:
                reason = "Max attempts exceeded"
                if matched is not None:
                    reason = f"Max attempts exceeded. Previously accepted state: {acceptor.explanation}"
                raise waiter_error(self.name, reason, dict(response))
            self._sleep(self.name, delay)


def _waiter_config(value: Any, config: SingleWaiterConfig) -> tuple[float, int]:
    """``Delay`` (s) and ``MaxAttempts`` from ``WaiterConfig``, the model's where not given."""
    if not isinstance(value, Mapping):
        raise TypeError(f"WaiterConfig must be a dict of Delay and MaxAttempts, got {value!r} ({type(value).__name__})")
    unknown = sorted(set(value) - {"Delay", "MaxAttempts"})
    if unknown:
        raise ValueError(f"WaiterConfig takes Delay (s) and MaxAttempts, got unknown keys {unknown}")
    delay = value.get("Delay", config.delay)
    check_range("WaiterConfig Delay", delay, 0)  # finite too
    attempts = value.get("MaxAttempts", config.max_attempts)
    check_range("WaiterConfig MaxAttempts", attempts, 1, integer=True)
    return float(delay), int(attempts)


@cache
def _waiter_class(service: str, name: str, description: str | None) -> type[Waiter]:
    """One class per waiter, named as botocore names it (``Lambda.Waiter.FunctionActiveV2``)."""
    return type(f"{service}.Waiter.{name}", (Waiter,), {"__module__": __name__, "__doc__": description})


class WaiterSupport:
    """``get_waiter`` and ``waiter_names`` of a client whose service has waiters (``waiter_models``: botocore's
    ``waiters-2.json`` entries, generated into the service's ``_shapes.py``), polling on the simulated clock."""

    _sim: Simulation
    waiter_models: Mapping[str, Mapping[str, Any]]
    waiter_service: str  # as botocore names the waiter classes: "Lambda", "S3"

    @property
    def waiter_names(self) -> list[str]:
        """Every waiter's name as ``get_waiter`` takes it, in botocore's order."""
        return [xform_name(name) for name in sorted(self.waiter_models)]

    def get_waiter(self, waiter_name: str) -> Waiter:
        """The waiter ``waiter_name`` (``"function_active_v2"``, ``"object_exists"``, ...); ``ValueError`` for an
        unknown name, with botocore's message."""
        names = {xform_name(name): name for name in self.waiter_models}
        if waiter_name not in names:
            raise ValueError(f"Waiter does not exist: {waiter_name}")
        name = names[waiter_name]
        model = self.waiter_models[name]
        config = SingleWaiterConfig(model)
        operation = getattr(self, xform_name(config.operation))
        cls = _waiter_class(self.waiter_service, name, model.get("description"))
        return cls(name, config, operation, self._wait_between_polls)

    def _wait_between_polls(self, waiter: str, delay_s: float) -> None:
        """Advance the clock by ``delay_s`` as ``sim.run(until=now + delay_s)`` would; refuse inside a run."""
        sim = self._sim
        until = sim.now + delay_s
        if until <= sim.now:
            return  # Delay 0 (or below the clock's resolution at this time): poll again at once
        if sim.running:
            raise RuntimeError(
                f"waiter {waiter} would wait {delay_s:g} s before polling again, but the simulation is running and "
                "its clock cannot advance from inside; wait from top-level code, or poll the operation from a SimPy "
                "process that yields env.timeout(...) between polls"
            )
        sim.run(until=until)


class WaitersMixin(WaiterSupport, LambdaBase):
    """``get_waiter`` and ``waiter_names``, as on boto3's Lambda client."""

    waiter_models = WAITERS
    waiter_service = "Lambda"
