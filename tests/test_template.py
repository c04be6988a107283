"""Templates as scenarios: SAM and CloudFormation templates in the styles of AWS's documentation read into exactly
the Model they state, a run of a template equal bit for bit to a run of the same Model written by hand, and clear
errors for templates that cannot be read or resolved."""

from __future__ import annotations

import json
import warnings

import attrs
import pytest

import lambdasim as ls
from lambdasim.planning.model import EventInvoke, Function, Model
from lambdasim.planning.rules import PutEvents, Rule, RuleTarget
from lambdasim.planning.sources import Bucket, EventSourceMapping, Notification, PutObjects, Queue, SendMessages
from lambdasim.planning.template import TemplateError, TemplateWarning, from_template, read_template
from lambdasim.planning.topics import PublishMessages, Subscription, Topic
from lambdasim.planning.workload import Poisson

pytest.importorskip("yaml")
pytest.importorskip("samtranslator")

ARN = "arn:aws:{}:us-east-1:123456789012:{}"

# -- a SAM application, short forms, in the style of the SAM developer guide -------------------------------------

SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: sam-app - an order pipeline

Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  MemorySize:
    Type: Number
    Default: 256
    MinValue: 128
    MaxValue: 10240
  AliasName:
    Type: String
    Default: live

Mappings:
  StageConfig:
    dev:
      Reserved: 5
      Retries: 0
    prod:
      Reserved: 50
      Retries: 2

Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  BigOrProd: !Or [!Condition IsProd, !Equals [!Ref MemorySize, 1024]]

Globals:
  Function:
    Runtime: python3.12
    Timeout: 20
    MemorySize: !Ref MemorySize
    Architectures:
      - arm64

Resources:
  OrdersQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-orders-${Stage}"
      VisibilityTimeout: 120
      DelaySeconds: 2
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
        maxReceiveCount: 4

  OrdersDLQ:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600

  OrderWorker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/orders/
      Handler: app.handler
      ReservedConcurrentExecutions: !FindInMap [StageConfig, !Ref Stage, Reserved]
      AutoPublishAlias: !Ref AliasName
      ProvisionedConcurrencyConfig: !If
        - IsProd
        - ProvisionedConcurrentExecutions: 3
        - !Ref AWS::NoValue
      Events:
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt OrdersQueue.Arn
            BatchSize: 25
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes:
              - ReportBatchItemFailures
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"kind": ["order"]}}'

  Uploads:
    Type: AWS::S3::Bucket

  Thumbnailer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/thumbnails/
      Handler: app.handler
      MemorySize: 1024
      Timeout: 60
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt ThumbnailDLQ.Arn
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules:
                  - Name: prefix
                    Value: images/
      EventInvokeConfig:
        MaximumRetryAttempts: !FindInMap [StageConfig, !Ref Stage, Retries]
        MaximumEventAgeInSeconds: 3600
        DestinationConfig:
          OnSuccess:
            Type: SNS
            Destination: !Ref Done
          OnFailure:
            Type: SQS
            Destination: !GetAtt Failures.Arn

  ThumbnailDLQ:
    Type: AWS::SQS::Queue

  Done:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - Protocol: sqs
          Endpoint: !GetAtt Audit.Arn

  Audit:
    Type: AWS::SQS::Queue

  Failures:
    Type: AWS::SQS::Queue

  Nightly:
    Type: AWS::Serverless::Function
    Condition: BigOrProd
    Properties:
      CodeUri: src/nightly/
      Handler: app.handler
      Events:
        Schedule:
          Type: Schedule
          Properties:
            Schedule: cron(0 2 * * ? *)
