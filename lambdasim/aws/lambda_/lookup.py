"""How the event sources (SQS mappings, S3 notifications) find a function: the one place they reach the Lambda
control plane, so that it can move (from the client to a Lambda backend) by changing this module alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lambdasim.aws.lambda_._base import FunctionRecord
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.engine import FunctionState
    from lambdasim.core.target import Target

__all__ = ["resolve_function", "resolve_record"]


def resolve_record(sim: Simulation, name: str) -> tuple[FunctionRecord, str | None]:
    """The function a name, ``name:qualifier`` or ARN names, and the qualifier (``None``: unqualified).

    Raises the Lambda client's ``ClientError`` (``ResourceNotFoundException``) for a function or qualifier that does
    not exist, or a name that is not one.
    """
    record, qualifier = sim.client("lambda")._resolve("Invoke", name)
    return record, qualifier


def resolve_function(sim: Simulation, name: str) -> tuple[FunctionState, Target]:
    """The function's runtime state and the target (version) one invoke of ``name`` runs: resolved per invoke, so a
    weighted alias routes each one and a repointed alias is followed."""
    record, qualifier = resolve_record(sim, name)
    return record.state, sim.client("lambda")._target(record, qualifier)
