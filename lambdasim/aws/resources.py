"""boto3 resources built on the native clients: ``lambdasim.resource(sim, "sqs")``.

boto3 builds a resource from the service's resource model (``resources-1.json``) and a client, whose
``meta.service_model`` describes the operations; ``boto3.Session.resource`` makes a botocore client for it. Here
the client is the simulation's own (``sim.client(service)``, which has botocore's ``meta.service_model``), so every
action, collection and attribute load is a direct call of the fast door, without botocore's request pipeline. The
resource classes are boto3's own, built by boto3's ``ResourceFactory``.

Under :func:`lambdasim.mock_aws`, ``boto3.resource(...)`` works as it is; this is the same without botocore's
pipeline (about a hundred times cheaper per call, see the performance page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["resource"]


def resource(sim: Simulation, service_name: str) -> Any:
    """boto3's service resource of ``service_name`` (``"sqs"``, ``"sns"``, ``"s3"``, ...) on ``sim``'s native client.

    Raises ``ImportError`` naming the extra to install when boto3 is not installed, and ``ValueError`` when boto3
    has no resource model for the service (Lambda, EventBridge) or lambdasim does not simulate it.
    """
    try:
        import boto3
        import boto3.utils
        from botocore.exceptions import UnknownServiceError
    except ImportError:
        raise ImportError("lambdasim.resource builds boto3's resources: pip install 'lambdasim[boto3]'") from None
    client = sim.client(service_name)
    session = boto3.Session(region_name=sim.region)
    if service_name not in session.get_available_resources():
        raise ValueError(
            f"boto3 has no resource model for {service_name!r}; it has: {session.get_available_resources()}"
        )
    try:
        model = session._loader.load_service_model(service_name, "resources-1")
    except UnknownServiceError as exc:  # pragma: no cover - listed above, so the model exists
        raise ValueError(str(exc)) from None
    context = boto3.utils.ServiceContext(
        service_name=service_name,
        service_model=client.meta.service_model,
        resource_json_definitions=model["resources"],
        service_waiter_model=boto3.utils.LazyLoadedWaiterModel(session._session, service_name, None),
    )
    cls = session.resource_factory.load_from_definition(
        resource_name=service_name, single_resource_json_definition=model["service"], service_context=context
    )
    return cls(client=client)
