"""The walk that SNS filter policies and EventBridge event patterns share: a pattern is a tree of JSON objects whose
leaves are matched against the document's values at the same path, every key must match, and ``"$or"`` holds
alternatives. What a leaf means (and the whole grammar's checks) is each service's own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["match_tree"]


def match_tree(pattern: Mapping[str, Any], document: Any, leaf: Callable[[Any, Any], bool], missing: Any) -> bool:
    """Whether ``document`` (a JSON object) matches ``pattern``: ``leaf(spec, value)`` decides each leaf, with
    ``missing`` as the value of a key the document does not have."""
    if not isinstance(document, dict):
        return False
    for key, spec in pattern.items():
        if key == "$or":
            if not any(match_tree(part, document, leaf, missing) for part in spec):
                return False
            continue
        value = document.get(key, missing)
        if isinstance(spec, dict):
            if not match_tree(spec, value if isinstance(value, dict) else {}, leaf, missing):
                return False
        elif not leaf(spec, value):
            return False
    return True
