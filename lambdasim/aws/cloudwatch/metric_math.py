"""CloudWatch metric math, as ``GetMetricData`` evaluates the ``Expression`` of a query: a pure parser and evaluator.

The semantics are those of AWS's "Metric math syntax and functions" (Amazon CloudWatch User Guide):

- Values are scalars (S), time series (TS) or arrays of time series (TS[]); the final result of an expression must
  be a TS or a TS[]. Ids of other queries (metrics or expressions) are variables; functions are written in uppercase.
- Arithmetic ``+ - * / ^`` and unary minus between S, TS and TS[] (a TS[] with a S or a TS, member by member).
  Between two time series, a value missing from one of them at a timestamp is treated as 0; a timestamp that neither
  has stays missing. A point whose value is not a number (division by zero, ``LOG(0)``, overflow) is dropped, and
  the query's result then carries CloudWatch's ``ArithmeticError`` message (:data:`ARITHMETIC_ERROR`).
- Comparisons ``== != <= >= < >`` and logical ``AND``/``&&``, ``OR``/``||`` give 1 (true) or 0 (false), with the same
  missing-is-0 rule between two time series.
- Functions: ``SUM``, ``AVG``, ``MIN``, ``MAX`` (of a TS: a scalar over all its points; of a TS[]: a TS, timestamp by
  timestamp, missing values counted as 0), ``METRICS()`` and ``METRICS("text")`` (the request's ``MetricStat``
  queries, those whose Id contains the text), array literals ``[m1, m2]``, ``ABS``, ``CEIL``, ``FLOOR``, ``LOG``,
  ``LOG10``, ``FILL(x, value | TS | REPEAT | LINEAR)``, ``IF(condition, a[, b])``, ``DIFF``, ``DIFF_TIME``,
  ``RATE``, ``RUNNING_SUM``, ``DATAPOINT_COUNT``, ``METRIC_COUNT`` and ``PERIOD(metric)``.

Where the guide is silent, lambdasim chooses and says so: ``^`` binds tighter than unary minus and to the right
(``-2^2`` is -4, ``2^3^2`` is 512); ``FILL`` fills every period of the requested window up to the simulated present
(``REPEAT`` leaves the periods before the first value empty, ``LINEAR`` the periods outside the first and last
values); series of different periods are not combined (an error, not a guess). Other AWS functions (``SEARCH``,
``SORT``, ``ANOMALY_DETECTION_BAND``, ``TIME_SERIES``, ...) and Metrics Insights queries are refused with an error
that says lambdasim does not evaluate them. AWS publishes no catalogue of its expression error messages: the code
(``ValidationError``) is AWS's, the wording of :class:`MetricMathError` is lambdasim's.

>>> m1 = Series({0.0: 4.0, 60.0: 1.0}, period=60, label="Errors", metric_id="m1")
>>> m2 = Series({0.0: 8.0, 120.0: 5.0}, period=60, label="Invocations", metric_id="m2")
>>> out = evaluate({"rate": "100 * m1 / m2", "peak": "m2 - MAX(m2)"}, {"m1": m1, "m2": m2}, grid=lambda p: [])
>>> out["rate"].value.points   # at 60 s m2 is missing (0): that point is dropped, and said so
{0.0: 50.0, 120.0: 0.0}
>>> out["rate"].dropped, out["peak"].value.points
(True, {0.0: 0.0, 120.0: -3.0})
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias

from attrs import field, frozen

__all__ = [
    "ARITHMETIC_ERROR",
    "MAX_EXPRESSION_LENGTH",
    "Evaluated",
    "MetricMathError",
    "Series",
    "SeriesArray",
    "evaluate",
    "parse",
]

MAX_EXPRESSION_LENGTH = 2048
"""Characters in one ``Expression`` (botocore's ``MetricExpression`` shape: 1 to 2048)."""

ARITHMETIC_ERROR = {
    "Code": "ArithmeticError",
    "Value": "One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)",
}
"""The message CloudWatch puts in a ``MetricDataResult`` whose expression dropped points that were not numbers."""


class MetricMathError(ValueError):
    """An expression CloudWatch would refuse, or one lambdasim does not evaluate (the request's ``ValidationError``)."""


@frozen
class Series:
    """One time series: ``points`` maps a period's start (Unix seconds) to its value, oldest first.

    Attributes:
        points: Values by timestamp, ascending; missing timestamps have no data.
        period: Seconds per point (> 0), or ``None`` for a series computed from no series at all.
        label: The label a result built from this series shows (a metric's label).
        metric_id: The Id of the ``MetricStat`` query it is, ``None`` for a computed series.
    """

    points: dict[float, float]
    period: int | None
    label: str = ""
    metric_id: str | None = None


@frozen
class SeriesArray:
    """An array of time series (``METRICS()``, ``[m1, m2]``, or a function applied to one)."""

    members: tuple[Series, ...]


Value: TypeAlias = float | Series | SeriesArray


@frozen
class Evaluated:
    """An expression's result: a series or an array of series, and whether points were dropped as not numbers."""

    value: Series | SeriesArray
    dropped: bool


# -- syntax -------------------------------------------------------------------------------------------------------


@frozen
class Num:
    value: float
    pos: int = field(eq=False)


@frozen
class Text:
    value: str
    pos: int = field(eq=False)


@frozen
class Ref:
    """The Id of another query."""

    name: str
    pos: int = field(eq=False)


@frozen
class Word:
    """A keyword argument of ``FILL``: ``REPEAT`` or ``LINEAR``."""

    name: str
    pos: int = field(eq=False)


@frozen
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int = field(eq=False)


@frozen
class ArrayOf:
    items: tuple[Node, ...]
    pos: int = field(eq=False)


@frozen
class Neg:
    operand: Node
    pos: int = field(eq=False)


@frozen
class BinOp:
    op: str
    left: Node
    right: Node
    pos: int = field(eq=False)


Node: TypeAlias = Num | Text | Ref | Word | Call | ArrayOf | Neg | BinOp

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<string>"[^"]*")
      | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/^<>(),\[\]])
    )""",
    re.VERBOSE,
)
_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_LOGICAL = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR"}
_KEYWORDS = ("REPEAT", "LINEAR")

SUPPORTED_FUNCTIONS: tuple[str, ...] = (
    "ABS",
    "AVG",
    "CEIL",
    "DATAPOINT_COUNT",
    "DIFF",
    "DIFF_TIME",
    "FILL",
    "FLOOR",
    "IF",
    "LOG",
    "LOG10",
    "MAX",
    "METRIC_COUNT",
    "METRICS",
    "MIN",
    "PERIOD",
    "RATE",
    "RUNNING_SUM",
    "SUM",
)
"""The metric math functions lambdasim evaluates."""

AWS_ONLY_FUNCTIONS: tuple[str, ...] = (
    "ANOMALY_DETECTION_BAND",
    "CONCAT",
    "DATE",
    "DAY",
    "EPOCH",
    "FIRST",
    "HOUR",
    "INSIGHT_RULE_METRIC",
    "LAMBDA",
    "LAST",
    "MINUTE",
    "MONTH",
    "REMOVE_EMPTY",
    "SEARCH",
    "SERVICE_QUOTA",
    "SLICE",
    "SORT",
    "STDDEV",
    "TIME_SERIES",
    "YEAR",
)
"""CloudWatch functions lambdasim does not evaluate: an expression using one is refused, never half-answered."""


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """``(kind, text, position)`` of each token, then ``("end", "", len(text))`` for ever."""
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            yield ("end", "", pos)
            continue
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise MetricMathError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        kind = match.lastgroup
        yield (kind, match.group(kind), match.start(kind))
        pos = match.end()


class _Parser:
    """Recursive descent, loosest first: OR, AND, comparisons, + -, * /, unary minus, ^, primaries."""

    def __init__(self, text: str) -> None:
        # Tokens are read as the parser asks for them: a function lambdasim refuses is named before the arguments,
        # which may have a syntax of their own (SEARCH's quoted strings), are read.
        self.tokens = _tokens(text)
        self.next: tuple[str, str, int] | None = None

    def peek(self) -> tuple[str, str, int]:
        if self.next is None:
            self.next = next(self.tokens)
        return self.next

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        self.next = None
        return token

    def expect(self, op: str) -> None:
        kind, text, pos = self.take()
        if text != op or kind != "op":
            raise MetricMathError(f"expected {op!r} at position {pos + 1}, found {_describe(kind, text)}")

    def parse(self) -> Node:
        node = self.logical("OR", self.and_)
        kind, text, pos = self.peek()
        if kind != "end":
            raise MetricMathError(f"unexpected {_describe(kind, text)} at position {pos + 1}")
        return node

    def and_(self) -> Node:
        return self.logical("AND", self.comparison)

    def logical(self, which: str, operand: Callable[[], Node]) -> Node:
        node = operand()
        while _LOGICAL.get(self.peek()[1]) == which and self.peek()[0] in ("op", "name"):
            pos = self.take()[2]
            node = BinOp(which, node, operand(), pos)
        return node

    def comparison(self) -> Node:
        node = self.additive()
        while self.peek()[0] == "op" and self.peek()[1] in _COMPARISONS:
            _, op, pos = self.take()
            node = BinOp(op, node, self.additive(), pos)
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            _, op, pos = self.take()
            node = BinOp(op, node, self.multiplicative(), pos)
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/"):
            _, op, pos = self.take()
            node = BinOp(op, node, self.unary(), pos)
        return node

    def unary(self) -> Node:
        signs: list[int] = []
        while self.peek()[:2] == ("op", "-"):
            signs.append(self.take()[2])
        operand = self.power()
        # Negation is exact, so --x is x: a run of signs costs no depth.
        return Neg(operand, signs[0]) if len(signs) % 2 else operand

    def power(self) -> Node:
        node = self.primary()
        if self.peek()[:2] == ("op", "^"):
            pos = self.take()[2]
            # Right-associative, and the exponent may be negative: 2^-1, 2^3^2 = 2^9.
            node = BinOp("^", node, self.unary(), pos)
        return node

    def primary(self) -> Node:
        kind, text, pos = self.take()
        if kind == "number":
            return Num(float(text), pos)
        if kind == "string":
            return Text(text[1:-1], pos)
        if kind == "name":
            return self.name(text, pos)
        if (kind, text) == ("op", "("):
            node = self.logical("OR", self.and_)
            self.expect(")")
            return node
        if (kind, text) == ("op", "["):
            return ArrayOf(self.items("]"), pos)
        raise MetricMathError(f"unexpected {_describe(kind, text)} at position {pos + 1}")

    def name(self, text: str, pos: int) -> Node:
        called = self.peek()[:2] == ("op", "(")
        if called:
            self.take()
            if text.upper() != text:
                raise MetricMathError(f"functions are written in uppercase: {text.upper()}, not {text}")
            if text in AWS_ONLY_FUNCTIONS:  # before its arguments, which may be of a syntax of its own (SEARCH)
                raise MetricMathError(f"lambdasim does not evaluate the metric math function {text}")
            return Call(text, self.items(")"), pos)
        if text in _KEYWORDS:
            return Word(text, pos)
        if text in _LOGICAL:
            raise MetricMathError(f"unexpected {text} at position {pos + 1}")
        if not _ID.match(text):
            raise MetricMathError(f"{text} at position {pos + 1} is not an Id: Ids start with a lowercase letter")
        return Ref(text, pos)

    def items(self, close: str) -> tuple[Node, ...]:
        """Comma-separated expressions up to ``close`` (which is consumed)."""
        if self.peek()[:2] == ("op", close):
            self.take()
            return ()
        out = [self.logical("OR", self.and_)]
        while self.peek()[:2] == ("op", ","):
            self.take()
            out.append(self.logical("OR", self.and_))
        self.expect(close)
        return tuple(out)


def _describe(kind: str, text: str) -> str:
    return "end of the expression" if kind == "end" else repr(text)


def parse(text: str) -> Node:
    """The syntax tree of a metric math expression; :class:`MetricMathError` if it is not one.

    >>> parse("-2^2")
    Neg(operand=BinOp(op='^', left=Num(value=2.0, pos=1), right=Num(value=2.0, pos=3), pos=2), pos=0)
    """
    if text.lstrip()[:6].upper() == "SELECT":
        raise MetricMathError("lambdasim does not run Metrics Insights queries (SELECT ...)")
    try:
        return _Parser(text).parse()
    except RecursionError:
        raise MetricMathError(_TOO_DEEP) from None


_TOO_DEEP = "lambdasim does not evaluate expressions nested this deeply (parentheses, unary minus or functions)"


def references(node: Node) -> set[str]:
    """The Ids an expression names (not counting those ``METRICS()`` selects)."""
    out: set[str] = set()
    stack = [node]  # a walk without recursion: a long chain such as m1 + 1 + 1 + ... is deep
    while stack:
        item = stack.pop()
        if isinstance(item, Ref):
            out.add(item.name)
        elif isinstance(item, Call):
            stack.extend(item.args)
        elif isinstance(item, ArrayOf):
            stack.extend(item.items)
        elif isinstance(item, Neg):
            stack.append(item.operand)
        elif isinstance(item, BinOp):
            stack.extend((item.left, item.right))
    return out


# -- evaluation ---------------------------------------------------------------------------------------------------


def evaluate(
    expressions: Mapping[str, str],
    metrics: Mapping[str, Series],
    grid: Callable[[int], Sequence[float]],
) -> dict[str, Evaluated]:
    """Evaluate every expression of a request, each after the queries it names.

    Args:
        expressions: ``{query Id: Expression}`` in request order.
        metrics: ``{query Id: its series}`` of the ``MetricStat`` queries, in request order (what ``METRICS()``
            returns).
        grid: The timestamps (Unix seconds) of every period of the requested window for a period in seconds: what
            ``FILL`` fills.

    Raises:
        MetricMathError: An expression that does not parse, names an Id no query has, is part of a cycle of
            references, uses a function lambdasim does not evaluate or arguments of the wrong kind, or whose
            result is a scalar. The message starts with ``Error in expression <Id>:``.
    """
    trees: dict[str, Node] = {}
    for query_id, text in expressions.items():
        with _blame(query_id):
            trees[query_id] = parse(text)
            unknown = sorted(n for n in references(trees[query_id]) if n not in metrics and n not in expressions)
            if unknown:
                raise MetricMathError(f"no query has the Id {unknown[0]}")
    order: list[str] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done

    def visit(query_id: str, path: list[str]) -> None:
        if state.get(query_id) == 2:
            return
        if state.get(query_id) == 1:
            cycle = path[path.index(query_id) :]
            with _blame(path[0]):
                raise MetricMathError(f"circular reference: {' -> '.join(cycle)}")
        state[query_id] = 1
        for name in sorted(references(trees[query_id])):
            if name in trees:
                visit(name, [*path, name])
        state[query_id] = 2
        order.append(query_id)

    for query_id in trees:
        visit(query_id, [query_id])
    done: dict[str, Evaluated] = {}
    for query_id in order:
        with _blame(query_id):
            context = _Context(metrics, {k: v.value for k, v in done.items()}, grid)
            try:
                value = context.eval(trees[query_id])
            except RecursionError:
                raise MetricMathError(_TOO_DEEP) from None
            if not isinstance(value, Series | SeriesArray):
                raise MetricMathError(
                    "the result must be a time series or an array of time series, not a scalar "
                    "(use the scalar in a larger expression, as in m1 - AVG(m1))"
                )
            done[query_id] = Evaluated(value, context.dropped)
    return {query_id: done[query_id] for query_id in expressions}


@contextlib.contextmanager
def _blame(query_id: str) -> Iterator[None]:
    """Prefix the message of a :class:`MetricMathError` raised inside with the query it comes from."""
    try:
        yield
    except MetricMathError as exc:
        if str(exc).startswith("Error in expression "):
            raise
        raise MetricMathError(f"Error in expression {query_id}: {exc}") from None


class _Context:
    """One expression's evaluation: the values it can name, and whether it dropped points that were not numbers."""

    def __init__(
        self, metrics: Mapping[str, Series], results: Mapping[str, Value], grid: Callable[[int], Sequence[float]]
    ) -> None:
        self.metrics = metrics
        self.results = results
        self.grid = grid
        self.dropped = False

    def finite(self, points: Iterable[tuple[float, float]]) -> dict[float, float]:
        """The points whose value is a number; the others are dropped, and that is remembered."""
        out: dict[float, float] = {}
        for t, v in points:
            if math.isfinite(v):
                out[t] = v
            else:
                self.dropped = True
        return out

    def eval(self, node: Node) -> Value:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Ref):
            if node.name in self.results:
                return self.results[node.name]
            return self.metrics[node.name]
        if isinstance(node, Neg):
            return self.map(self.eval(node.operand), lambda v: -v)
        if isinstance(node, BinOp):
            # Down the left spine first, without recursion: a + b + c + ... parses as ((a + b) + c) + ...
            spine: list[BinOp] = []
            left: Node = node
            while isinstance(left, BinOp):
                spine.append(left)
                left = left.left
            value = self.eval(left)
            for step in reversed(spine):
                value = self.binary(step.op, value, self.eval(step.right))
            return value
        if isinstance(node, ArrayOf):
            return SeriesArray(tuple(s for item in node.items for s in self.members(self.eval(item), "[...]")))
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Text):
            raise MetricMathError(f'a string ("{node.value}") can only be the argument of METRICS')
        raise MetricMathError(f"{node.name} can only be the second argument of FILL")

    # -- helpers

    def members(self, value: Value, where: str) -> tuple[Series, ...]:
        if isinstance(value, Series):
            return (value,)
        if isinstance(value, SeriesArray):
            return value.members
        raise MetricMathError(f"{where} takes time series, not a scalar")

    def map(self, value: Value, fn: Callable[[float], float]) -> Value:
        """Apply ``fn`` to each point of a TS or of each TS of a TS[], or to a scalar."""
        if isinstance(value, SeriesArray):
            return SeriesArray(tuple(self.map_series(s, fn) for s in value.members))
        if isinstance(value, Series):
            return self.map_series(value, fn)
        return _safe(fn, value)

    def map_series(self, s: Series, fn: Callable[[float], float]) -> Series:
        return Series(self.finite((t, _safe(fn, v)) for t, v in s.points.items()), s.period, s.label)

    def binary(self, op: str, a: Value, b: Value) -> Value:
        fn = _OPERATORS[op]
        if isinstance(a, SeriesArray) and isinstance(b, SeriesArray):
            raise MetricMathError(f"{op} cannot combine two arrays of time series")
        if isinstance(a, SeriesArray):
            assert not isinstance(b, SeriesArray)
            return SeriesArray(tuple(self.series_op(fn, m, b) for m in a.members))
        if isinstance(b, SeriesArray):
            return SeriesArray(tuple(self.series_op(fn, a, m) for m in b.members))
        if isinstance(a, Series) or isinstance(b, Series):
            return self.series_op(fn, a, b)
        return _safe(fn, a, b)

    def series_op(self, fn: Callable[[float, float], float], a: Series | float, b: Series | float) -> Series:
        if isinstance(a, Series) and isinstance(b, Series):
            period = _common_period((a, b))
            # Missing values are treated as 0 (AWS's rule for arithmetic and comparisons between time series).
            stamps = sorted(a.points.keys() | b.points.keys())
            pairs = ((t, _safe(fn, a.points.get(t, 0.0), b.points.get(t, 0.0))) for t in stamps)
            return Series(self.finite(pairs), period, a.label)
        if isinstance(a, Series):
            x = b
            assert isinstance(x, float)
            return Series(self.finite((t, _safe(fn, v, x)) for t, v in a.points.items()), a.period, a.label)
        assert isinstance(b, Series) and isinstance(a, float)
        return Series(self.finite((t, _safe(fn, a, v)) for t, v in b.points.items()), b.period, b.label)

    # -- functions

    def call(self, node: Call) -> Value:
        name = node.name
        if name in AWS_ONLY_FUNCTIONS:
            raise MetricMathError(f"lambdasim does not evaluate the metric math function {name}")
        if name not in SUPPORTED_FUNCTIONS:
            raise MetricMathError(f"unknown function {name}")
        if name == "METRICS":
            return self.metrics_of(node)
        if name == "PERIOD":
            return self.period_of(node)
        if name == "FILL":
            return self.fill(node)
        if name == "IF":
            return self.if_(node)
        args = [self.eval(a) for a in node.args]
        if len(args) != 1:
            raise MetricMathError(f"{name} takes 1 argument, got {len(args)}")
        (arg,) = args
        if name in _AGGREGATES:
            return self.aggregate(name, arg)
        if isinstance(arg, float):
            raise MetricMathError(f"{name} takes a time series or an array of time series, not a scalar")
        if name in _POINTWISE:
            return self.map(arg, _POINTWISE[name])
        if name == "METRIC_COUNT":
            if not isinstance(arg, SeriesArray):
                raise MetricMathError("METRIC_COUNT takes an array of time series")
            return float(len(arg.members))
        if name == "DATAPOINT_COUNT":
            if isinstance(arg, Series):
                return float(len(arg.points))
            return self.across(arg, len, count_missing=False)
        members = arg.members if isinstance(arg, SeriesArray) else (arg,)
        if name == "RUNNING_SUM":
            out = tuple(self.running_sum(s) for s in members)
        else:
            out = tuple(self.stepwise(s, _STEPS[name]) for s in members)
        return SeriesArray(out) if isinstance(arg, SeriesArray) else out[0]

    def metrics_of(self, node: Call) -> SeriesArray:
        if len(node.args) > 1 or (node.args and not isinstance(node.args[0], Text)):
            raise MetricMathError('METRICS takes no argument or one string, as in METRICS("errors")')
        part = node.args[0].value if node.args and isinstance(node.args[0], Text) else ""
        return SeriesArray(tuple(s for query_id, s in self.metrics.items() if part in query_id))

    def period_of(self, node: Call) -> float:
        if len(node.args) != 1 or not isinstance(node.args[0], Ref) or node.args[0].name not in self.metrics:
            raise MetricMathError("PERIOD takes the Id of a metric (a MetricStat query), not an expression")
        period = self.metrics[node.args[0].name].period
        assert period is not None  # a MetricStat query always has one
        return float(period)

    def aggregate(self, name: str, arg: Value) -> Value:
        reduce = _AGGREGATES[name]
        if isinstance(arg, Series):
            values = list(arg.points.values())
            return reduce(values) if values or name == "SUM" else math.nan
        if isinstance(arg, SeriesArray):
            return self.across(arg, reduce, count_missing=True)
        raise MetricMathError(f"{name} takes a time series or an array of time series, not a scalar")

    def across(self, arg: SeriesArray, reduce: Callable[[list[float]], float], *, count_missing: bool) -> Series:
        """A TS with, at each timestamp any member has, ``reduce`` of the members' values there (missing: 0)."""
        period = _common_period(arg.members)
        stamps = sorted(set().union(*(s.points.keys() for s in arg.members)))
        rows = []
        for t in stamps:
            if count_missing:
                values = [s.points.get(t, 0.0) for s in arg.members]
            else:
                values = [s.points[t] for s in arg.members if t in s.points]
            rows.append((t, _safe(reduce, values)))
        return Series(self.finite(rows), period)

    def stepwise(self, s: Series, step: Callable[[float, float, float, float], float]) -> Series:
        """``step(t0, v0, t1, v1)`` between each value and the one before it, at the later timestamp."""
        pairs = itertools.pairwise(s.points.items())
        return Series(self.finite((t1, _safe(step, t0, v0, t1, v1)) for (t0, v0), (t1, v1) in pairs), s.period, s.label)

    def running_sum(self, s: Series) -> Series:
        """The sum of the values so far at each value's timestamp."""
        return Series(
            self.finite(zip(s.points, itertools.accumulate(s.points.values()), strict=True)), s.period, s.label
        )

    def fill(self, node: Call) -> Value:
        if len(node.args) != 2:
            raise MetricMathError(f"FILL takes 2 arguments, got {len(node.args)}")
        target = self.eval(node.args[0])
        how = node.args[1]
        filler: Value | str = how.name if isinstance(how, Word) else self.eval(how)
        if isinstance(filler, SeriesArray):
            raise MetricMathError("FILL's filler is a scalar, a time series, REPEAT or LINEAR")
        if isinstance(target, SeriesArray):
            return SeriesArray(tuple(self.fill_series(s, filler) for s in target.members))
        if isinstance(target, Series):
            return self.fill_series(target, filler)
        raise MetricMathError("FILL takes a time series or an array of time series, not a scalar")

    def fill_series(self, s: Series, filler: float | Series | str) -> Series:
        period = _common_period((s, filler)) if isinstance(filler, Series) else s.period
        points = dict(s.points)
        stamps = list(s.points)  # ascending
        for t in self.grid(period) if period is not None else ():
            if t in points:
                continue
            value = _fill_value(t, stamps, s.points, filler)
            if value is not None:
                points[t] = value
        return Series(self.finite(sorted(points.items())), period, s.label)

    def if_(self, node: Call) -> Series:
        if len(node.args) not in (2, 3):
            raise MetricMathError(f"IF takes 2 or 3 arguments, got {len(node.args)}")
        values = [self.eval(a) for a in node.args]
        if any(isinstance(v, SeriesArray) for v in values):
            raise MetricMathError("IF takes time series and scalars, not arrays of time series")
        condition, yes, *rest = [v for v in values if not isinstance(v, SeriesArray)]
        no = rest[0] if rest else None
        if isinstance(condition, float):
            # IF(S, TS, TS): the whole second or third series.
            if not isinstance(yes, Series) or not (no is None or isinstance(no, Series)):
                raise MetricMathError("IF with a scalar condition takes time series as its other arguments")
            if condition != 0:
                return yes
            return no if no is not None else Series({}, yes.period, yes.label)
        assert isinstance(condition, Series)
        _common_period([v for v in (condition, yes, no) if isinstance(v, Series)])
        rows = []
        for t, c in condition.points.items():
            if c != 0:
                # True, and no value in the second series: 0 (AWS's rule).
                rows.append((t, yes.points.get(t, 0.0) if isinstance(yes, Series) else yes))
            elif isinstance(no, Series):
                if t in no.points:
                    rows.append((t, no.points[t]))
            elif no is not None:
                rows.append((t, no))
        label = yes.label if isinstance(yes, Series) else condition.label
        return Series(self.finite(rows), condition.period, label)


