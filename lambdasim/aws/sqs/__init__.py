"""Amazon SQS: the queue backend and its boto3-shaped client."""
