"""What every boto3-shaped client shares: the simulation, response metadata and ``client.exceptions``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdasim.aws.errors import ClientError, ClientExceptions, client_error

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation


class ClientMeta:
    """``client.meta``: the service and region, as boto3 exposes them."""

    def __init__(self, service_name: str, region_name: str) -> None:
        self.service_name = service_name
        self.region_name = region_name


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
