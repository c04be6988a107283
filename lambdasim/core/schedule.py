"""EventBridge schedule expressions: ``rate(5 minutes)`` and AWS's six-field ``cron(0 12 * * ? *)``. No SimPy here.

The syntax is EventBridge's (times in UTC, to the minute):

- ``rate(value unit)``: ``value`` a positive integer; ``unit`` ``minute``/``hour``/``day`` when ``value`` is 1,
  ``minutes``/``hours``/``days`` otherwise. A rate schedule first fires one period after it starts. [model: AWS says
  only that "a rate expression starts when you create the scheduled event rule"]
- ``cron(minutes hours day-of-month month day-of-week year)``: minutes 0-59, hours 0-23, day-of-month 1-31, month
  1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (1 is Sunday), year 1970-2199. Every field takes ``,`` lists, ``-``
  ranges (wrapping, as in ``FRI-MON``, except the year), ``*`` and ``/`` increments (``0/15``, ``*/10``,
  ``10-40/10``). Day-of-month also takes ``L`` (last day), ``LW`` (last weekday) and ``nW`` (the weekday nearest
  day ``n``, never leaving the month); day-of-week takes ``L`` (Saturday, the last day of the week), ``nL`` (the
  last such day of the month) and ``n#k`` (the ``k``-th such day of the month, alone in its field). One of
  day-of-month and day-of-week must be ``?`` and the other not.

>>> from lambdasim.core.schedule import parse_schedule
>>> parse_schedule("rate(5 minutes)").period_s
300.0
>>> import datetime as dt
>>> noon = parse_schedule("cron(0 12 * * ? *)")
>>> noon.next_after(dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)).isoformat()
'2026-01-02T12:00:00+00:00'
>>> parse_schedule("cron(0 18 ? * MON-FRI *)").next_after(dt.datetime(2026, 1, 2, 19, 0, tzinfo=dt.UTC)).isoformat()
'2026-01-05T18:00:00+00:00'
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from collections.abc import Iterator
from typing import Any

from attrs import field, frozen

__all__ = ["Cron", "Rate", "parse_schedule", "scheduled_event"]

_RATE = re.compile(r"^rate\(\s*(\S+)\s+(\S+)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
MIN_YEAR, MAX_YEAR = 1970, 2199
_DAY = _dt.timedelta(days=1)


def _err(expression: str, why: str) -> ValueError:
    return ValueError(f"invalid schedule expression {expression!r}: {why}")


@frozen
class Rate:
    """A ``rate(value unit)`` schedule: every ``period_s`` seconds, first one period after the start."""

    expression: str
    period_s: float

    def times(self, origin: _dt.datetime, start_s: float, stop_s: float) -> Iterator[float]:
        """Firing times in simulated seconds, ``start_s < t < stop_s`` (``origin`` is unused: rates are relative)."""
        k = 1
        while (t := start_s + k * self.period_s) < stop_s:
            yield t
            k += 1


def _parse_rate(expression: str, match: re.Match[str]) -> Rate:
    value_text, unit = match.groups()
    if not value_text.isdigit() or int(value_text) < 1:
        raise _err(expression, f"the value must be a positive integer, got {value_text!r}")
    value = int(value_text)
    singular = unit.removesuffix("s") if unit.endswith("s") else unit
    if singular not in _UNITS:
        raise _err(expression, f"the unit must be minute(s), hour(s) or day(s), got {unit!r}")
    if (value == 1) != (unit == singular):
        want = singular if value == 1 else singular + "s"
        raise _err(expression, f"a value of {value} takes the unit {want!r}, got {unit!r}")
    return Rate(expression, value * _UNITS[singular])


def _number(expression: str, field_name: str, token: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(token.upper()) if not token.isdigit() else int(token)
    if value is None or not low <= value <= high:
        named = f" or {min(names, key=names.__getitem__)}-{max(names, key=names.__getitem__)}" if names else ""
        raise _err(expression, f"{field_name} values must be {low}-{high}{named}, got {token!r}")
    return value


def _values(
    expression: str, field_name: str, text: str, low: int, high: int, names: dict[str, int], wraps: bool = True
) -> frozenset[int]:
    """The set of values of a list/range/increment field (``*``, ``a``, ``a-b``, ``a/n``, ``a-b/n``, ``*/n``)."""
    out: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _err(expression, f"empty item in the {field_name} field {text!r}")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise _err(expression, f"{field_name} increment must be a positive integer, got {step_text!r}")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first = _number(expression, field_name, a, low, high, names)
            last = _number(expression, field_name, b, low, high, names)
            if last < first and not wraps:
                raise _err(expression, f"{field_name} range {base!r} runs backwards")
        else:
            first = _number(expression, field_name, base, low, high, names)
            last = high if step_text else first
        span = (last - first) % (high - low + 1) if last < first else last - first
        out.update(low + (first - low + k) % (high - low + 1) for k in range(0, span + 1, step))
    return frozenset(out)


def _weekday(day: _dt.date) -> int:
    """AWS's day-of-week number: 1 is Sunday, 7 is Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int) -> int | None:
    """The weekday nearest ``day`` within the month (``W``), or ``None`` if the month has no such day."""
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return None
    wd = _dt.date(year, month, day).weekday()  # Monday 0 .. Sunday 6
    if wd == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if wd == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + 1 if day < last else day - 2
    return day


