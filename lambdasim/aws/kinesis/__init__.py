"""Amazon Kinesis Data Streams: shards, records and limits, and the boto3-shaped client."""