def _fill_value(
    t: float, stamps: list[float], points: Mapping[float, float], filler: float | Series | str
) -> float | None:
    """The value ``FILL`` puts at ``t``, which has none, given the series' ``points`` (``stamps``: their
    timestamps, ascending); ``None``: it stays empty."""
    if isinstance(filler, float):
        return filler
    if isinstance(filler, Series):
        return filler.points.get(t)
    after = bisect.bisect_right(stamps, t)  # the first value after t; the one before it is the last before t
    if after == 0:
        return None
    t0 = stamps[after - 1]
    if filler == "REPEAT":
        return points[t0]
    if after == len(stamps):
        return None
    t1 = stamps[after]
    return points[t0] + (points[t1] - points[t0]) * (t - t0) / (t1 - t0)


def _common_period(series: Iterable[Series]) -> int | None:
    periods = {s.period for s in series if s.period is not None}
    if len(periods) > 1:
        raise MetricMathError(
            f"lambdasim does not combine time series of different periods ({', '.join(map(str, sorted(periods)))} s)"
        )
    return periods.pop() if periods else None


def _safe(fn: Callable[..., float], *args: Any) -> float:
    """``fn(*args)``, or NaN where Python raises (a value that is not a number, to be dropped)."""
    try:
        return float(fn(*args))
    except (ZeroDivisionError, OverflowError, ValueError):
        return math.nan


