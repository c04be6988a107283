"""The EventBridge model lambdasim validates against: botocore's shapes plus lambdasim's documented extensions.

Everything here is botocore's (:mod:`lambdasim.aws.events._shapes`, generated) except what :data:`EXTENSIONS` lists,
each with its reason. ``tests/test_service_shapes.py`` checks that the two differ by exactly these.
"""

from __future__ import annotations

import copy
from typing import Any

from lambdasim.aws.events._shapes import OPERATIONS
from lambdasim.aws.events._shapes import SHAPES as BOTOCORE_SHAPES

__all__ = ["EXTENSIONS", "OPERATIONS", "SHAPES"]

EXTENSIONS: dict[str, str] = {
    "TargetInputPath.min": (
        "0: EventBridge lists 'Member must have length greater than or equal to 0' among an InputPathsMap value's "
        "constraints; botocore's model gives no minimum (a minimum of 0 refuses nothing)"
    ),
    "TargetList.max": (
        "10: the PutTargets API reference says 'The maximum number of entries per request is 10' (botocore's model "
        "says 100); a rule has at most 5 targets anyway"
    ),
}


def _extend(shapes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = copy.deepcopy(shapes)
    out["TargetInputPath"]["min"] = 0
    out["TargetList"]["max"] = 10
    return out


SHAPES: dict[str, dict[str, Any]] = _extend(BOTOCORE_SHAPES)
"""botocore's input shapes with :data:`EXTENSIONS` applied."""
