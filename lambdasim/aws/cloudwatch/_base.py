"""The base of ``sim.client("cloudwatch")``: its model, error words and the checks its operations share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, as_epoch
from lambdasim.aws.account import ServiceError
from lambdasim.aws.cloudwatch._shapes import OPERATIONS, SHAPES

if TYPE_CHECKING:
    from lambdasim.aws.cloudwatch.backend import CloudWatchService


class CloudWatchBase(ServiceClient):
    """What the CloudWatch client's operations share: its model, errors and checks."""

    service_name = "cloudwatch"
    invalid_parameter = ("InvalidParameterValue", "InvalidParameterValueException")
    operations = OPERATIONS
    input_shapes = SHAPES
    # Query-compatible errors: Error.Code is the query code, the class is botocore's shape (as for SQS).
    error_codes = (
        "InvalidParameterValueException",
        "InvalidParameterCombinationException",
        "MissingRequiredParameterException",
        "InvalidNextToken",
        "ResourceNotFound",
        "InvalidFormatFault",
        "LimitExceededFault",
    )
    shapes: ClassVar[dict[str, str]] = {
        "InvalidParameterValue": "InvalidParameterValueException",
        "InvalidParameterCombination": "InvalidParameterCombinationException",
        "MissingParameter": "MissingRequiredParameterException",
        "ResourceNotFound": "ResourceNotFound",
        "InvalidFormat": "InvalidFormatFault",
        "LimitExceeded": "LimitExceededFault",
    }

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListMetrics": {"input_token": "NextToken", "output_token": "NextToken", "result_key": "Metrics"},
        # botocore's also lists CompositeAlarms, which lambdasim does not have: one result key, as its paginators read.
        "DescribeAlarms": {
            "input_token": "NextToken",
            "output_token": "NextToken",
            "limit_key": "MaxRecords",
            "result_key": "MetricAlarms",
        },
        "DescribeAlarmHistory": {
            "input_token": "NextToken",
            "output_token": "NextToken",
            "limit_key": "MaxRecords",
            "result_key": "AlarmHistoryItems",
        },
    }

    def _bad(self, code: str, message: str, op: str, status: int = 400) -> Exception:
        return self._fail(ServiceError(code, message, status, shape=self.shapes.get(code)), op)

    def _window(self, params: dict[str, Any], op: str) -> tuple[float, float]:
        """``StartTime`` and ``EndTime`` as Unix times; the start must come first."""
        start, end = (as_epoch(params[name]) for name in ("StartTime", "EndTime"))
        assert start is not None and end is not None  # required timestamps: validate_input checked them
        if start >= end:
            raise self._bad(
                "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.", op
            )
        return start, end

    def _check_dimensions(self, dimensions: Any, op: str) -> list[dict[str, Any]]:
        dims = list(dimensions or [])  # each with a Name (and a Value but in ListMetrics): validate_input checked
        if len(dims) > 30:
            raise self._bad(
                "InvalidParameterValue", "The collection Dimensions must not have a size greater than 30.", op
            )
        return dims

    def _check_period(self, period: int, op: str) -> None:
        base = self._sim.settings.metrics_period_s
        if abs(period / base - round(period / base)) > 1e-9 or period < base:
            raise self._bad("InvalidParameterValue", f"The parameter Period must be a multiple of {base:g}.", op)

    @property
    def _cw(self) -> CloudWatchService:
        return self._services.cloudwatch
