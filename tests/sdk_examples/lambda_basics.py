"""A Lambda wrapper and a getting-started scenario, in the style of AWS's SDK examples (``lambda_basics.py``)."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

ROLE_ARN = "arn:aws:iam::123456789012:role/doc-example-lambda-role"


class LambdaWrapper:
    """Encapsulates Lambda functions: every call goes through the client it was given."""

    def __init__(self, lambda_client: Any) -> None:
        self.lambda_client = lambda_client

    @staticmethod
    def create_deployment_package(source_file: Path, destination_file: str) -> bytes:
        """A zip holding ``source_file`` under ``destination_file`` (stamped with the file's own time, as AWS's
        example writes it: the same file gives the same package, and the same CodeSha256, in both runs)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            zipped.write(source_file, destination_file)
        buffer.seek(0)
        return buffer.read()

    def get_function(self, function_name: str) -> dict[str, Any] | None:
        """The function's description, or ``None`` if it does not exist."""
        try:
            return dict(self.lambda_client.get_function(FunctionName=function_name))
        except self.lambda_client.exceptions.ResourceNotFoundException:
            logger.info("Function %s does not exist.", function_name)
            return None

    def create_function(self, function_name: str, handler_name: str, role_arn: str, package: bytes) -> str:
        """Deploy ``package`` and wait until the function is active; return its ARN."""
        try:
            response = self.lambda_client.create_function(
                FunctionName=function_name,
                Description="AWS Lambda doc example",
                Runtime="python3.12",
                Role=role_arn,
                Handler=handler_name,
                Code={"ZipFile": package},
                Publish=True,
            )
            waiter = self.lambda_client.get_waiter("function_active_v2")
            waiter.wait(FunctionName=function_name)
        except ClientError as err:
            logger.error("Couldn't create %s: %s", function_name, err.response["Error"]["Message"])
            raise
        return str(response["FunctionArn"])

    def invoke_function(self, function_name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Invoke synchronously; the response with its payload decoded."""
        response = dict(
            self.lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(params), LogType="None")
        )
        response["Payload"] = json.loads(response["Payload"].read())
        return response

    def update_function_code(self, function_name: str, package: bytes) -> dict[str, Any]:
        response = self.lambda_client.update_function_code(FunctionName=function_name, ZipFile=package)
        self.lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function_name)
        return dict(response)

    def update_function_configuration(self, function_name: str, handler: str, env_vars: dict[str, str]) -> Any:
        try:
            response = self.lambda_client.update_function_configuration(
                FunctionName=function_name, Handler=handler, Environment={"Variables": env_vars}
            )
        except ClientError as err:
            logger.error("Couldn't update %s: %s", function_name, err.response["Error"]["Message"])
            raise
        self.lambda_client.get_waiter("function_updated_v2").wait(FunctionName=function_name)
        return response

    def list_functions(self) -> list[str]:
        paginator = self.lambda_client.get_paginator("list_functions")
        return [
            f["FunctionName"]
            for page in paginator.paginate(PaginationConfig={"PageSize": 2})
            for f in page["Functions"]
        ]

    def delete_function(self, function_name: str) -> None:
        self.lambda_client.delete_function(FunctionName=function_name)


def run_scenario(lambda_client: Any) -> dict[str, Any]:
    """Create, invoke, update and delete functions; return what a reader of the example would see."""
    wrapper = LambdaWrapper(lambda_client)
    source = Path(__file__).with_name("lambda_handler_basic.py")
    package = wrapper.create_deployment_package(source, "lambda_handler_basic.py")
    seen: dict[str, Any] = {"before": wrapper.get_function("doc-example-lambda")}
    arn = wrapper.create_function("doc-example-lambda", "lambda_handler_basic.lambda_handler", ROLE_ARN, package)
    seen["arn"] = arn
    seen["increment"] = wrapper.invoke_function("doc-example-lambda", {"action": "increment", "number": 41})
    seen["bad action"] = wrapper.invoke_function("doc-example-lambda", {"action": "decrement", "number": 1})
    updated = wrapper.update_function_code("doc-example-lambda", package)
    seen["code sha"] = updated["CodeSha256"]
    wrapper.update_function_configuration(
        "doc-example-lambda", "lambda_handler_basic.calculator_handler", {"LOG_LEVEL": "DEBUG"}
    )
    seen["calculator"] = [
        wrapper.invoke_function("doc-example-lambda", {"action": a, "x": 6, "y": 3})["Payload"]
        for a in ("plus", "minus", "times", "divided-by")
    ]
    for extra in ("doc-example-extra-1", "doc-example-extra-2"):
        wrapper.create_function(extra, "lambda_handler_basic.lambda_handler", ROLE_ARN, package)
    seen["listed"] = wrapper.list_functions()
    try:
        wrapper.lambda_client.update_function_configuration(FunctionName="doc-example-missing", Timeout=10)
    except ClientError as err:
        seen["missing"] = (err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"])
    for name in ("doc-example-lambda", "doc-example-extra-1", "doc-example-extra-2"):
        wrapper.delete_function(name)
    seen["after"] = wrapper.get_function("doc-example-lambda")
    return seen
