"""lambdasim's Lambda API against botocore's own service model (botocore is a test dependency only).

For every operation lambdasim implements: input member names, required members and constraints match the model
(up to the documented extensions of ``lambdasim.aws.lambda_._model.EXTENSIONS``), client-side errors read
exactly as botocore's ``ParamValidator`` reports them, every response's keys and value types fit the output shape,
error codes are ones the model lists, and paginators behave as botocore's own ``Paginator`` driving our client.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from botocore.paginate import Paginator as BotocorePaginator
from botocore.validate import ParamValidator

import lambdasim as ls
from lambdasim.aws.lambda_ import _shapes as _lambda_shapes
from lambdasim.aws.lambda_._model import EXTENSIONS, OPERATIONS, PAGINATORS, SHAPES, input_shape
from lambdasim.aws.lambda_.client import LambdaClient
from lambdasim.aws.paginators import OperationNotPageableError, xform_name
from tests.helpers import zip_package

SESSION = botocore.session.get_session()
MODEL = SESSION.get_service_model("lambda")
PAGING = SESSION.get_paginator_model("lambda")
IMPLEMENTED = sorted(OPERATIONS)
ARN = "arn:aws:lambda:us-east-1:123456789012:function"
ROLE = "arn:aws:iam::123456789012:role/r"


def generator() -> Any:
    path = Path(__file__).resolve().parent.parent / "tools" / "gen_shapes.py"
    spec = importlib.util.spec_from_file_location("gen_shapes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the committed model ----------------------------------------------------------------------------------------


def test_the_committed_model_is_what_the_generator_makes_from_the_installed_botocore() -> None:
    built = generator().build()
    assert built["OPERATIONS"] == _lambda_shapes.OPERATIONS
    assert built["SHAPES"] == _lambda_shapes.SHAPES
    assert built["PAGINATORS"] == _lambda_shapes.PAGINATORS
    assert built["ERROR_CODES"] == _lambda_shapes.ERROR_CODES


def test_the_client_serves_exactly_the_operations_of_the_model_table() -> None:
    public = {name for name in dir(LambdaClient) if not name.startswith("_") and callable(getattr(LambdaClient, name))}
    assert public - {"can_paginate", "get_paginator", "get_waiter"} == {xform_name(op) for op in IMPLEMENTED}
    for op in IMPLEMENTED:
        assert op in MODEL.operation_names
        assert MODEL.operation_model(op).input_shape.name == OPERATIONS[op][0]


def extension_members(shape_name: str) -> list[str]:
    return [key.split(".", 1)[1] for key in EXTENSIONS if key.startswith(f"{shape_name}.") and key[0].isupper()]


@pytest.mark.parametrize("op", IMPLEMENTED)
def test_input_members_and_required_members(op: str) -> None:
    theirs = MODEL.operation_model(op).input_shape
    ours = SHAPES[input_shape(op)]
    added = [m for m in ours["members"] if m not in theirs.members]
    assert list(ours["members"])[: len(theirs.members)] == list(theirs.members)  # same members, same order
    assert set(added) <= set(extension_members(theirs.name)), f"undocumented members {added}"
    required = set(theirs.required_members)
    if f"{theirs.name}.required" in EXTENSIONS:
        assert set(ours["required"]) < required  # relaxed, and documented
    else:
        assert set(ours["required"]) == required


def walk(shape: Shape, seen: set[str]) -> Iterator[Shape]:
    if shape.name in seen:
        return
    seen.add(shape.name)
    yield shape
    if shape.type_name == "structure":
        for member in shape.members.values():
            yield from walk(member, seen)
    elif shape.type_name == "list":
        yield from walk(shape.member, seen)
    elif shape.type_name == "map":
        yield from walk(shape.key, seen)
        yield from walk(shape.value, seen)


@pytest.mark.parametrize("op", IMPLEMENTED)
def test_constraints_match_the_model_except_the_documented_deviations(op: str) -> None:
    for shape in walk(MODEL.operation_model(op).input_shape, set()):
        ours = SHAPES[shape.name]
        assert ours["type"] == shape.type_name
        for constraint in ("min", "max", "enum", "pattern"):
            theirs = shape.metadata.get(constraint)
            if f"{shape.name}.{constraint}" in EXTENSIONS:
                assert ours.get(constraint) != theirs
            else:
                assert ours.get(constraint) == theirs, (shape.name, constraint)


def test_extension_handler_keeps_the_string_constraints() -> None:
    handler = MODEL.shape_for("Handler").metadata
    for request in ("CreateFunctionRequest", "UpdateFunctionConfigurationRequest"):
        ours = SHAPES[SHAPES[request]["members"]["Handler"]]
        assert (ours["type"], ours["max"], ours["pattern"]) == ("any", handler["max"], handler["pattern"])


# -- client-side validation reads as botocore's -------------------------------------------------------------------


def sample(shape: Shape) -> Any:
    """A value botocore accepts for ``shape``."""
    kind = shape.type_name
    if kind == "structure":
        return {name: sample(shape.members[name]) for name in shape.required_members}
    if kind == "string":
        return "x" * max(1, shape.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return shape.metadata.get("min", 1)
    return {"list": [], "map": {}, "boolean": True, "blob": b"", "double": 0.5}[kind]


def botocore_report(op: str, params: dict[str, Any]) -> str:
    return str(ParamValidator().validate(params, MODEL.operation_model(op).input_shape).generate_report())


def our_report(op: str, params: dict[str, Any]) -> str:
    client = ls.Simulation(seed=1).client("lambda")
    with pytest.raises(ls.ParamValidationError) as exc:
        getattr(client, xform_name(op))(**params)
    return str(exc.value.kwargs["report"])


@pytest.mark.parametrize("op", IMPLEMENTED)
def test_param_validation_reports_are_botocores(op: str) -> None:
    shape = MODEL.operation_model(op).input_shape
    valid = sample(shape)
    cases: list[dict[str, Any]] = [{**valid, "Bogus": 1}]
    if shape.required_members:
        cases.append({})
    for name, member in shape.members.items():
        if name not in extension_members(shape.name):
            cases.append({**valid, name: object() if member.type_name != "blob" else 5})
    for params in cases:
        expected = botocore_report(op, params)
        assert expected
        if f"{shape.name}.required" in EXTENSIONS and not params:
            continue  # CreateFunction without Role or Code is allowed here (documented)
        added = [m for m in SHAPES[input_shape(op)]["members"] if m not in shape.members]
        for line in expected.splitlines():
            if line.startswith("Unknown parameter") and added:
                expected = expected.replace(line, f"{line}, {', '.join(added)}")
        assert our_report(op, params) == expected


# -- responses fit the output shapes ------------------------------------------------------------------------------


def conforms(value: Any, shape: Shape, path: str = "") -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), path
        unknown = set(value) - set(shape.members) - ({"ResponseMetadata"} if not path else set())
        assert not unknown, f"{path or shape.name}: keys {sorted(unknown)} are not in {shape.name}"
        for key, item in value.items():
            if key != "ResponseMetadata" or path:
                conforms(item, shape.members[key], f"{path}.{key}")
    elif kind == "list":
        assert isinstance(value, list), path
        for i, item in enumerate(value):
            conforms(item, shape.member, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), path
        for key, item in value.items():
            conforms(key, shape.key, f"{path} key")
            conforms(item, shape.value, f"{path}.{key}")
    elif kind == "string":
        assert isinstance(value, str), path
        if "enum" in shape.metadata:
            assert value in shape.metadata["enum"], path
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), path
    elif kind in ("double", "float"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), path
    elif kind == "boolean":
        assert isinstance(value, bool), path
    elif kind == "timestamp":
        # lambdasim answers epoch seconds where botocore would parse a datetime (spec section 3).
        assert isinstance(value, (datetime.datetime, float, int, str)), path
    elif kind == "blob":
        assert isinstance(value, bytes) or hasattr(value, "read"), path
    else:  # pragma: no cover
        raise AssertionError(f"{path}: unexpected shape type {kind}")


def every_operation() -> dict[str, list[dict[str, Any]]]:
    """Call every implemented operation on its success path at least once; responses by operation."""
    sim = ls.Simulation(seed=3)
    lam = sim.client("lambda")
    got: dict[str, list[dict[str, Any]]] = {op: [] for op in IMPLEMENTED}

    def run(op: str, **params: Any) -> dict[str, Any]:
        resp = getattr(lam, xform_name(op))(**params)
        got[op].append(resp)
        return resp

    run(
        "CreateFunction",
        FunctionName="f",
        Role=ROLE,
        Code={"ZipFile": zip_package({"a.py": ""})},
        Handler=lambda event, context: event,
        Environment={"Variables": {"STAGE": "1"}},
        DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"},
        Tags={"team": "x"},
        Publish=True,
    )
    run("CreateFunction", FunctionName="g")
    run("UpdateFunctionConfiguration", FunctionName="f", MemorySize=256, Description="two")
    run("UpdateFunctionCode", FunctionName="f", ZipFile=zip_package({"b.py": ""}), Publish=True)
    run("PublishVersion", FunctionName="f")
    run(
        "CreateAlias",
        FunctionName="f",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    run("UpdateAlias", FunctionName="f", Name="live", Description="d")
    run("PutProvisionedConcurrencyConfig", FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=2)
    run("GetProvisionedConcurrencyConfig", FunctionName="f", Qualifier="1")
    run("ListProvisionedConcurrencyConfigs", FunctionName="f")
    run("DeleteProvisionedConcurrencyConfig", FunctionName="f", Qualifier="1")
    run("GetAlias", FunctionName="f", Name="live")
    run("ListAliases", FunctionName="f")
    run("ListVersionsByFunction", FunctionName="f", MaxItems=1)
    run("ListFunctions", FunctionVersion="ALL", MaxItems=2)
    run("ListFunctions")
    run("GetFunction", FunctionName="f", Qualifier="live")
    run("GetFunctionConfiguration", FunctionName="f:1")
    run(
        "PutFunctionEventInvokeConfig",
        FunctionName="f",
        Qualifier="live",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q"}},
    )
    run("UpdateFunctionEventInvokeConfig", FunctionName="f:live", MaximumEventAgeInSeconds=60)
    run("GetFunctionEventInvokeConfig", FunctionName="f:live")
    run("PutFunctionEventInvokeConfig", FunctionName="f", MaximumEventAgeInSeconds=100)
    run("ListFunctionEventInvokeConfigs", FunctionName="f", MaxItems=1)
    run("DeleteFunctionEventInvokeConfig", FunctionName="f")
    run("PutFunctionConcurrency", FunctionName="f", ReservedConcurrentExecutions=5)
    run("GetFunctionConcurrency", FunctionName="f")
    run("GetFunction", FunctionName="f")
    run("DeleteFunctionConcurrency", FunctionName="f")
    run("GetFunctionConcurrency", FunctionName="f")
    run("GetAccountSettings")
    run("TagResource", Resource=f"{ARN}:f", Tags={"stage": "prod"})
    run("ListTags", Resource=f"{ARN}:f")
    run("UntagResource", Resource=f"{ARN}:f", TagKeys=["team"])
    run("ListTags", Resource=f"{ARN}:g")
    run("Invoke", FunctionName="f:live", Payload=json.dumps({"a": 1}), LogType="Tail")
    run("Invoke", FunctionName="f", InvocationType="Event", Payload=b"{}")
    run("Invoke", FunctionName="f", InvocationType="DryRun")
    queue = sim.client("sqs").create_queue(QueueName="src")["QueueUrl"]
    source = sim.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    esm = run(
        "CreateEventSourceMapping",
        EventSourceArn=source["QueueArn"],
        FunctionName="f:live",
        BatchSize=100,
        MaximumBatchingWindowInSeconds=5,
        ScalingConfig={"MaximumConcurrency": 2},
        FunctionResponseTypes=["ReportBatchItemFailures"],
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["a"]}})}]},
    )
    run("GetEventSourceMapping", UUID=esm["UUID"])
    run("UpdateEventSourceMapping", UUID=esm["UUID"], Enabled=False, BatchSize=10)
    run("ListEventSourceMappings", FunctionName="f", MaxItems=1)
    run("DeleteEventSourceMapping", UUID=esm["UUID"])
    run(
        "AddPermission",
        FunctionName="f",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::b",
        SourceAccount="123456789012",
    )
    run("GetPolicy", FunctionName="f")
    run("RemovePermission", FunctionName="f", StatementId="s3")
    run("InvokeAsync", FunctionName="f", InvokeArgs=b'{"a": 1}')
    run("DeleteAlias", FunctionName="f", Name="live")
    run("DeleteFunction", FunctionName="f", Qualifier="1")
    run("DeleteFunction", FunctionName="g")
    return got


RESPONSES = every_operation()


@pytest.mark.parametrize("op", IMPLEMENTED)
def test_every_response_fits_the_output_shape(op: str) -> None:
    responses = RESPONSES[op]
    assert responses, f"the scenario does not call {op}"
    output = MODEL.operation_model(op).output_shape
    for resp in responses:
        meta = resp["ResponseMetadata"]
        assert {"RequestId", "HTTPStatusCode", "HTTPHeaders", "RetryAttempts"} <= set(meta)
        if output is None:
            assert set(resp) == {"ResponseMetadata"}
        else:
            conforms(resp, output)


@pytest.mark.parametrize("op", IMPLEMENTED)
def test_success_status_codes_are_the_models(op: str) -> None:
    status = {resp["ResponseMetadata"]["HTTPStatusCode"] for resp in RESPONSES[op]}
    if op == "Invoke":
        assert status == {200, 202, 204}  # RequestResponse, Event, DryRun
    elif op == "DeleteFunction":
        assert status == {204}  # recorded on AWS (the model's StatusCode member carries it)
    else:
        assert status == {OPERATIONS[op][2]}


def test_error_codes_are_modelled_for_their_operation() -> None:
    lam = ls.Simulation(seed=1).client("lambda")
    lam.create_function(FunctionName="f")
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("GetFunction", lambda: lam.get_function(FunctionName="nope")),
        ("CreateFunction", lambda: lam.create_function(FunctionName="f")),
        ("PutFunctionEventInvokeConfig", lambda: lam.put_function_event_invoke_config(FunctionName="f")),
        ("GetFunctionEventInvokeConfig", lambda: lam.get_function_event_invoke_config(FunctionName="f")),
        ("PublishVersion", lambda: lam.publish_version(FunctionName="f", RevisionId="x")),
        ("CreateAlias", lambda: lam.create_alias(FunctionName="f", Name="a", FunctionVersion="5")),
        ("GetAlias", lambda: lam.get_alias(FunctionName="f", Name="a")),
        (
            "PutFunctionConcurrency",
            lambda: lam.put_function_concurrency(FunctionName="f:1", ReservedConcurrentExecutions=1),
        ),
        ("Invoke", lambda: lam.invoke(FunctionName="f", Payload=b"not json")),
        ("TagResource", lambda: lam.tag_resource(Resource=f"{ARN}:f:1", Tags={"a": "b"})),
        ("UntagResource", lambda: lam.untag_resource(Resource=f"{ARN}:nope", TagKeys=["a"])),
        ("ListTags", lambda: lam.list_tags(Resource=f"{ARN}:nope")),
    ]
    for op, call in calls:
        with pytest.raises(ls.ClientError) as exc:
            call()
        assert exc.value.operation_name == op
        code = exc.value.response["Error"]["Code"]
        assert code in {e.name for e in MODEL.operation_model(op).error_shapes}, (op, code)
        assert isinstance(exc.value, getattr(lam.exceptions, code))


# -- paginators ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", IMPLEMENTED)
def test_can_paginate_where_botocore_can(op: str) -> None:
    lam = ls.Simulation(seed=1).client("lambda")
    pageable = op in PAGING._paginator_config
    assert lam.can_paginate(xform_name(op)) is pageable
    if pageable:
        assert dict(PAGING.get_paginator(op)) == PAGINATORS[op]
    else:
        with pytest.raises(OperationNotPageableError, match=f"Operation cannot be paginated: {xform_name(op)}"):
            lam.get_paginator(xform_name(op))


def paging_client() -> Any:
    lam = ls.Simulation(seed=1).client("lambda")
    for n in range(7):
        lam.create_function(FunctionName=f"f{n}")
    return lam


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"PageSize": 1},
        {"PageSize": 3},
        {"MaxItems": 4},
        {"MaxItems": 4, "PageSize": 3},
        {"MaxItems": 6, "PageSize": 4},
        {"MaxItems": 7, "PageSize": 7},
        {"MaxItems": 10, "PageSize": 2},
    ],
)
def test_paginator_pages_and_tokens_are_botocores(config: dict[str, int]) -> None:
    lam = paging_client()
    ours = lam.get_paginator("list_functions")
    theirs = BotocorePaginator(
        lam.list_functions, PAGING.get_paginator("ListFunctions"), MODEL.operation_model("ListFunctions")
    )

    def names(pages: Any) -> list[list[str]]:
        return [[f["FunctionName"] for f in page["Functions"]] for page in pages]

    assert names(ours.paginate(PaginationConfig=dict(config))) == names(theirs.paginate(PaginationConfig=dict(config)))
    full_ours = ours.paginate(PaginationConfig=dict(config)).build_full_result()
    full_theirs = theirs.paginate(PaginationConfig=dict(config)).build_full_result()
    assert full_ours.get("NextToken") == full_theirs.get("NextToken")
    assert [f["FunctionName"] for f in full_ours["Functions"]] == [f["FunctionName"] for f in full_theirs["Functions"]]
    token = full_ours.get("NextToken")
    if token is not None:  # resuming, including inside a page MaxItems cut
        resumed = {**config, "StartingToken": token}
        assert names(ours.paginate(PaginationConfig=dict(resumed))) == names(
            theirs.paginate(PaginationConfig=dict(resumed))
        )


def test_paginator_search_and_other_operations() -> None:
    lam = paging_client()
    found = list(
        lam.get_paginator("list_functions")
        .paginate(PaginationConfig={"PageSize": 2})
        .search("Functions[].FunctionName")
    )
    assert found == [f"f{n}" for n in range(7)]
    lam.publish_version(FunctionName="f0")
    lam.create_alias(FunctionName="f0", Name="a", FunctionVersion="1")
    lam.create_alias(FunctionName="f0", Name="b", FunctionVersion="$LATEST")
    versions = lam.get_paginator("list_versions_by_function").paginate(
        FunctionName="f0", PaginationConfig={"PageSize": 1}
    )
    assert [page["Versions"][0]["Version"] for page in versions] == ["$LATEST", "1"]
    aliases = lam.get_paginator("list_aliases").paginate(FunctionName="f0", PaginationConfig={"MaxItems": 1})
    assert aliases.build_full_result()["Aliases"][0]["Name"] == "a"
