"""SAM templates (``Transform: AWS::Serverless-2016-10-31``) expanded into CloudFormation by AWS's own translator,
``aws-sam-translator`` (``pip install 'lambdasim[template]'``), offline.

The translator runs as CloudFormation runs it, with three things supplied that it would otherwise ask AWS for:

- the region (``us-east-1``, the simulated account's), instead of a boto3 session's;
- the managed policies' ARNs (``arn:aws:iam::aws:policy/<name>`` for any name, :class:`ManagedPolicies`), instead
  of IAM's list: lambdasim does not enforce IAM, so the role's policies only need to translate;
- a stand-in S3 location for code given as a local path (``CodeUri: src/``, or none: the template's folder, as
  ``sam build`` takes it), which ``sam package`` would upload: the code is never run.
"""

from __future__ import annotations

import copy
from typing import Any

from lambdasim.planning.template.intrinsics import ACCOUNT, REGION, TemplateError

__all__ = ["SAM_TRANSFORM", "ManagedPolicies", "expand", "is_sam"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LOCAL_CODE = "s3://lambdasim-local-code/"
"""Where a local ``CodeUri`` is said to be: the translator needs an S3 location; nothing is read from it."""

_CODE_PROPERTIES = ("CodeUri", "ContentUri", "DefinitionUri")


class ManagedPolicies(dict[str, str]):
    """Every AWS managed policy name, as its ARN (``arn:aws:iam::aws:policy/<name>``): the translator's policy
    map without asking IAM."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __getitem__(self, key: str) -> str:
        return f"arn:aws:iam::aws:policy/{key}"

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if isinstance(key, str) else default


def is_sam(template: dict[str, Any]) -> bool:
    """Whether the template asks for the SAM transform."""
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def _local_code(template: dict[str, Any]) -> dict[str, Any]:
    """A copy with local code paths replaced by :data:`LOCAL_CODE` locations."""
    out = copy.deepcopy(template)
    found = out.get("Globals")
    globals_: dict[str, Any] = found if isinstance(found, dict) else {}
    places: list[Any] = list(globals_.values())
    global_code = isinstance(globals_.get("Function"), dict) and "CodeUri" in globals_["Function"]
    for res in (out.get("Resources") or {}).values():
        if isinstance(res, dict) and str(res.get("Type", "")).startswith("AWS::Serverless::"):
            props = res.setdefault("Properties", {})
            places.append(props)
            code = ("CodeUri", "InlineCode", "ImageUri")
            function = res["Type"] == "AWS::Serverless::Function" and isinstance(props, dict)
            if function and not global_code and not any(k in props for k in code):
                props["CodeUri"] = "."  # what `sam build` takes when none is given: the template's folder
    for props in places:
        if not isinstance(props, dict):
            continue
        for key in _CODE_PROPERTIES:
            value = props.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                props[key] = LOCAL_CODE + (value.strip("./") or "code")
    return out


def expand(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of ``template`` (``parameters``: the values of the
    template's parameters). Raises :class:`TemplateError` with the translator's message, naming the resource."""
    try:
        from samtranslator.model.exceptions import InvalidDocumentException, InvalidResourceException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except ImportError:
        raise ImportError(
            "a SAM template (Transform: AWS::Serverless-2016-10-31) is expanded by AWS's aws-sam-translator: "
            "pip install 'lambdasim[template]'"
        ) from None

    class Region:
        region_name = REGION

    policies = ManagedPolicies()
    values = {**parameters, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
    translator = Translator(policies, Parser(), boto_session=Region())
    try:
        expanded: dict[str, Any] = translator.translate(
            _local_code(template), parameter_values=values, get_managed_policy_map=lambda: policies
        )
    except InvalidDocumentException as exc:
        problems = []
        for cause in exc.causes:
            lid = getattr(cause, "logical_id", None) if isinstance(cause, InvalidResourceException) else None
            message = " ".join(str(getattr(cause, "message", cause)).split())
            problems.append(f"Resources.{lid}: {message}" if lid else message)
        raise TemplateError("Transform", "the SAM transform refused the template: " + "; ".join(problems)) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TemplateError("Transform", f"the SAM transform failed: {' '.join(str(exc).split())}") from None
    finally:
        # The translator records usage metrics for AWS's own service; its no-op publisher drops them (unpublished,
        # they would be logged as a warning when the translator is collected).
        translator.metrics.publish()
    return expanded
