"""Amazon DynamoDB Streams: the boto3-shaped client of the streams of DynamoDB tables."""
