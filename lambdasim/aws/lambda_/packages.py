"""Deployment packages: ``Code`` (``ZipFile`` or ``S3Bucket``/``S3Key``) read and checked as Lambda does, and what
each function's code does in simulated time (:class:`CodeProfile`, set by name with
:meth:`lambdasim.Simulation.configure_function`).

Python functions run the handler from their package (:mod:`lambdasim.core.code`). Lambda cannot run other
runtimes' code here: a function of another runtime created with code runs a :class:`~lambdasim.Behaviour` set for its
name, and is refused with a message saying so when none is [model].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from lambdasim.core._validators import check_range, short_repr
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.code import CodeHandler, UnzipError, ZipCode
from lambdasim.core.dist import Distribution, as_distribution

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

__all__ = ["UNZIP_FAILED", "CodeProfile", "PackageError", "handler_for", "read_package"]

UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."
"""Lambda's ``InvalidParameterValueException`` for a ``ZipFile`` that is not a zip archive."""


class PackageError(Exception):
    """Lambda refused the code: the message of its ``InvalidParameterValueException``."""


def _duration(value: object) -> Distribution | None:
    return None if value is None else as_distribution("duration", value)


def _init_duration(value: object) -> Distribution | None:
    return None if value is None else as_distribution("init_duration", value)


def _behaviour(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, Behaviour):
        raise TypeError(f"behaviour must be a lambdasim.Behaviour or None, got {short_repr(value)}")


def _scale(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None:
        check_range("cpu_time_scale", value, 0.0)


@frozen(kw_only=True)
class CodeProfile:
    """What a function's code does in simulated time, for functions whose code lambdasim is given as a package.

    Attributes:
        duration: Seconds per invocation of a plain (not ``async def``) handler: a number or a distribution. Used
            when ``CreateFunction`` gives no ``Duration``. Default: 0 s.
        init_duration: Cold-start init time (default: the settings' ``default_init_duration_s``).
        behaviour: Run this :class:`~lambdasim.Behaviour` instead of the package's code (required for runtimes
            other than Python, whose code lambdasim cannot run).
        cpu_time_scale: Instead of ``duration``, each call takes the CPU time it used here times this factor (a
            plain handler; not repeatable from run to run: it depends on the machine).
    """

    duration: Distribution | None = field(default=None, converter=_duration)
    init_duration: Distribution | None = field(default=None, converter=_init_duration)
    behaviour: Behaviour | None = field(default=None, validator=_behaviour)
    cpu_time_scale: float | None = field(default=None, validator=_scale)

    def __attrs_post_init__(self) -> None:
        given = [n for n in ("duration", "behaviour", "cpu_time_scale") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of duration, behaviour and cpu_time_scale, not {' and '.join(given)}")


def _bytes(value: Any) -> bytes:
    data = value.read() if hasattr(value, "read") else value
    return data.encode() if isinstance(data, str) else bytes(data)


def read_package(code: Mapping[str, Any], services: Services) -> tuple[ZipCode | None, bytes | None]:
    """The package ``Code`` (or ``UpdateFunctionCode``'s parameters) names: a checked zip, or ``(None, raw)`` for an
    image (``ImageUri``: its text stands for it), ``(None, None)`` when no code is given."""
    if code.get("ZipFile") is not None:
        data = _bytes(code["ZipFile"])
    elif code.get("S3Bucket") is not None or code.get("S3Key") is not None:
        data = _s3_object(code, services)
    elif code.get("ImageUri") is not None:
        return None, str(code["ImageUri"]).encode()
    else:
        return None, None
    try:
        return ZipCode(data), data
    except UnzipError:
        raise PackageError(UNZIP_FAILED) from None


def _s3_object(code: Mapping[str, Any], services: Services) -> bytes:
    """The object's bytes, read from the simulated S3; refused in Lambda's words when S3 refuses."""
    from lambdasim.aws.account import ServiceError

    bucket, key = code.get("S3Bucket"), code.get("S3Key")
    if bucket is None or key is None:
        # [model] AWS's words for half an S3 location are not recorded.
        raise PackageError("Please provide a source for function code: S3Bucket and S3Key are both required.")
    version = code.get("S3ObjectVersion")
    s3 = services.s3
    try:
        obj = s3.get(s3.bucket(bucket), key)
    except ServiceError as exc:
        # As Lambda reports S3's refusal (recorded: "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3
        # Error Message: The specified key does not exist.").
        raise PackageError(
            f"Error occurred while GetObject. S3 Error Code: {exc.code}. S3 Error Message: {exc.message}"
        ) from None
    if version is not None and version != "null":
        # The simulated S3 keeps no versions: only "null", the version id of an unversioned object, exists [model].
        raise PackageError(
            "Error occurred while GetObject. S3 Error Code: InvalidArgument. S3 Error Message: Invalid version id "
            "specified"
        )
    return obj.body


def handler_for(
    name: str, runtime: str, handler: object, package: ZipCode | None, profile: CodeProfile | None
) -> object:
    """What the engine runs for ``handler`` (as given to ``CreateFunction``) with ``package``: a profile's
    Behaviour, the package's handler (Python), or the handler itself (no package, or a callable or Behaviour given
    directly: lambdasim's extension, which the package does not change)."""
    if profile is not None and profile.behaviour is not None and (package is not None or isinstance(handler, str)):
        return profile.behaviour
    if package is None or not isinstance(handler, str):
        return handler
    if runtime.startswith("python"):
        return CodeHandler(package, handler, profile.cpu_time_scale if profile is not None else None)
    raise PackageError(
        f"lambdasim runs the code of Python functions only; function {name!r} has runtime {runtime}: give it a "
        f"lambdasim.Behaviour first, with sim.configure_function({name!r}, behaviour=lambdasim.Behaviour(...))"
    )
