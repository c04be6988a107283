"""Small builders shared by the tests."""

from __future__ import annotations

import json
from typing import Any

import lambdasim as ls


def always_fail(event: Any, context: Any) -> None:
    raise RuntimeError("always fails")


def make(
    handler: Any = None,
    *,
    duration: float = 1.0,
    retries: int | None = None,
    max_age: int | None = None,
    reserved: int | None = None,
    seed: int = 1,
    settings: ls.Settings | None = None,
    timeout: int = 30,
    name: str = "f",
) -> tuple[ls.Simulation, Any]:
    """A traced simulation with one function ``name`` and its Lambda client."""
    sim = ls.Simulation(seed=seed, trace=True, settings=settings)
    lam = sim.client("lambda")
    lam.create_function(FunctionName=name, Handler=handler, Duration=duration, Timeout=timeout)
    eic: dict[str, Any] = {}
    if retries is not None:
        eic["MaximumRetryAttempts"] = retries
    if max_age is not None:
        eic["MaximumEventAgeInSeconds"] = max_age
    if eic:
        lam.put_function_event_invoke_config(FunctionName=name, **eic)
    if reserved is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    return sim, lam


def send(lam: Any, payload: Any = None, name: str = "f") -> str:
    resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload or {}))
    assert resp["StatusCode"] == 202
    return str(resp["ResponseMetadata"]["RequestId"])


def attempts(results: ls.Results, request_id: str | None = None) -> list[tuple[float, float, str]]:
    """``(start, end, kind)`` of every attempt that ran, in order."""
    assert results.trace is not None
    return [
        (t.start, t.end, t.kind)
        for t in results.trace
        if t.kind in ("Success", "Error", "Timeout") and (request_id is None or t.request_id == request_id)
    ]


def throttles(results: ls.Results) -> list[float]:
    assert results.trace is not None
    return [t.start for t in results.trace if t.kind == "Throttled"]


def outcome(results: ls.Results, request_id: str) -> tuple[str, int, float]:
    """``(condition, approximateInvokeCount, time)`` of an event's outcome."""
    assert results.trace is not None
    (entry,) = [t for t in results.trace if t.kind == "Outcome" and t.request_id == request_id]
    return entry.detail, entry.attempt, entry.end


def zip_package(files: dict[str, str] | None = None) -> bytes:
    """A deployment package (.zip, in memory) holding ``files`` (path in the zip -> source)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, source in (files or {"index.py": "def handler(event, context):\n    return event\n"}).items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0)), source)  # the same bytes each run
    return buffer.getvalue()


def zip_modules(*modules: str) -> bytes:
    """A deployment package holding the source of the test modules ``modules`` (dotted names under ``tests``) at
    their paths, with the packages' ``__init__.py`` files, so ``Handler="tests.sample_handlers.echo"`` imports
    from the zip as the runtime would."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files: dict[str, str] = {}
    for module in modules:
        parts = module.split(".")
        for depth in range(1, len(parts)):
            init = Path(*parts[:depth], "__init__.py")
            files[init.as_posix()] = (root / init).read_text()
        path = Path(*parts).with_suffix(".py")
        files[path.as_posix()] = (root / path).read_text()
    return zip_package(files)
