"""DynamoDB's ``UpdateExpression`` and reading a table's stream through ``sim.client("dynamodbstreams")``.

Each behaviour as DynamoDB documents it: every operand is read from the item as it was before the update, numbers
are decimals, sets are added to and deleted from, the key and overlapping paths are refused with DynamoDB's
messages, and what lambdasim does not simulate (nested paths) is refused, never ignored. The stream is read in
order from the trim horizon, the latest position or a sequence number, with DynamoDB Streams' shard ids and errors.
"""

from __future__ import annotations

from typing import Any

import pytest

import lambdasim as ls

KEY = {"id": {"S": "a"}}


def table(sim: ls.Simulation, view: str = "NEW_AND_OLD_IMAGES") -> Any:
    ddb = sim.client("dynamodb")
    ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return ddb


def update(ddb: Any, expression: str, values: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "TableName": "orders",
        "Key": KEY,
        "UpdateExpression": expression,
        "ReturnValues": "ALL_NEW",
    }
    if values is not None:
        kwargs["ExpressionAttributeValues"] = values
    kwargs.update(extra)
    return dict(ddb.update_item(**kwargs)["Attributes"])


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ls.ClientError) as exc:
        call()
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


# -- UpdateExpression -----------------------------------------------------------------------------------------------


def test_set_arithmetic_if_not_exists_and_list_append() -> None:
    ddb = table(ls.Simulation(seed=1))
    one, zero = {"N": "1"}, {"N": "0"}
    # A counter that does not exist yet: if_not_exists gives the start value, then + adds.
    assert update(ddb, "SET c = if_not_exists(c, :z) + :one", {":z": zero, ":one": one})["c"] == {"N": "1"}
    assert update(ddb, "SET c = c + :one", {":one": one})["c"] == {"N": "2"}
    assert update(ddb, "SET c = c - :x", {":x": {"N": "0.5"}})["c"] == {"N": "1.5"}
    assert update(ddb, "SET c = c + :x", {":x": {"N": "8.5"}})["c"] == {"N": "10"}  # not 1E+1
    big = {"N": "9" * 38}
    assert update(ddb, "SET b = :big", {":big": big})["b"] == big
    out = update(
        ddb, "SET l = list_append(if_not_exists(l, :empty), :more)", {":empty": {"L": []}, ":more": {"L": [one]}}
    )
    assert out["l"] == {"L": [one]}
    out = update(ddb, "SET l = list_append(:front, l)", {":front": {"L": [zero]}})
    assert out["l"] == {"L": [zero, one]}
    # Operands are read from the item before the update: b gets c's old value, not 99.
    out = update(ddb, "SET c = :n, d = c", {":n": {"N": "99"}})
    assert (out["c"], out["d"]) == ({"N": "99"}, {"N": "10"})
    # Names as placeholders, keywords in any case, several clauses.
    out = update(ddb, "set #n = :v remove d, b", {":v": {"S": "x"}}, ExpressionAttributeNames={"#n": "name"})
    assert out == {**KEY, "c": {"N": "99"}, "l": {"L": [zero, one]}, "name": {"S": "x"}}


def test_add_and_delete_numbers_and_sets() -> None:
    ddb = table(ls.Simulation(seed=1))
    assert update(ddb, "ADD n :v", {":v": {"N": "5"}})["n"] == {"N": "5"}  # a missing number starts at the value
    assert update(ddb, "ADD n :v", {":v": {"N": "-7"}})["n"] == {"N": "-2"}
    assert update(ddb, "ADD s :v", {":v": {"SS": ["a", "b"]}})["s"] == {"SS": ["a", "b"]}
    assert update(ddb, "ADD s :v", {":v": {"SS": ["b", "c"]}})["s"] == {"SS": ["a", "b", "c"]}
    assert update(ddb, "DELETE s :v", {":v": {"SS": ["a", "z"]}})["s"] == {"SS": ["b", "c"]}
    # Deleting every member removes the attribute (DynamoDB has no empty sets).
    assert "s" not in update(ddb, "DELETE s :v", {":v": {"SS": ["b", "c"]}})
    assert update(ddb, "ADD n :one SET t = :t", {":one": {"N": "1"}, ":t": {"S": "x"}})["n"] == {"N": "-1"}


@pytest.mark.parametrize(
    ("expression", "values", "message"),
    [
        ("SET c = missing + :one", {":one": {"N": "1"}}, "refers to an attribute that does not exist in the item"),
        (
            "SET s = s + :one",
            {":one": {"N": "1"}},
            "Incorrect operand type for operator or function; operator or function: +, operand type: S",
        ),
        ("ADD s :one", {":one": {"N": "1"}}, "An operand in the update expression has an incorrect data type"),
        (
            "ADD x :s",
            {":s": {"S": "x"}},
            "Incorrect operand type for operator or function; operator: ADD, operand type: S",
        ),
        ("DELETE x :n", {":n": {"N": "1"}}, "operator: DELETE, operand type: N"),
        ("SET l = list_append(s, :l)", {":l": {"L": []}}, "operator or function: list_append, operand type: S"),
        ("SET a = :v, a = :v", {":v": {"N": "1"}}, "Two document paths overlap with each other"),
        ("SET a = :v SET b = :v", {":v": {"N": "1"}}, 'The "SET" section can only be used once'),
        ("SET id = :v", {":v": {"S": "b"}}, "Cannot update attribute id. This attribute is part of the key"),
        ("SET a = :undefined", {":v": {"N": "1"}}, "attribute value: :undefined"),
        ("SET #undefined = :v", {":v": {"N": "1"}}, "attribute name: #undefined"),
        ("SET a.b = :v", {":v": {"N": "1"}}, "nested attribute paths (a.) are not simulated by lambdasim"),
        ("SET a[0] = :v", {":v": {"N": "1"}}, "not simulated by lambdasim"),
        ("SET a = :v +", {":v": {"N": "1"}}, "Syntax error"),
        ("MERGE a :v", {":v": {"N": "1"}}, 'Syntax error; token: "MERGE"'),
        ("SET a = :v;", {":v": {"N": "1"}}, "Syntax error"),
    ],
)
def test_bad_update_expressions_get_dynamodbs_validation_error(
    expression: str, values: dict[str, Any], message: str
) -> None:
    ddb = table(ls.Simulation(seed=1))
    ddb.put_item(TableName="orders", Item={**KEY, "s": {"S": "text"}})
    before = ddb.get_item(TableName="orders", Key=KEY)["Item"]
    code, text = error_of(lambda: update(ddb, expression, values))
    assert code == "ValidationException" and message in text, text
    assert ddb.get_item(TableName="orders", Key=KEY)["Item"] == before  # a refused update changes nothing


