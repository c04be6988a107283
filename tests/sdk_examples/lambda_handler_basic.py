"""The function's code, deployed as a zip: two handlers, as in AWS's Lambda getting-started scenario."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger()


def lambda_handler(event: dict[str, Any], context: Any) -> int:
    """Increment ``event["number"]`` (``action`` must be ``"increment"``)."""
    if event.get("action") != "increment":
        raise ValueError(f"unknown action {event.get('action')!r}")
    return int(event["number"]) + 1


def calculator_handler(event: dict[str, Any], context: Any) -> float:
    """``x <action> y`` for the four arithmetic actions."""
    x, y = event["x"], event["y"]
    actions = {"plus": x + y, "minus": x - y, "times": x * y, "divided-by": x / y if y else float("nan")}
    return float(actions[event["action"]])
