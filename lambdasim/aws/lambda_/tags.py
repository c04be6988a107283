"""Tags: ``tag_resource``, ``untag_resource``, ``list_tags``, and ``Tags`` on ``create_function``.

Tags belong to a function, not to its versions or aliases ("Tags apply at the function level, not to versions or
aliases", Lambda developer guide): ``get_function`` returns them as ``Tags`` whatever the qualifier, and a
version's or alias's ARN is refused by all three operations with ``InvalidParameterValueException`` ("Tags on
function aliases and versions are not supported. Please specify a function ARN."), before the function is looked
up. ``Resource`` must be a full ARN (the model's ``TaggableResource`` pattern, else ``ValidationException``); an
ARN of a function that does not exist, or of another account or region, gives ``ResourceNotFoundException``
("Function not found: <unqualified ARN>"), and so does an event source mapping, code signing configuration or
capacity provider ARN ("The resource you requested does not exist."), since lambdasim has none of those.

AWS's limits, checked on ``TagResource`` and ``CreateFunction``: at most 50 tags per function
(``InvalidParameterValueException`` "Number of tags exceeds resource tag limit.", counted after merging), keys of 1
to 128 characters and values of 0 to 256, of letters, numbers, spaces and ``_ . : / = + - @``
(``ValidationException`` naming the whole ``tags`` map, in the words Lambda uses for values). ``TagResource`` with
no tags is refused (``InvalidParameterValueException``), and so is ``UntagResource`` with no keys
(``ValidationException``, as the empty query parameter reaches AWS as null). Removing a key that is not there is
not an error. Keys with AWS's reserved ``aws:`` prefix are not refused here. Tags do not change ``RevisionId`` and
are not part of a published version.

>>> import lambdasim as ls
>>> lam = ls.Simulation(seed=1).client("lambda")
>>> arn = lam.create_function(FunctionName="orders", Tags={"team": "payments"})["FunctionArn"]
>>> _ = lam.tag_resource(Resource=arn, Tags={"stage": "prod"})
>>> _ = lam.untag_resource(Resource=arn, TagKeys=["team"])
>>> lam.list_tags(Resource=arn)["Tags"]
{'stage': 'prod'}
>>> lam.get_function(FunctionName="orders")["Tags"]
{'stage': 'prod'}
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from lambdasim.aws._shapes import Problem, aws_repr
from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase

__all__ = ["KEY_MAX", "TAG_LIMIT", "VALUE_MAX", "TagsMixin", "tag_problems"]

TAG_LIMIT = 50
"""Tags per function (AWS's quota; AWS-reserved ``aws:`` tags, which lambdasim does not make, would not count)."""
KEY_MAX = 128
"""Characters in a tag key (at least 1)."""
VALUE_MAX = 256
"""Characters in a tag value (may be empty)."""

# Lambda's server-side pattern for tag keys and values (its ValidationException prints it; Java's \p classes).
TAG_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
_SYMBOLS = frozenset("_.:/=+-@")
TOO_MANY_TAGS = "Number of tags exceeds resource tag limit."
NO_TAGS = "An error occurred and the request cannot be processed."
QUALIFIED = "Tags on function aliases and versions are not supported. Please specify a function ARN."
NOT_FOUND = "The resource you requested does not exist."
NO_TAG_KEYS = (
    "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"
)


def _allowed(text: str) -> bool:
    """Whether ``text`` fits :data:`TAG_PATTERN`: Unicode letters (L), separators (Z), numbers (N), or a symbol."""
    return all(c in _SYMBOLS or unicodedata.category(c)[0] in "LZN" for c in text)


def _constraint(what: str, low: int, high: int) -> str:
    return (
        f"{what} must satisfy constraint: [Member must have length less than or equal to {high}, Member must have "
        f"length greater than or equal to {low}, Member must satisfy regular expression pattern: {TAG_PATTERN}]"
    )


def tag_problems(tags: Mapping[str, str]) -> list[Problem]:
    """The ``ValidationException`` problems of a ``Tags`` map: its keys if any breaks a limit, else its values.

    The value message is Lambda's as recorded from ``TagResource``; the key message follows it with the keys'
    limits (1 to 128 characters), as Lambda words map-key constraints.
    """
    if any(not (1 <= len(k) <= KEY_MAX and _allowed(k)) for k in tags):
        return [(aws_repr(tags), "tags", _constraint("Map keys", 1, KEY_MAX))]
    if any(not (len(v) <= VALUE_MAX and _allowed(v)) for v in tags.values()):
        return [(aws_repr(tags), "tags", _constraint("Map value", 0, VALUE_MAX))]
    return []


class TagsMixin(LambdaBase):
    """``tag_resource``, ``untag_resource`` and ``list_tags``; tags on functions only."""

    def tag_resource(self, **params: Any) -> dict[str, Any]:
        """Add ``Tags`` to the function ``Resource`` (a full, unqualified ARN); a key given again takes the new
        value. HTTP 204, no body."""
        op = "TagResource"
        self._begin(op, params)
        tags = params["Tags"]
        self._check_tags(op, tags)
        if not tags:
            raise self._invalid(op, NO_TAGS)
        rec = self._taggable(op, params["Resource"])
        merged = {**rec.tags, **tags}
        if len(merged) > TAG_LIMIT:
            raise self._invalid(op, TOO_MANY_TAGS)
        rec.tags = merged
        return {"ResponseMetadata": self._metadata(204)}

    def untag_resource(self, **params: Any) -> dict[str, Any]:
        """Remove the keys ``TagKeys`` from the function ``Resource`` (keys it does not have are ignored). HTTP
        204, no body."""
        op = "UntagResource"
        self._begin(op, params)
        if not params["TagKeys"]:
            # An empty list is an absent query parameter on the wire: the service sees null.
            raise self._fail("ValidationException", NO_TAG_KEYS, op)
        rec = self._taggable(op, params["Resource"])
        for key in params["TagKeys"]:
            rec.tags.pop(key, None)
        return {"ResponseMetadata": self._metadata(204)}

    def list_tags(self, **params: Any) -> dict[str, Any]:
        """``{"Tags": {...}}`` of the function ``Resource`` (``{}`` when it has none)."""
        op = "ListTags"
        self._begin(op, params)
        rec = self._taggable(op, params["Resource"])
        return {"Tags": dict(rec.tags), "ResponseMetadata": self._metadata()}

    # -- helpers ----------------------------------------------------------------------------------------------

    def _check_tags(self, op: str, tags: Mapping[str, str]) -> None:
        problems = tag_problems(tags)
        if problems:
            raise self._validation(op, problems)

    def _new_tags(self, op: str, tags: Mapping[str, str]) -> dict[str, str]:
        """``Tags`` of ``CreateFunction``, checked as ``TagResource`` checks them."""
        self._check_tags(op, tags)
        if len(tags) > TAG_LIMIT:
            raise self._invalid(op, TOO_MANY_TAGS)
        return dict(tags)

    def _taggable(self, op: str, resource: str) -> FunctionRecord:
        """The function a ``Resource`` ARN names (the model's pattern has been checked: a full ARN)."""
        _, partition, _, region, account, kind, ident = resource.split(":", 6)
        if kind != "function":
            raise self._not_found(op, NOT_FOUND)
        name, _, qualifier = ident.partition(":")
        if qualifier:
            raise self._invalid(op, QUALIFIED)
        here = (region, account) == (self._sim.region, self._sim.account_id)
        rec = self._functions.get(name) if here else None
        if rec is None:
            raise self._not_found(op, f"Function not found: arn:{partition}:lambda:{region}:{account}:function:{name}")
        return rec