"""

BEHAVIOURS = {
    "OrderWorker": ls.Behaviour(duration=0.3, error_rate=0.05),
    "Thumbnailer": ls.Behaviour(duration=ls.dist.Exponential(mean_s=1.5), error_rate=0.1),
    "Nightly": ls.Behaviour(duration=30.0),
}


def _by_name(items: tuple[object, ...]) -> dict[str, object]:
    return {getattr(i, "name", getattr(i, "queue", None)): i for i in items}


def test_sam_defaults_give_exactly_the_stated_model() -> None:
    model = from_template(SAM, behaviours=BEHAVIOURS)
    assert [f.name for f in model.functions] == ["OrderWorker", "Thumbnailer"]  # Nightly's condition is false
    assert model.function("OrderWorker") == Function(
        name="OrderWorker",
        behaviour=BEHAVIOURS["OrderWorker"],
        timeout_s=20,
        memory_mb=256,
        architecture="arm64",
        reserved_concurrency=5,
        runtime="python3.12",
        alias="live",
    )
    assert model.function("Thumbnailer") == Function(
        name="Thumbnailer",
        behaviour=BEHAVIOURS["Thumbnailer"],
        timeout_s=60,
        memory_mb=1024,
        architecture="arm64",
        runtime="python3.12",
        dead_letter_arn=ARN.format("sqs", "ThumbnailDLQ"),
        event_invoke=EventInvoke(
            maximum_retry_attempts=0,
            maximum_event_age_s=3600,
            on_success=ARN.format("sns", "Done"),
            on_failure=ARN.format("sqs", "Failures"),
        ),
    )
    queues = _by_name(model.queues)
    assert queues["lambdasim-orders-dev"] == Queue(
        name="lambdasim-orders-dev",
        visibility_timeout_s=120,
        delay_s=2,
        max_receive_count=4,
        dead_letter_queue="OrdersDLQ",
    )
    assert queues["OrdersDLQ"] == Queue(name="OrdersDLQ", retention_s=1209600)
    assert set(queues) == {"lambdasim-orders-dev", "OrdersDLQ", "ThumbnailDLQ", "Audit", "Failures"}
    assert model.event_source_mappings == (
        EventSourceMapping(
            queue="lambdasim-orders-dev",
            function="OrderWorker:live",
            batch_size=25,
            batching_window_s=2,
            report_batch_item_failures=True,
            filters=[{"body": {"kind": ["order"]}}],
        ),
    )
    assert model.buckets == (
        Bucket(name="uploads", notifications=[Notification(function="Thumbnailer", prefix="images/")]),
    )
    assert model.topics == (Topic(name="Done", subscriptions=[Subscription(queue="Audit")]),)
    assert model.rules == ()


def test_sam_parameter_overrides_follow_conditions_mappings_and_globals() -> None:
    model = from_template(SAM, parameters={"Stage": "prod", "MemorySize": "1024"}, behaviours=BEHAVIOURS)
    worker = model.function("OrderWorker")
    assert (worker.reserved_concurrency, worker.memory_mb, worker.alias, worker.provisioned_concurrency) == (
        50,
        1024,
        "live",
        3,
    )
    assert model.event_source_mappings[0].function == "OrderWorker:live"  # SAM maps the alias
    assert model.event_source_mappings[0].queue == "lambdasim-orders-prod"
    assert model.function("Thumbnailer").event_invoke == EventInvoke(
        maximum_retry_attempts=2,
        maximum_event_age_s=3600,
        on_success=ARN.format("sns", "Done"),
        on_failure=ARN.format("sqs", "Failures"),
    )
    nightly = model.function("Nightly")  # BigOrProd holds now
    assert (nightly.timeout_s, nightly.memory_mb, nightly.architecture) == (20, 1024, "arm64")
    assert len(model.rules) == 1
    rule = model.rules[0]
    assert (rule.schedule, rule.pattern, rule.enabled, rule.targets) == (
        "cron(0 2 * * ? *)",
        None,
        True,
        (RuleTarget(function="Nightly"),),
    )


def test_a_template_run_equals_the_model_written_by_hand_bit_for_bit() -> None:
    workloads = [
        SendMessages(queue="OrdersQueue", rate=20.0, stop_s=300, body={"kind": "order"}),
        PutObjects(bucket="uploads", prefix="images/", rate=3.0, stop_s=300),
    ]
    model = from_template(
        SAM, parameters={"Stage": "prod"}, behaviours=BEHAVIOURS, workloads=workloads, horizon_s=4 * 3600
    )
    by_hand = Model(
        functions=[
            Function(
                name="OrderWorker",
                behaviour=BEHAVIOURS["OrderWorker"],
                timeout_s=20,
                memory_mb=256,
                architecture="arm64",
                reserved_concurrency=50,
                runtime="python3.12",
                alias="live",
                provisioned_concurrency=3,
            ),
            Function(
                name="Thumbnailer",
                behaviour=BEHAVIOURS["Thumbnailer"],
                timeout_s=60,
                memory_mb=1024,
                architecture="arm64",
                runtime="python3.12",
                dead_letter_arn=ARN.format("sqs", "ThumbnailDLQ"),
                event_invoke=EventInvoke(
                    maximum_retry_attempts=2,
                    maximum_event_age_s=3600,
                    on_success=ARN.format("sns", "Done"),
                    on_failure=ARN.format("sqs", "Failures"),
                ),
            ),
        ],
        queues=[
            Queue(
                name="lambdasim-orders-prod",
                visibility_timeout_s=120,
                delay_s=2,
                max_receive_count=4,
                dead_letter_queue="OrdersDLQ",
            ),
            Queue(name="OrdersDLQ", retention_s=1209600),
            Queue(name="ThumbnailDLQ"),
            Queue(name="Audit"),
            Queue(name="Failures"),
        ],
        event_source_mappings=[
            EventSourceMapping(
                queue="lambdasim-orders-prod",
                function="OrderWorker:live",
                batch_size=25,
                batching_window_s=2,
                report_batch_item_failures=True,
                filters=[{"body": {"kind": ["order"]}}],
            )
        ],
        buckets=[Bucket(name="uploads", notifications=[Notification(function="Thumbnailer", prefix="images/")])],
        topics=[Topic(name="Done", subscriptions=[Subscription(queue="Audit")])],
        workloads=[
            SendMessages(queue="lambdasim-orders-prod", rate=20.0, stop_s=300, body={"kind": "order"}),
            PutObjects(bucket="uploads", prefix="images/", rate=3.0, stop_s=300),
        ],
        horizon_s=4 * 3600,
    )
    # The template's Nightly function (a cron rule) is in the template's model only: compare without it.
    assert model.function("Nightly") is not None
    model = attrs.evolve(
        model,
        functions=[f for f in model.functions if f.name != "Nightly"],
        rules=[],
    )
    assert model == by_hand
    a = json.dumps(model.run(seed=3).to_dict(), sort_keys=True, default=str)
    b = json.dumps(by_hand.run(seed=3).to_dict(), sort_keys=True, default=str)
    assert a == b
    results = json.loads(a)
    assert results["functions"]["Thumbnailer"]["async_events_received"] > 500  # the run did real work
    assert results["queues"]["lambdasim-orders-prod"]["sent"] > 5000


# -- a CloudFormation stack, long forms, JSON -------------------------------------------------------------------

CFN = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {
        "Env": {"Type": "String", "Default": "test"},
        "Weights": {"Type": "CommaDelimitedList", "Default": "0.25,0.75"},
    },
    "Conditions": {"IsTest": {"Fn::Equals": [{"Ref": "Env"}, "test"]}},
    "Resources": {
        "Jobs": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": {"Fn::Join": ["-", ["jobs", {"Ref": "Env"}, ".fifo"]]},
                "FifoQueue": True,
                "ContentBasedDeduplication": "true",
                "VisibilityTimeout": "300",
                "RedrivePolicy": {
                    "Fn::Sub": [
                        '{"deadLetterTargetArn": "${Dlq}", "maxReceiveCount": 5}',
                        {"Dlq": {"Fn::GetAtt": ["JobsDlq", "Arn"]}},
                    ]
                },
            },
        },
        "JobsDlq": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
        "Worker": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": {"Fn::Sub": "${AWS::StackName}-worker"},
                "Runtime": "nodejs20.x",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["WorkerRole", "Arn"]},
                "Code": {"ZipFile": "exports.handler = async () => {}"},
                "Timeout": 45,
                "MemorySize": {"Fn::If": ["IsTest", 512, 2048]},
                "ReservedConcurrentExecutions": 30,
            },
        },
        "WorkerRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "WorkerV1": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Worker"}}},
        "WorkerV2": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Worker"}}},
        "WorkerLive": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "Name": "live",
                "FunctionName": {"Ref": "Worker"},
                "FunctionVersion": {"Fn::GetAtt": ["WorkerV1", "Version"]},
                "RoutingConfig": {
                    "AdditionalVersionWeights": [
                        {
                            "FunctionVersion": {"Fn::GetAtt": ["WorkerV2", "Version"]},
                            "FunctionWeight": {"Fn::Select": [0, {"Ref": "Weights"}]},
                        }
                    ]
                },
                "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 4},
            },
        },
        "WorkerEic": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": {"Ref": "Worker"},
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 1,
                "MaximumEventAgeInSeconds": 600,
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["Alerts", "TopicArn"]}}},
            },
        },
        "JobsMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {"Fn::GetAtt": ["Jobs", "Arn"]},
                "FunctionName": {"Ref": "WorkerLive"},
                "BatchSize": 10,
                "Enabled": "false",
            },
        },
        "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        "AlertsToWorker": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "Alerts"},
                "Protocol": "lambda",
                "Endpoint": {"Fn::GetAtt": ["Worker", "Arn"]},
                "FilterPolicy": {"severity": ["high"]},
            },
        },
        "OrderPlaced": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {"source": ["shop.orders"], "detail-type": ["OrderPlaced"]},
                "Targets": [
                    {"Id": "w", "Arn": {"Fn::GetAtt": ["Worker", "Arn"]}, "InputPath": "$.detail"},
                    {"Id": "a", "Arn": {"Ref": "Alerts"}},
                ],
            },
        },
        "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": "{}"}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api"}},
    },
}


def test_cloudformation_json_long_forms_give_exactly_the_stated_model() -> None:
    with pytest.warns(TemplateWarning) as caught:
        model = from_template(json.dumps(CFN, indent=1), behaviours={"Worker": ls.Behaviour(duration=1.0)})
    assert len(caught) == 1  # one warning, listing every resource lambdasim does not model
    message = str(caught[0].message)
    assert "Dashboard (AWS::CloudWatch::Dashboard)" in message and "Api (AWS::ApiGateway::RestApi)" in message
    assert "WorkerRole (AWS::IAM::Role)" in message
    assert model.functions == (
        Function(
            name="lambdasim-worker",
            behaviour=ls.Behaviour(duration=1.0),
            timeout_s=45,
            memory_mb=512,
            reserved_concurrency=30,
            runtime="nodejs20.x",
            alias="live",
            alias_routing=0.25,
            provisioned_concurrency=4,
            event_invoke=EventInvoke(
                maximum_retry_attempts=1, maximum_event_age_s=600, on_failure=ARN.format("sns", "alerts")
            ),
        ),
    )
    assert model.queues == (
        Queue(
            name="jobs-test-.fifo",
            visibility_timeout_s=300,
            content_based_deduplication=True,
            max_receive_count=5,
            dead_letter_queue="JobsDlq.fifo",
        ),
        Queue(name="JobsDlq.fifo"),
    )
    assert model.event_source_mappings == (
        EventSourceMapping(queue="jobs-test-.fifo", function="lambdasim-worker:live", enabled=False),
    )
    assert model.topics == (
        Topic(
            name="alerts",
            subscriptions=[Subscription(function="lambdasim-worker", filter_policy={"severity": ["high"]})],
        ),
    )
    assert model.rules == (
        Rule(
            name="OrderPlaced",
            pattern={"source": ["shop.orders"], "detail-type": ["OrderPlaced"]},
            targets=[RuleTarget(function="lambdasim-worker", input_path="$.detail"), RuleTarget(topic="alerts")],
        ),
    )


def test_the_cloudformation_stack_runs_events_topics_and_weighted_aliases() -> None:
    workloads = [
        PutEvents(source="shop.orders", detail_type="OrderPlaced", rate=2.0, stop_s=200, detail={"id": 1}),
        PublishMessages(topic="Alerts", rate=1.0, stop_s=200),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateWarning)
        model = from_template(
            json.dumps(CFN), behaviours={"Worker": ls.Behaviour(duration=0.5)}, workloads=workloads, horizon_s=400
        )
    sim = model.build(seed=5)
    results = sim.run(until=400)
    worker = results.functions["lambdasim-worker"]
    put = sim.services.events.bus("default").events
    # Each OrderPlaced event invokes the worker once (and goes to the topic, as the topic's own messages do); none
    # of the topic's messages carries the severity attribute its subscription's filter policy asks for.
    assert put > 300
    assert worker["async_events_received"] == put
    assert worker["outcomes"]["Success"] == put
    alias = sim.client("lambda").get_alias(FunctionName="lambdasim-worker", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}


# -- errors ----------------------------------------------------------------------------------------------------

FUNCTION = "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: x\n      Timeout: {}\n"
OK = {"F": ls.Behaviour(duration=0.1)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Resources:\n  F:\n   Type: x\n  - y\n", "invalid YAML: line 4 column 3"),
        ("Resources:\n  F:\n    Type: !Foo x\n", "line 3: unknown tag !Foo"),
        (
            FUNCTION.format("{'Fn::Foo': 1}"),
            "Resources.F.Properties.Timeout (line 6): unknown intrinsic function 'Fn::Foo'",
        ),
        (FUNCTION.format("abc"), "Resources.F.Properties.Timeout (line 6): must be an integer, got 'abc'"),
        (FUNCTION.format("[3]"), "Resources.F.Properties.Timeout (line 6): must be an integer, got [3]"),
        (FUNCTION.format("true"), "Resources.F.Properties.Timeout (line 6): must be an integer, got True"),
        (FUNCTION.format("1000"), "Resources.F.Properties.Timeout (line 6): must be in [1, 900], got 1000"),
        (FUNCTION.format("!ImportValue shared"), "Fn::ImportValue 'shared' reads another stack's exports"),
        (FUNCTION.format("!Ref Nope"), "Ref to 'Nope', which is no parameter, pseudo parameter or resource"),
        (
            FUNCTION.format("!GetAtt Q.Nope") + "  Q:\n    Type: AWS::SQS::Queue\n",
            "Q.Nope: AWS::SQS::Queue has attributes",
        ),
        (FUNCTION.format("!Select [5, [1, 2]]"), "Fn::Select's index must be in [0, 1]"),
        (FUNCTION.format("!FindInMap [M, a, b]"), "Fn::FindInMap: no map 'M'"),
        (FUNCTION.format("!Equals [1, 1]"), "Fn::Equals is allowed only in the Conditions section"),
        (FUNCTION.format("!Cidr [a, 1, 2]"), "Fn::Cidr is CloudFormation's, but lambdasim does not resolve it"),
        (
            "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !GetAtt B.QueueName\n"
            "  B:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '${A.QueueName}-b'\n",
            "Circular dependency between resources: [A, B]",
        ),
        (
            "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n" + FUNCTION.format("!If [A, 1, 2]"),
            "circular condition: A -> B -> A",
        ),
        ("X: &a 1\n" + FUNCTION.format("*a"), "YAML aliases (*a) are not supported by CloudFormation"),
        (FUNCTION.format("3") + "      Timeout: 4\n", "line 7: key 'Timeout' appears twice"),
        ('{"Resources": {"F": }}', "invalid JSON: line 1 column 21"),
        ("Globals:\n  Function: {}\n" + FUNCTION.format("3"), "Globals: is a SAM section"),
        ("- a\n- b\n", "a template is a mapping with a Resources section"),
        ("Description: nothing\n", "Resources: a template needs a Resources section"),
        (
            "Resources:\n  F:\n    Properties: {}\n",
            "Resources.F (line 2): must be a mapping with a Type (such as AWS::SQS::Queue)",
        ),
        (
            "Parameters:\n  T:\n    Type: Number\n" + FUNCTION.format("!Ref T"),
            "Parameters.T (line 2): has no Default: give its value in parameters",
        ),
        (
            "Parameters:\n  T:\n    Type: Number\n    Default: ten\n" + FUNCTION.format("!Ref T"),
            "Parameters.T (line 2): Type Number: 'ten' is not a number",
        ),
        (
            "Parameters:\n  T:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /app/timeout\n"
            + FUNCTION.format("!Ref T"),
            "read from SSM Parameter Store",
        ),
        (FUNCTION.format("3") + "      Architectures: [x86_64, arm64]\n", "must hold exactly one architecture"),
        (
            FUNCTION.format("3") + "      Runtime: python2.7\n",
            "Resources.F.Properties.Runtime: InvalidParameterValueException",
        ),
    ],
)
def test_malformed_templates_get_a_clear_error(text: str, expected: str) -> None:
    with pytest.raises(TemplateError) as caught:
        from_template(text, behaviours=OK)
    assert expected in str(caught.value)
    assert str(caught.value).startswith("<template>: ")


def test_parameters_are_checked() -> None:
    text = (
        "Parameters:\n  Env:\n    Type: String\n    Default: dev\n    AllowedValues: [dev, prod]\n"
        + FUNCTION.format("3")
    )
    with pytest.raises(
        TemplateError, match=r"parameter 'Stage' is given but not declared; the template's are \['Env'\]"
    ):
        from_template(text, parameters={"Stage": "x"}, behaviours=OK)
    with pytest.raises(TemplateError, match=r"Parameters.Env \(line 2\): 'test' is not among AllowedValues"):
        from_template(text, parameters={"Env": "test"}, behaviours=OK)
    assert from_template(text, parameters={"Env": "prod"}, behaviours=OK).function("F").timeout_s == 3


def test_every_function_without_a_behaviour_is_named_in_one_error() -> None:
    text = FUNCTION.format("3") + "  G:\n    Type: AWS::Lambda::Function\n    Properties: {FunctionName: gee}\n"
    with pytest.raises(TemplateError, match=r"functions without a behaviour: F, G \(gee\)\. lambdasim does not run"):
        from_template(text)
    with pytest.raises(TemplateError, match=r"functions without a behaviour: G \(gee\)"):
        from_template(text, behaviours=OK)
    with pytest.raises(TemplateError, match=r"behaviours: 'H' is no function of the template; functions: F, G \(gee\)"):
        from_template(text, behaviours={**OK, "H": ls.Behaviour()})
    model = from_template(text, behaviours={**OK, "gee": ls.Behaviour(duration=2.0)})  # by name works too
    assert model.function("gee").behaviour == ls.Behaviour(duration=2.0)


def test_a_resource_whose_condition_is_false_is_not_created_and_cannot_be_named() -> None:
    text = (
        "Conditions:\n  Never: !Equals [a, b]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Condition: Never\n"
        "  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      DeadLetterConfig:\n"
        "        TargetArn: !GetAtt Q.Arn\n"
    )
    with pytest.raises(TemplateError, match=r"refers to resource 'Q', which is not created \(its condition 'Never'"):
        from_template(text, behaviours=OK)


def test_the_sam_translator_s_refusal_names_the_resource() -> None:
    text = (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      Handler: a.b\n      Runtime: python3.12\n      Events:\n        Q:\n"
        "          Type: SQS\n          Properties: {BatchSize: 5}\n"
    )
    with pytest.raises(
        TemplateError,
        match=r"Transform: the SAM transform refused the template: Resource with id \[FQ\] is invalid\. Missing "
        r"required property 'Queue'",
    ):
        from_template(text, behaviours=OK)


def test_settings_lambdasim_does_not_model_are_listed_in_the_one_warning() -> None:
    text = (
        FUNCTION.format("3") + "      SnapStart: {ApplyOn: PublishedVersions}\n      Environment: {Variables: {A: b}}\n"
    )
    read = read_template(text, behaviours=OK)
    assert read.unmodelled == ("F.SnapStart",)  # Environment changes nothing simulated
    with pytest.warns(TemplateWarning, match=r"not simulated \(lambdasim does not model them\): F\.SnapStart"):
        from_template(text, behaviours=OK)


def test_a_template_file_is_read_and_refused_like_a_scenario_file(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    path = folder / "t.yaml"
    path.write_text(FUNCTION.format("7"))
    assert from_template(path, behaviours=OK).function("F").timeout_s == 7
    with pytest.raises(TemplateError, match=r"missing\.yaml: no such file"):
        from_template(folder / "missing.yaml")
    with pytest.raises(TemplateError, match=r"is a directory"):
        from_template(folder)
    with pytest.raises(TemplateError, match=r"not a regular file"):
        from_template("/dev/zero")
    (folder / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TemplateError, match=r"not UTF-8"):
        from_template(folder / "bin.yaml")
    (folder / "t2.yaml").write_text(FUNCTION.format("abc"))
    with pytest.raises(
        TemplateError, match=r"t2\.yaml: Resources\.F\.Properties\.Timeout \(line 6\): must be an integer"
    ):
        from_template(folder / "t2.yaml", behaviours=OK)


def test_deeply_nested_templates_are_refused_without_recursion() -> None:
    with pytest.raises(TemplateError, match="nested too deeply"):
        from_template("{" + '"a": [' * 5000 + "]" * 5000 + "}")
    with pytest.raises(TemplateError, match=r"nested too deeply|invalid YAML"):
        from_template("Resources:\n  X: " + "[" * 5000 + "]" * 5000 + "\n")


def test_workloads_may_name_resources_by_logical_id() -> None:
    model = from_template(
        SAM,
        behaviours=BEHAVIOURS,
        workloads=[
            SendMessages(queue="OrdersQueue", rate=1.0, stop_s=10),
            Poisson(function="OrderWorker", rate_per_s=1, stop_s=5),
        ],
    )
    assert model.workloads[0] == SendMessages(queue="lambdasim-orders-dev", rate=1.0, stop_s=10)


# -- streams: read into lambdasim.Stream / StreamEventSourceMapping where lambdasim has them ----------------------

STREAMS = """\
Resources:
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 3, RetentionPeriodHours: 48}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Plain:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: plain}
  Failed:
    Type: AWS::SQS::Queue
  F:
    Type: AWS::Lambda::Function
    Properties: {Handler: x}
  ClicksMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Clicks.Arn
      FunctionName: !Ref F
      StartingPosition: LATEST
      BatchSize: 200
      MaximumBatchingWindowInSeconds: 1
      ParallelizationFactor: 4
      BisectBatchOnFunctionError: "true"
      MaximumRetryAttempts: -1
      MaximumRecordAgeInSeconds: 600
      TumblingWindowInSeconds: 30
      FunctionResponseTypes: [ReportBatchItemFailures]
      DestinationConfig: {OnFailure: {Destination: !GetAtt Failed.Arn}}
      FilterCriteria: {Filters: [{Pattern: '{"data": {"kind": ["click"]}}'}]}
  OrdersMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Orders.StreamArn
      FunctionName: !Ref F
      StartingPosition: TRIM_HORIZON
