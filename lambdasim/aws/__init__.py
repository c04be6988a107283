"""The simulated AWS account: :class:`~lambdasim.aws.simulation.Simulation`, the Lambda service backend and the
services around it (SQS, SNS, EventBridge, S3, CloudWatch), each a backend plus a thin boto3-shaped client.

As moto splits a service's backend from its responses, each service here has a ``backend`` (the state and rules of
the service, in AWS's vocabulary, raising :class:`~lambdasim.aws.account.ServiceError` or the Lambda backend's
errors) and a ``client`` (botocore's request validation, response shapes and ``ClientError`` layout). Everything
inside the simulation (the engine's destinations, the Pythonic model, other services) calls backends, never clients.
Imports run one way: :mod:`lambdasim.core` <- ``lambdasim.aws``.
"""
