"""How the event sources (SQS mappings, S3 notifications) find a function: through the Lambda backend, as every
door does (:mod:`lambdasim.aws.lambda_.backend`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lambdasim.aws.lambda_.backend import FunctionRecord
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.engine import FunctionState
    from lambdasim.core.target import Target

__all__ = ["resolve_function", "resolve_record"]


def resolve_record(sim: Simulation, name: str) -> tuple[FunctionRecord, str | None]:
    """The function a name, ``name:qualifier`` or ARN names, and the qualifier (``None``: unqualified).

    Raises :class:`~lambdasim.aws.lambda_.backend.LambdaError` (``ResourceNotFoundException``) for a function or
    qualifier that does not exist, or a name that is not one.
    """
    return sim.services.lambda_.resolve(name)


def resolve_function(sim: Simulation, name: str) -> tuple[FunctionState, Target]:
    """The function's runtime state and the target (version) one invoke of ``name`` runs: resolved per invoke, so a
    weighted alias routes each one and a repointed alias is followed."""
    backend = sim.services.lambda_
    record, qualifier = backend.resolve(name)
    return record.state, backend.target(record, qualifier)
