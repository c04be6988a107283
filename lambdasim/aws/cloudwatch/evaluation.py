"""How one evaluation of a metric alarm decides, and says why in AWS's words: :func:`judge` (pure: no clock, no
SimPy), and the number and date formats of AWS's reasons and notifications.

Rules [doc: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html]: an alarm
goes to ``ALARM`` when at least ``DatapointsToAlarm`` of the evaluated datapoints breach, else to ``OK``; missing
datapoints count as ``TreatMissingData`` says, and with none at all ``missing`` gives ``INSUFFICIENT_DATA`` and
``ignore`` keeps the state. Reasons as recorded on AWS: ``Threshold Crossed: 1 datapoint [5.0 (04/12/26 10:00:00)]
was greater than the threshold (1.0).``; with more than one evaluation period (or an explicit ``DatapointsToAlarm``)
``Threshold Crossed: 2 out of the last 3 datapoints [...] were greater than or equal to the threshold (1.0) (minimum
2 datapoints for OK -> ALARM transition).``; dates ``dd/mm/yy HH:MM:SS`` UTC, newest first; numbers as Java writes
doubles.
"""

from __future__ import annotations

import datetime as _dt
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["COMPARISONS", "STATES", "TREATMENTS", "Verdict", "aws_time", "java_double", "judge", "reason_date"]

COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", operator.ge),
    "GreaterThanThreshold": ("greater than", operator.gt),
    "LessThanThreshold": ("less than", operator.lt),
    "LessThanOrEqualToThreshold": ("less than or equal to", operator.le),
}
"""The static-threshold operators: AWS's words for each in a reason, and the test of a value against the threshold.
(The anomaly-detection band operators need a model of the band, which lambdasim does not have.)"""

TREATMENTS = ("breaching", "notBreaching", "ignore", "missing")
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


def java_double(value: float) -> str:
    """``value`` as Java's ``Double.toString`` writes it (``21.0``, ``1.0E7``, ``1.5E-5``): the reasons' numbers."""
    x = float(value)
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return repr(x)
    sign, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    mantissa = text[0] + "." + (text[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{len(text) + exponent - 1}"


def reason_date(epoch_s: float) -> str:
    """A datapoint's time as reasons write it: ``dd/mm/yy HH:MM:SS`` (UTC)."""
    return _dt.datetime.fromtimestamp(epoch_s, tz=_dt.UTC).strftime("%d/%m/%y %H:%M:%S")


def aws_time(epoch_s: float) -> str:
    """``2026-01-01T00:01:00.000+0000``: times in notifications and reason data."""
    moment = _dt.datetime.fromtimestamp(epoch_s, tz=_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


class Verdict:
    """What one evaluation found: the state (``None``: keep the current one), the reason and its data."""

    __slots__ = ("data", "reason", "state")

    def __init__(self, state: str | None, reason: str, data: dict[str, Any]) -> None:
        self.state = state
        self.reason = reason
        self.data = data


def judge(
    points: list[tuple[float, float | None, int]],
    *,
    threshold: float,
    comparison: str,
    datapoints_to_alarm: int,
    treat_missing: str,
    short_form: bool,
    explain: bool = True,
) -> Verdict:
    """The state the datapoints of the evaluation range call for, with AWS's reason.

    ``points``: one ``(period start as Unix time, value or None if missing, sample count)`` per evaluated period,
    oldest first. ``short_form``: the alarm has one evaluation period and no explicit ``DatapointsToAlarm`` (AWS's
    "1 datapoint [...] was ..." reasons). ``explain=False``: the state only (empty reason), what an evaluation
    that changes nothing needs: writing the reason is most of an evaluation's cost."""
    n = len(points)
    m = datapoints_to_alarm
    words, test = COMPARISONS[comparison]
    missing = [t for t, v, _ in points if v is None]
    present = [(t, v, c) for t, v, c in points if v is not None]
    fill: bool | None = {"breaching": True, "notBreaching": False}.get(treat_missing)
    if not present:
        if fill is None:
            state = "INSUFFICIENT_DATA" if treat_missing == "missing" else None
            return Verdict(state, f"Insufficient Data: {_plural(n, 'datapoint')} {_was(n)} unknown.", {})
        label = "Breaching" if fill else "NonBreaching"
        reason = (
            f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
            f"{_plural(n, 'missing datapoint')} {_was(n)} treated as [{label}]."
        )
        return Verdict("ALARM" if fill else "OK", reason, {})
    breaching = sum(1 for _, v, _ in present if test(v, threshold))
    if fill:
        breaching += len(missing)
    alarm = breaching >= m
    if not explain:
        return Verdict("ALARM" if alarm else "OK", "", {})
    # The datapoints that make the case: the breaching ones for ALARM, the others for OK; newest first.
    listed = [(t, v) for t, v, _ in reversed(present) if test(v, threshold) == alarm]
    filled = len(missing) if fill is not None and fill == alarm else 0
    label = "Breaching" if alarm else "NonBreaching"
    verb = words if alarm else f"not {words}"
    shown = ", ".join(f"{java_double(v)} ({reason_date(t)})" for t, v in listed)
    k = len(listed)
    if short_form:
        text = f"Threshold Crossed: 1 datapoint [{shown}] was {verb} the threshold ({java_double(threshold)})"
    elif k:
        text = (
            f"Threshold Crossed: {k} out of the last {n} datapoints [{shown}] {_was(k)} {verb} the threshold "
            f"({java_double(threshold)})"
        )
    else:
        text = f"Threshold Crossed: no datapoints were received for {_plural(len(missing), 'period')}"
    if filled:
        text += f" and {_plural(filled, 'missing datapoint')} {_was(filled)} treated as [{label}]"
    if not short_form:
        need = m if alarm else n - m + 1
        transition = "OK -> ALARM" if alarm else "ALARM -> OK"
        text += f" (minimum {_plural(need, 'datapoint')} for {transition} transition)"
    data: dict[str, Any] = {"startDate": aws_time(present[0][0])}
    data["recentDatapoints"] = [v for _, v, _ in present]
    data["evaluatedDatapoints"] = [
        {"timestamp": aws_time(t)} if v is None else {"timestamp": aws_time(t), "sampleCount": float(c), "value": v}
        for t, v, c in reversed(points)
    ]
    return Verdict("ALARM" if alarm else "OK", text + ".", data)
