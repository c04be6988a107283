"""``sim.client("dynamodb")``: the DynamoDB operations that make stream records, in boto3's shapes and DynamoDB's
words.

Operations: ``create_table``, ``update_table`` (its ``StreamSpecification``), ``describe_table``, ``list_tables``,
``delete_table``, ``put_item``, ``get_item``, ``update_item``, ``delete_item``. See
:mod:`lambdasim.aws.dynamodb.backend` for the tables and their streams.

[model] ``update_item`` takes ``AttributeUpdates`` (``PUT`` and ``DELETE`` of whole attributes) or an
``UpdateExpression`` on top-level attributes (names may be ``#placeholders``): ``SET`` with ``+``, ``-``,
``if_not_exists`` and ``list_append``, ``REMOVE``, ``ADD`` and ``DELETE``
(:mod:`lambdasim.aws.dynamodb.update_expression`). What lambdasim does not simulate (condition expressions,
``Expected``, secondary indexes, nested document paths, ``ReturnValues`` other than ``NONE``/``ALL_OLD``/
``ALL_NEW``) is refused with a ``ValidationException`` naming it, never ignored.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, utc
from lambdasim.aws.dynamodb._shapes import OPERATIONS, SHAPES
from lambdasim.aws.dynamodb.backend import Item, Table, partitions_for
from lambdasim.aws.dynamodb.update_expression import UpdateExpressionError, apply_update

__all__ = ["DynamoDbClient"]

NOT_SIMULATED: dict[str, tuple[str, ...]] = {
    "CreateTable": ("LocalSecondaryIndexes", "GlobalSecondaryIndexes", "GlobalTableSourceArn"),
    "PutItem": ("Expected", "ConditionalOperator", "ConditionExpression"),
    "UpdateItem": ("Expected", "ConditionalOperator", "ConditionExpression"),
    "DeleteItem": ("Expected", "ConditionalOperator", "ConditionExpression"),
    "UpdateTable": ("GlobalSecondaryIndexUpdates", "ReplicaUpdates", "GlobalTableWitnessUpdates"),
}


class DynamoDbClient(ServiceClient):
    """The simulated DynamoDB service. Every method takes and returns what boto3's DynamoDB client does."""

    service_name = "dynamodb"
    invalid_parameter = ("ValidationException", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    validation_error = "ValidationException"
    error_codes = (
        "ResourceNotFoundException",
        "ResourceInUseException",
        "ValidationException",
        "ConditionalCheckFailedException",
    )
    paginators: ClassVar[dict[str, dict[str, str]]] = {}

    def _table(self, name: str, op: str) -> Table:
        with self._client_errors(op):
            return self._services.dynamodb.get(name)

    def _refuse_unsimulated(self, op: str, params: dict[str, Any]) -> None:
        for member in NOT_SIMULATED.get(op, ()):
            if member in params:
                raise self._invalid("ValidationException", f"lambdasim does not simulate {member} on {op}", op)

    def _describe(self, table: Table, status: str = "ACTIVE") -> dict[str, Any]:
        spec = table.spec
        mode = spec.get("BillingMode", "PROVISIONED")
        throughput = spec.get("ProvisionedThroughput") or {}
        out: dict[str, Any] = {
            "AttributeDefinitions": spec.get("AttributeDefinitions", []),
            "TableName": table.name,
            "KeySchema": spec["KeySchema"],
            "TableStatus": status,
            "CreationDateTime": utc(self._services.epoch(table.created_at)),
            "ProvisionedThroughput": {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
                "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0),
            },
            "TableSizeBytes": 0,
            "ItemCount": len(table.items),
            "TableArn": table.arn,
            "TableId": table.spec["_id"],
            "BillingModeSummary": {"BillingMode": mode},
            "DeletionProtectionEnabled": False,
        }
        if table.view_type is not None:
            out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.view_type}
        if table.stream_arn is not None:
            out["LatestStreamLabel"] = table.stream_label
            out["LatestStreamArn"] = table.stream_arn
        return out

    def _stream_spec(self, spec: Any, op: str) -> str | None:
        """The view type a ``StreamSpecification`` asks for (``None``: no stream)."""
        if not spec:
            return None
        if not spec["StreamEnabled"]:
            if "StreamViewType" in spec:
                raise self._invalid(
                    "ValidationException",
                    "One or more parameter values were invalid: StreamViewType cannot be specified when "
                    "StreamEnabled is false",
                    op,
                )
            return None
        if "StreamViewType" not in spec:
            raise self._invalid(
                "ValidationException",
                "One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled "
                "is true",
                op,
            )
        return str(spec["StreamViewType"])

    # -- tables -----------------------------------------------------------------------------------------------

    def create_table(self, **params: Any) -> dict[str, Any]:
        """Create a table with a key schema (and a stream if ``StreamSpecification`` enables one); it is
        ``ACTIVE`` at once ([model]), though the answer says ``CREATING`` as AWS's does."""
        op = self._call("create_table", params)
        self._refuse_unsimulated(op, params)
        schema = params.get("KeySchema") or []
        kinds = [k["KeyType"] for k in schema]
        if kinds not in (["HASH"], ["HASH", "RANGE"]):
            raise self._invalid(
                "ValidationException",
                "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must "
                "not be null"
                if not schema
                else "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                op,
            )
        defined = {a["AttributeName"] for a in params.get("AttributeDefinitions") or []}
        for k in schema:
            if k["AttributeName"] not in defined:
                raise self._invalid(
                    "ValidationException",
                    "One or more parameter values were invalid: Some index key attributes are not defined in "
                    "AttributeDefinitions. Keys: [" + ", ".join(k["AttributeName"] for k in schema) + "], "
                    "AttributeDefinitions: [" + ", ".join(sorted(defined)) + "]",
                    op,
                )
        mode = params.get("BillingMode", "PROVISIONED")
        throughput = params.get("ProvisionedThroughput")
        if mode == "PROVISIONED" and throughput is None:
            raise self._invalid(
                "ValidationException",
                "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
                "specified when BillingMode is PROVISIONED",
                op,
            )
        if mode == "PAY_PER_REQUEST" and throughput is not None:
            raise self._invalid(
                "ValidationException",
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                "specified when BillingMode is PAY_PER_REQUEST",
                op,
            )
        view = self._stream_spec(params.get("StreamSpecification"), op)
        partitions = (
            1
            if throughput is None
            else partitions_for(throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"])
        )
        spec = {**params, "_id": self._services.new_id()}
        with self._client_errors(op):
            table = self._services.dynamodb.create(spec, partitions)
        if view is not None:
            table.enable_stream(view)
        return {"TableDescription": self._describe(table, "CREATING"), "ResponseMetadata": self._metadata()}

    def update_table(self, **params: Any) -> dict[str, Any]:
        """Enable or disable the table's stream (a new stream has a new label and ARN)."""
        op = self._call("update_table", params)
        self._refuse_unsimulated(op, params)
        table = self._table(params["TableName"], op)
        if "StreamSpecification" in params:
            view = self._stream_spec(params["StreamSpecification"], op)
            if view is not None and table.view_type is not None:
                raise self._invalid(
                    "ValidationException", f"Table already has an enabled stream: TableName: {table.name}", op
                )
            if view is None and table.view_type is None:
                raise self._invalid("ValidationException", f"Table already has no stream: TableName: {table.name}", op)
            if view is None:
                table.disable_stream()
            else:
                table.enable_stream(view)
        return {"TableDescription": self._describe(table, "UPDATING"), "ResponseMetadata": self._metadata()}

    def describe_table(self, **params: Any) -> dict[str, Any]:
        """The table's description."""
        op = self._call("describe_table", params)
        name = params["TableName"]
        with self._client_errors(op):
            table = self._services.dynamodb.get(name, f"Requested resource not found: Table: {name} not found")
        return {"Table": self._describe(table), "ResponseMetadata": self._metadata()}

    def list_tables(self, **params: Any) -> dict[str, Any]:
        """The table names, in order (``Limit``, ``ExclusiveStartTableName``)."""
        self._call("list_tables", params)
        names = sorted(self._services.dynamodb.tables)
        if "ExclusiveStartTableName" in params:
            names = [n for n in names if n > params["ExclusiveStartTableName"]]
        limit = params.get("Limit", 100)
        out: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        out["ResponseMetadata"] = self._metadata()
        return out

    def delete_table(self, **params: Any) -> dict[str, Any]:
        """Delete the table (and its stream: its mappings stop reading)."""
        op = self._call("delete_table", params)
        with self._client_errors(op):
            table = self._services.dynamodb.delete(params["TableName"])
        return {"TableDescription": self._describe(table, "DELETING"), "ResponseMetadata": self._metadata()}

    # -- items ------------------------------------------------------------------------------------------------

    def _returns(self, op: str, params: dict[str, Any], old: Item | None, new: Item | None) -> dict[str, Any]:
        wanted = params.get("ReturnValues", "NONE")
        out: dict[str, Any] = {}
        if wanted == "ALL_OLD" and old is not None:
            out["Attributes"] = old
        elif wanted == "ALL_NEW" and new is not None:
            out["Attributes"] = new
        elif wanted not in ("NONE", "ALL_OLD", "ALL_NEW"):
            raise self._invalid("ValidationException", f"lambdasim does not simulate ReturnValues {wanted} on {op}", op)
        out["ResponseMetadata"] = self._metadata()
        return out

    def _check_key(self, table: Table, key: Item, op: str) -> tuple[str, str]:
        names = {table.hash_key} | ({table.range_key} if table.range_key else set())
        if set(key) != names:
            raise self._invalid("ValidationException", "The provided key element does not match the schema", op)
        with self._client_errors(op):
            return table.key_of(key)

    def put_item(self, **params: Any) -> dict[str, Any]:
        """Write a whole item (``INSERT`` or ``MODIFY`` in the stream)."""
        op = self._call("put_item", params)
        self._refuse_unsimulated(op, params)
        if params.get("ReturnValues", "NONE") not in ("NONE", "ALL_OLD"):
            raise self._invalid("ValidationException", "Return values set to invalid value", op)
        table = self._table(params["TableName"], op)
        item = dict(params["Item"])
        with self._client_errors(op):
            key = table.key_of(item)
        old = table.write(key, item)
        return self._returns(op, params, old, None)

    def get_item(self, **params: Any) -> dict[str, Any]:
        """An item by its key (no ``Item`` when there is none)."""
        op = self._call("get_item", params)
        table = self._table(params["TableName"], op)
        key = self._check_key(table, params["Key"], op)
        out: dict[str, Any] = {}
        if key in table.items:
            out["Item"] = table.items[key]
        out["ResponseMetadata"] = self._metadata()
        return out

    def delete_item(self, **params: Any) -> dict[str, Any]:
        """Delete an item (``REMOVE`` in the stream; nothing if there was none)."""
        op = self._call("delete_item", params)
        self._refuse_unsimulated(op, params)
        if params.get("ReturnValues", "NONE") not in ("NONE", "ALL_OLD"):
            raise self._invalid("ValidationException", "Return values set to invalid value", op)
        table = self._table(params["TableName"], op)
        key = self._check_key(table, params["Key"], op)
        old = table.write(key, None)
        return self._returns(op, params, old, None)

    def update_item(self, **params: Any) -> dict[str, Any]:
        """Change attributes of an item, creating it if needed (``INSERT`` or ``MODIFY``)."""
        op = self._call("update_item", params)
        self._refuse_unsimulated(op, params)
        table = self._table(params["TableName"], op)
        key_item = params["Key"]
        key = self._check_key(table, key_item, op)
        old = table.items.get(key)
        new: Item = dict(old) if old is not None else dict(key_item)
        if "UpdateExpression" in params and "AttributeUpdates" in params:
            raise self._invalid(
                "ValidationException",
                "Can not use both expression and non-expression parameters in the same request: Non-expression "
                "parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
                op,
            )
        if "UpdateExpression" in params:
            new = self._apply_expression(table, new, params, op)
        for name, update in (params.get("AttributeUpdates") or {}).items():
            action = update.get("Action", "PUT")
            if name in (table.hash_key, table.range_key):
                raise self._invalid(
                    "ValidationException",
                    f"One or more parameter values were invalid: Cannot update attribute {name}. This attribute is "
                    "part of the key",
                    op,
                )
            if action == "PUT" and "Value" in update:
                new[name] = update["Value"]
            elif action == "DELETE" and "Value" not in update:
                new.pop(name, None)
            else:
                raise self._invalid(
                    "ValidationException", f"lambdasim does not simulate AttributeUpdates action {action} here", op
                )
        table.write(key, new)
        return self._returns(op, params, old, new)

    def _apply_expression(self, table: Table, item: Item, params: dict[str, Any], op: str) -> Item:
        keys = (table.hash_key,) + ((table.range_key,) if table.range_key else ())
        try:
            return apply_update(
                item,
                str(params["UpdateExpression"]),
                params.get("ExpressionAttributeNames") or {},
                params.get("ExpressionAttributeValues") or {},
                keys,
            )
        except UpdateExpressionError as exc:
            raise self._invalid("ValidationException", str(exc), op) from None
