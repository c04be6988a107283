"""Execution environments of one function: cold starts, warm reuse, idle timeout, maximum lifetime, reset.

An environment is born by a cold start (it runs the init phase before its first invoke), serves one invocation at a
time, and waits idle in between. A warm start takes the **most recently freed** idle environment (``reuse``;
optionally, with probability ``least_recent_probability``, the **least recently freed** one) ([model] choices,
``Settings.environment_reuse``). An environment is shut down after being idle for its idle timeout,
``idle_timeout_s`` plus a uniform draw on ``[0, idle_jitter_s)`` (AWS's logs: a lone environment warm after up to
about 655 s idle, cold from about 626 s [meas]). With an **active idle timeout** (``active_idle_timeout_s``,
``Settings.active_idle_timeout_s``) that idle timeout belongs to the function instead: while it runs invocations,
an idle environment lives ``active_idle_timeout_s`` plus a uniform draw on ``[0, active_jitter_s)`` since it was
freed (drawn when it is freed); once none has run for the idle timeout (drawn when the last one ends), every idle
environment goes (AWS's logs: while the function was busy, environments reused after idle gaps of up to about
1,500 s, some and not others [meas]). An environment is retired when it reaches
``max_environment_lifetime_s`` ("every few hours, even when busy" [doc]; about 2 h measured [meas]). A timeout or
crash resets it: it stays, but its next invoke runs the init phase again. [doc] The defaults and their sources are
in :class:`lambdasim.Settings`; :mod:`lambdasim.calibrate` fits them to a user's own observations.

Cost per event is O(1) amortised, never a scan over all environments: idle environments sit in a deque ordered by
the time they were freed (a warm start pops either end), each entry carrying the time it shuts down on its own; an
entry found dead when popped is discarded then, and its shutdown is accounted at the time it really happened.
Statistics that need every idle environment (how many are alive at ``now``) are computed when results are read, not
per event.

>>> from lambdasim.core.counters import FunctionStats
>>> stats = FunctionStats(0.0)
>>> pool = EnvironmentPool(stats, idle_timeout_s=600.0, max_lifetime_s=None)
>>> pool.take(0.0) is None                  # nothing idle: the caller creates a new environment (a cold start)
True
>>> pool.create(0.0)
0.0
>>> pool.release(0.2, born=0.0, reset=False)
>>> pool.take(500.0)[1]                     # warm: reused within the idle timeout, born at 0.0
0.0
>>> pool.release(500.2, born=0.0, reset=False)
>>> pool.take(1200.0) is None               # idle for 699.8 s > 600 s: it was shut down at 1100.2 s
True
>>> stats.environment_lifespan.max, stats.environments_shut_down
(1100.2, 1)
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lambdasim.core.counters import FunctionStats

IdleEntry = tuple[float, float, float, bool]
"""An idle environment: ``(shuts_down_at, born_at, freed_at, needs_init)`` in simulated seconds."""


class EnvironmentPool:
    """The on-demand execution environments of one function; what happens to them is counted in ``stats``.

    Args:
        stats: The function's statistics: ``environments_created``, ``environments_reinitialised``,
            ``environments_shut_down``, ``environment_lifespan`` (ages of environments that ended, s) and
            ``idle_environment_s`` (environment-seconds idle, of environments no longer on the idle stack).
        idle_timeout_s: An environment idle for longer than this is shut down (> 0).
        max_lifetime_s: An environment is retired at this age; ``None`` for no limit.
        idle_jitter_s: Upper bound of a uniform extra idle timeout per idle period (>= 0).
        uniform: Draws uniform on [0, 1) for that jitter (needed only when ``idle_jitter_s > 0``).
        reuse: Which idle environment an invocation takes: ``"most_recent"`` (default) or ``"least_recent"`` freed,
            or ``"mixed"``: the most recently freed, or with ``least_recent_probability`` the least recently freed.
        least_recent_probability: With ``reuse="mixed"``, the chance in [0, 1] that a warm start takes the least
            recently freed idle environment (each warm start that finds more than one idle is a Bernoulli trial).
        reuse_gaps: Draws the number of such trials up to and including the next least-recent take: geometric with
            ``least_recent_probability`` (needed only when it is > 0). One draw per least-recent take, instead of a
            uniform per warm start, keeps the hot path to a counter; the sequence of choices is the same Bernoulli
            process.
        active_idle_timeout_s: While the function runs invocations, an idle environment lives this long since it
            was freed (plus ``active_jitter_s``'s draw); ``None``: each lives its own idle timeout.
        active_jitter_s: Upper bound of a uniform extra active idle timeout, drawn per idle period (>= 0).
        active_uniform: Draws uniform on [0, 1) for that jitter (needed only when ``active_jitter_s > 0``).
    """

    __slots__ = (
        "_active",
        "_active_jitter",
        "_active_uniform",
        "_busy",
        "_countdown",
        "_counted_since",
        "_ended",
        "_first",
        "_gaps",
        "_idle",
        "_jitter",
        "_max_life",
        "_mixed",
        "_pop",
        "_quiet_until",
        "_stats",
        "_timeout",
        "_uniform",
        "_used_s",
    )

    def __init__(
        self,
        stats: FunctionStats,
        *,
        idle_timeout_s: float,
        max_lifetime_s: float | None,
        idle_jitter_s: float = 0.0,
        uniform: Callable[[], float] | None = None,
        reuse: str = "most_recent",
        least_recent_probability: float = 0.0,
        reuse_gaps: Callable[[], int] | None = None,
        active_idle_timeout_s: float | None = None,
        active_jitter_s: float = 0.0,
        active_uniform: Callable[[], float] | None = None,
    ) -> None:
        if idle_jitter_s and uniform is None:
            raise ValueError("idle_jitter_s > 0 needs a uniform random source")
        if not active_jitter_s >= 0.0:
            raise ValueError(f"active_jitter_s must be >= 0, got {active_jitter_s!r}")
        if active_jitter_s and active_idle_timeout_s is not None and active_uniform is None:
            raise ValueError("active_jitter_s > 0 needs a uniform random source")
        if reuse not in ("mixed", "most_recent", "least_recent"):
            raise ValueError(f"reuse must be one of ['mixed', 'most_recent', 'least_recent'], got {reuse!r}")
        if not 0.0 <= least_recent_probability <= 1.0:
            raise ValueError(f"least_recent_probability must be in [0, 1], got {least_recent_probability!r}")
        mixed = reuse == "mixed" and least_recent_probability > 0.0
        if active_idle_timeout_s is not None and not active_idle_timeout_s > 0.0:
            raise ValueError(f"active_idle_timeout_s must be > 0 or None, got {active_idle_timeout_s!r}")
        if mixed and reuse_gaps is None:
            raise ValueError("reuse='mixed' with least_recent_probability > 0 needs a source of geometric gaps")
        self._stats = stats
        self._timeout = float(idle_timeout_s)
        self._max_life = math.inf if max_lifetime_s is None else float(max_lifetime_s)
        self._jitter = float(idle_jitter_s)
        self._uniform = uniform
        self._idle: deque[IdleEntry] = deque()  # the last entry is the most recently freed
        self._pop = self._idle.popleft if reuse == "least_recent" else self._idle.pop
        self._first = 0 if reuse == "least_recent" else -1  # the index of the entry _pop takes
        self._mixed = mixed
        self._gaps = reuse_gaps
        self._countdown = reuse_gaps() if mixed else 0  # type: ignore[misc]
        self._active = None if active_idle_timeout_s is None else float(active_idle_timeout_s)
        self._active_jitter = float(active_jitter_s) if self._active is not None else 0.0
        self._active_uniform = active_uniform
        self._busy = 0  # environments running an invocation (taken or created, not yet released)
        self._quiet_until = math.inf  # with an active idle timeout: when every idle environment shuts down
        # Environments shut down or retired and used since the statistics' start (`_counted_since`), and their spans of
        # use (birth, or that start, to last release), s: what a client's log since then counts.
        self._ended = 0
        self._used_s = 0.0
        self._counted_since = stats.since

    # -- the hot path -----------------------------------------------------------------------------------------

    def take(self, now: float) -> IdleEntry | None:
        """Pop the most (or, by the reuse rule, least) recently freed environment still alive at ``now``; ``None``
        if there is none.

        Entries found dead on the way are shut down at the time they died. ``entry[1]`` is the environment's birth
        time, ``entry[3]`` whether it must run the init phase again (it was reset).
        """
        idle = self._idle
        if now > self._quiet_until and not self._busy:
            self._end_quiet()  # the function was quiet for its idle timeout: every idle environment shut down
            return None
        pop = self._pop
        if self._mixed and len(idle) > 1:
            self._countdown -= 1
            if not self._countdown:
                self._countdown = self._gaps()  # type: ignore[misc]
                pop = idle.popleft  # this time the environment idle longest (it may turn out dead: then the next one)
        while idle:
            entry = pop()
            if now <= entry[0]:
                st = self._stats
                freed = entry[2]
                # Idle time before a statistics reset (a warm-up) is not counted.
                st.idle_environment_s += now - (freed if freed > st.since else st.since)
                if entry[3]:
                    st.environments_reinitialised += 1
                self._busy += 1
                return entry
            self._end(entry)
        return None

    def create(self, now: float) -> float:
        """Count a new environment born at ``now`` (its birth time is returned for :meth:`release`)."""
        self._stats.environments_created += 1
        self._busy += 1
        return now

    def release(self, now: float, born: float, reset: bool) -> None:
        """The environment born at ``born`` finished an invocation at ``now``; ``reset`` after a timeout or crash."""
        self._busy -= 1
        if self._active is None:
            shuts = now + self._timeout
            if self._jitter:
                shuts += self._jitter * self._uniform()  # type: ignore[misc]
        else:
            shuts = now + self._active
            if self._active_jitter:
                shuts += self._active_jitter * self._active_uniform()  # type: ignore[misc]
            if not self._busy:  # the function falls quiet: its idle environments live until its idle timeout
                quiet = now + self._timeout
                if self._jitter:
                    quiet += self._jitter * self._uniform()  # type: ignore[misc]
                self._quiet_until = quiet
        if now - born >= self._max_life:
            st = self._stats
            st.environments_shut_down += 1
            st.environment_lifespan.add(now - born)
            self._count_use(born, now)
            return
        retires = born + self._max_life
        self._idle.append((shuts if shuts < retires else retires, born, now, reset))

    def _end_quiet(self) -> None:
        """Shut down every idle environment at the end of the function's quiet period (or earlier, its own end)."""
        quiet = self._quiet_until
        for entry in self._idle:
            self._end(entry, entry[0] if entry[0] < quiet else quiet)
        self._idle.clear()
        self._quiet_until = math.inf

    def _end(self, entry: IdleEntry, shut: float | None = None) -> None:
        st = self._stats
        if shut is None:
            shut = entry[0]
        st.idle_environment_s += max(0.0, shut - max(entry[2], st.since))
        st.environments_shut_down += 1
        st.environment_lifespan.add(shut - entry[1])
        self._count_use(entry[1], entry[2])

    def _count_use(self, born: float, last: float) -> None:
        """An environment that ended was used from ``born`` until ``last`` (its last invocation ended): keep its span
        of use since the statistics' start, if it was used since then (a client's log from then on saw it)."""
        since = self._counting_from()
        if last >= since:
            self._ended += 1
            self._used_s += last - (born if born > since else since)

    def _counting_from(self) -> float:
        """The statistics' start; the spans kept before a reset (the end of a warm-up) are forgotten at it."""
        since = self._stats.since
        if since != self._counted_since:
            self._counted_since = since
            self._ended = 0
            self._used_s = 0.0
        return since

    # -- when results are read --------------------------------------------------------------------------------

    def settle(self, now: float) -> None:
        """Shut down every idle environment that died by ``now`` (keeps the order of the others)."""
        if now > self._quiet_until and not self._busy:
            self._end_quiet()
            return
        alive: list[IdleEntry] = []
        for entry in self._idle:
            if now <= entry[0]:
                alive.append(entry)
            else:
                self._end(entry)
        self._idle.clear()
        self._idle.extend(alive)

    def counted_environment_seconds(self, now: float, idle_allowance_s: float) -> float:
        """Environment-seconds as a client's logs count them: each environment from its birth until its last
        invocation ended plus ``idle_allowance_s`` (at most until ``now``), whether or not it lived that long.

        Measurement papers estimate the count of environments this way (Mahmoudi and Khazaei allow 600 s). Read it
        when no environment is busy (it knows the birth of idle and ended ones only). After a warm-up (a statistics
        reset) only environments used since its end count, each from its birth or that end, whichever is later.
        """
        self.settle(now)
        since = self._counting_from()
        total = self._used_s + self._ended * idle_allowance_s
        for _, born, freed, _ in self._idle:
            if freed >= since:
                total += min(freed + idle_allowance_s, now) - (born if born > since else since)
        return total

    def idle_count(self, now: float) -> int:
        """Idle environments alive at ``now``."""
        self.settle(now)
        return len(self._idle)

    def open_idle_seconds(self, now: float) -> float:
        """Environment-seconds spent idle until ``now`` (from the statistics' start) by the environments idle now;
        those no longer idle are in the statistics' ``idle_environment_s``."""
        self.settle(now)
        since = self._stats.since
        return sum(now - max(e[2], since) for e in self._idle)
