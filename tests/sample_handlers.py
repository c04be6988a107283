"""Handlers imported by name (``Handler="tests.sample_handlers.echo"``), as the Lambda runtime imports them."""

from __future__ import annotations

from typing import Any

NOT_A_HANDLER = 42


def echo(event: Any, context: Any) -> dict[str, Any]:
    """Return the event and the function's name."""
    return {"echo": event, "function": context.function_name}


async def sleeper(event: Any, context: Any) -> dict[str, Any]:
    """Await ``event["s"]`` seconds of simulated time."""
    await context.sleep(event.get("s", 1.0))
    return {"slept": event.get("s", 1.0)}