@frozen
class Cron:
    """A parsed ``cron(...)`` schedule (UTC, to the minute); build it with :func:`parse_schedule`."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: frozenset[int]
    days: frozenset[int] | None = field(default=None)  # plain day-of-month numbers
    last_day: bool = False  # L
    last_weekday: bool = False  # LW
    nearest_weekdays: frozenset[int] = frozenset()  # nW
    weekdays: frozenset[int] | None = None  # plain day-of-week numbers (1 = Sunday)
    last_of_weekdays: frozenset[int] = frozenset()  # nL
    nth_weekday: tuple[int, int] | None = None  # n#k

    def matches_day(self, day: _dt.date) -> bool:
        """Whether the schedule fires on ``day`` (at its hours and minutes)."""
        if day.month not in self.months or day.year not in self.years:
            return False
        last = calendar.monthrange(day.year, day.month)[1]
        if self.weekdays is not None or self.last_of_weekdays or self.nth_weekday:
            wd = _weekday(day)
            if self.weekdays is not None and wd in self.weekdays:
                return True
            if wd in self.last_of_weekdays and day.day + 7 > last:
                return True
            return self.nth_weekday is not None and self.nth_weekday == (wd, (day.day - 1) // 7 + 1)
        if self.days is not None and day.day in self.days:
            return True
        if self.last_day and day.day == last:
            return True
        if self.last_weekday and day.day == _nearest_weekday(day.year, day.month, last):
            return True
        return any(_nearest_weekday(day.year, day.month, n) == day.day for n in self.nearest_weekdays)

    def _fires(self, start: _dt.datetime, end: _dt.datetime | None = None) -> Iterator[_dt.datetime]:
        """Firing moments at or after ``start`` (UTC), in order, until ``end`` or the end of the year 2199."""
        day = start.date()
        last = MAX_YEAR if end is None else min(MAX_YEAR, end.year)
        while day.year <= last and (end is None or day <= end.date()):
            if day.year not in self.years:
                day = _dt.date(day.year + 1, 1, 1)
                continue
            if self.matches_day(day):
                midnight = _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.UTC)
                for h in self.hours:
                    for m in self.minutes:
                        moment = midnight + _dt.timedelta(hours=h, minutes=m)
                        if moment >= start:
                            yield moment
            day += _DAY

    def next_after(self, moment: _dt.datetime) -> _dt.datetime | None:
        """The first firing strictly after ``moment`` (naive means UTC), or ``None`` if there is none."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.UTC)
        after = moment.astimezone(_dt.UTC).replace(second=0, microsecond=0) + _dt.timedelta(minutes=1)
        return next(self._fires(after), None)

    def times(self, origin: _dt.datetime, start_s: float, stop_s: float) -> Iterator[float]:
        """Firing times in simulated seconds since ``origin`` (simulated time 0), ``start_s <= t < stop_s``."""
        start = origin + _dt.timedelta(seconds=start_s)
        if start.second or start.microsecond:  # firings are on whole minutes
            start = start.replace(second=0, microsecond=0) + _dt.timedelta(minutes=1)
        for moment in self._fires(start, origin + _dt.timedelta(seconds=stop_s)):
            t = (moment - origin).total_seconds()
            if t >= stop_s:
                return
            yield t