"""


def test_stream_resources_build_streams_and_their_mappings() -> None:
    with pytest.warns(TemplateWarning, match=r"Plain \(AWS::DynamoDB::Table without a stream\)"):
        model = from_template(STREAMS, behaviours=OK)
    assert model.streams == (
        ls.Stream(name="Clicks", source="kinesis", shards=3, retention_hours=48),
        ls.Stream(name="orders", source="dynamodb", view_type="NEW_IMAGE"),
    )
    assert [m for m in model.event_source_mappings if isinstance(m, ls.StreamEventSourceMapping)] == [
        ls.StreamEventSourceMapping(
            stream="Clicks",
            function="F",
            starting_position="LATEST",
            batch_size=200,
            batching_window_s=1,
            parallelization_factor=4,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=-1,
            maximum_record_age_s=600,
            tumbling_window_s=30,
            report_batch_item_failures=True,
            on_failure=ARN.format("sqs", "Failed"),
            filters=[{"data": {"kind": ["click"]}}],
        ),
        ls.StreamEventSourceMapping(stream="orders", function="F", starting_position="TRIM_HORIZON"),
    ]


def test_a_stream_template_runs_as_the_same_model_written_by_hand_bit_for_bit() -> None:
    """Records put on the template's Kinesis stream reach the function through its mapping, exactly as through the
    model written by hand."""
    workload = ls.PutRecords(stream="Clicks", rate=20.0, stop_s=100.0, keys=16)
    unfiltered = STREAMS.replace(
        """      FilterCriteria: {Filters: [{Pattern: '{"data": {"kind": ["click"]}}'}]}\n""", ""
    )
    assert unfiltered != STREAMS
    with pytest.warns(TemplateWarning):  # the table without a stream
        template = from_template(unfiltered, behaviours=OK, workloads=[workload], horizon_s=120)
    by_hand = Model(
        functions=template.functions,
        queues=template.queues,
        streams=template.streams,
        event_source_mappings=template.event_source_mappings,
        workloads=[workload],
        horizon_s=120,
    )
    a, b = template.run(seed=5), by_hand.run(seed=5)
    assert a.to_dict() == b.to_dict()
    assert a.functions["F"]["invocations"] > 0
    clicks = next(m for m in a.stream_mappings.values() if m["stream"] == "Clicks")
    assert clicks["processed"] == clicks["taken"]  # every record read was processed
    assert abs(clicks["taken"] - 20.0 * 100) < 4 * (20.0 * 100) ** 0.5  # Poisson(2,000) records put, within 4 sd


def test_a_rule_target_s_input_is_json_text() -> None:
    text = FUNCTION.format("3") + (
        "  R:\n    Type: AWS::Events::Rule\n    Properties:\n      ScheduleExpression: rate(5 minutes)\n"
        '      Targets:\n        - Id: a\n          Arn: !GetAtt F.Arn\n          Input: \'{"report": "daily"}\'\n'
    )
    model = from_template(text, behaviours=OK)
    assert model.rules == (
        Rule(name="R", schedule="rate(5 minutes)", targets=[RuleTarget(function="F", input={"report": "daily"})]),
    )
    with pytest.raises(
        TemplateError, match=r"Resources\.R\.Properties\.Targets \(line \d+\): \[0\]\.Input must be JSON"
    ):
        from_template(text.replace('\'{"report": "daily"}\'', "'{oops'"), behaviours=OK)


def test_a_sam_function_without_code_and_a_schedule_event() -> None:
    text = (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      Handler: a.b\n      Runtime: python3.12\n      Events:\n        Tick:\n"
        "          Type: Schedule\n          Properties:\n            Schedule: rate(1 minute)\n"
    )
    model = from_template(text, behaviours={"Fn": ls.Behaviour(duration=1.0)}, horizon_s=630)
    assert model.rules == (Rule(name="FnTick", schedule="rate(1 minute)", targets=[RuleTarget(function="Fn")]),)
    assert model.run(seed=0).functions["Fn"]["outcomes"]["Success"] == 10  # at 60, 120, ..., 600 s


def test_the_sam_translator_leaves_no_log_behind(caplog: pytest.LogCaptureFixture) -> None:
    import gc

    from_template(SAM, behaviours=BEHAVIOURS)
    gc.collect()
    assert "unpublished metrics" not in caplog.text


def test_a_mapping_of_a_queue_whose_visibility_timeout_is_under_the_function_s_timeout_is_refused() -> None:
    text = SAM.replace("VisibilityTimeout: 120", "VisibilityTimeout: 10")
    with pytest.raises(
        TemplateError,
        # SAM made this resource: it has no line of the template
        match=r"Resources\.OrderWorkerOrders\.Properties\.EventSourceArn: InvalidParameterValueException: Queue "
        r"visibility timeout: 10 seconds is less than Function timeout: 20 seconds",
    ):
        from_template(text, behaviours=BEHAVIOURS)