def test_an_update_writes_one_stream_record_with_both_images() -> None:
    sim = ls.Simulation(seed=1)
    ddb = table(sim)
    streams = sim.client("dynamodbstreams")
    update(ddb, "SET c = if_not_exists(c, :z) + :one", {":z": {"N": "0"}, ":one": {"N": "1"}})
    update(ddb, "ADD c :one", {":one": {"N": "1"}})
    arn = streams.list_streams(TableName="orders")["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"]["c"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["c"] == {"N": "2"}


# -- reading the stream ------------------------------------------------------------------------------------------------


def test_stream_shards_have_dynamodb_streams_ids_and_read_in_order() -> None:
    sim = ls.Simulation(seed=1)
    ddb = table(sim, "KEYS_ONLY")
    streams = sim.client("dynamodbstreams")
    arn = streams.list_streams()["Streams"][0]["StreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    ids = [s["ShardId"] for s in shards]
    # shardId-<20 digits>-<8 hex digits>, at least the 28 characters botocore's model asks for; stable per run.
    assert all(len(i) == 37 and i.startswith("shardId-") and i[28] == "-" for i in ids)
    assert ids == sorted(ids)
    shard = ids[0]
    for n in range(5):
        ddb.put_item(TableName="orders", Item={"id": {"S": "a"}, "n": {"N": str(n)}})
        sim.run(until=sim.now + 1)

    def iterator(kind: str, **extra: Any) -> str:
        return str(
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **extra)["ShardIterator"]
        )

    page = streams.get_records(ShardIterator=iterator("TRIM_HORIZON"), Limit=2)
    assert [r["eventName"] for r in page["Records"]] == ["INSERT", "MODIFY"]
    assert page["Records"][0]["dynamodb"]["ApproximateCreationDateTime"] == sim.start
    assert page["Records"][0]["dynamodb"]["StreamViewType"] == "KEYS_ONLY"
    assert "NewImage" not in page["Records"][0]["dynamodb"]
    rest = streams.get_records(ShardIterator=page["NextShardIterator"])["Records"]
    sequence = [r["dynamodb"]["SequenceNumber"] for r in page["Records"] + rest]
    assert len(sequence) == 5 and sequence == sorted(sequence)
    at = streams.get_records(ShardIterator=iterator("AT_SEQUENCE_NUMBER", SequenceNumber=sequence[2]))["Records"]
    after = streams.get_records(ShardIterator=iterator("AFTER_SEQUENCE_NUMBER", SequenceNumber=sequence[2]))
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == sequence[2:]
    assert [r["dynamodb"]["SequenceNumber"] for r in after["Records"]] == sequence[3:]
    latest = iterator("LATEST")
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.delete_item(TableName="orders", Key=KEY)
    assert [r["eventName"] for r in streams.get_records(ShardIterator=latest)["Records"]] == ["REMOVE"]


def test_stream_reads_are_refused_in_dynamodb_streams_words() -> None:
    sim = ls.Simulation(seed=1)
    ddb = table(sim)
    streams = sim.client("dynamodbstreams")
    arn = streams.list_streams()["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    ddb.put_item(TableName="orders", Item=KEY)
    first = streams.get_records(
        ShardIterator=streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
    )["Records"][0]["dynamodb"]["SequenceNumber"]
    missing = arn + "x"
    assert error_of(
        lambda: streams.get_shard_iterator(StreamArn=missing, ShardId=shard, ShardIteratorType="LATEST")
    ) == ("ResourceNotFoundException", f"Requested resource not found: Stream: {missing} not found")
    other = "shardId-00000000000000000000-00000000"
    assert error_of(lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=other, ShardIteratorType="LATEST"))[
        0
    ] == ("ResourceNotFoundException")
    assert error_of(
        lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")
    )[0] == ("ValidationException")
    bad = "4" + "9" * 20
    assert error_of(
        lambda: streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=bad
        )
    )[0] == ("ValidationException")
    assert error_of(lambda: streams.get_records(ShardIterator="not an iterator")) == (
        "ValidationException",
        "Invalid ShardIterator",
    )
    old = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    sim.run(until=24 * 3600 + 1)  # the record is trimmed after 24 hours
    assert error_of(lambda: streams.get_records(ShardIterator=old))[0] == "TrimmedDataAccessException"
    assert error_of(
        lambda: streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first
        )
    )[0] == ("TrimmedDataAccessException")
    fresh = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert streams.get_records(ShardIterator=fresh["ShardIterator"])["Records"] == []