def _parse_cron(expression: str, body: str) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise _err(
            expression, f"cron takes 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
        )
    minute_f, hour_f, dom_f, month_f, dow_f, year_f = fields
    if (dom_f == "?") == (dow_f == "?"):
        raise _err(expression, "exactly one of day-of-month and day-of-week must be '?'")
    minutes = tuple(sorted(_values(expression, "minutes", minute_f, 0, 59, {})))
    hours = tuple(sorted(_values(expression, "hours", hour_f, 0, 23, {})))
    months = _values(expression, "month", month_f, 1, 12, _MONTHS)
    years = _values(expression, "year", year_f, MIN_YEAR, MAX_YEAR, {}, wraps=False)
    kwargs: dict[str, object] = {}
    if dom_f != "?":
        plain: list[str] = []
        nearest: set[int] = set()
        for item in dom_f.split(","):
            if item == "L":
                kwargs["last_day"] = True
            elif item == "LW":
                kwargs["last_weekday"] = True
            elif item.endswith("W"):
                nearest.add(_number(expression, "day-of-month", item[:-1], 1, 31, {}))
            else:
                plain.append(item)
        if plain:
            kwargs["days"] = _values(expression, "day-of-month", ",".join(plain), 1, 31, {})
        kwargs["nearest_weekdays"] = frozenset(nearest)
    elif "#" in dow_f:
        if "," in dow_f:
            raise _err(expression, "a day-of-week with '#' must be alone in its field")
        day_text, _, k_text = dow_f.partition("#")
        day = _number(expression, "day-of-week", day_text, 1, 7, _DAYS)
        k = _number(expression, "day-of-week instance", k_text, 1, 5, {})
        kwargs["nth_weekday"] = (day, k)
    else:
        plain = []
        last_of: set[int] = set()
        for item in dow_f.split(","):
            if item == "L":
                plain.append("7")  # the last day of the week
            elif item.endswith("L"):
                last_of.add(_number(expression, "day-of-week", item[:-1], 1, 7, _DAYS))
            else:
                plain.append(item)
        kwargs["weekdays"] = _values(expression, "day-of-week", ",".join(plain), 1, 7, _DAYS) if plain else None
        kwargs["last_of_weekdays"] = frozenset(last_of)
    return Cron(expression, minutes, hours, months, years, **kwargs)  # type: ignore[arg-type]


def scheduled_event(event_id: str, account: str, region: str, rule_arn: str, moment: _dt.datetime) -> dict[str, Any]:
    """The ``Scheduled Event`` EventBridge sends when rule ``rule_arn`` fires at ``moment`` (a UTC ``datetime``;
    its ``time`` is written to the second), with the keys in EventBridge's order.

    >>> import datetime as dt
    >>> event = scheduled_event("0", "123456789012", "us-east-1", "arn:aws:events:us-east-1:123456789012:rule/r",
    ...                         dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC))
    >>> event["detail-type"], event["source"], event["time"], event["detail"]
    ('Scheduled Event', 'aws.events', '2026-01-01T02:00:00Z', {})
    """
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def parse_schedule(expression: str) -> Rate | Cron:
    """Parse an EventBridge ``rate(...)`` or ``cron(...)`` expression (a ``ValueError`` says what is wrong)."""
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a string such as 'rate(5 minutes)', got {expression!r}")
    text = expression.strip()
    if match := _RATE.match(text):
        return _parse_rate(expression, match)
    if match := _CRON.match(text):
        return _parse_cron(expression, match.group(1))
    raise _err(expression, "expected 'rate(value unit)' or 'cron(minutes hours day-of-month month day-of-week year)'")
