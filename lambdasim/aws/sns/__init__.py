"""Amazon SNS: the topic backend and its boto3-shaped client."""
