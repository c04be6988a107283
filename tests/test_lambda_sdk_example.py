"""A program in the style of AWS's Python SDK example for Lambda (a wrapper class taking clients, a scenario that
creates a role, zips a handler in memory, deploys, invokes, updates and reads the function's logs), run against
``sim.client(...)`` unchanged: the same code would run against boto3's clients."""

from __future__ import annotations

import base64
import io
import json
import logging
import zipfile
from typing import Any

from botocore.exceptions import ClientError

import lambdasim as ls

logger = logging.getLogger(__name__)

CALCULATOR = """
import logging
import operator

logger = logging.getLogger()

ACTIONS = {"plus": operator.add, "minus": operator.sub, "times": operator.mul, "divided-by": operator.truediv}


def lambda_handler(event, context):
    action = event.get("action")
    func = ACTIONS.get(action)
    x, y = event.get("x"), event.get("y")
    print(f"Calculating {x} {action} {y}")
    if func is None:
        raise ValueError(f"{action} is not a valid action.")
    return func(x, y)
"""

INCREMENT = """
def lambda_handler(event, context):
    print("Incrementing", event["action"])
    return event["action"] + 1
"""


class LambdaWrapper:
    """Encapsulates Lambda and IAM functions, as AWS's example wrapper does."""

    def __init__(self, lambda_client: Any, iam_resource_client: Any) -> None:
        self.lambda_client = lambda_client
        self.iam_client = iam_resource_client

    @staticmethod
    def create_deployment_package(source_file: str, destination_file: str, source: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            zipped.writestr(destination_file, source)
        buffer.seek(0)
        return buffer.read()

    def get_iam_role(self, iam_role_name: str) -> dict[str, Any] | None:
        try:
            return dict(self.iam_client.get_role(RoleName=iam_role_name)["Role"])
        except ClientError as err:
            if err.response["Error"]["Code"] == "NoSuchEntity":
                logger.info("IAM role %s does not exist.", iam_role_name)
                return None
            raise

    def create_iam_role_for_lambda(self, iam_role_name: str) -> tuple[dict[str, Any], bool]:
        role = self.get_iam_role(iam_role_name)
        if role is not None:
            return role, False
        lambda_assume_role_policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        role = self.iam_client.create_role(
            RoleName=iam_role_name, AssumeRolePolicyDocument=json.dumps(lambda_assume_role_policy)
        )["Role"]
        self.iam_client.attach_role_policy(RoleName=iam_role_name, PolicyArn=policy_arn)
        return dict(role), True

    def create_function(self, function_name: str, handler_name: str, iam_role: dict[str, Any], code: bytes) -> str:
        response = self.lambda_client.create_function(
            FunctionName=function_name,
            Description="AWS Lambda doc example",
            Runtime="python3.12",
            Role=iam_role["Arn"],
            Handler=handler_name,
            Code={"ZipFile": code},
            Publish=True,
        )
        function_arn: str = response["FunctionArn"]
        waiter = self.lambda_client.get_waiter("function_active_v2")
        waiter.wait(FunctionName=function_name)
        return function_arn

    def invoke_function(self, function_name: str, function_params: dict[str, Any], get_log: bool = False) -> Any:
        return self.lambda_client.invoke(
            FunctionName=function_name, Payload=json.dumps(function_params), LogType="Tail" if get_log else "None"
        )

    def update_function_code(self, function_name: str, deployment_package: bytes) -> Any:
        return self.lambda_client.update_function_code(FunctionName=function_name, ZipFile=deployment_package)

    def delete_function(self, function_name: str) -> None:
        self.lambda_client.delete_function(FunctionName=function_name)


def run_scenario(lambda_client: Any, iam_client: Any, logs_client: Any) -> dict[str, Any]:
    wrapper = LambdaWrapper(lambda_client, iam_client)
    role, created = wrapper.create_iam_role_for_lambda("doc-example-iam-role")
    package = wrapper.create_deployment_package("lambda_handler_basic.py", "lambda_handler_basic.py", INCREMENT)
    wrapper.create_function("doc_example_lambda_calculator", "lambda_handler_basic.lambda_handler", role, package)
    first = wrapper.invoke_function("doc_example_lambda_calculator", {"action": 41}, get_log=True)
    calculator = wrapper.create_deployment_package(
        "lambda_handler_calculator.py", "lambda_handler_calculator.py", CALCULATOR
    )
    wrapper.update_function_code("doc_example_lambda_calculator", calculator)
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName="doc_example_lambda_calculator")
    lambda_client.update_function_configuration(
        FunctionName="doc_example_lambda_calculator", Handler="lambda_handler_calculator.lambda_handler"
    )
    answers = [
        json.loads(wrapper.invoke_function("doc_example_lambda_calculator", params)["Payload"].read())
        for params in ({"action": "plus", "x": 5, "y": 3}, {"action": "times", "x": 4, "y": 6}, {"action": "pow"})
    ]
    events = logs_client.filter_log_events(
        logGroupName="/aws/lambda/doc_example_lambda_calculator", filterPattern="Calculating"
    )["events"]
    wrapper.delete_function("doc_example_lambda_calculator")
    return {
        "created": created,
        "first": json.loads(first["Payload"].read()),
        "log": base64.b64decode(first["LogResult"]).decode(),
        "answers": answers,
        "printed": [e["message"] for e in events],
    }


def test_the_sdk_example_scenario_runs_against_the_simulation() -> None:
    sim = ls.Simulation(seed=1)
    out = run_scenario(sim.client("lambda"), sim.client("iam"), sim.client("logs"))
    assert out["created"] is True
    assert out["first"] == 42
    assert "Incrementing 41\n" in out["log"] and out["log"].startswith("START RequestId: ")
    assert out["answers"][:2] == [8, 24]
    assert out["answers"][2]["errorType"] == "ValueError"
    assert out["answers"][2]["errorMessage"] == "pow is not a valid action."
    assert out["printed"] == ["Calculating 5 plus 3\n", "Calculating 4 times 6\n", "Calculating None pow None\n"]
    # The role the scenario made is there for the next run, which finds it rather than creating it.
    again = LambdaWrapper(sim.client("lambda"), sim.client("iam")).create_iam_role_for_lambda("doc-example-iam-role")
    assert again[1] is False
