"""What every boto3-shaped client shares: the simulation, response metadata and ``client.exceptions``."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

from lambdasim.aws.errors import ClientError, ClientExceptions, client_error

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation


@cache
def botocore_service_model(service_name: str) -> Any:
    """botocore's ``ServiceModel`` of ``service_name`` (loaded once), as a botocore client's ``meta.service_model``.

    Raises ``ImportError`` naming the extra to install when botocore is not installed (it is optional).
    """
    try:
        loaders = importlib.import_module("botocore.loaders")
        model = importlib.import_module("botocore.model")
    except ImportError:
        raise ImportError(
            "client.meta.service_model is botocore's model of the service: pip install 'lambdasim[boto3]'"
        ) from None
    return model.ServiceModel(loaders.create_loader().load_service_model(service_name, "service-2"), service_name)


class ClientMeta:
    """``client.meta``: the service, region and partition as boto3 exposes them, and botocore's service model.

    There is no ``meta.events``: the native client answers without botocore's request pipeline, so no botocore
    event would ever be emitted on it (botocore's ``Stubber`` and event hooks need a botocore client: use
    :func:`lambdasim.mock_aws`).
    """

    partition = "aws"

    def __init__(self, service_name: str, region_name: str) -> None:
        self.service_name = service_name
        self.region_name = region_name

    @property
    def service_model(self) -> Any:
        """botocore's ``ServiceModel`` of the service (botocore must be installed: ``lambdasim[boto3]``)."""
        return botocore_service_model(self.service_name)


class BaseClient:
    """A client of one simulated service on one :class:`~lambdasim.aws.simulation.Simulation`."""

    service_name = ""
    error_codes: tuple[str, ...] = ()

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self.meta = ClientMeta(self.service_name, sim.region)
        self.exceptions = ClientExceptions(self.error_codes)

    def _metadata(self, status: int = 200, request_id: str | None = None, **headers: str) -> dict[str, Any]:
        rid = request_id or self._sim.new_request_id()
        return {
            "RequestId": rid,
            "HTTPStatusCode": status,
            "HTTPHeaders": {"x-amzn-requestid": rid, **headers},
            "RetryAttempts": 0,
        }

    def _error(self, code: str, message: str, operation: str, status: int = 400, **extra: Any) -> ClientError:
        return client_error(
            code, message, operation, status, request_id=self._sim.new_request_id(), extra=extra or None
        )