def _truth(x: float) -> bool:
    return x != 0


def _compare(test: Callable[[float, float], bool]) -> Callable[[float, float], float]:
    def compare(x: float, y: float) -> float:
        if not (math.isfinite(x) and math.isfinite(y)):
            return math.nan
        return 1.0 if test(x, y) else 0.0

    return compare


_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "^": math.pow,
    "==": _compare(lambda x, y: x == y),
    "!=": _compare(lambda x, y: x != y),
    "<=": _compare(lambda x, y: x <= y),
    ">=": _compare(lambda x, y: x >= y),
    "<": _compare(lambda x, y: x < y),
    ">": _compare(lambda x, y: x > y),
    "AND": _compare(lambda x, y: _truth(x) and _truth(y)),
    "OR": _compare(lambda x, y: _truth(x) or _truth(y)),
}

_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "SUM": math.fsum,
    "AVG": lambda v: math.fsum(v) / len(v),
    "MIN": min,
    "MAX": max,
}

_POINTWISE: dict[str, Callable[[float], float]] = {
    "ABS": abs,
    "CEIL": lambda v: float(math.ceil(v)),
    "FLOOR": lambda v: float(math.floor(v)),
    "LOG": math.log,
    "LOG10": math.log10,
}


_STEPS: dict[str, Callable[[float, float, float, float], float]] = {
    "DIFF": lambda t0, v0, t1, v1: v1 - v0,
    "DIFF_TIME": lambda t0, v0, t1, v1: t1 - t0,
    "RATE": lambda t0, v0, t1, v1: (v1 - v0) / (t1 - t0),
}
