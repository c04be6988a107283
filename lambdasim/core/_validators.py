"""Argument checks for the Pythonic door: each error names the field, the value and the valid range.

attrs validators are called as ``validator(instance, attribute, value)``; the helpers here build such callables,
and :func:`check_range` / :func:`check_type` serve plain functions.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Callable
from typing import Any

from lambdasim.core.limits import MAX_PAYLOAD_DEPTH, payload_depth

Validator = Callable[[Any, Any, Any], None]


def _is_real(value: object) -> bool:
    # numbers.Real takes numpy scalars too (np.int64 from np.arange is not an int).
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_type(name: str, value: object, types: type | tuple[type, ...], what: str) -> None:
    """Raise ``TypeError`` unless ``value`` is one of ``types`` (``bool`` is never a number here)."""
    wants_number = types in (int, float, (int, float))
    if (wants_number and isinstance(value, bool)) or not isinstance(value, types):
        raise TypeError(f"{name} must be {what}, got {short_repr(value)} ({type(value).__name__})")


def check_real(name: str, value: object) -> float:
    """Return ``value`` as a float after checking that it is a finite real number."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a number, got {short_repr(value)} ({type(value).__name__})")
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"{name} must be a finite number, got {short_repr(value)}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {number!r}")
    return number


def real(value: Any) -> Any:
    """An attrs converter: a number becomes a ``float``; anything else passes unchanged for the field's validator
    to refuse by name (``converter=float`` would turn ``True`` into 1.0 and fail on ``"x"`` without the name)."""
    if not _is_real(value):
        return value
    try:
        return float(value)
    except OverflowError:  # an int beyond any float (10**400): the validator refuses it by name
        return value


def check_range(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    finite: bool = True,
) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``low <= value <= high`` (bounds optionally open).

    ``inf`` is refused too unless ``finite=False``: a number entering the model must be one a run can reach.
    """
    bounds = _describe(low, high, low_open, high_open)
    # A wrong type is told the valid range too: "seed must be an integer >= 0, got 'x' (str)".
    wanted = "an integer" if integer else "a number"
    if bounds != "a number":
        wanted = f"{wanted} {bounds}"
    if integer:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be {wanted}, got {short_repr(value)} ({type(value).__name__})")
        number: float = value
    else:
        if not _is_real(value):
            raise TypeError(f"{name} must be {wanted}, got {short_repr(value)} ({type(value).__name__})")
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:  # an int too large for a float (10**400): out of any range a run can use
            raise ValueError(
                f"{name} must be a finite number{'' if bounds == 'a number' else ' ' + bounds}, got {short_repr(value)}"
            ) from None
        if math.isnan(number):
            raise ValueError(f"{name} must be {wanted}, got nan")
        if finite and math.isinf(number):
            raise ValueError(
                f"{name} must be a finite number{'' if bounds == 'a number' else ' ' + bounds}, got {short_repr(value)}"
            )
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {bounds}, got {short_repr(value)}")


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)``, shortened to ``limit`` characters: an error message names a value, it does not dump it."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    except BaseException:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text)} characters)"


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None and high >= 1e6:
        # A cap far above any sensible value (1,000 years, a million a second): said after the bound that matters.
        below = _describe(None, high, False, high_open)
        return f"{_describe(low, None, low_open, False)} and {below.replace(_fmt(high), f'{high:g}')}"
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"in {left}{_fmt(low)}, {_fmt(high)}{right}"
    if low is not None:
        return f"{'>' if low_open else '>='} {_fmt(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {_fmt(high)}"
    return "a number"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def in_range(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    optional: bool = False,
    finite: bool = True,
) -> Validator:
    """An attrs validator for a number in a range; ``optional`` lets ``None`` through, ``finite=False`` ``inf``."""

    def validate(_instance: Any, attribute: Any, value: Any) -> None:
        if optional and value is None:
            return
        check_range(
            attribute.name, value, low, high, low_open=low_open, high_open=high_open, integer=integer, finite=finite
        )

    return validate


def probability(_instance: Any, attribute: Any, value: Any) -> None:
    """An attrs validator for a probability in [0, 1]."""
    check_range(attribute.name, value, 0.0, 1.0)


def one_of(*choices: object) -> Validator:
    """An attrs validator for a value among ``choices``."""

    def validate(_instance: Any, attribute: Any, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {list(choices)!r}, got {short_repr(value)}")

    return validate


def non_empty_text(_instance: Any, attribute: Any, value: Any) -> None:
    """An attrs validator for a non-empty string (a name, an ``errorType``, a price table's region)."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{attribute.name} must be a non-empty string, got {short_repr(value)}")


_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]+")
MAX_FUNCTION_NAME = 64
"""Lambda's limit on a function name's length [doc: CreateFunction, FunctionName]."""


def lambda_function_name(_instance: Any, attribute: Any, value: Any) -> None:
    """An attrs validator for the name of a new function: 1 to 64 letters, digits, hyphens or underscores."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{attribute.name} must be a function name (a non-empty string), got {short_repr(value)}")
    if len(value) > MAX_FUNCTION_NAME:
        raise ValueError(
            f"{attribute.name} must be at most {MAX_FUNCTION_NAME} characters (Lambda's limit on function names), "
            f"got {len(value)}: {short_repr(value)}"
        )
    if not _FUNCTION_NAME.fullmatch(value):
        bad = sorted({c for c in value if not _FUNCTION_NAME.fullmatch(c)})
        raise ValueError(
            f"{attribute.name} must hold only letters, digits, hyphens and underscores (Lambda's rule for function "
            f"names; a ':' separates a qualifier when invoking, never in a name), got {short_repr(value)} with "
            f"{' '.join(map(repr, bad))}"
        )


def function_name(_instance: Any, attribute: Any, value: Any) -> None:
    """An attrs validator for the name of the function a workload invokes (a non-empty string)."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{attribute.name} must be a function name, got {short_repr(value)}")


def json_serialisable(_instance: Any, attribute: Any, value: Any) -> None:
    """An attrs validator for an event payload: anything ``json.dumps`` can write, as Lambda's ``Invoke`` needs,
    nested at most :data:`~lambdasim.core.limits.MAX_PAYLOAD_DEPTH` deep, its text valid UTF-8."""
    check_payload(attribute.name, value)


def check_payload(name: str, value: Any) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``value`` can be an event (see :func:`json_serialisable`)."""
    depth = payload_depth(value)
    if depth > MAX_PAYLOAD_DEPTH:
        raise ValueError(
            f"{name} must be nested at most {MAX_PAYLOAD_DEPTH} levels deep, got more than {MAX_PAYLOAD_DEPTH}"
        )
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} must be valid Unicode text (no lone surrogates), got {short_repr(value)}: {exc.reason}"
        ) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"{name} must be JSON-serialisable, got {short_repr(value)}: {exc}") from None
